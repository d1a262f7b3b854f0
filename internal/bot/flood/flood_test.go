package flood_test

import (
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fairdraw/fairdraw/internal/bot/flood"
	"github.com/fairdraw/fairdraw/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestFloodGuard: counts per user per window, shared through Redis by every guard on the
// same prefix (every replica).
func TestFloodGuard(t *testing.T) {
	rdb := redistest.Client(t)
	defer rdb.Close()
	prefix := redistest.Prefix(t)
	g1 := flood.New(flood.Config{Redis: rdb, Prefix: prefix, Limit: 3, Window: time.Hour})
	g2 := flood.New(flood.Config{Redis: rdb, Prefix: prefix, Limit: 3, Window: time.Hour})
	for _, tc := range []struct {
		name  string
		guard *flood.Guard
		user  int64
		want  bool
	}{
		{"first", g1, 1, true},
		{"second, on another replica", g2, 1, true},
		{"third", g1, 1, true},
		{"fourth is over the limit", g2, 1, false},
		{"and stays over it", g1, 1, false},
		{"another user is not affected", g1, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.guard.Allow(t.Context(), tc.user)
			if err != nil || got != tc.want {
				t.Fatalf("Allow = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	ttl, err := rdb.PTTL(t.Context(), prefix+"flood:1").Result()
	if err != nil || ttl <= 0 || ttl > time.Hour {
		t.Fatalf("window key expires in %v (%v)", ttl, err)
	}
}

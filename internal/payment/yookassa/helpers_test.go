package yookassa_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
)

// sleeper records the waits a client asks for and returns at once.
type sleeper struct {
	mu     sync.Mutex
	waited []time.Duration
}

func (s *sleeper) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waited = append(s.waited, d)
	return ctx.Err()
}

func (s *sleeper) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waited...)
}

type bundle struct {
	fake   *yookassatest.Server
	client *yookassa.Client
	sleep  *sleeper
}

// setup starts a fake (with a frozen clock unless opts.Now is set) and a client pointed at it;
// edit may adjust the client config.
func setup(t *testing.T, opts yookassatest.Options, edit func(*yookassa.Config)) *bundle {
	t.Helper()
	if opts.Now == nil {
		frozen := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		opts.Now = func() time.Time { return frozen }
	}
	fake := yookassatest.NewServer(opts)
	t.Cleanup(fake.Close)
	sl := &sleeper{}
	cfg := fake.Config()
	cfg.Sleep = sl.sleep
	if edit != nil {
		edit(&cfg)
	}
	c, err := yookassa.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &bundle{fake: fake, client: c, sleep: sl}
}

// posts returns the recorded POSTs to path.
func posts(fake *yookassatest.Server, path string) []yookassatest.Call {
	var out []yookassatest.Call
	for _, c := range fake.Calls() {
		if c.Method == http.MethodPost && c.Path == path {
			out = append(out, c)
		}
	}
	return out
}

func entryFee() yookassa.CreatePaymentRequest {
	return yookassa.CreatePaymentRequest{
		Amount:      yookassa.RUB(100_00),
		ReturnURL:   "https://t.me/fairdraw_bot",
		Description: "Участие в розыгрыше №7",
		Metadata:    map[string]string{"draw_id": "7", "tg_user_id": "42"},
	}
}

package sender_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fairdraw/fairdraw/internal/notify/sender"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

var epoch = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)

// testLimiter is a limiter with round numbers: Global 10/s and Slack 50ms space messages
// 105ms apart, and the log takes 10 sends in 1.025s; a chat waits 1.05s; a group
// 60.05s/20 = 3.0025s; paid 100/s is 10.5ms apart, 100 sends in 1.025s.
func testLimiter(t *testing.T, rdb *redis.Client, prefix string, clock *telegramtest.Clock) *sender.RedisLimiter {
	t.Helper()
	l, err := sender.NewRedisLimiter(sender.LimiterConfig{
		Redis: rdb, Prefix: prefix, Global: 10, PerChat: 1, GroupPerMinute: 20, Paid: 100,
		Slack: 50 * time.Millisecond, SlowFor: 10 * time.Second, MaxWait: 5 * time.Second, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestLimiterReserve(t *testing.T) {
	const ms = time.Millisecond
	type step struct {
		at       time.Duration // on the clock, from the start
		chat     int64
		paid     bool
		throttle time.Duration // > 0: report a 429 with this retry_after instead of reserving
		start    bool          // start a send (enter it in the log) instead of reserving
		end      bool          // end every send started so far
		reply    bool          // reserve as a reply (ahead of bulk), no further than within
		within   time.Duration
		wait     time.Duration
		reserved bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"the global budget spaces messages evenly", []step{
			{at: 0, chat: 1, wait: 0, reserved: true},
			{at: 0, chat: 2, wait: 105 * ms, reserved: true},
			{at: 0, chat: 3, wait: 210 * ms, reserved: true},
			{at: 105 * ms, chat: 4, wait: 210 * ms, reserved: true},
		}},
		{"an idle budget does not bank slots for a burst", []step{
			{at: 0, chat: 1, wait: 0, reserved: true},
			{at: 5 * time.Second, chat: 2, wait: 0, reserved: true},
			{at: 5 * time.Second, chat: 3, wait: 105 * ms, reserved: true},
		}},
		{"a chat gets one message a second", []step{
			{at: 0, chat: 1, wait: 0, reserved: true},
			{at: 0, chat: 1, wait: 1050 * ms},
			{at: 1049 * ms, chat: 1, wait: ms},
			{at: 1050 * ms, chat: 1, wait: 0, reserved: true},
		}},
		{"a busy chat takes nothing from the budget", []step{
			{at: 0, chat: 1, wait: 0, reserved: true},
			{at: 0, chat: 1, wait: 1050 * ms},
			{at: 0, chat: 2, wait: 105 * ms, reserved: true},
		}},
		{"a group gets twenty messages a minute", []step{
			{at: 0, chat: -1001, wait: 0, reserved: true},
			{at: 1050 * ms, chat: -1001, wait: 1952500 * time.Microsecond},
			{at: 3002500 * time.Microsecond, chat: -1001, wait: 0, reserved: true},
		}},
		{"paid broadcasts have a budget of their own", []step{
			{at: 0, chat: 1, wait: 0, reserved: true},
			{at: 0, chat: 2, wait: 105 * ms, reserved: true},
			{at: 0, chat: 3, paid: true, wait: 0, reserved: true},
			{at: 0, chat: 4, paid: true, wait: 10500 * time.Microsecond, reserved: true},
			{at: 0, chat: 5, wait: 210 * ms, reserved: true},
		}},
		{"after a 429 the chat waits exactly retry_after", []step{
			{at: 0, chat: 1, throttle: 7 * time.Second},
			{at: 0, chat: 1, wait: 7 * time.Second},
			{at: 7*time.Second - time.Microsecond, chat: 1, wait: time.Microsecond},
			{at: 7 * time.Second, chat: 1, wait: 0, reserved: true},
		}},
		{"a 429 does not shorten a wait already longer", []step{
			{at: 0, chat: -1001, wait: 0, reserved: true},
			{at: 0, chat: -1001, throttle: time.Second},
			{at: 0, chat: -1001, wait: 3002500 * time.Microsecond},
		}},
		{"a 429 halves the pace", []step{
			{at: 0, chat: 9, throttle: time.Second},
			{at: 0, chat: 1, wait: 0, reserved: true},
			{at: 0, chat: 2, wait: 210 * ms, reserved: true},
			{at: 0, chat: 3, paid: true, wait: 0, reserved: true},
			{at: 0, chat: 4, paid: true, wait: 21 * ms, reserved: true},
			{at: 10 * time.Second, chat: 5, wait: 0, reserved: true},
			{at: 10 * time.Second, chat: 6, wait: 105 * ms, reserved: true},
		}},
		{"the slow-down after a 429 ends when retry_after has passed", []step{
			{at: 0, chat: 9, throttle: 2 * time.Second},
			{at: 0, chat: 1, wait: 0, reserved: true},
			{at: 0, chat: 2, wait: 210 * ms, reserved: true},
			{at: 2 * time.Second, chat: 3, wait: 0, reserved: true},
			{at: 2 * time.Second, chat: 4, wait: 105 * ms, reserved: true},
		}},
		{"replies go before bulk messages", []step{
			{at: 0, chat: 1, wait: 0, reserved: true},
			{at: 0, chat: 2, reply: true, wait: 105 * ms, reserved: true},
			{at: 0, chat: 3, reply: true, wait: 210 * ms, reserved: true},
			{at: 0, chat: 4, wait: 210 * ms},
			{at: 210 * ms, chat: 4, wait: 105 * ms, reserved: true},
		}},
		{"a reply takes no slot beyond its limit", []step{
			{at: 0, chat: 1, reply: true, wait: 0, reserved: true},
			{at: 0, chat: 2, reply: true, wait: 105 * ms, reserved: true},
			{at: 0, chat: 3, reply: true, within: 150 * ms, wait: 210 * ms},
			{at: 0, chat: 3, reply: true, within: 210 * ms, wait: 210 * ms, reserved: true},
			{at: 0, chat: 2, reply: true, wait: 1050*ms + 105*ms},
		}},
		{"the log holds a window's worth of sends, then waits for the oldest to leave", append(
			slices.Repeat([]step{{at: 0, chat: 1, start: true}}, 9),
			step{at: 500 * ms, chat: 2, start: true},
			step{at: 500 * ms, chat: 3, start: true, wait: 525 * ms},
			step{at: 1025 * ms, chat: 3, start: true},
		)},
		{"paid broadcasts have a log of their own", append(
			slices.Repeat([]step{{at: 0, chat: 1, start: true}}, 10),
			step{at: 0, chat: 2, start: true, wait: 1025 * ms},
			step{at: 0, chat: 2, paid: true, start: true},
		)},
		{"a send counts for 1s+Slack/2 after Telegram answered", append(
			slices.Repeat([]step{{at: 0, chat: 1, start: true}}, 10),
			step{at: 300 * ms, end: true},
			step{at: 1050 * ms, chat: 2, start: true, wait: 275 * ms},
			step{at: 1325 * ms, chat: 2, start: true},
		)},
		{"the chat's next message counts from the end of the send", []step{
			{at: 0, chat: 1, wait: 0, reserved: true},
			{at: 100 * ms, chat: 1, start: true},
			{at: 400 * ms, end: true},
			{at: 1050 * ms, chat: 1, wait: 400 * ms},
			{at: 1450 * ms, chat: 1, wait: 0, reserved: true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rdb, prefix := newRedis(t)
			clock := telegramtest.NewClock(epoch)
			l := testLimiter(t, rdb, prefix, clock)
			var started []func(context.Context)
			for i, s := range tt.steps {
				if d := epoch.Add(s.at).Sub(clock.Now()); d > 0 {
					clock.Advance(d)
				}
				if s.end {
					for _, end := range started {
						end(t.Context())
					}
					started = nil
					continue
				}
				if s.start {
					end, wait, err := l.Start(t.Context(), s.chat, s.paid)
					if err != nil || wait != s.wait || (end != nil) != (s.wait == 0) {
						t.Fatalf("step %d (chat %d at %v): Start = %v, %v; want %v", i, s.chat, s.at, wait, err, s.wait)
					}
					if end != nil {
						started = append(started, end)
					}
					continue
				}
				if s.throttle > 0 {
					if err := l.Throttled(t.Context(), s.chat, s.throttle); err != nil {
						t.Fatalf("step %d: Throttled: %v", i, err)
					}
					continue
				}
				reserve := l.Reserve
				if s.reply {
					reserve = func(ctx context.Context, chat int64, _ bool) (time.Duration, bool, error) {
						return l.ReserveReply(ctx, chat, s.within)
					}
				}
				wait, reserved, err := reserve(t.Context(), s.chat, s.paid)
				if err != nil {
					t.Fatalf("step %d: Reserve: %v", i, err)
				}
				if wait != s.wait || reserved != s.reserved {
					t.Fatalf("step %d (chat %d at %v): wait %v reserved %v, want %v %v", i, s.chat, s.at, wait, reserved, s.wait, s.reserved)
				}
			}
		})
	}
}

// Limiters of different processes share the budget through Redis; another prefix is another
// bot (or test) with its own.
func TestLimiterSharedThroughRedis(t *testing.T) {
	rdb, prefix := newRedis(t)
	clock := telegramtest.NewClock(epoch)
	a, b := testLimiter(t, rdb, prefix, clock), testLimiter(t, rdb, prefix, clock)
	other := testLimiter(t, rdb, prefix+"other:", clock)
	tests := []struct {
		name string
		l    *sender.RedisLimiter
		chat int64
		want time.Duration
	}{
		{"first process", a, 1, 0},
		{"second process queues behind it", b, 2, 105 * time.Millisecond},
		{"first process again", a, 3, 210 * time.Millisecond},
		{"second process, same chat as the first", b, 1, 1050 * time.Millisecond},
		{"another prefix is not affected", other, 4, 0},
	}
	for _, tt := range tests {
		wait, _, err := tt.l.Reserve(t.Context(), tt.chat, false)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if wait != tt.want {
			t.Fatalf("%s: wait %v, want %v", tt.name, wait, tt.want)
		}
	}
}

func TestLimiterWait(t *testing.T) {
	t.Run("a chat blocked beyond MaxWait is handed back at once", func(t *testing.T) {
		rdb, prefix := newRedis(t)
		clock := telegramtest.NewClock(epoch)
		l := testLimiter(t, rdb, prefix, clock)
		if err := l.Throttled(t.Context(), 1, 30*time.Second); err != nil {
			t.Fatal(err)
		}
		_, err := l.Wait(t.Context(), 1, false)
		retry, ok := errors.AsType[*sender.RetryAfterError](err)
		if !ok || retry.After != 30*time.Second {
			t.Fatalf("Wait = %v, want a RetryAfterError of 30s", err)
		}
	})
	t.Run("a wait ends with its context", func(t *testing.T) {
		rdb, prefix := newRedis(t)
		l, err := sender.NewRedisLimiter(sender.LimiterConfig{Redis: rdb, Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		end, err := l.Wait(t.Context(), 1, false)
		if err != nil {
			t.Fatalf("first Wait: %v", err)
		}
		end(t.Context())
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := l.Wait(ctx, 1, false); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait on a busy chat with a cancelled context = %v, want context.Canceled", err)
		}
	})
	t.Run("without Redis nothing is sent", func(t *testing.T) {
		rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: time.Second})
		defer rdb.Close()
		l, err := sender.NewRedisLimiter(sender.LimiterConfig{Redis: rdb, Prefix: "x:"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Wait(t.Context(), 1, false); err == nil {
			t.Fatal("Wait succeeded without Redis")
		}
	})
}

func TestNewRedisLimiterRejects(t *testing.T) {
	rdb, _ := newRedis(t)
	tests := []struct {
		name string
		cfg  sender.LimiterConfig
	}{
		{"no redis", sender.LimiterConfig{}},
		{"negative rate", sender.LimiterConfig{Redis: rdb, Global: -1}},
	}
	for _, tt := range tests {
		if _, err := sender.NewRedisLimiter(tt.cfg); err == nil {
			t.Fatalf("%s: NewRedisLimiter accepted it", tt.name)
		}
	}
}

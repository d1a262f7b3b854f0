package telegram_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/fairdraw/fairdraw/internal/notify/sender"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// newLimiter is a shared send limiter on the test Redis under a prefix of this test's own.
func newLimiter(t *testing.T, global int) *sender.RedisLimiter {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := fmt.Sprintf("fairdraw-test:%s:%s:", strings.ReplaceAll(t.Name(), "/", "."), hex.EncodeToString(b[:]))
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		_ = rdb.Close()
	})
	l, err := sender.NewRedisLimiter(sender.LimiterConfig{Redis: rdb, Prefix: prefix, Global: global, PerChat: 1})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// memDeferrer keeps deferred calls in memory, as ReplyQueue keeps them in PostgreSQL.
type memDeferrer struct {
	mu    sync.Mutex
	calls []telegram.DeferredCall
}

func (d *memDeferrer) Pending(_ context.Context, chat int64) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.calls {
		if c.ChatID == chat {
			return true, nil
		}
	}
	return false, nil
}

func (d *memDeferrer) Defer(_ context.Context, c telegram.DeferredCall) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, c)
	return nil
}

func pacedSetup(t *testing.T, cfg telegramtest.Config, p *telegram.Pacing) (*telegramtest.Server, *telego.Bot) {
	t.Helper()
	srv := telegramtest.NewServer(t, cfg)
	bot, err := telegram.NewPacedBot(telegramtest.Token, srv.URL(), srv.Client(), slog.New(slog.DiscardHandler), p)
	if err != nil {
		t.Fatalf("NewPacedBot: %v", err)
	}
	t.Cleanup(func() {
		if vs := srv.Violations(); len(vs) > 0 {
			t.Errorf("spec violations: %v", vs)
		}
	})
	return srv, bot
}

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// A 429 on a reply is waited out and the reply arrives once; the retry is counted.
func TestReplyWaitsOut429(t *testing.T) {
	reg := prometheus.NewRegistry()
	p := &telegram.Pacing{Limiter: newLimiter(t, 30), Registry: reg}
	srv, bot := pacedSetup(t, telegramtest.Config{}, p)
	srv.AddUser(alice)
	srv.FailNext("sendMessage", 1, http.StatusTooManyRequests) // retry_after 1
	startAt := time.Now()
	msg, err := bot.SendMessage(testContext(t), &telego.SendMessageParams{ChatID: chat(alice.ID), Text: "Розыгрыш #7"})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if time.Since(startAt) < time.Second {
		t.Fatalf("sent again before retry_after had passed")
	}
	msgs := srv.Messages(alice.ID)
	if len(msgs) != 1 || msgs[0].Text != "Розыгрыш #7" || msgs[0].MessageID != int64(msg.MessageID) {
		t.Fatalf("chat holds %+v, want the reply once", msgs)
	}
	if calls := srv.Calls("sendMessage"); len(calls) != 2 || calls[0].Status != http.StatusTooManyRequests || calls[1].Status != http.StatusOK {
		t.Fatalf("calls %+v, want a 429 then a success", calls)
	}
	if got := counter(t, reg, "fairdraw_telegram_replies_retried_total"); got != 1 {
		t.Fatalf("retried replies %v, want 1", got)
	}
}

// Replies from many handlers at once share the budget: Telegram (the fake, enforcing the
// same limit) never answers 429, and every reply arrives. Calls that put no message in a
// chat are not paced.
func TestRepliesKeepTheSharedLimit(t *testing.T) {
	const rate, users = 20, 50
	reg := prometheus.NewRegistry()
	p := &telegram.Pacing{Limiter: newLimiter(t, rate), Registry: reg, ReplyWithin: time.Minute}
	srv, bot := pacedSetup(t, telegramtest.Config{GlobalRate: rate, PerChatRate: 1}, p)
	ctx := testContext(t)
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for i := range users {
		u := telegramtest.User{ID: int64(5000 + i), FirstName: "U"}
		srv.AddUser(u)
		wg.Go(func() {
			if _, err := bot.SendMessage(ctx, &telego.SendMessageParams{ChatID: chat(u.ID), Text: fmt.Sprintf("карточка %d", u.ID)}); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("SendMessage: %v", err)
	}
	if n := srv.TooManyRequests(); n != 0 {
		t.Fatalf("%d answers were 429", n)
	}
	for i := range users {
		id := int64(5000 + i)
		if msgs := srv.Messages(id); len(msgs) != 1 || msgs[0].Text != fmt.Sprintf("карточка %d", id) {
			t.Fatalf("chat %d holds %+v", id, msgs)
		}
	}
	if got := counter(t, reg, "fairdraw_telegram_replies_delayed_total"); got == 0 {
		t.Fatalf("no reply counted as delayed, though %d went at %d/s", users, rate)
	}
}

// A reply that cannot go within ReplyWithin is handed to the deferrer and looks sent to its
// caller; the deferred job then sends it exactly once.
func TestReplyDeferredThenSentByItsJob(t *testing.T) {
	const users = 12
	reg := prometheus.NewRegistry()
	def := &memDeferrer{}
	p := &telegram.Pacing{Limiter: newLimiter(t, 10), Registry: reg, Deferrer: def, ReplyWithin: 300 * time.Millisecond}
	srv, bot := pacedSetup(t, telegramtest.Config{GlobalRate: 10, PerChatRate: 1}, p)
	ctx := testContext(t)
	var wg sync.WaitGroup
	for i := range users {
		u := telegramtest.User{ID: int64(7000 + i), FirstName: "U"}
		srv.AddUser(u)
		wg.Go(func() {
			msg, err := bot.SendMessage(ctx, &telego.SendMessageParams{ChatID: chat(u.ID), Text: "счёт"})
			if err != nil || msg == nil || msg.Chat.ID != u.ID {
				t.Errorf("SendMessage to %d: %+v %v", u.ID, msg, err)
			}
		})
	}
	wg.Wait()
	def.mu.Lock()
	deferred := def.calls
	def.mu.Unlock()
	if len(deferred) == 0 || len(deferred) == users {
		t.Fatalf("%d of %d replies deferred; want some sent at once, the rest deferred", len(deferred), users)
	}
	if got := counter(t, reg, "fairdraw_telegram_replies_deferred_total"); got != float64(len(deferred)) {
		t.Fatalf("deferred counter %v, want %d", got, len(deferred))
	}
	w := &telegram.ReplyWorker{Pacing: p}
	for _, c := range deferred {
		job := &river.Job[telegram.ReplyArgs]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 25, CreatedAt: time.Now()}, Args: telegram.ReplyArgs{Call: c}}
		if err := w.Work(ctx, job); err != nil {
			t.Fatalf("deferred job for %d: %v", c.ChatID, err)
		}
	}
	for i := range users {
		id := int64(7000 + i)
		if msgs := srv.Messages(id); len(msgs) != 1 || msgs[0].Text != "счёт" {
			t.Fatalf("chat %d holds %+v, want the reply once", id, msgs)
		}
	}
	if n := srv.TooManyRequests(); n != 0 {
		t.Fatalf("%d answers were 429", n)
	}
}

// A message whose sender already took its slot (the notify worker) passes through; so do
// calls that put no message in a chat.
func TestPacerPassesThrough(t *testing.T) {
	def := &memDeferrer{}
	p := &telegram.Pacing{Limiter: newLimiter(t, 1), ReplyWithin: 50 * time.Millisecond, Deferrer: def}
	srv, bot := pacedSetup(t, telegramtest.Config{}, p)
	srv.AddUser(alice)
	srv.AddUser(bob)
	ctx := testContext(t)
	if _, err := bot.SendMessage(ctx, &telego.SendMessageParams{ChatID: chat(alice.ID), Text: "first"}); err != nil {
		t.Fatal(err)
	}
	// The budget (1/s) is spent: a reply now is deferred, a paced message goes.
	if _, err := bot.SendMessage(ctx, &telego.SendMessageParams{ChatID: chat(bob.ID), Text: "later"}); err != nil {
		t.Fatal(err)
	}
	if len(def.calls) != 1 || def.calls[0].ChatID != bob.ID || def.calls[0].Method != "sendMessage" {
		t.Fatalf("deferred %+v, want the reply to bob", def.calls)
	}
	if _, err := bot.SendMessage(telegram.AlreadyPaced(ctx), &telego.SendMessageParams{ChatID: chat(bob.ID), Text: "paced"}); err != nil {
		t.Fatal(err)
	}
	if _, err := bot.GetMe(ctx); err != nil {
		t.Fatal(err)
	}
	if msgs := srv.Messages(bob.ID); len(msgs) != 1 || msgs[0].Text != "paced" {
		t.Fatalf("bob's chat %+v", msgs)
	}
	for _, m := range []string{"sendMessage", "SENDINVOICE", "sendDocument", "editMessageText", "copyMessage", "forwardMessages"} {
		if !telegram.PutsMessage(m) {
			t.Errorf("PutsMessage(%s) = false", m)
		}
	}
	for _, m := range []string{"answerCallbackQuery", "answerPreCheckoutQuery", "sendChatAction", "getUpdates", "refundStarPayment", "setWebhook"} {
		if telegram.PutsMessage(m) {
			t.Errorf("PutsMessage(%s) = true", m)
		}
	}
}

package telegram_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// replyRig is serve's reply path on real PostgreSQL, River and Redis: a paced bot whose late
// replies become telegram_reply jobs, worked by a ReplyWorker, against the fake enforcing
// Telegram's limits (1 a second in a chat) with 429s.
type replyRig struct {
	srv   *telegramtest.Server
	bot   *telego.Bot
	pool  *pgxpool.Pool
	queue *telegram.ReplyQueue
	reg   *prometheus.Registry
	jobs  *river.Client[pgx.Tx]
}

func newReplyRig(t *testing.T) *replyRig {
	t.Helper()
	pool := dbtest.NewDB(t)
	queue, err := telegram.NewReplyQueue(pool)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	p := &telegram.Pacing{Limiter: newLimiter(t, 30), Deferrer: queue, Registry: reg}
	srv, bot := pacedSetup(t, telegramtest.Config{GlobalRate: 30, PerChatRate: 1}, p)
	workers := river.NewWorkers()
	river.AddWorker(workers, &telegram.ReplyWorker{Pacing: p, Queue: queue})
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger: slog.New(slog.DiscardHandler), TestOnly: true, Workers: workers,
		FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond,
		Queues: map[string]river.QueueConfig{notify.QueueName: {MaxWorkers: 4}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := jobs.Stop(ctx); err != nil {
			t.Errorf("river stop: %v", err)
		}
	})
	srv.AddUser(alice)
	return &replyRig{srv: srv, bot: bot, pool: pool, queue: queue, reg: reg, jobs: jobs}
}

// send is a handler's reply to alice: sent, or deferred to a job; either way a success.
func (r *replyRig) send(t *testing.T, text string) {
	t.Helper()
	if _, err := r.bot.SendMessage(testContext(t), &telego.SendMessageParams{ChatID: chat(alice.ID), Text: text}); err != nil {
		t.Fatalf("SendMessage %q: %v", text, err)
	}
}

// texts are the messages alice's chat holds.
func (r *replyRig) texts() []string {
	var out []string
	for _, m := range r.srv.Messages(alice.ID) {
		out = append(out, m.Text)
	}
	return out
}

// waitTexts waits (up to d, far beyond what the healthy path needs) until alice holds every
// one of want.
func (r *replyRig) waitTexts(t *testing.T, d time.Duration, want ...string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := r.texts()
		missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return slices.Contains(got, w) })
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.logJobs(t)
			t.Fatalf("alice never got %q; her chat holds %q", missing, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *replyRig) logJobs(t *testing.T) {
	t.Helper()
	rows, err := r.pool.Query(context.Background(), "SELECT id, state, attempt, scheduled_at, args->'call'->>'chat_id' FROM river_job ORDER BY id")
	if err != nil {
		t.Logf("jobs: %v", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, attempt int64
			state, chat string
			scheduledAt time.Time
		)
		if err := rows.Scan(&id, &state, &attempt, &scheduledAt, &chat); err == nil {
			t.Logf("job %d %s attempt %d scheduled %s chat %s", id, state, attempt, scheduledAt.Format(time.StampMilli), chat)
		}
	}
}

func (r *replyRig) once(t *testing.T, texts ...string) {
	t.Helper()
	got := r.texts()
	for _, w := range texts {
		if n := countOf(got, w); n != 1 {
			t.Errorf("alice got %q %d times, want once; her chat holds %q", w, n, got)
		}
	}
}

func countOf(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

// Healthy: replies that wait for the chat's slot are deferred, and the chat reads them in the
// order the handler sent them, each once, with no 429.
func TestDeferredRepliesKeepTheirOrder(t *testing.T) {
	r := newReplyRig(t)
	want := []string{"ответ 1", "ответ 2", "ответ 3", "ответ 4", "ответ 5"}
	for _, text := range want {
		r.send(t, text)
	}
	r.waitTexts(t, time.Minute, want...)
	if got := r.texts(); !slices.Equal(got, want) {
		t.Fatalf("alice's chat holds %q, want %q in order", got, want)
	}
	if got := counter(t, r.reg, "fairdraw_telegram_replies_deferred_total"); got < 1 {
		t.Fatalf("%v replies deferred; the chat's 1/s limit should have deferred some", got)
	}
	if n := r.srv.TooManyRequests(); n != 0 {
		t.Fatalf("%d answers were 429", n)
	}
}

// A deferred reply whose sending fails (Telegram answers 500, again and again) is retried;
// meanwhile the chat's next reply is not held behind it: the chat does not go silent, and
// both replies arrive, once each.
func TestFailingReplyDoesNotSilenceItsChat(t *testing.T) {
	r := newReplyRig(t)
	r.send(t, "баланс") // goes at once: the chat's next slot is a second away
	r.srv.FailNext("sendMessage", 3, http.StatusInternalServerError)
	r.send(t, "подарки") // deferred; its job fails three times
	if _, err := r.srv.WaitForCalls(testContext(t), "sendMessage", 2); err != nil {
		t.Fatal(err)
	}
	r.send(t, "баланс снова")
	// Before the fix, "баланс снова" waited behind the failing reply's retries (1 s, 16 s,
	// 81 s later: River's default backoff); a reply that failed for good held the chat for
	// ever.
	r.waitTexts(t, 45*time.Second, "баланс снова")
	r.waitTexts(t, time.Minute, "подарки")
	r.once(t, "баланс", "подарки", "баланс снова")
	if got := counter(t, r.reg, "fairdraw_telegram_replies_dropped_total"); got != 0 {
		t.Fatalf("%v replies dropped", got)
	}
}

// A process killed while its job was sending a reply leaves the job "running" until River
// rescues it (ten minutes in serve). The chat's next replies are not held behind it.
func TestReplyLeftRunningByADeadProcessHoldsNobody(t *testing.T) {
	r := newReplyRig(t)
	ctx := testContext(t)
	body := fmt.Sprintf(`{"chat_id":%d,"text":"оборванный ответ"}`, alice.ID)
	res, err := r.jobs.Insert(ctx, telegram.ReplyArgs{Call: telegram.DeferredCall{
		Method: "sendMessage", ChatID: alice.ID, ContentType: "application/json", Body: []byte(body),
	}}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	// As a dead process leaves it: running, started a minute ago, nobody working it.
	if _, err := r.pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() - interval '1 minute',
		scheduled_at = now() - interval '1 minute' WHERE id = $1`, res.Job.ID); err != nil {
		t.Fatal(err)
	}
	r.send(t, "новый ответ")
	r.waitTexts(t, 45*time.Second, "новый ответ")
	r.once(t, "новый ответ")
}

// A deferred reply not sent within ReplyExpiry is dropped, logged and counted, not sent.
func TestStaleDeferredReplyIsDropped(t *testing.T) {
	reg := prometheus.NewRegistry()
	p := &telegram.Pacing{Limiter: newLimiter(t, 30), Deferrer: &memDeferrer{}, Registry: reg}
	srv, _ := pacedSetup(t, telegramtest.Config{}, p)
	srv.AddUser(alice)
	now := time.Now()
	w := &telegram.ReplyWorker{Pacing: p, Now: func() time.Time { return now }}
	body := fmt.Sprintf(`{"chat_id":%d,"text":"давний ответ"}`, alice.ID)
	job := &river.Job[telegram.ReplyArgs]{
		JobRow: &rivertype.JobRow{ID: 1, Attempt: 1, MaxAttempts: 25, CreatedAt: now.Add(-telegram.ReplyExpiry - time.Second)},
		Args:   telegram.ReplyArgs{Call: telegram.DeferredCall{Method: "sendMessage", ChatID: alice.ID, ContentType: "application/json", Body: []byte(body)}},
	}
	err := w.Work(testContext(t), job)
	if _, ok := errors.AsType[*rivertype.JobCancelError](err); !ok {
		t.Fatalf("Work = %v, want the job cancelled", err)
	}
	if msgs := srv.Messages(alice.ID); len(msgs) != 0 {
		t.Fatalf("alice got %+v", msgs)
	}
	if got := counter(t, reg, "fairdraw_telegram_replies_dropped_total"); got != 1 {
		t.Fatalf("dropped %v, want 1", got)
	}
	// A younger one goes.
	job.CreatedAt = now.Add(-telegram.ReplyExpiry + time.Minute)
	if err := w.Work(testContext(t), job); err != nil {
		t.Fatalf("Work: %v", err)
	}
	if msgs := srv.Messages(alice.ID); len(msgs) != 1 || msgs[0].Text != "давний ответ" {
		t.Fatalf("alice got %+v", msgs)
	}
}

// A gift purchase is never deferred: its caller must know whether Telegram took the Stars
// (and a stand-in message is not sendGift's answer). It waits for the budget instead.
func TestGiftIsNeverDeferred(t *testing.T) {
	def := &memDeferrer{}
	p := &telegram.Pacing{Limiter: newLimiter(t, 1), ReplyWithin: 50 * time.Millisecond, Deferrer: def}
	srv, bot := pacedSetup(t, telegramtest.Config{}, p)
	srv.AddUser(alice)
	srv.AddUser(bob)
	gift := telegramtest.NewGift("5170145012310081615", "💝", 15, 0)
	srv.SetGifts(gift)
	srv.AddStars(100)
	ctx := testContext(t)
	if _, err := bot.SendMessage(ctx, &telego.SendMessageParams{ChatID: chat(bob.ID), Text: "first"}); err != nil {
		t.Fatal(err)
	}
	// The budget (1/s) is spent: a reply now would be deferred; the gift waits and goes.
	if err := bot.SendGift(ctx, &telego.SendGiftParams{UserID: alice.ID, GiftID: gift.ID}); err != nil {
		t.Fatalf("SendGift: %v", err)
	}
	if len(def.calls) != 0 {
		t.Fatalf("deferred %+v", def.calls)
	}
	if sent := srv.SentGifts(); len(sent) != 1 || sent[0].UserID != alice.ID {
		t.Fatalf("gifts sent %+v", sent)
	}
}

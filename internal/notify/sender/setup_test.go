package sender_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/notify/sender"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// redisURL is the test Redis: TEST_REDIS_URL, by default the local server.
func redisURL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379"
}

// newRedis returns a client and a key prefix of the test's own; the keys are deleted and the
// client closed when the test ends.
func newRedis(tb testing.TB) (*redis.Client, string) {
	tb.Helper()
	opts, err := redis.ParseURL(redisURL())
	if err != nil {
		tb.Fatalf("redis url: %v", err)
	}
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		tb.Fatalf("redis: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := fmt.Sprintf("fairdraw-test:%s:%s:", strings.ReplaceAll(tb.Name(), "/", "."), hex.EncodeToString(b[:]))
	tb.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		_ = rdb.Close()
	})
	return rdb, prefix
}

// logBuffer collects JSON logs from concurrent workers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// messages returns the msg of every record at level.
func (l *logBuffer) messages(level string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.SplitSeq(strings.TrimSpace(l.buf.String()), "\n") {
		var rec struct{ Level, Msg string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Level == level {
			out = append(out, rec.Msg)
		}
	}
	return out
}

// env is one bot: a database, a Telegram fake with its limits on, one Redis prefix, and an
// insert-only River client to enqueue with. Senders ("processes") are started on it.
type env struct {
	t      testing.TB
	pool   *pgxpool.Pool
	tg     *telegramtest.Server
	bot    *telego.Bot
	rdb    *redis.Client
	prefix string
	jobs   *river.Client[pgx.Tx]
	logs   *logBuffer
	logger *slog.Logger
}

func newEnv(tb testing.TB, tgc telegramtest.Config) *env {
	tb.Helper()
	_, url := dbtest.NewDBWithURL(tb)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.MaxConns = 40 // a hundred workers share it, as in serve
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	e := &env{t: tb, pool: pool, logs: &logBuffer{}}
	e.logger = slog.New(slog.NewJSONHandler(e.logs, nil))
	e.tg = telegramtest.NewServer(tb, tgc)
	// As serve must: keep a connection per sending worker, not net/http's default of two.
	tr := e.tg.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	tb.Cleanup(tr.CloseIdleConnections)
	e.bot, err = telegram.NewBot(telegramtest.Token, e.tg.URL(), &http.Client{Transport: tr}, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if vs := e.tg.Violations(); len(vs) > 0 {
			tb.Errorf("Bot API spec violations: %v", vs)
		}
	})
	e.rdb, e.prefix = newRedis(tb)
	e.jobs, err = river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// addUsers makes users first..first+n-1 known to the database (English speakers) and to
// Telegram, and returns their ids.
func (e *env) addUsers(first int64, n int) []int64 {
	e.t.Helper()
	if _, err := e.pool.Exec(context.Background(), `INSERT INTO users (telegram_id, language_code, first_seen_at, last_seen_at)
		SELECT g, 'en', now(), now() FROM generate_series($1::bigint, $2::bigint) g`, first, first+int64(n)-1); err != nil {
		e.t.Fatalf("add users: %v", err)
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = first + int64(i)
		e.tg.AddUser(telegramtest.User{ID: ids[i], FirstName: fmt.Sprintf("User %d", ids[i]), LanguageCode: "en"})
	}
	return ids
}

// enqueue commits msgs in batches, as the draw fan-out does.
func (e *env) enqueue(msgs []notify.Message) {
	e.t.Helper()
	ctx := context.Background()
	for start := 0; start < len(msgs); start += 1000 {
		batch := msgs[start:min(start+1000, len(msgs))]
		if err := db.InTx(ctx, e.pool, func(tx pgx.Tx) error { return notify.Enqueue(ctx, tx, e.jobs, batch...) }); err != nil {
			e.t.Fatalf("enqueue: %v", err)
		}
	}
}

// fanout builds one event's messages the way a draw result goes: each winner a personal
// message, then the participants, then the observers.
func fanout(event string, winners, participants, observers []int64) []notify.Message {
	var msgs []notify.Message
	for _, id := range winners {
		msgs = append(msgs, notify.Message{EventKey: event + ":winner", ChatID: id, Key: "notify.winner", Priority: notify.PriorityPersonal})
	}
	for _, id := range participants {
		msgs = append(msgs, notify.Message{EventKey: event, ChatID: id, Key: "notify.result", Priority: notify.PriorityParticipant, Broadcast: true})
	}
	for _, id := range observers {
		msgs = append(msgs, notify.Message{EventKey: event, ChatID: id, Key: "notify.result_observer", Priority: notify.PriorityObserver, Broadcast: true})
	}
	return msgs
}

// attempt is one call of Sender.Send.
type attempt struct {
	chat int64
	at   time.Time
	err  error
}

// recorder is the real Telegram sender with a record of every attempt.
type recorder struct {
	next sender.Sender
	mu   sync.Mutex
	log  []attempt
}

func (r *recorder) Send(ctx context.Context, out sender.Outgoing) (int64, error) {
	at := time.Now()
	id, err := r.next.Send(ctx, out)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, attempt{chat: out.ChatID, at: at, err: err})
	return id, err
}

func (r *recorder) attempts() []attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]attempt(nil), r.log...)
}

// count is how many sends were attempted, cheaply (for polling).
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.log)
}

func (r *recorder) delivered() int {
	n := 0
	for _, a := range r.attempts() {
		if a.err == nil {
			n++
		}
	}
	return n
}

// procOptions configure one sending process.
type procOptions struct {
	global, perChat int  // limiter rates; 0: the defaults
	paid            bool // ALLOW_PAID_BROADCAST
	workers         int  // notify queue MaxWorkers; 0: 100
	prefix          string
	// asServe configures River as serve does: sender.QueueConfig for the notify queue (workers
	// is ignored) and River's own fetch timings, not the quicker ones tests use.
	asServe bool
}

// proc is one sending process: its own River client, worker, limiter and metrics, sharing the
// database and Redis with the others.
type proc struct {
	jobs    *river.Client[pgx.Tx]
	limiter *sender.RedisLimiter
	reg     *prometheus.Registry
	sent    *recorder
	running bool
}

// startProc starts a sending process; it is stopped when the test ends.
func (e *env) startProc(o procOptions) *proc {
	e.t.Helper()
	prefix := o.prefix
	if prefix == "" {
		prefix = e.prefix
	}
	lim, err := sender.NewRedisLimiter(sender.LimiterConfig{Redis: e.rdb, Prefix: prefix, Global: o.global, PerChat: o.perChat, Logger: e.logger})
	if err != nil {
		e.t.Fatal(err)
	}
	p := &proc{limiter: lim, reg: prometheus.NewRegistry(), sent: &recorder{next: telegram.NewSender(e.bot)}}
	workers := river.NewWorkers()
	river.AddWorker(workers, sender.NewWorker(sender.WorkerConfig{
		Pool: e.pool, Sender: p.sent, Limiter: lim, Logger: e.logger, PaidBroadcast: o.paid, Metrics: sender.NewMetrics(p.reg),
	}))
	cfg := &river.Config{
		Logger: slog.New(slog.DiscardHandler), TestOnly: true, Workers: workers,
		FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond,
		Queues: map[string]river.QueueConfig{notify.QueueName: {MaxWorkers: cmp.Or(o.workers, 100)}},
	}
	if o.asServe {
		cfg.FetchCooldown, cfg.FetchPollInterval = 0, 0
		cfg.Queues[notify.QueueName] = sender.QueueConfig(o.paid, cmp.Or(o.global, sender.DefaultGlobalRate))
	}
	p.jobs, err = river.NewClient(riverpgxv5.New(e.pool), cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := p.jobs.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	p.running = true
	e.t.Cleanup(func() { p.stop(e.t, false) })
	return p
}

// stop stops the process; cancel cancels the jobs in flight, as a hard shutdown does.
func (p *proc) stop(tb testing.TB, cancel bool) {
	tb.Helper()
	if !p.running {
		return
	}
	p.running = false
	ctx, done := context.WithTimeout(context.Background(), 30*time.Second)
	defer done()
	stop := p.jobs.Stop
	if cancel {
		stop = p.jobs.StopAndCancel
	}
	if err := stop(ctx); err != nil {
		tb.Errorf("stop river: %v", err)
	}
}

// unfinished counts notify jobs that are not finalized.
func (e *env) unfinished() int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job
		WHERE queue = $1 AND state NOT IN ('completed', 'cancelled', 'discarded')`, notify.QueueName).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// waitDone waits until every notify job is finalized.
func (e *env) waitDone() {
	e.t.Helper()
	waitFor(e.t, "the notify queue to drain", 90*time.Second, func() bool { return e.unfinished() == 0 })
}

func waitFor(tb testing.TB, what string, limit time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// received returns, for each id, how many messages the bot sent to that chat.
func (e *env) received(ids []int64) map[int64]int {
	got := make(map[int64]int, len(ids))
	for _, id := range ids {
		got[id] = len(e.tg.Messages(id))
	}
	return got
}

// wantEach fails unless every id received exactly n messages.
func (e *env) wantEach(ids []int64, n int) {
	e.t.Helper()
	var wrong []string
	for id, got := range e.received(ids) {
		if got != n {
			wrong = append(wrong, fmt.Sprintf("%d got %d", id, got))
		}
	}
	if len(wrong) > 0 {
		e.t.Fatalf("%d of %d users did not get exactly %d message(s): %v", len(wrong), len(ids), n, first(wrong, 10))
	}
}

func first[T any](s []T, n int) []T { return s[:min(n, len(s))] }

// sendOrder returns the chat of every successful sendMessage, in the order Telegram got them.
func (e *env) sendOrder() []int64 {
	e.t.Helper()
	var out []int64
	for _, c := range e.tg.Calls("sendMessage") {
		if c.Status != 200 {
			continue
		}
		var p struct {
			ChatID int64 `json:"chat_id"`
		}
		if err := c.Decode(&p); err != nil {
			e.t.Fatalf("decode call: %v", err)
		}
		out = append(out, p.ChatID)
	}
	return out
}

// gather returns the value of every counter and gauge in reg by name.
func gather(tb testing.TB, reg prometheus.Gatherer) map[string]float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatalf("gather: %v", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			out[mf.GetName()] += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return out
}

// count reads one of the process's counters ("sent_total").
func (p *proc) count(tb testing.TB, name string) float64 {
	tb.Helper()
	return gather(tb, p.reg)["fairdraw_notify_"+name]
}

package rubles_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/notify/sender"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// admin is the admin of every test; alerts go to this chat.
const admin = 900001

// sbpBank is the fake's one SBP participant.
const sbpBank = "100000000111"

// env is a running ruble side: the draw service with River (raffletest), the YooKassa fake,
// the rubles Service, and an HTTP server with the webhook and the card page on it.
type env struct {
	b     *raffletest.Bundle
	yk    *yookassatest.Server
	svc   *rubles.Service
	web   *httptest.Server
	tr    *dropTransport
	cfg   rubles.Config
	yooku yookassa.Config
}

type envOptions struct {
	// fake configures the YooKassa fake; WebhookURL is set to the env's webhook unless
	// noWebhook, and Now to the bundle's clock.
	fake      yookassatest.Options
	noWebhook bool
	// forwardedFor is the address notifications claim to come from through the local proxy
	// (default 185.71.76.1, inside YooKassa's ranges).
	forwardedFor string
	// noClientRetries makes the YooKassa client return the first failure.
	noClientRetries bool
	// cfg adjusts the service's configuration.
	cfg func(*rubles.Config)
}

// lazyRefunder lets raffletest's refund worker reach the Service built after the bundle.
type lazyRefunder struct {
	r atomic.Pointer[rubles.Service]
}

func (l *lazyRefunder) Refund(ctx context.Context, r raffle.RefundRequest) (raffle.RefundState, error) {
	return l.r.Load().Refund(ctx, r)
}

// dropTransport forwards requests to the fake, except that it can lose the next answer to a
// POST of one path after the fake has acted on it (a crash after sending), or fail before
// sending it (a request that never left).
type dropTransport struct {
	base *http.Transport
	mu   sync.Mutex
	drop map[string]string // path -> "after" | "before"
}

func (d *dropTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	d.mu.Lock()
	mode := d.drop[strings.TrimPrefix(r.URL.Path, "/v3")]
	if r.Method == http.MethodPost && mode != "" {
		delete(d.drop, strings.TrimPrefix(r.URL.Path, "/v3"))
	} else {
		mode = ""
	}
	d.mu.Unlock()
	if mode == "before" {
		return nil, errors.New("test: connection reset before the request was sent")
	}
	resp, err := d.base.RoundTrip(r)
	if mode == "after" && err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil, errors.New("test: connection lost after the request was sent")
	}
	return resp, err
}

// loseNext makes the next POST to path fail: "after" YooKassa acted, or "before" it saw it.
func (d *dropTransport) loseNext(path, mode string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.drop[path] = mode
}

func setup(t testing.TB, o envOptions) *env {
	t.Helper()
	lazy := &lazyRefunder{}
	b := raffletest.Setup(t, raffletest.Options{NoStart: true, Admins: []int64{admin},
		Refunders: map[string]raffle.Refunder{raffle.ProviderYooKassa: lazy}})
	e := &env{b: b}
	mux := http.NewServeMux()
	e.web = httptest.NewServer(mux)
	t.Cleanup(e.web.Close)

	fo := o.fake
	if !o.noWebhook {
		fo.WebhookURL = e.web.URL + "/webhooks/yookassa"
	}
	fo.NotifyForwardedFor = o.forwardedFor
	if fo.NotifyForwardedFor == "" {
		fo.NotifyForwardedFor = "185.71.76.1"
	}
	fo.Now = b.Clock.Now
	e.yk = yookassatest.NewServer(fo)
	t.Cleanup(e.yk.Close)

	e.tr = &dropTransport{base: &http.Transport{}, drop: map[string]string{}}
	t.Cleanup(e.tr.base.CloseIdleConnections)
	e.yooku = e.yk.Config()
	e.yooku.HTTPClient = &http.Client{Transport: e.tr, Timeout: 10 * time.Second}
	e.yooku.Sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	if o.noClientRetries {
		e.yooku.MaxRetries = -1
	}
	client, err := yookassa.New(e.yooku)
	if err != nil {
		t.Fatal(err)
	}
	trusted, _ := yookassa.ParseTrustedIPs(yookassa.DefaultTrustedIPList)
	proxies, _ := yookassa.ParseTrustedIPs("127.0.0.1,::1")
	e.cfg = rubles.Config{
		Pool: b.Pool, Jobs: b.Jobs, Draws: b.Svc, YooKassa: client, Logger: slog.New(slog.DiscardHandler), Now: b.Clock.Now,
		ReturnURL: "https://t.me/fairdraw_test_bot", TrustedIPs: &trusted, TrustedProxies: proxies,
		PublicURL: e.web.URL, PayoutGatewayID: yookassatest.DefaultGatewayID, LinkSecret: yookassatest.DefaultGatewaySecretKey,
		Alerter: b.Alerter, RetryBase: 20 * time.Millisecond, RefundPoll: time.Millisecond, RefundRetryDelay: time.Millisecond,
	}
	if o.cfg != nil {
		o.cfg(&e.cfg)
	}
	e.svc, err = rubles.New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	lazy.r.Store(e.svc)
	e.svc.Register(b.Workers)
	mux.Handle("POST /webhooks/yookassa", e.svc.WebhookHandler())
	mux.Handle("GET "+rubles.CardPayoutPath, e.svc.CardPayoutHandler())
	mux.Handle("POST "+rubles.CardPayoutPath, e.svc.CardPayoutHandler())
	b.Start()
	return e
}

// restart stops River, as when the process dies, and starts a new River client with a new
// Service (a new YooKassa client without any lost answers) on the same database: everything
// it knows comes from the database.
func (e *env) restart(t *testing.T) {
	t.Helper()
	e.b.Stop()
	yc := e.yooku
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	yc.HTTPClient = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	yc.MaxRetries = 0
	client, err := yookassa.New(yc)
	if err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	jobs, err := river.NewClient(riverpgxv5.New(e.b.Pool), &river.Config{
		Logger: slog.New(slog.DiscardHandler), TestOnly: true, Workers: workers, FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}, notify.QueueName: {MaxWorkers: 4}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.cfg
	cfg.YooKassa, cfg.Jobs = client, jobs
	svc, err := rubles.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	svc.Register(workers)
	(&raffle.Workers{Service: e.b.Svc, Sources: e.b.Sources, Refunders: map[string]raffle.Refunder{raffle.ProviderYooKassa: svc}, Logger: e.b.Logger}).Register(workers)
	river.AddWorker(workers, sender.NewWorker(sender.WorkerConfig{Pool: e.b.Pool, Sender: e.b.Sent, Logger: e.b.Logger, Now: e.b.Clock.Now}))
	if err := jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = jobs.Stop(ctx)
	})
	e.svc = svc
}

// rubDraw opens a ruble draw.
func (e *env) rubDraw(t *testing.T, mod func(*raffle.Params)) raffle.Draw {
	t.Helper()
	p := raffle.Params{Title: "Рублёвый розыгрыш", Currency: "RUB", Fee: 100_00, Min: 2, Winners: 1, CommissionBP: 1000,
		Deadline: e.b.Clock.Now().Add(time.Hour)}
	if mod != nil {
		mod(&p)
	}
	d, err := e.b.Svc.Create(t.Context(), p, "cli")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkout starts a ruble payment of user for d.
func (e *env) checkout(t *testing.T, d raffle.Draw, user int64) rubles.Checkout {
	t.Helper()
	c, err := e.svc.StartPayment(t.Context(), rubles.StartPaymentRequest{DrawID: d.ID, UserID: user, Lang: "ru"})
	if err != nil {
		t.Fatalf("start payment of user %d: %v", user, err)
	}
	if c.YooKassaID == "" || c.ConfirmationURL == "" {
		t.Fatalf("checkout %+v", c)
	}
	return c
}

// grant puts amount kopecks on user's ruble balance, as a prize would.
func (e *env) grant(t *testing.T, user, amount int64) {
	t.Helper()
	err := db.InTx(t.Context(), e.b.Pool, func(tx pgx.Tx) error {
		if err := dbq.New().EnsureUser(t.Context(), tx, dbq.EnsureUserParams{TelegramID: user, FirstSeenAt: time.Now()}); err != nil {
			return err
		}
		_, err := ledger.Post(t.Context(), tx, ledger.Transfer(fmt.Sprintf("test:grant:%d:%d", user, time.Now().UnixNano()), "test_grant",
			ledger.YooKassaClearing, ledger.UserAccount(user, "RUB"), amount))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// count runs a SELECT count(*).
func (e *env) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	return e.b.Count(t, sql, args...)
}

// waitCount waits until the count query gives want.
func (e *env) waitCount(t *testing.T, want int, sql string, args ...any) {
	t.Helper()
	raffletest.WaitFor(t, fmt.Sprintf("%d from %s", want, sql), func() bool { return e.b.Count(t, sql, args...) == want })
}

// idle waits until no job of these kinds is waiting or running.
func (e *env) idle(t *testing.T, kinds ...string) {
	t.Helper()
	e.waitCount(t, 0, "SELECT count(*) FROM river_job WHERE kind = ANY($1) AND state IN ('available', 'running', 'retryable', 'scheduled', 'pending')", kinds)
}

// flush waits until the fake delivered its notifications and their jobs ran.
func (e *env) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := e.yk.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	e.idle(t, rubles.NotificationArgs{}.Kind())
}

// runJob inserts a job (a re-check) and waits until it and the jobs of the same kinds are done.
func (e *env) runJob(t *testing.T, args river.JobArgs) {
	t.Helper()
	if _, err := e.b.Jobs.Insert(t.Context(), args, nil); err != nil {
		t.Fatal(err)
	}
	e.idle(t, args.Kind())
}

// told reports whether chat got a message containing every part.
func (e *env) told(chat int64, parts ...string) bool {
	for _, m := range e.b.Sent.To(chat) {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(m.Text, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// countTold counts the messages to chat containing part.
func (e *env) countTold(chat int64, part string) int {
	n := 0
	for _, m := range e.b.Sent.To(chat) {
		if strings.Contains(m.Text, part) {
			n++
		}
	}
	return n
}

// waitTold waits until chat got a message containing every part.
func (e *env) waitTold(t *testing.T, chat int64, parts ...string) {
	t.Helper()
	raffletest.WaitFor(t, fmt.Sprintf("chat %d told %q", chat, parts), func() bool { return e.told(chat, parts...) })
}

// calls counts the requests the fake got with this method and path.
func (e *env) calls(method, path string) int {
	n := 0
	for _, c := range e.yk.Calls() {
		if c.Method == method && c.Path == path {
			n++
		}
	}
	return n
}

// payout reads a payout row.
func (e *env) payout(t *testing.T, id int64) dbq.RubPayout {
	t.Helper()
	p, err := dbq.New().GetRubPayout(t.Context(), e.b.Pool, id)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitPayout waits until payout id has status.
func (e *env) waitPayout(t *testing.T, id int64, status string) dbq.RubPayout {
	t.Helper()
	raffletest.WaitFor(t, fmt.Sprintf("payout %d %s", id, status), func() bool { return e.payout(t, id).Status == status })
	return e.payout(t, id)
}

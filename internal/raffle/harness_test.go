package raffle_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/fairness/drand"
	"github.com/fairdraw/fairdraw/internal/fairness/drand/drandtest"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg/randomorgtest"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// clock is a settable clock for the service; zero means the real time.
type clock struct{ at atomic.Pointer[time.Time] }

func (c *clock) Now() time.Time {
	if t := c.at.Load(); t != nil {
		return *t
	}
	return time.Now()
}
func (c *clock) Set(t time.Time) { c.at.Store(&t) }

// sender records what users would see.
type sender struct {
	mu   sync.Mutex
	msgs []notify.Outgoing
}

func (s *sender) Send(_ context.Context, o notify.Outgoing) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, o)
	return int64(len(s.msgs)), nil
}

func (s *sender) to(chat int64) []notify.Outgoing {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []notify.Outgoing
	for _, m := range s.msgs {
		if m.ChatID == chat {
			out = append(out, m)
		}
	}
	return out
}

func (s *sender) all() []notify.Outgoing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]notify.Outgoing(nil), s.msgs...)
}

// refunder stands in for the providers: every refund succeeds at once, once per payment.
type refunder struct {
	mu    sync.Mutex
	calls map[int64]int
}

func (r *refunder) Refund(_ context.Context, p raffle.RefundRequest) (raffle.RefundState, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[int64]int{}
	}
	r.calls[p.PaymentID]++
	return raffle.RefundState{Done: true, Ref: fmt.Sprintf("ref-%d", p.PaymentID)}, nil
}

func (r *refunder) count() (payments, calls int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.calls {
		payments++
		calls += n
	}
	return payments, calls
}

type bundle struct {
	pool    *pgxpool.Pool
	svc     *raffle.Service
	jobs    *river.Client[pgx.Tx]
	ro      *randomorgtest.Server
	dr      *drandtest.Server
	clock   *clock
	sent    *sender
	refunds *refunder
	workers *river.Workers
	sources map[string]raffle.Source
	start   func()
	stop    func()
}

type setupOpts struct {
	noStart bool
	admins  []int64
}

func setup(t *testing.T, o setupOpts) *bundle {
	t.Helper()
	pool := dbtest.NewDB(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := &bundle{pool: pool, clock: &clock{}, sent: &sender{}, refunds: &refunder{}}
	b.ro = randomorgtest.NewServer(t)
	b.dr = drandtest.NewServer(t)
	ro, err := randomorg.New(randomorg.Config{URL: b.ro.URL, APIKey: randomorgtest.TestAPIKey, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	b.workers = river.NewWorkers()
	b.jobs, err = river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger: logger, TestOnly: true, Workers: b.workers, FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond,
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}, notify.QueueName: {MaxWorkers: 4}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b.svc = raffle.New(raffle.Config{Pool: pool, Jobs: b.jobs, Logger: logger, Now: b.clock.Now, PublicURL: "https://draws.test", AdminIDs: o.admins, DigestInterval: time.Hour})
	b.sources = map[string]raffle.Source{
		raffle.SourceRandomOrg: raffle.RandomOrg{Client: ro, Key: b.ro.PublicKey()},
		raffle.SourceDrand:     raffle.Drand{Client: &drand.Client{URL: b.dr.URL, Chain: b.dr.Chain()}, Now: b.clock.Now},
	}
	(&raffle.Workers{
		Service: b.svc, Logger: logger, Sources: b.sources,
		Refunders: map[string]raffle.Refunder{raffle.ProviderTelegram: b.refunds, raffle.ProviderYooKassa: b.refunds},
	}).Register(b.workers)
	river.AddWorker(b.workers, notify.NewWorker(notify.WorkerConfig{Pool: pool, Sender: b.sent, Logger: logger, Now: b.clock.Now}))
	var started bool
	b.start = func() {
		if err := b.jobs.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		started = true
	}
	b.stop = func() {
		if started {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = b.jobs.Stop(ctx)
			started = false
		}
	}
	t.Cleanup(b.stop)
	if !o.noStart {
		b.start()
	}
	return b
}

// pay enters one Stars payment from user for draw d in its own transaction.
func (b *bundle) pay(t *testing.T, d raffle.Draw, user int64, charge string) raffle.EntryResult {
	t.Helper()
	var res raffle.EntryResult
	err := db.InTx(t.Context(), b.pool, func(tx pgx.Tx) error {
		var err error
		res, err = b.svc.Enter(t.Context(), tx, raffle.Payment{
			Provider: raffle.ProviderTelegram, ExternalID: charge, DrawID: d.ID, UserID: user, Currency: d.Currency, Amount: d.Fee,
		})
		return err
	})
	if err != nil {
		t.Fatalf("enter %s: %v", charge, err)
	}
	return res
}

// waitStatus waits until draw id reaches status (or fails the test after a generous time).
func (b *bundle) waitStatus(t *testing.T, id int64, status string) raffle.Draw {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		d, err := b.svc.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == status {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("draw %d is %s, never became %s", id, d.Status, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFor polls cond until true.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *bundle) balance(t *testing.T, code string) int64 {
	t.Helper()
	v, err := ledger.Balance(t.Context(), b.pool, code)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (b *bundle) ledgerOK(t *testing.T) {
	t.Helper()
	problems, err := ledger.Check(t.Context(), b.pool)
	if err != nil || len(problems) != 0 {
		t.Fatalf("ledger check: %v %v", problems, err)
	}
}

func (b *bundle) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := b.pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// Package raffletest sets up a draw service for tests: a fresh migrated database, a real River
// client with the draw and send workers, the Random.org and drand fakes, a refunder and a
// sender that record what they are asked. Other packages' tests add their own workers to
// Bundle.Workers before calling Start.
package raffletest

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

	"github.com/fairdraw/fairdraw/internal/alert"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/fairness/drand"
	"github.com/fairdraw/fairdraw/internal/fairness/drand/drandtest"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg/randomorgtest"
	"github.com/fairdraw/fairdraw/internal/fairness/source"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/notify/sender"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// Clock is a settable clock; until Set it is the real time.
type Clock struct{ at atomic.Pointer[time.Time] }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	if t := c.at.Load(); t != nil {
		return *t
	}
	return time.Now()
}

// Set stops the clock at t.
func (c *Clock) Set(t time.Time) { c.at.Store(&t) }

// Sender records what users would see.
type Sender struct {
	mu   sync.Mutex
	msgs []sender.Outgoing
}

// Send records o.
func (s *Sender) Send(_ context.Context, o sender.Outgoing) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, o)
	return int64(len(s.msgs)), nil
}

// To returns the messages sent to chat.
func (s *Sender) To(chat int64) []sender.Outgoing {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sender.Outgoing
	for _, m := range s.msgs {
		if m.ChatID == chat {
			out = append(out, m)
		}
	}
	return out
}

// All returns every message sent.
func (s *Sender) All() []sender.Outgoing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sender.Outgoing(nil), s.msgs...)
}

// Refunder stands in for the providers: every refund succeeds at once.
type Refunder struct {
	mu    sync.Mutex
	calls map[int64]int
}

// Refund records the request and reports it done.
func (r *Refunder) Refund(_ context.Context, p raffle.RefundRequest) (raffle.RefundState, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[int64]int{}
	}
	r.calls[p.PaymentID]++
	return raffle.RefundState{Done: true, Ref: fmt.Sprintf("ref-%d", p.PaymentID)}, nil
}

// Count returns how many payments were refunded and in how many calls.
func (r *Refunder) Count() (payments, calls int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.calls {
		payments++
		calls += n
	}
	return payments, calls
}

// Bundle is a running draw service and its fakes.
type Bundle struct {
	Pool      *pgxpool.Pool
	URL       string // the database's URL
	Svc       *raffle.Service
	Jobs      *river.Client[pgx.Tx]
	RO        *randomorgtest.Server
	RandomOrg *randomorg.Client
	Drand     *drandtest.Server
	Clock     *Clock
	Sent      *Sender
	Refunds   *Refunder
	Workers   *river.Workers
	Sources   map[string]raffle.Source
	// Alerter tells Options.Admins.
	Alerter *alert.Alerter
	Logger  *slog.Logger
	started bool
	t       testing.TB
}

// Options tune Setup.
type Options struct {
	// NoStart leaves River stopped; call Start after adding workers.
	NoStart bool
	// Admins receive alerts.
	Admins []int64
	// Sender replaces the recording sender of the send worker (nil: record).
	Sender sender.Sender
	// NoSendWorker leaves the notify worker out, for tests that register their own.
	NoSendWorker bool
	// HoldMessages leaves the notify queue unworked: messages are enqueued and stay queued,
	// for tests of what is queued.
	HoldMessages bool
	// Refunders replaces the recording refunder per provider.
	Refunders map[string]raffle.Refunder
	// MaxEntriesPerDay and DigestInterval are as in raffle.Config (0: defaults; digest 1h).
	MaxEntriesPerDay int
	DigestInterval   time.Duration
	// ChannelID is the CHANNEL_ID of the service (0: no channel posts).
	ChannelID int64
}

// Setup builds a Bundle on a fresh database; it stops when the test ends.
func Setup(t testing.TB, o Options) *Bundle {
	t.Helper()
	pool, url := dbtest.NewDBWithURL(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := &Bundle{Pool: pool, URL: url, Clock: &Clock{}, Sent: &Sender{}, Refunds: &Refunder{}, Logger: logger, t: t}
	b.RO = randomorgtest.NewServer(t)
	b.Drand = drandtest.NewServer(t)
	var err error
	b.RandomOrg, err = randomorg.New(randomorg.Config{URL: b.RO.URL, APIKey: randomorgtest.TestAPIKey, Sleep: func(context.Context, time.Duration) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	b.Workers = river.NewWorkers()
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}, notify.QueueName: {MaxWorkers: 4}}
	if o.HoldMessages {
		delete(queues, notify.QueueName)
	}
	b.Jobs, err = river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger: logger, TestOnly: true, Workers: b.Workers, FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond,
		Queues: queues,
	})
	if err != nil {
		t.Fatal(err)
	}
	digest := o.DigestInterval
	if digest == 0 {
		digest = time.Hour
	}
	b.Alerter = alert.New(alert.Config{Pool: pool, Jobs: b.Jobs, AdminIDs: o.Admins})
	b.Svc = raffle.New(raffle.Config{Pool: pool, Jobs: b.Jobs, Logger: logger, Now: b.Clock.Now, PublicURL: "https://draws.test",
		Alerter: b.Alerter, DigestInterval: digest, MaxEntriesPerDay: o.MaxEntriesPerDay, ChannelID: o.ChannelID})
	b.Sources = map[string]raffle.Source{
		raffle.SourceRandomOrg: source.RandomOrg{Client: b.RandomOrg, Key: b.RO.PublicKey()},
		raffle.SourceDrand:     source.Drand{Client: &drand.Client{URL: b.Drand.URL, Chain: b.Drand.Chain()}, Now: b.Clock.Now},
	}
	refunders := o.Refunders
	if refunders == nil {
		refunders = map[string]raffle.Refunder{raffle.ProviderTelegram: b.Refunds, raffle.ProviderYooKassa: b.Refunds}
	}
	(&raffle.Workers{Service: b.Svc, Logger: logger, Sources: b.Sources, Refunders: refunders}).Register(b.Workers)
	if !o.NoSendWorker {
		var s sender.Sender = b.Sent
		if o.Sender != nil {
			s = o.Sender
		}
		river.AddWorker(b.Workers, sender.NewWorker(sender.WorkerConfig{Pool: pool, Sender: s, Logger: logger, Now: b.Clock.Now}))
	}
	t.Cleanup(b.Stop)
	if !o.NoStart {
		b.Start()
	}
	return b
}

// Start starts River's workers.
func (b *Bundle) Start() {
	if b.started {
		return
	}
	if err := b.Jobs.Start(context.Background()); err != nil {
		b.t.Fatal(err)
	}
	b.started = true
}

// Stop stops River's workers, waiting for running jobs.
func (b *Bundle) Stop() {
	if !b.started {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = b.Jobs.Stop(ctx)
	b.started = false
}

// Pay enters one Stars payment from user for draw d in its own transaction.
func (b *Bundle) Pay(t testing.TB, d raffle.Draw, user int64, charge string) raffle.EntryResult {
	t.Helper()
	var res raffle.EntryResult
	err := db.InTx(t.Context(), b.Pool, func(tx pgx.Tx) error {
		var err error
		res, err = b.Svc.Enter(t.Context(), tx, raffle.Payment{
			Provider: raffle.ProviderTelegram, ExternalID: charge, DrawID: d.ID, UserID: user, Currency: d.Currency, Amount: d.Fee,
		})
		return err
	})
	if err != nil {
		t.Fatalf("enter %s: %v", charge, err)
	}
	return res
}

// WaitStatus waits until draw id reaches status (or fails the test after a generous time).
func (b *Bundle) WaitStatus(t testing.TB, id int64, status string) raffle.Draw {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		d, err := b.Svc.Get(t.Context(), id)
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

// WaitFor polls cond until true, failing the test after a minute.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Balance is the ledger balance of an account.
func (b *Bundle) Balance(t testing.TB, code string) int64 {
	t.Helper()
	v, err := ledger.Balance(t.Context(), b.Pool, code)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// LedgerOK fails the test unless ledger.Check finds nothing.
func (b *Bundle) LedgerOK(t testing.TB) {
	t.Helper()
	problems, err := ledger.Check(t.Context(), b.Pool)
	if err != nil || len(problems) != 0 {
		t.Fatalf("ledger check: %v %v", problems, err)
	}
}

// Count runs a SELECT count(*) query.
func (b *Bundle) Count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := b.Pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// EnqueueMessage enqueues one message in its own transaction, as an event would.
func EnqueueMessage(t testing.TB, b *Bundle, m notify.Message) error {
	t.Helper()
	return db.InTx(t.Context(), b.Pool, func(tx pgx.Tx) error { return notify.Enqueue(t.Context(), tx, b.Jobs, m) })
}

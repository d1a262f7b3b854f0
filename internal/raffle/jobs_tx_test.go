package raffle_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
)

// begin opens a transaction on b's database that is rolled back when the test ends.
func begin(t *testing.T, b *raffletest.Bundle) pgx.Tx {
	t.Helper()
	tx, err := b.Pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(t.Context()) })
	return tx
}

// TestCreateEnqueuesItsJobs: creating a draw schedules its deadline, its announcement and,
// for Random.org, its ticket, in the transaction that inserts it: rolled back, none remains.
func TestCreateEnqueuesItsJobs(t *testing.T) {
	t.Parallel()
	b := raffletest.Setup(t, raffletest.Options{NoStart: true})
	ctx := t.Context()
	tx := begin(t, b)
	d, err := b.Svc.CreateTx(ctx, tx, params(nil), "cli")
	if err != nil {
		t.Fatal(err)
	}
	deadline := rivertest.RequireInsertedTx[*riverpgxv5.Driver](ctx, t, tx, &raffle.DeadlineArgs{}, &rivertest.RequireInsertedOpts{ScheduledAt: d.Deadline})
	if deadline.Args.DrawID != d.ID {
		t.Fatalf("deadline job for draw %d, want %d", deadline.Args.DrawID, d.ID)
	}
	if j := rivertest.RequireInsertedTx[*riverpgxv5.Driver](ctx, t, tx, &raffle.FanoutArgs{}, nil); j.Args.DrawID != d.ID || j.Args.Event != raffle.FanoutOpened {
		t.Fatalf("fan-out job %+v", j.Args)
	}
	rivertest.RequireInsertedTx[*riverpgxv5.Driver](ctx, t, tx, &raffle.TicketArgs{DrawID: d.ID}, nil)
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n := b.Count(t, "SELECT count(*) FROM river_job"); n != 0 {
		t.Fatalf("%d jobs after the rollback", n)
	}

	// drand needs no ticket.
	tx = begin(t, b)
	if _, err := b.Svc.CreateTx(ctx, tx, params(func(p *raffle.Params) { p.Source = raffle.SourceDrand }), "cli"); err != nil {
		t.Fatal(err)
	}
	rivertest.RequireInsertedTx[*riverpgxv5.Driver](ctx, t, tx, &raffle.DeadlineArgs{}, nil)
	rivertest.RequireNotInsertedTx[*riverpgxv5.Driver](ctx, t, tx, &raffle.TicketArgs{}, nil)
}

// TestRefundingAUsersEntriesEnqueuesTheRefund: taking back a user's Stars entry (a ban)
// enqueues the refund to Telegram in the caller's transaction.
func TestRefundingAUsersEntriesEnqueuesTheRefund(t *testing.T) {
	t.Parallel()
	b := raffletest.Setup(t, raffletest.Options{NoStart: true})
	ctx := t.Context()
	d, err := b.Svc.Create(ctx, params(func(p *raffle.Params) { p.Source = raffle.SourceDrand }), "cli")
	if err != nil {
		t.Fatal(err)
	}
	b.Pay(t, d, 501, "charge-501")
	tx := begin(t, b)
	refunded, err := b.Svc.RefundUserEntries(ctx, tx, 501, raffle.RefuseBanned, "admin:900")
	if err != nil || len(refunded) != 1 {
		t.Fatalf("refunded %+v, %v", refunded, err)
	}
	job := rivertest.RequireInsertedTx[*riverpgxv5.Driver](ctx, t, tx, &raffle.RefundArgs{}, nil)
	if job.Args.PaymentID == 0 {
		t.Fatalf("refund job without a payment: %+v", job.Args)
	}

}

// TestInvalidDrawEnqueuesNothing: a draw refused by validation inserts no job.
func TestInvalidDrawEnqueuesNothing(t *testing.T) {
	t.Parallel()
	b := raffletest.Setup(t, raffletest.Options{NoStart: true})
	tx := begin(t, b)
	if _, err := b.Svc.CreateTx(t.Context(), tx, params(func(p *raffle.Params) { p.Winners = 5 }), "cli"); err == nil {
		t.Fatal("an invalid draw was created")
	}
	rivertest.RequireNotInsertedTx[*riverpgxv5.Driver](t.Context(), t, tx, &raffle.DeadlineArgs{}, nil)
}

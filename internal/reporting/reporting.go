// Package reporting is the read side the admin panel renders: payout statistics, a draw's
// entries and its audit log, as plain structs. The panel calls these and never SQL.
package reporting

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
)

var q = dbq.New()

// CurrencyTotal is how many prizes were credited in a currency, and how much.
type CurrencyTotal struct {
	Currency string
	Count    int64
	Amount   int64
}

// StatusTotal is how many ruble payouts are in a status, and how much.
type StatusTotal struct {
	Status string
	Count  int64
	Amount int64
}

// PaymentTotal is how many payments of a currency are in a status, and how much.
type PaymentTotal struct {
	Currency string
	Status   string
	Count    int64
	Amount   int64
}

// FailedPayout is a ruble payout that did not go out or waits for a person.
type FailedPayout struct {
	ID           int64
	UserID       int64
	Amount       int64
	Status       string
	CancelParty  string
	CancelReason string
	CreatedAt    time.Time
}

// Payouts is where the money went: prizes, ruble payouts, what is held for payouts being paid,
// payments by status, and the latest failed payouts.
type Payouts struct {
	Prizes     []CurrencyTotal
	RubPayouts []StatusTotal
	HeldRUB    int64
	Payments   []PaymentTotal
	Failed     []FailedPayout
}

// PayoutStats reads Payouts, with at most failed failed payouts, newest first.
func PayoutStats(ctx context.Context, conn dbq.DBTX, failed int32) (Payouts, error) {
	var out Payouts
	prizes, err := q.PrizeTotals(ctx, conn)
	if err != nil {
		return out, fmt.Errorf("reporting: prize totals: %w", err)
	}
	for _, r := range prizes {
		out.Prizes = append(out.Prizes, CurrencyTotal{Currency: r.Currency, Count: r.Prizes, Amount: r.Total})
	}
	payouts, err := q.RubPayoutTotals(ctx, conn)
	if err != nil {
		return out, fmt.Errorf("reporting: payout totals: %w", err)
	}
	for _, r := range payouts {
		out.RubPayouts = append(out.RubPayouts, StatusTotal{Status: r.Status, Count: r.N, Amount: r.Total})
	}
	if out.HeldRUB, err = q.SumAccountBalances(ctx, conn, dbq.SumAccountBalancesParams{Pattern: "user:%:held:RUB", Currency: "RUB"}); err != nil {
		return out, fmt.Errorf("reporting: held: %w", err)
	}
	pays, err := q.PaymentTotals(ctx, conn)
	if err != nil {
		return out, fmt.Errorf("reporting: payment totals: %w", err)
	}
	for _, r := range pays {
		out.Payments = append(out.Payments, PaymentTotal{Currency: r.Currency, Status: r.Status, Count: r.N, Amount: r.Total})
	}
	fs, err := q.FailedRubPayouts(ctx, conn, failed)
	if err != nil {
		return out, fmt.Errorf("reporting: failed payouts: %w", err)
	}
	for _, f := range fs {
		out.Failed = append(out.Failed, FailedPayout{ID: f.ID, UserID: f.TelegramID, Amount: f.Amount, Status: f.Status,
			CancelParty: f.CancelParty, CancelReason: f.CancelReason, CreatedAt: f.CreatedAt})
	}
	return out, nil
}

// Entry is one entry of a draw with its payer and how they paid.
type Entry struct {
	Seq        int32
	Code       string
	TelegramID int64
	CreatedAt  time.Time
	Username   string
	FirstName  string
	Provider   string
	Amount     int64
	Currency   string
}

// Entries is up to limit entries of a draw in entry order, after sequence number after.
func Entries(ctx context.Context, conn dbq.DBTX, drawID int64, after, limit int32) ([]Entry, error) {
	rows, err := q.EntriesAfter(ctx, conn, dbq.EntriesAfterParams{RaffleID: drawID, AfterSeq: after, Lim: limit})
	if err != nil {
		return nil, fmt.Errorf("reporting: entries: %w", err)
	}
	out := make([]Entry, len(rows))
	for i, r := range rows {
		out[i] = Entry(r)
	}
	return out, nil
}

// AuditRow is one row of the audit log; Before and After are JSON, empty when absent.
type AuditRow struct {
	At      time.Time
	Actor   string
	Action  string
	Subject string
	Before  []byte
	After   []byte
}

// AuditCount is the number of a draw's audit rows.
func AuditCount(ctx context.Context, conn dbq.DBTX, drawID int64) (int64, error) {
	n, err := q.CountAuditForRaffle(ctx, conn, pgtype.Int8{Int64: drawID, Valid: true})
	if err != nil {
		return 0, fmt.Errorf("reporting: audit: %w", err)
	}
	return n, nil
}

// Audit is a page of at most limit of a draw's audit rows, newest first, after skipping offset.
func Audit(ctx context.Context, conn dbq.DBTX, drawID int64, limit, offset int32) ([]AuditRow, error) {
	rows, err := q.AuditForRafflePage(ctx, conn, dbq.AuditForRafflePageParams{RaffleID: pgtype.Int8{Int64: drawID, Valid: true}, Lim: limit, Off: offset})
	if err != nil {
		return nil, fmt.Errorf("reporting: audit: %w", err)
	}
	out := make([]AuditRow, len(rows))
	for i, r := range rows {
		out[i] = AuditRow{At: r.At, Actor: r.Actor, Action: r.Action, Subject: r.Subject, Before: r.Before, After: r.After}
	}
	return out, nil
}

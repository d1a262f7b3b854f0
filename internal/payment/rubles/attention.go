package rubles

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// Errors of the admin queue, each shown to the admin as its own text.
var (
	// ErrNotWaiting: the payout or refund is no longer waiting for a person (someone else, or
	// YooKassa, settled it meanwhile).
	ErrNotWaiting = errors.New("rubles: no longer waiting for a person")
	// ErrNoteNeeded: a "done by hand" needs a note saying what was done (1 to 500 characters).
	ErrNoteNeeded = errors.New("rubles: a note of what was done is needed")
)

// Payout outcomes an admin records for a payout held for review.
const (
	ByHandPaid     = "paid"     // the money reached the winner (one payout, or the admin paid)
	ByHandReturned = "returned" // nothing reached the winner: the money goes back to their balance
)

// StuckRefund is a ruble refund YooKassa refused MaxRefundAttempts times: the payer still waits.
type StuckRefund struct {
	PaymentID, UserID, DrawID, Amount int64
	YooKassaPaymentID                 string
	Attempts                          int
	// LastParty and LastReason are YooKassa's cancellation details of the last attempt.
	LastParty, LastReason string
	LastAt                time.Time
}

// Attention is the money that needs a person.
type Attention struct {
	Payouts []Payout // in review
	Refunds []StuckRefund
}

// NeedsPerson lists the payouts held for review and the refunds that failed too often.
func (s *Service) NeedsPerson(ctx context.Context) (Attention, error) {
	var a Attention
	rows, err := q.PayoutsInReview(ctx, s.pool)
	if err != nil {
		return a, fmt.Errorf("rubles: payouts in review: %w", err)
	}
	for _, r := range rows {
		a.Payouts = append(a.Payouts, toPayout(r))
	}
	refunds, err := q.StuckRubRefunds(ctx, s.pool, int32(s.maxRefundAttempts))
	if err != nil {
		return a, fmt.Errorf("rubles: stuck refunds: %w", err)
	}
	for _, r := range refunds {
		sr := StuckRefund{PaymentID: r.PaymentID, UserID: r.TelegramID, DrawID: r.RaffleID.Int64, Amount: r.Amount,
			YooKassaPaymentID: r.ExternalID, Attempts: int(r.Attempt), LastParty: r.CancelParty, LastReason: r.CancelReason}
		if r.FinishedAt != nil {
			sr.LastAt = *r.FinishedAt
		}
		a.Refunds = append(a.Refunds, sr)
	}
	return a, nil
}

// lockStuckRefund locks the payment and returns its latest refund attempt, or ErrNotWaiting.
func (s *Service) lockStuckRefund(ctx context.Context, tx pgx.Tx, paymentID int64) (dbq.Payment, dbq.RubRefund, error) {
	p, err := q.LockPayment(ctx, tx, paymentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, dbq.RubRefund{}, ErrNotWaiting
	}
	if err != nil {
		return p, dbq.RubRefund{}, fmt.Errorf("rubles: lock payment: %w", err)
	}
	if p.Status != raffle.PaymentRefundPending || p.Provider != raffle.ProviderYooKassa {
		return p, dbq.RubRefund{}, ErrNotWaiting
	}
	latest, err := q.LatestRubRefund(ctx, tx, paymentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, latest, ErrNotWaiting
	}
	if err != nil {
		return p, latest, fmt.Errorf("rubles: latest refund: %w", err)
	}
	if latest.Status != statusCanceled || int(latest.Attempt) < s.maxRefundAttempts {
		return p, latest, ErrNotWaiting
	}
	return p, latest, nil
}

// RetryRefund asks YooKassa once more to refund a payment whose refund failed too often: a new
// attempt (a new Idempotence-Key) and the payment's refund job, in one transaction, audited.
// If YooKassa refuses again, the refund comes back to the queue.
func (s *Service) RetryRefund(ctx context.Context, paymentID int64, actor string) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		p, latest, err := s.lockStuckRefund(ctx, tx, paymentID)
		if err != nil {
			return err
		}
		row, err := q.InsertRubRefund(ctx, tx, dbq.InsertRubRefundParams{
			PaymentID: p.ID, Attempt: latest.Attempt + 1, YookassaPaymentID: p.ExternalID, Amount: p.Amount, Now: s.now(),
		})
		if err != nil {
			return fmt.Errorf("rubles: insert refund: %w", err)
		}
		if _, err := s.jobs.InsertTx(ctx, tx, raffle.RefundArgs{PaymentID: p.ID}, nil); err != nil {
			return fmt.Errorf("rubles: queue refund: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{
			At: s.now(), Actor: actor, Action: "rub_refund.retry", DrawID: p.RaffleID.Int64, Subject: fmt.Sprintf("payment:%d", p.ID),
			Before: map[string]any{"attempt": latest.Attempt, "reason": latest.CancelReason},
			After:  map[string]any{"attempt": row.Attempt},
		})
	})
}

// RefundDoneByHand records that an admin returned a payment's money outside fairdraw (in
// YooKassa's dashboard, by bank transfer), with a note of what was done. The refund completes as
// any refund does (ledger, payment marked refunded, the payer told), through the refund job.
func (s *Service) RefundDoneByHand(ctx context.Context, paymentID int64, note, actor string) error {
	note, err := checkNote(note)
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		p, latest, err := s.lockStuckRefund(ctx, tx, paymentID)
		if err != nil {
			return err
		}
		row, err := q.InsertManualRubRefund(ctx, tx, dbq.InsertManualRubRefundParams{
			PaymentID: p.ID, Attempt: latest.Attempt + 1, YookassaPaymentID: p.ExternalID, Amount: p.Amount, Now: s.now(),
		})
		if err != nil {
			return fmt.Errorf("rubles: record manual refund: %w", err)
		}
		if _, err := s.jobs.InsertTx(ctx, tx, raffle.RefundArgs{PaymentID: p.ID}, nil); err != nil {
			return fmt.Errorf("rubles: queue refund: %w", err)
		}
		s.log.Info("refund done by hand", slog.Int64("payment_id", p.ID), slog.String("actor", actor))
		return audit.Record(ctx, tx, audit.Entry{
			At: s.now(), Actor: actor, Action: "rub_refund.done_by_hand", DrawID: p.RaffleID.Int64, Subject: fmt.Sprintf("payment:%d", p.ID),
			Before: map[string]any{"attempt": latest.Attempt, "reason": latest.CancelReason},
			After:  map[string]any{"ref": row.YookassaID.String, "amount": p.Amount, "note": note},
		})
	})
}

// PayoutDoneByHand settles a payout held for review as an admin found it: ByHandPaid (the money
// reached the winner: it leaves the held account to YooKassa) or ByHandReturned (it did not: it
// goes back to the winner's balance and they are told). Audited with the note.
func (s *Service) PayoutDoneByHand(ctx context.Context, id int64, outcome, note, actor string) error {
	note, err := checkNote(note)
	if err != nil {
		return err
	}
	if outcome != ByHandPaid && outcome != ByHandReturned {
		return fmt.Errorf("rubles: payout outcome %q: want %q or %q", outcome, ByHandPaid, ByHandReturned)
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		row, err := q.LockRubPayout(ctx, tx, id)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && row.Status != statusReview) {
			return ErrNotWaiting
		}
		if err != nil {
			return fmt.Errorf("rubles: lock payout: %w", err)
		}
		now := s.now()
		if outcome == ByHandReturned {
			if err := s.returnPayoutTx(ctx, tx, row, "admin", "manual", ""); err != nil {
				return err
			}
		} else {
			if _, err := ledger.Post(ctx, tx, ledger.Transfer(payoutKey(row.ID, "paid"), "payout",
				ledger.UserHeldAccount(row.TelegramID, Currency), ledger.YooKassaClearing, row.Amount)); err != nil {
				return fmt.Errorf("rubles: settle payout: %w", err)
			}
			if err := q.FinishRubPayout(ctx, tx, dbq.FinishRubPayoutParams{ID: row.ID, Status: statusSucceeded, Now: &now}); err != nil {
				return fmt.Errorf("rubles: finish payout: %w", err)
			}
			if err := notify.Enqueue(ctx, tx, s.jobs, notify.Message{
				EventKey: fmt.Sprintf("payout:%d:done", row.ID), ChatID: row.TelegramID, Key: "notify.payout_done",
				Args: map[string]i18n.Arg{"amount": i18n.M(row.Amount, Currency)},
			}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Entry{
			At: now, Actor: actor, Action: "rub_payout.done_by_hand", Subject: fmt.Sprintf("payout:%d", row.ID),
			Before: map[string]any{"status": row.Status, "yookassa_id": row.YookassaID.String},
			After:  map[string]any{"outcome": outcome, "amount": row.Amount, "note": note},
		})
	})
}

func checkNote(note string) (string, error) {
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > 500 {
		return "", ErrNoteNeeded
	}
	return note, nil
}

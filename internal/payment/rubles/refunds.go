package rubles

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// Refund implements raffle.Refunder for raffle.ProviderYooKassa: it returns a ruble payment in
// full (POST /refunds) and reports Done, with YooKassa's refund id as Ref, once YooKassa says
// the refund succeeded. Package raffle records the refund in the books and tells the user.
//
// It is called again until Done (raffle's refund job, the webhook on refund.succeeded and the
// refunds re-check all lead here), and every call continues from the stored attempt: a pending
// refund is fetched (YooKassa notifies only refund.succeeded, so pending refunds are polled
// every Config.RefundPoll); an attempt whose answer was never recorded is sent again with its
// key, or, once that key may have expired, looked up among the payment's refunds first. A
// refund YooKassa cancels (or refuses) alerts the admins and is tried again with a new attempt
// after Config.RefundRetryDelay, at most Config.MaxRefundAttempts times; after that the call
// returns a river.JobCancel error and the payment waits for a person.
func (s *Service) Refund(ctx context.Context, r raffle.RefundRequest) (raffle.RefundState, error) {
	if r.Currency != Currency {
		return raffle.RefundState{}, fmt.Errorf("rubles: refund of payment %d in %s", r.PaymentID, r.Currency)
	}
	row, err := s.currentRefund(ctx, r)
	if err != nil {
		return raffle.RefundState{}, err
	}
	for range 3 { // new -> pending -> final at most, per call
		switch row.Status {
		case statusSucceeded:
			return raffle.RefundState{Done: true, Ref: row.YookassaID.String}, nil
		case statusPending:
			rf, err := s.yk.GetRefund(ctx, row.YookassaID.String)
			if err != nil {
				return raffle.RefundState{}, fmt.Errorf("rubles: get refund: %w", err)
			}
			if row, err = s.applyRefund(ctx, rf); err != nil {
				return raffle.RefundState{}, err
			}
			if row.Status == statusPending {
				return raffle.RefundState{RetryAfter: s.refundPoll}, nil
			}
		case statusCanceled:
			if int(row.Attempt) >= s.maxRefundAttempts {
				return raffle.RefundState{}, river.JobCancel(fmt.Errorf("rubles: refund of payment %d failed %d times; it needs a person", r.PaymentID, row.Attempt))
			}
			// An attempt closed because YooKassa never saw it is followed at once.
			if row.FinishedAt != nil && row.CancelReason != reasonNeverAnswered {
				if wait := row.FinishedAt.Add(s.refundRetryDelay).Sub(s.now()); wait > 0 {
					return raffle.RefundState{RetryAfter: wait}, nil
				}
			}
			if row, err = s.newRefundAttempt(ctx, r, row.Attempt+1); err != nil {
				return raffle.RefundState{}, err
			}
		case statusNew:
			if row, err = s.sendRefund(ctx, row); err != nil {
				return raffle.RefundState{}, err
			}
			if row.Status == statusCanceled && row.CancelReason != reasonNeverAnswered {
				return raffle.RefundState{RetryAfter: s.refundRetryDelay}, nil
			}
		default:
			return raffle.RefundState{}, fmt.Errorf("rubles: refund %d has status %q", row.ID, row.Status)
		}
	}
	return raffle.RefundState{RetryAfter: s.refundPoll}, nil
}

// currentRefund returns the payment's latest refund attempt, creating the first.
func (s *Service) currentRefund(ctx context.Context, r raffle.RefundRequest) (dbq.RubRefund, error) {
	row, err := q.LatestRubRefund(ctx, s.pool, r.PaymentID)
	if errors.Is(err, pgx.ErrNoRows) {
		return s.newRefundAttempt(ctx, r, 1)
	}
	if err != nil {
		return row, fmt.Errorf("rubles: latest refund: %w", err)
	}
	return row, nil
}

// newRefundAttempt stores attempt n of a payment's refund (its key derived from the new row)
// under the payment's lock, or returns the attempt another caller stored first.
func (s *Service) newRefundAttempt(ctx context.Context, r raffle.RefundRequest, n int32) (dbq.RubRefund, error) {
	var row dbq.RubRefund
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := q.LockPayment(ctx, tx, r.PaymentID); err != nil {
			return fmt.Errorf("rubles: lock payment %d: %w", r.PaymentID, err)
		}
		latest, err := q.LatestRubRefund(ctx, tx, r.PaymentID)
		switch {
		case err == nil && (latest.Attempt >= n || latest.Status != statusCanceled):
			row = latest
			return nil
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("rubles: latest refund: %w", err)
		}
		row, err = q.InsertRubRefund(ctx, tx, dbq.InsertRubRefundParams{
			PaymentID: r.PaymentID, Attempt: n, YookassaPaymentID: r.ExternalID, Amount: r.Amount, Now: s.now(),
		})
		if err != nil {
			return fmt.Errorf("rubles: insert refund: %w", err)
		}
		return nil
	})
	return row, err
}

// sendRefund sends (or repeats) an attempt's request and records the answer. An attempt whose
// key may have expired is first looked for among the payment's refunds; if YooKassa has none
// carrying its id, the attempt is closed so that the next one, with a new key, can be sent.
func (s *Service) sendRefund(ctx context.Context, row dbq.RubRefund) (dbq.RubRefund, error) {
	if s.keyExpired(row.SentAt) {
		found, err := s.findRefund(ctx, row)
		if err != nil {
			return row, err
		}
		if found != nil {
			return s.applyRefund(ctx, found)
		}
		now := s.now()
		if err := q.FinishRubRefund(ctx, s.pool, dbq.FinishRubRefundParams{ID: row.ID, Status: statusCanceled, CancelReason: reasonNeverAnswered, Now: &now}); err != nil {
			return row, fmt.Errorf("rubles: close refund: %w", err)
		}
		return q.GetRubRefund(ctx, s.pool, row.ID)
	}
	drawID := int64(0)
	if p, err := q.GetPayment(ctx, s.pool, row.PaymentID); err == nil {
		drawID = p.RaffleID.Int64
	}
	rf, err := s.yk.CreateRefund(ctx, row.IdempotenceKey, yookassa.RefundRequest{
		PaymentID: row.YookassaPaymentID,
		Amount:    yookassa.RUB(row.Amount),
		// Fixed text, not a translation: a repeat under the same key must send the same body.
		Description: fmt.Sprintf("Возврат взноса за участие в розыгрыше №%d", drawID),
		Metadata:    map[string]string{MetaRefundID: itoa(row.ID), MetaPaymentID: itoa(row.PaymentID)},
	})
	if err != nil {
		if !rejected(err) {
			return row, fmt.Errorf("rubles: create refund %d: %w", row.ID, err)
		}
		// YooKassa refused the request: nothing was refunded. Admins hear of it; the attempt
		// counts as a failed one.
		return s.finishRefund(ctx, row.ID, "", errorCode(err), err.Error())
	}
	return s.applyRefund(ctx, rf)
}

// findRefund looks for the YooKassa refund carrying the attempt's id among the payment's refunds.
func (s *Service) findRefund(ctx context.Context, row dbq.RubRefund) (*yookassa.Refund, error) {
	p := yookassa.ListRefundsParams{ListParams: yookassa.ListParams{Limit: 100}, PaymentID: row.YookassaPaymentID}
	for range 10 {
		l, err := s.yk.ListRefunds(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("rubles: list refunds: %w", err)
		}
		for i := range l.Items {
			if l.Items[i].Metadata[MetaRefundID] == itoa(row.ID) {
				return &l.Items[i], nil
			}
		}
		if l.NextCursor == "" {
			return nil, nil
		}
		p.Cursor = l.NextCursor
	}
	return nil, fmt.Errorf("rubles: payment %s has more than 1000 refunds", row.YookassaPaymentID)
}

// syncRefund fetches a refund (after a refund.succeeded notification) and records it.
func (s *Service) syncRefund(ctx context.Context, yookassaID string) error {
	rf, err := s.yk.GetRefund(ctx, yookassaID)
	if errors.Is(err, yookassa.ErrNotFound) {
		s.log.Warn("notified refund unknown to yookassa", slog.String("yookassa_id", yookassaID))
		return nil
	}
	if err != nil {
		return fmt.Errorf("rubles: get refund: %w", err)
	}
	_, err = s.applyRefund(ctx, rf)
	if errors.Is(err, pgx.ErrNoRows) {
		s.log.Warn("yookassa refund without a fairdraw row", slog.String("yookassa_id", yookassaID))
		return nil
	}
	return err
}

// applyRefund records a refund as fetched from YooKassa on its row (found by YooKassa's id or
// by the row id in its metadata) and returns the row. When the refund has just succeeded the
// payment's refund job is queued, so package raffle records it without waiting for its poll.
func (s *Service) applyRefund(ctx context.Context, rf *yookassa.Refund) (dbq.RubRefund, error) {
	var row dbq.RubRefund
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		row, err = q.LockRubRefundByYooKassaID(ctx, tx, pgtype.Text{String: rf.ID, Valid: true})
		if errors.Is(err, pgx.ErrNoRows) {
			id, perr := strconv.ParseInt(rf.Metadata[MetaRefundID], 10, 64)
			if perr != nil {
				return pgx.ErrNoRows
			}
			if row, err = q.LockRubRefund(ctx, tx, id); err != nil {
				return err
			}
			if row.YookassaPaymentID != rf.PaymentID || (row.YookassaID.Valid && row.YookassaID.String != rf.ID) {
				return pgx.ErrNoRows
			}
			if err := q.SetRubRefundCreated(ctx, tx, dbq.SetRubRefundCreatedParams{ID: row.ID, YookassaID: pgtype.Text{String: rf.ID, Valid: true}, Now: s.now()}); err != nil {
				return fmt.Errorf("rubles: adopt refund: %w", err)
			}
		} else if err != nil {
			return fmt.Errorf("rubles: lock refund: %w", err)
		}
		if row.Status == statusSucceeded || row.Status == statusCanceled {
			return nil
		}
		now := s.now()
		switch rf.Status {
		case yookassa.RefundSucceeded:
			if rf.Amount.Value != row.Amount {
				return fmt.Errorf("rubles: refund %s is %s, asked for %s", rf.ID, rf.Amount, yookassa.RUB(row.Amount))
			}
			if err := q.FinishRubRefund(ctx, tx, dbq.FinishRubRefundParams{ID: row.ID, Status: statusSucceeded, Now: &now}); err != nil {
				return fmt.Errorf("rubles: finish refund: %w", err)
			}
			if _, err := s.jobs.InsertTx(ctx, tx, raffle.RefundArgs{PaymentID: row.PaymentID}, nil); err != nil {
				return fmt.Errorf("rubles: queue refund record: %w", err)
			}
		case yookassa.RefundCanceled:
			var cd yookassa.CancellationDetails
			if rf.CancellationDetails != nil {
				cd = *rf.CancellationDetails
			}
			if err := s.finishRefundTx(ctx, tx, row, cd.Party, cd.Reason, ""); err != nil {
				return err
			}
		default:
			if err := q.SetRubRefundCreated(ctx, tx, dbq.SetRubRefundCreatedParams{ID: row.ID, YookassaID: pgtype.Text{String: rf.ID, Valid: true}, Now: now}); err != nil {
				return fmt.Errorf("rubles: record refund: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return row, err
	}
	return q.GetRubRefund(ctx, s.pool, row.ID)
}

// finishRefund closes an attempt as failed and alerts the admins, in its own transaction.
func (s *Service) finishRefund(ctx context.Context, id int64, party, reason, detail string) (dbq.RubRefund, error) {
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		row, err := q.LockRubRefund(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("rubles: lock refund: %w", err)
		}
		if row.Status == statusSucceeded || row.Status == statusCanceled {
			return nil
		}
		return s.finishRefundTx(ctx, tx, row, party, reason, detail)
	})
	if err != nil {
		return dbq.RubRefund{}, err
	}
	return q.GetRubRefund(ctx, s.pool, id)
}

func (s *Service) finishRefundTx(ctx context.Context, tx pgx.Tx, row dbq.RubRefund, party, reason, detail string) error {
	now := s.now()
	if err := q.FinishRubRefund(ctx, tx, dbq.FinishRubRefundParams{ID: row.ID, Status: statusCanceled, CancelParty: party, CancelReason: reason, Now: &now}); err != nil {
		return fmt.Errorf("rubles: finish refund: %w", err)
	}
	s.log.Warn("ruble refund failed", slog.Int64("refund_id", row.ID), slog.Int64("payment_id", row.PaymentID),
		slog.Int("attempt", int(row.Attempt)), slog.String("reason", reason))
	next := i18n.K("rub.refund_will_retry")
	if int(row.Attempt) >= s.maxRefundAttempts {
		next = i18n.K("rub.refund_needs_person")
	}
	return s.alerter.AlertTx(ctx, tx, fmt.Sprintf("refund:%d", row.ID), "rub.alert_refund_failed", map[string]i18n.Arg{
		"payment": i18n.I(row.PaymentID), "amount": i18n.M(row.Amount, Currency), "attempt": i18n.I(int64(row.Attempt)),
		"reason": i18n.S(cmpOr(detail, reason)), "next": next,
	})
}

// recheckRefunds queues the refund job of every ruble payment still waiting for its money to
// go back whose refund was not looked at lately (River keeps one such job per payment).
func (s *Service) recheckRefunds(ctx context.Context) error {
	ids, err := q.YooKassaRefundsDue(ctx, s.pool, dbq.YooKassaRefundsDueParams{
		MaxAttempts: int64(s.maxRefundAttempts), Before: s.now().Add(-s.recheckAfter), MaxRows: recheckBatch,
	})
	if err != nil {
		return fmt.Errorf("rubles: refunds due: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: raffle.RefundArgs{PaymentID: id}}
	}
	if _, err := s.jobs.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("rubles: queue refunds: %w", err)
	}
	return nil
}

// recheckBatch bounds the rows one re-check job looks at; the rest wait for the next run.
const recheckBatch = 100

var _ raffle.Refunder = (*Service)(nil)

// reasonNeverAnswered closes an attempt whose key expired with no trace of it at YooKassa.
const reasonNeverAnswered = "never_answered"

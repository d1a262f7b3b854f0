package raffle

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/notify"
)

// RefundedEntry is one entry taken back from a draw by RefundUserEntries.
type RefundedEntry struct {
	DrawID    int64  `json:"draw_id"`
	Code      string `json:"code"`
	PaymentID int64  `json:"payment_id"`
	Provider  string `json:"provider"`
	Currency  string `json:"currency"`
	Amount    int64  `json:"amount"`
}

// RefundUserEntries takes back every paid entry userID holds in draws that are still open and
// refunds it in full, inside tx: a banned user's entries (reason RefuseBanned). Each entry is
// removed from its draw, the draw's later entries move up one place (entry order is kept; the
// list is only committed to when the draw closes) and the pool gives the fee back: to the
// balance at once for a balance entry, through the provider's refund job otherwise. Each entry
// leaves an entry.refund audit row by actor, and the user is told with the refund.
//
// Draws that have already closed are left alone: their entrant list is committed to and
// published. The user row is locked first, as Enter does, so no entry of the user can be added
// meanwhile. Calling it again finds nothing more to refund.
func (s *Service) RefundUserEntries(ctx context.Context, tx pgx.Tx, userID int64, reason, actor string) ([]RefundedEntry, error) {
	if reason == "" {
		return nil, fmt.Errorf("%w: a refund needs a reason", ErrInvalid)
	}
	// Lock order everywhere: user, then draw, then ledger accounts.
	if _, err := q.LockUser(ctx, tx, userID); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("raffle: lock user: %w", err)
	}
	drawIDs, err := q.UserOpenRaffles(ctx, tx, userID)
	if err != nil {
		return nil, fmt.Errorf("raffle: user's open draws: %w", err)
	}
	var out []RefundedEntry
	var jobs []river.InsertManyParams
	var msgs []notify.Message
	now := s.now()
	for _, drawID := range drawIDs {
		row, err := q.LockRaffle(ctx, tx, drawID)
		if err != nil {
			return nil, fmt.Errorf("raffle: lock %d: %w", drawID, err)
		}
		if row.Status != StatusOpen {
			continue // closed meanwhile: the list is committed to
		}
		// Read under the draw's lock: another removal may have moved the entries.
		entries, err := q.UserEntriesInRaffle(ctx, tx, dbq.UserEntriesInRaffleParams{RaffleID: drawID, TelegramID: userID})
		if err != nil {
			return nil, fmt.Errorf("raffle: user's entries in %d: %w", drawID, err)
		}
		for _, e := range entries { // last first, so each removal moves only later entries
			if e.PaymentStatus != "entered" {
				return nil, fmt.Errorf("raffle: entry %d of draw %d has payment %d in state %s", e.EntryID, drawID, e.PaymentID, e.PaymentStatus)
			}
			if n, err := q.DeleteEntry(ctx, tx, e.EntryID); err != nil || n != 1 {
				return nil, fmt.Errorf("raffle: remove entry %d: %d rows, %w", e.EntryID, n, err)
			}
			if err := q.LiftEntriesAbove(ctx, tx, dbq.LiftEntriesAboveParams{RaffleID: drawID, Seq: e.Seq}); err != nil {
				return nil, fmt.Errorf("raffle: renumber entries: %w", err)
			}
			if err := q.LowerLiftedEntries(ctx, tx, drawID); err != nil {
				return nil, fmt.Errorf("raffle: renumber entries: %w", err)
			}
			if _, err := q.DecrementEntries(ctx, tx, drawID); err != nil {
				return nil, fmt.Errorf("raffle: count entries: %w", err)
			}
			if err := q.MarkPaymentRefundPending(ctx, tx, dbq.MarkPaymentRefundPendingParams{ID: e.PaymentID, Reason: reason}); err != nil {
				return nil, fmt.Errorf("raffle: mark refund: %w", err)
			}
			pool := ledger.PoolAccount(drawID, e.Currency)
			after := map[string]any{"status": "refund_pending", "reason": reason}
			if e.Provider == ProviderBalance {
				if _, err := ledger.Post(ctx, tx, ledger.Transfer(fmt.Sprintf("refund:%d", e.PaymentID), "refund", pool, ledger.UserAccount(userID, e.Currency), e.Amount)); err != nil {
					return nil, fmt.Errorf("raffle: refund to balance: %w", err)
				}
				if err := q.MarkPaymentRefunded(ctx, tx, dbq.MarkPaymentRefundedParams{ID: e.PaymentID, At: &now, Ref: "balance"}); err != nil {
					return nil, fmt.Errorf("raffle: mark refunded: %w", err)
				}
				after["status"] = "refunded"
				msgs = append(msgs, notify.Message{
					EventKey: fmt.Sprintf("refund:%d", e.PaymentID), ChatID: userID, Key: "entry.refund_balance",
					Args: map[string]i18n.Arg{"id": i18n.I(drawID), "reason": i18n.K("reason." + reason), "amount": i18n.M(e.Amount, e.Currency)},
				})
			} else {
				key := fmt.Sprintf("draw:%d:withdraw:%d", drawID, e.PaymentID)
				if _, err := ledger.Post(ctx, tx, ledger.Transfer(key, "refund_due", pool, RefundsAccount(e.Currency), e.Amount)); err != nil {
					return nil, fmt.Errorf("raffle: move to refunds: %w", err)
				}
				jobs = append(jobs, river.InsertManyParams{Args: RefundArgs{PaymentID: e.PaymentID}})
			}
			before := map[string]any{"entry_id": e.EntryID, "seq": e.Seq, "code": e.Code, "payment_id": e.PaymentID, "status": "entered"}
			if err := s.audit(ctx, tx, actor, "entry.refund", drawID, e.Provider+":"+e.ExternalID, before, after); err != nil {
				return nil, err
			}
			out = append(out, RefundedEntry{DrawID: drawID, Code: e.Code, PaymentID: e.PaymentID, Provider: e.Provider, Currency: e.Currency, Amount: e.Amount})
		}
	}
	if len(jobs) > 0 {
		if _, err := s.jobs.InsertManyTx(ctx, tx, jobs); err != nil {
			return nil, fmt.Errorf("raffle: schedule refunds: %w", err)
		}
	}
	if err := notify.Enqueue(ctx, tx, s.jobs, msgs...); err != nil {
		return nil, err
	}
	return out, nil
}

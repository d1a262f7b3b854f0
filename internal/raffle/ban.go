package raffle

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
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
	var r refunds
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
			if e.PaymentStatus != PaymentEntered {
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
			pay := refundable{ID: e.PaymentID, Provider: e.Provider, UserID: userID, Currency: e.Currency, Amount: e.Amount}
			done, err := r.add(ctx, tx, now, drawID, pay, reason, fmt.Sprintf("draw:%d:withdraw:%d", drawID, e.PaymentID))
			if err != nil {
				return nil, err
			}
			after := map[string]any{"status": PaymentRefundPending, "reason": reason}
			if done {
				after["status"] = PaymentRefunded
			}
			before := map[string]any{"entry_id": e.EntryID, "seq": e.Seq, "code": e.Code, "payment_id": e.PaymentID, "status": PaymentEntered}
			if err := audit.Record(ctx, tx, audit.Entry{
				At: s.now(), Actor: actor, Action: "entry.refund", DrawID: drawID, Subject: e.Provider + ":" + e.ExternalID,
				Before: before, After: after,
			}); err != nil {
				return nil, err
			}
			out = append(out, RefundedEntry{DrawID: drawID, Code: e.Code, PaymentID: e.PaymentID, Provider: e.Provider, Currency: e.Currency, Amount: e.Amount})
		}
	}
	if err := r.flush(ctx, tx, s.jobs); err != nil {
		return nil, err
	}
	return out, nil
}

package raffle

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/notify"
)

// refundable is an entered payment to give back.
type refundable struct {
	ID       int64
	Provider string
	UserID   int64
	Currency string
	Amount   int64
}

// refunds starts the refunds of entered payments inside one transaction and collects the jobs
// and messages they need, which flush inserts in the same transaction. Cancelling a draw and
// banning a user both give entries back this way.
type refunds struct {
	jobs []river.InsertManyParams
	msgs []notify.Message
}

// add starts the refund of p, an entered payment of drawID, for reason (a refusal code): the
// payment becomes refund_pending; a balance payment goes straight back to the balance (ledger key
// refund:<payment>) and is refunded at once, the user told; any other payment moves from the pool
// to the refunds account under dueKey and gets a refund job. It reports whether the refund is
// already complete.
func (r *refunds) add(ctx context.Context, tx pgx.Tx, now time.Time, drawID int64, p refundable, reason, dueKey string) (bool, error) {
	if err := q.MarkPaymentRefundPending(ctx, tx, dbq.MarkPaymentRefundPendingParams{ID: p.ID, Reason: reason}); err != nil {
		return false, fmt.Errorf("raffle: mark refund: %w", err)
	}
	pool := ledger.PoolAccount(drawID, p.Currency)
	if p.Provider != ProviderBalance {
		if _, err := ledger.Post(ctx, tx, ledger.Transfer(dueKey, "refund_due", pool, ledger.RefundsAccount(p.Currency), p.Amount)); err != nil {
			return false, fmt.Errorf("raffle: move to refunds: %w", err)
		}
		r.jobs = append(r.jobs, river.InsertManyParams{Args: RefundArgs{PaymentID: p.ID}})
		return false, nil
	}
	if _, err := ledger.Post(ctx, tx, ledger.Transfer(fmt.Sprintf("refund:%d", p.ID), "refund", pool, ledger.UserAccount(p.UserID, p.Currency), p.Amount)); err != nil {
		return false, fmt.Errorf("raffle: refund to balance: %w", err)
	}
	if err := q.MarkPaymentRefunded(ctx, tx, dbq.MarkPaymentRefundedParams{ID: p.ID, At: &now, Ref: "balance"}); err != nil {
		return false, fmt.Errorf("raffle: mark refunded: %w", err)
	}
	r.msgs = append(r.msgs, notify.Message{
		EventKey: fmt.Sprintf("refund:%d", p.ID), ChatID: p.UserID, Key: "entry.refund_balance",
		Args: map[string]i18n.Arg{"id": i18n.I(drawID), "reason": i18n.K("reason." + reason), "amount": i18n.M(p.Amount, p.Currency)},
	})
	return true, nil
}

// flush inserts the collected refund jobs and messages in tx.
func (r *refunds) flush(ctx context.Context, tx pgx.Tx, jobs *river.Client[pgx.Tx]) error {
	if len(r.jobs) > 0 {
		if _, err := jobs.InsertManyTx(ctx, tx, r.jobs); err != nil {
			return fmt.Errorf("raffle: schedule refunds: %w", err)
		}
	}
	return notify.Enqueue(ctx, tx, jobs, r.msgs...)
}

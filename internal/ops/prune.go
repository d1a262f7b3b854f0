package ops

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
)

// updateRetention is how long handled Telegram update ids are remembered. Telegram redelivers
// an unconfirmed update for at most about a day, so a week is ample.
const updateRetention = 7 * 24 * time.Hour

// PruneArgs deletes bookkeeping that is only needed for a while.
type PruneArgs struct{}

// Kind is the River job kind.
func (PruneArgs) Kind() string { return "ops_prune" }

// PruneWorker forgets handled update ids older than updateRetention. Money is never pruned:
// payments, entries and the ledger keep their own idempotency keys forever.
type PruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	Now    func() time.Time
}

// Work prunes.
func (w *PruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	tag, err := w.Pool.Exec(ctx, "DELETE FROM processed_updates WHERE processed_at < $1", now().Add(-updateRetention))
	if err != nil {
		return fmt.Errorf("ops: prune updates: %w", err)
	}
	w.Logger.Info("pruned handled updates", slog.Int64("rows", tag.RowsAffected()))
	return nil
}

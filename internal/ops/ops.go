// Package ops runs fairdraw's periodic self-checks and tells the admins when one fails:
// the ledger re-derived from its postings, and (see StarsReserve) the Stars the bot really holds
// against what users are owed.
package ops

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
)

// Alerter tells admins something needs a person.
type Alerter interface {
	Alert(ctx context.Context, event, key string, args map[string]i18n.Arg) error
}

// LedgerCheckArgs runs ledger.Check.
type LedgerCheckArgs struct{}

// Kind is the River job kind.
func (LedgerCheckArgs) Kind() string { return "ops_ledger_check" }

// LedgerCheckWorker runs the ledger check and alerts admins on any mismatch.
type LedgerCheckWorker struct {
	river.WorkerDefaults[LedgerCheckArgs]
	Pool    *pgxpool.Pool
	Alerter Alerter
	Logger  *slog.Logger
}

// Work checks the ledger.
func (w *LedgerCheckWorker) Work(ctx context.Context, j *river.Job[LedgerCheckArgs]) error {
	problems, err := ledger.Check(ctx, w.Pool)
	if err != nil {
		return fmt.Errorf("ops: ledger check: %w", err)
	}
	if err := record(ctx, w.Pool, CheckLedger, len(problems) == 0, map[string]int64{"problems": int64(len(problems))}, time.Now()); err != nil {
		w.Logger.Warn("ledger check result not recorded", slog.Any("error", err))
	}
	if len(problems) == 0 {
		w.Logger.Info("ledger check passed")
		return nil
	}
	w.Logger.Error("ledger check failed", slog.Int("problems", len(problems)), slog.String("first", problems[0]))
	summary := strings.Join(problems[:min(len(problems), 5)], "\n")
	return w.Alerter.Alert(ctx, fmt.Sprintf("ledger-check:%d", j.ID), "admin.alert_ledger",
		map[string]i18n.Arg{"count": i18n.I(int64(len(problems))), "problems": i18n.S(summary)})
}

// PeriodicJobs are ops' periodic jobs: the ledger check and the Stars reserve check, every
// hour and once at start, and the daily prune.
func PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return LedgerCheckArgs{}, nil
		}, &river.PeriodicJobOpts{RunOnStart: true}),
		ReservePeriodicJob(),
		river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour), func() (river.JobArgs, *river.InsertOpts) {
			return PruneArgs{}, nil
		}, nil),
	}
}

// Workers are ops' River workers and what they need; Register adds them and PeriodicJobs are
// what runs them.
type Workers struct {
	Pool    *pgxpool.Pool
	Reserve *StarsReserve
	Alerter Alerter
	Logger  *slog.Logger
}

// Register adds the ledger check, the Stars reserve check and the prune workers to w.
func (o Workers) Register(w *river.Workers) {
	river.AddWorker(w, &LedgerCheckWorker{Pool: o.Pool, Alerter: o.Alerter, Logger: o.Logger})
	river.AddWorker(w, &StarsReserveWorker{Reserve: o.Reserve, Alerter: o.Alerter, Logger: o.Logger})
	river.AddWorker(w, &PruneWorker{Pool: o.Pool, Logger: o.Logger})
}

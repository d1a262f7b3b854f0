package rubles

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/faults"
	"github.com/fairdraw/fairdraw/internal/i18n"
)

// whileAlive makes a job unique among the jobs that have not finished: a new one is not
// inserted while one with the same arguments waits or runs, and is once it has finished.
var whileAlive = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}}

// NotificationArgs fetches the object a YooKassa notification named and acts on it.
type NotificationArgs struct {
	Event      string `json:"event"`
	ObjectType string `json:"object_type"`
	ObjectID   string `json:"object_id"`
}

// Kind is the River job kind.
func (NotificationArgs) Kind() string { return "rubles_notification" }

// InsertOpts: every delivery is its own job (the fetch makes duplicates harmless).
func (NotificationArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 25} }

// PayoutSendArgs sends one payout (or finds out what became of it).
type PayoutSendArgs struct {
	PayoutID int64 `json:"payout_id"`
}

// Kind is the River job kind.
func (PayoutSendArgs) Kind() string { return "rubles_payout_send" }

// InsertOpts: one job per payout while it waits or runs; it retries for days (the money is
// held meanwhile and the admins are alerted), never giving up silently.
func (PayoutSendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1000, UniqueOpts: whileAlive}
}

// RecheckPaymentsArgs fetches payments left unfinished: notifications may never arrive.
type RecheckPaymentsArgs struct{}

// Kind is the River job kind.
func (RecheckPaymentsArgs) Kind() string { return "rubles_recheck_payments" }

// InsertOpts: one at a time.
func (RecheckPaymentsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: whileAlive}
}

// RecheckRefundsArgs follows pending refunds (YooKassa notifies only refund.succeeded).
type RecheckRefundsArgs struct{}

// Kind is the River job kind.
func (RecheckRefundsArgs) Kind() string { return "rubles_recheck_refunds" }

// InsertOpts: one at a time.
func (RecheckRefundsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: whileAlive}
}

// RecheckPayoutsArgs fetches pending payouts and revives payouts whose send job is gone.
type RecheckPayoutsArgs struct{}

// Kind is the River job kind.
func (RecheckPayoutsArgs) Kind() string { return "rubles_recheck_payouts" }

// InsertOpts: one at a time.
func (RecheckPayoutsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: whileAlive}
}

// DefaultRecheckInterval is how often PeriodicJobs' re-checks run by default.
const DefaultRecheckInterval = 5 * time.Minute

// PeriodicJobs are the re-checks to add to River's config (river.Config.PeriodicJobs): unfinished
// payments, refunds and payouts, every interval (0: DefaultRecheckInterval), the first at start.
func PeriodicJobs(interval time.Duration) []*river.PeriodicJob {
	if interval <= 0 {
		interval = DefaultRecheckInterval
	}
	opts := &river.PeriodicJobOpts{RunOnStart: true}
	job := func(a river.JobArgs) *river.PeriodicJob {
		return river.NewPeriodicJob(river.PeriodicInterval(interval), func() (river.JobArgs, *river.InsertOpts) { return a, nil }, opts)
	}
	return []*river.PeriodicJob{job(RecheckPaymentsArgs{}), job(RecheckRefundsArgs{}), job(RecheckPayoutsArgs{})}
}

// jobTimeout bounds one run of this package's jobs: a few YooKassa requests with the client's
// own retries, or one re-check batch.
const jobTimeout = 5 * time.Minute

// worker adapts a function to a River worker with this package's timeout and, optionally, a
// retry schedule.
type worker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	work  func(ctx context.Context, j *river.Job[T]) error
	retry func(attempt int) time.Duration
}

func (w *worker[T]) Work(ctx context.Context, j *river.Job[T]) error { return w.work(ctx, j) }

// Timeout is jobTimeout (shortened in a -tags faults build, so the fault matrix's restarted
// process rescues a payout killed mid-run within seconds; River waits out a worker's own timeout
// before rescuing its job).
func (w *worker[T]) Timeout(*river.Job[T]) time.Duration { return faults.JobTimeout(jobTimeout) }

// NextRetry is on River's own (wall) clock, like all of River's scheduling.
func (w *worker[T]) NextRetry(j *river.Job[T]) time.Time {
	if w.retry == nil {
		return time.Time{}
	}
	return time.Now().Add(w.retry(j.Attempt))
}

// Register adds this package's workers to w: notifications, payout sending and the three
// re-checks. The refund work runs in package raffle's refund job, through Service.Refund
// (pass the Service as raffle.Workers.Refunders[raffle.ProviderYooKassa]).
func (s *Service) Register(w *river.Workers) {
	river.AddWorker(w, &worker[NotificationArgs]{work: func(ctx context.Context, j *river.Job[NotificationArgs]) error {
		return s.handleNotification(ctx, j.Args)
	}})
	river.AddWorker(w, &worker[PayoutSendArgs]{
		work: func(ctx context.Context, j *river.Job[PayoutSendArgs]) error {
			err := s.sendPayout(ctx, j.Args.PayoutID)
			if err != nil && (j.Attempt == 3 || j.Attempt%50 == 0) {
				s.alertStuckPayout(ctx, j.Args.PayoutID, j.Attempt, err)
			}
			return err
		},
		retry: s.payoutBackoff,
	})
	river.AddWorker(w, &worker[RecheckPaymentsArgs]{work: func(ctx context.Context, _ *river.Job[RecheckPaymentsArgs]) error {
		rows, err := q.DueRubPayments(ctx, s.pool, dbq.DueRubPaymentsParams{Before: s.now().Add(-s.recheckAfter), MaxRows: recheckBatch})
		if err != nil {
			return fmt.Errorf("rubles: payments due: %w", err)
		}
		return each(s, ctx, "payment", rows, func(r dbq.RubPayment) int64 { return r.ID }, s.recheckPayment)
	}})
	river.AddWorker(w, &worker[RecheckRefundsArgs]{work: func(ctx context.Context, _ *river.Job[RecheckRefundsArgs]) error {
		return s.recheckRefunds(ctx)
	}})
	river.AddWorker(w, &worker[RecheckPayoutsArgs]{work: func(ctx context.Context, _ *river.Job[RecheckPayoutsArgs]) error {
		rows, err := q.DueRubPayouts(ctx, s.pool, dbq.DueRubPayoutsParams{Before: s.now().Add(-s.recheckAfter), MaxRows: recheckBatch})
		if err != nil {
			return fmt.Errorf("rubles: payouts due: %w", err)
		}
		return each(s, ctx, "payout", rows, func(r dbq.RubPayout) int64 { return r.ID }, s.recheckPayout)
	}})
}

// each runs fn on every row, logging failures and going on; the job fails (and is retried) if
// any did.
func each[T any](s *Service, ctx context.Context, what string, rows []T, id func(T) int64, fn func(context.Context, T) error) error {
	var errs []error
	for _, r := range rows {
		if err := fn(ctx, r); err != nil {
			s.log.Warn("re-check failed", slog.String("what", what), slog.Int64("id", id(r)), slog.Any("error", err))
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// payoutBackoff: RetryBase, doubling per attempt, at most 10 minutes.
func (s *Service) payoutBackoff(attempt int) time.Duration {
	d := s.retryBase
	for i := 1; i < attempt && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

// alertStuckPayout tells the admins a payout cannot be sent; its money stays held.
func (s *Service) alertStuckPayout(ctx context.Context, id int64, attempt int, cause error) {
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		return s.alerter.AlertTx(ctx, tx, fmt.Sprintf("payout:%d:stuck:%d", id, attempt), "rub.alert_payout_stuck", map[string]i18n.Arg{
			"id": i18n.I(id), "attempt": i18n.I(int64(attempt)), "error": i18n.S(cause.Error()),
		})
	})
	if err != nil {
		s.log.Error("alert admins", slog.Any("error", err))
	}
}

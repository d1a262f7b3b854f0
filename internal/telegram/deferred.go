package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/fairdraw/fairdraw/internal/notify"
)

// ReplyArgs is the durable job of a reply that could not go within a few seconds.
type ReplyArgs struct {
	Call DeferredCall `json:"call"`
}

// Kind is the River job kind.
func (ReplyArgs) Kind() string { return "telegram_reply" }

// InsertOpts puts deferred replies on the send queue ahead of every notification (priority
// 1, like a winner's message): the user is waiting for them.
func (ReplyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: notify.QueueName, Priority: notify.PriorityPersonal, MaxAttempts: 25}
}

// ReplyQueue is the Deferrer of serve: it inserts a ReplyArgs job into PostgreSQL with an
// insert-only River client of its own, so the Bot API client can be built before the River
// client that runs the jobs.
type ReplyQueue struct {
	jobs *river.Client[pgx.Tx]
}

// NewReplyQueue returns a ReplyQueue on pool. It makes no request.
func NewReplyQueue(pool *pgxpool.Pool) (*ReplyQueue, error) {
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		return nil, fmt.Errorf("telegram: reply queue: %w", err)
	}
	return &ReplyQueue{jobs: jobs}, nil
}

// Defer implements Deferrer.
func (q *ReplyQueue) Defer(ctx context.Context, call DeferredCall) error {
	if _, err := q.jobs.Insert(ctx, ReplyArgs{Call: call}, nil); err != nil {
		return fmt.Errorf("telegram: reply queue: insert: %w", err)
	}
	return nil
}

// replyJobWithin is how long a deferred reply's job waits for a slot (or a retry_after) before
// it gives the worker back and snoozes.
const replyJobWithin = 20 * time.Second

// ReplyWorker sends deferred replies through the same Pacing (as replies: ahead of bulk
// news). A 429 or a budget busy for long snoozes the job; Telegram refusing the request for
// good (400, 403) cancels it with an error log; other failures are retried with backoff.
type ReplyWorker struct {
	river.WorkerDefaults[ReplyArgs]
	Pacing *Pacing
	Logger *slog.Logger
}

// Work sends one deferred reply.
func (w *ReplyWorker) Work(ctx context.Context, job *river.Job[ReplyArgs]) error {
	call := job.Args.Call
	resp, err := w.Pacing.send(ctx, call, replyJobWithin, false)
	if ra, ok := errors.AsType[*notify.RetryAfterError](err); ok {
		return river.JobSnooze(ra.After)
	}
	if err != nil {
		if ctx.Err() != nil {
			return river.JobSnooze(0) // stopped before sending: run again on the next start
		}
		return fmt.Errorf("telegram: deferred %s: %w", call.Method, err)
	}
	switch st := statusOf(resp); {
	case st == http.StatusOK:
		w.Pacing.metrics.sent.Inc()
		return nil
	case st >= 400 && st < 500:
		w.logger().Error("deferred reply refused by Telegram", slog.String("method", call.Method), slog.Int64("chat_id", call.ChatID),
			slog.Int("status", st), slog.String("description", resp.Error.Description))
		return river.JobCancel(fmt.Errorf("telegram: deferred %s: %w", call.Method, resp.Error))
	default:
		return fmt.Errorf("telegram: deferred %s: %w", call.Method, resp.Error)
	}
}

func (w *ReplyWorker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}

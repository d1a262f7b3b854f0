package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/notify/sender"
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
	pool *pgxpool.Pool
	jobs *river.Client[pgx.Tx]
}

// NewReplyQueue returns a ReplyQueue on pool. It makes no request.
func NewReplyQueue(pool *pgxpool.Pool) (*ReplyQueue, error) {
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		return nil, fmt.Errorf("telegram: reply queue: %w", err)
	}
	return &ReplyQueue{pool: pool, jobs: jobs}, nil
}

// Defer implements Deferrer.
func (q *ReplyQueue) Defer(ctx context.Context, call DeferredCall) error {
	if _, err := q.jobs.Insert(ctx, ReplyArgs{Call: call}, nil); err != nil {
		return fmt.Errorf("telegram: reply queue: insert: %w", err)
	}
	return nil
}

// pendingReply finds a deferred reply to chat $1 not yet sent (with an id below $2: queued
// before the job asking). It reads River's table; the rows it filters are the deferred
// replies in flight, which exist only while a burst lasts.
const pendingReply = `SELECT EXISTS (
	SELECT 1 FROM river_job
	 WHERE kind = 'telegram_reply' AND state IN ('available', 'scheduled', 'retryable', 'running', 'pending')
	   AND (args->'call'->>'chat_id')::bigint = $1 AND id < $2)`

// Pending implements Deferrer: a reply to a chat that still has one waiting in the queue
// must queue behind it, or the chat would read them out of order.
func (q *ReplyQueue) Pending(ctx context.Context, chatID int64) (bool, error) {
	var pending bool
	if err := q.pool.QueryRow(ctx, pendingReply, chatID, int64(math.MaxInt64)).Scan(&pending); err != nil {
		return false, fmt.Errorf("telegram: reply queue: pending: %w", err)
	}
	return pending, nil
}

// olderPending reports whether a reply deferred before job id to the same chat is unsent.
func (q *ReplyQueue) olderPending(ctx context.Context, chatID, id int64) (bool, error) {
	var pending bool
	if err := q.pool.QueryRow(ctx, pendingReply, chatID, id).Scan(&pending); err != nil {
		return false, fmt.Errorf("telegram: reply queue: order: %w", err)
	}
	return pending, nil
}

// replyJobWithin is how long a deferred reply's job waits for a slot (or a retry_after) before
// it gives the worker back and snoozes.
const replyJobWithin = 20 * time.Second

// ReplyWorker sends deferred replies through the same Pacing (as replies: ahead of bulk
// news), each chat's in the order they were deferred. A 429 or a budget busy for long
// snoozes the job; Telegram refusing the request for good (400, 403) cancels it with an
// error log; other failures are retried with backoff.
type ReplyWorker struct {
	river.WorkerDefaults[ReplyArgs]
	Pacing *Pacing
	// Queue orders the replies of one chat; nil sends each as it comes (tests).
	Queue  *ReplyQueue
	Logger *slog.Logger
}

// replyOrderWait is how long a deferred reply waits for an older one to the same chat.
const replyOrderWait = 200 * time.Millisecond

// Work sends one deferred reply.
func (w *ReplyWorker) Work(ctx context.Context, job *river.Job[ReplyArgs]) error {
	call := job.Args.Call
	if w.Queue != nil {
		older, err := w.Queue.olderPending(ctx, call.ChatID, job.ID)
		if err != nil {
			return err
		}
		if older {
			return river.JobSnooze(replyOrderWait)
		}
	}
	resp, err := w.Pacing.send(ctx, call, replyJobWithin, false)
	if ra, ok := errors.AsType[*sender.RetryAfterError](err); ok {
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

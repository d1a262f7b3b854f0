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

	"github.com/fairdraw/fairdraw/internal/faults"
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

// How deferred replies keep their order without letting one of them silence a chat.
//
// A newer reply to a chat waits for an older one only while the older one is on its way: due
// (available), being sent (running, for no longer than a run can last), or snoozed for a
// short while (a retry_after). A reply that failed (retryable), one left "running" by a
// process that died, one snoozed for long, and any reply deferred more than replyOrderWindow
// ago hold nobody back: they go when they can, out of order, or expire. Healthy, a chat reads
// its replies in order; in trouble, it reads the newest ones late at worst, never not at all.
const (
	// replyJobWithin is how long one run of a reply job waits for a slot (or a retry_after)
	// before it gives the worker back and snoozes. It is cut to fit the job's timeout.
	replyJobWithin = 20 * time.Second
	// replyJobTimeout bounds one run: the wait and the request.
	replyJobTimeout = 30 * time.Second
	// replySendRoom is what a run keeps of its timeout for the request itself.
	replySendRoom = 2 * time.Second
	// replyOrderWindow: a reply deferred longer ago than this holds no newer one back.
	replyOrderWindow = 2 * time.Minute
	// replyOrderHorizon: a snoozed reply holds newer ones back only if it is due this soon.
	replyOrderHorizon = 30 * time.Second
	// ReplyExpiry is how long a deferred reply is tried: one not sent this long after it was
	// deferred is dropped (an error log and fairdraw_telegram_replies_dropped_total). The user
	// has moved on by then; the edit of an old screen or a stale answer would only confuse.
	ReplyExpiry = 15 * time.Minute
	// replyRetryMax caps the wait between attempts after a failure (River's default grows to
	// days).
	replyRetryMax = 30 * time.Second
)

// replyRunTimeout is the timeout of one run of a reply job: replyJobTimeout, or the few
// seconds of a faults build, whose matrix rescues jobs killed mid-run that soon.
func replyRunTimeout() time.Duration { return faults.JobTimeout(replyJobTimeout) }

// pendingReply finds a deferred reply to chat $1, queued before the job asking (id below
// $2), that is on its way (see above): $3 is replyOrderWindow, $4 replyOrderHorizon, $5 the
// longest a run can last, in seconds. It reads River's table through its kind index; the rows
// left are the replies deferred in the last replyOrderWindow.
const pendingReply = `SELECT EXISTS (
	SELECT 1 FROM river_job
	 WHERE kind = 'telegram_reply' AND (args->'call'->>'chat_id')::bigint = $1 AND id < $2
	   AND created_at > now() - make_interval(secs => $3)
	   AND (state = 'available'
	        OR state = 'scheduled' AND scheduled_at < now() + make_interval(secs => $4)
	        OR state = 'running' AND attempted_at > now() - make_interval(secs => $5)))`

func (q *ReplyQueue) pending(ctx context.Context, chatID, before int64) (bool, error) {
	var pending bool
	err := q.pool.QueryRow(ctx, pendingReply, chatID, before, replyOrderWindow.Seconds(), replyOrderHorizon.Seconds(),
		(replyRunTimeout() + replySendRoom).Seconds()).Scan(&pending)
	return pending, err
}

// Pending implements Deferrer: a reply to a chat that has an older one on its way in the
// queue must queue behind it, or the chat would read them out of order.
func (q *ReplyQueue) Pending(ctx context.Context, chatID int64) (bool, error) {
	pending, err := q.pending(ctx, chatID, math.MaxInt64)
	if err != nil {
		return false, fmt.Errorf("telegram: reply queue: pending: %w", err)
	}
	return pending, nil
}

// olderPending reports whether a reply deferred before job id to the same chat is on its way.
func (q *ReplyQueue) olderPending(ctx context.Context, chatID, id int64) (bool, error) {
	pending, err := q.pending(ctx, chatID, id)
	if err != nil {
		return false, fmt.Errorf("telegram: reply queue: order: %w", err)
	}
	return pending, nil
}

// ReplyWorker sends deferred replies through the same Pacing (as replies: ahead of bulk
// news), each chat's in the order they were deferred while all goes well (see pendingReply).
// A 429 or a budget busy for long snoozes the job; a failure is retried within half a
// minute. A reply is given up, with an error log and the dropped metric, when Telegram
// refuses it for good (400, 403), when it fails every attempt, or when it is not sent within
// ReplyExpiry.
type ReplyWorker struct {
	river.WorkerDefaults[ReplyArgs]
	Pacing *Pacing
	// Queue orders the replies of one chat; nil sends each as it comes (tests).
	Queue  *ReplyQueue
	Logger *slog.Logger
	// Now is the clock of ReplyExpiry; default time.Now.
	Now func() time.Time
}

// replyOrderWait is how long a deferred reply waits for an older one to the same chat.
const replyOrderWait = 200 * time.Millisecond

// Timeout bounds one run (River's own default is a minute; a faults build's, four seconds).
func (w *ReplyWorker) Timeout(*river.Job[ReplyArgs]) time.Duration { return replyRunTimeout() }

// NextRetry waits 1, 2, 4 ... seconds after a failure, at most replyRetryMax: a reply is
// worth something only soon.
func (w *ReplyWorker) NextRetry(job *river.Job[ReplyArgs]) time.Time {
	wait := replyRetryMax
	if job.Attempt <= 5 {
		wait = min(time.Second<<max(job.Attempt-1, 0), replyRetryMax)
	}
	return time.Now().Add(wait)
}

// Work sends one deferred reply.
func (w *ReplyWorker) Work(ctx context.Context, job *river.Job[ReplyArgs]) error {
	call := job.Args.Call
	if age := w.now().Sub(job.CreatedAt); age > ReplyExpiry {
		return w.drop(job, "not sent in time", fmt.Errorf("telegram: deferred %s: not sent within %s", call.Method, ReplyExpiry))
	}
	if w.Queue != nil {
		older, err := w.Queue.olderPending(ctx, call.ChatID, job.ID)
		if err != nil {
			return w.failed(job, err)
		}
		if older {
			return river.JobSnooze(replyOrderWait)
		}
	}
	// Take no slot that cannot be used before the run ends: a slot reserved beyond it would
	// be lost, and would keep the chat busy for the next run.
	within := replyJobWithin
	if dl, ok := ctx.Deadline(); ok {
		within = min(within, time.Until(dl)-replySendRoom)
	}
	if within <= 0 {
		return river.JobSnooze(0)
	}
	resp, err := w.Pacing.send(ctx, call, within, false)
	if ra, ok := errors.AsType[*sender.RetryAfterError](err); ok {
		return river.JobSnooze(ra.After)
	}
	if err != nil {
		if ctx.Err() != nil {
			return river.JobSnooze(0) // stopped before sending: run again (ReplyExpiry bounds this)
		}
		return w.failed(job, fmt.Errorf("telegram: deferred %s: %w", call.Method, err))
	}
	switch st := statusOf(resp); {
	case st == http.StatusOK:
		w.Pacing.metrics.sent.Inc()
		return nil
	case st >= 400 && st < 500:
		return w.drop(job, "refused by Telegram", fmt.Errorf("telegram: deferred %s: %w", call.Method, resp.Error))
	default:
		return w.failed(job, fmt.Errorf("telegram: deferred %s: %w", call.Method, resp.Error))
	}
}

// failed returns err for River to retry the job, and counts the reply as dropped on its last
// attempt.
func (w *ReplyWorker) failed(job *river.Job[ReplyArgs], err error) error {
	if job.Attempt >= job.MaxAttempts {
		w.Pacing.metrics.dropped.Inc()
		w.logger().Error("deferred reply given up after failing every attempt", w.attrs(job, err)...)
	}
	return err
}

// drop gives the reply up for good.
func (w *ReplyWorker) drop(job *river.Job[ReplyArgs], why string, err error) error {
	w.Pacing.metrics.dropped.Inc()
	w.logger().Error("deferred reply dropped: "+why, w.attrs(job, err)...)
	return river.JobCancel(err)
}

func (w *ReplyWorker) attrs(job *river.Job[ReplyArgs], err error) []any {
	return []any{slog.Int64("job_id", job.ID), slog.String("method", job.Args.Call.Method), slog.Int64("chat_id", job.Args.Call.ChatID),
		slog.Int("attempt", job.Attempt), slog.Time("deferred_at", job.CreatedAt), slog.Any("error", err)}
}

func (w *ReplyWorker) now() time.Time {
	if w.Now == nil {
		return time.Now()
	}
	return w.Now()
}

func (w *ReplyWorker) logger() *slog.Logger {
	if w.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Logger
}

// Package sender sends the messages the notify outbox queued: Worker works notify.SendArgs jobs.
//
// Order: the worker holds a message back while one of a higher priority of the same event is
// due or being sent, so a result reaches its winners before the participants and the
// participants before the observers.
//
// Pace: a RedisLimiter shared by every replica keeps to Telegram's limits (a global budget,
// one per chat, 20 a minute in groups, a separate budget for paid broadcasts). A 429 keeps
// its chat waiting exactly retry_after and slows everyone down for a while; a 403 marks the
// user unreachable; other errors are retried with River's backoff and end as dead letters
// (a metric and an error log). Metrics holds the counters, QueueCollector the backlog.
package sender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/notify"
)

// Sender delivers one rendered message and returns Telegram's message id. It returns
// ErrBlocked (wrapped) when the recipient cannot be written to any more, ErrUndeliverable
// (wrapped) when Telegram refused this message for good, and a *RetryAfterError when
// Telegram says to wait; anything else is retried with backoff.
type Sender interface {
	Send(ctx context.Context, out Outgoing) (messageID int64, err error)
}

// Outgoing is a rendered message.
type Outgoing struct {
	ChatID  int64
	Text    string
	Buttons []RenderedButton
	// PaidBroadcast sends with allow_paid_broadcast: up to 1000 a second, 0.1 Star each.
	PaidBroadcast bool
}

// RenderedButton is a notify.Button with its text in the recipient's language.
type RenderedButton struct{ Text, URL, Data string }

// Limiter paces sending across every process that sends for the bot.
type Limiter interface {
	// Wait blocks until one more message to chatID may go out now; paid selects the paid
	// broadcast budget instead of the global one. It returns end, which the caller calls when
	// Telegram has answered, whatever the answer, so the limiter counts the message until
	// then. It returns a *RetryAfterError when the chat will not be free for a while (the job
	// is snoozed that long), ctx's error when ctx ends.
	Wait(ctx context.Context, chatID int64, paid bool) (end func(context.Context), err error)
	// Throttled records Telegram's 429 for chatID: the chat waits exactly retryAfter, and the
	// overall pace slows down for a while.
	Throttled(ctx context.Context, chatID int64, retryAfter time.Duration) error
}

// unlimited is the Limiter used when none is configured (tests of other packages).
type unlimited struct{}

func (unlimited) Wait(context.Context, int64, bool) (func(context.Context), error) {
	return func(context.Context) {}, nil
}
func (unlimited) Throttled(context.Context, int64, time.Duration) error { return nil }

// Defaults of WorkerConfig.
const (
	DefaultSendTimeout = 30 * time.Second
	// gatePoll is how often a message behind higher-priority ones looks again, and gateMax how
	// long it waits in the worker before giving the worker back (snoozing gateSnooze).
	gatePoll   = 20 * time.Millisecond
	gateMax    = 5 * time.Second
	gateSnooze = time.Second
	// gateStale: a higher-priority job "running" longer than this is taken for the leftover
	// of a crashed process (River rescues it later) and no longer holds others back.
	gateStale = 2 * time.Minute
)

// Worker sends notify.SendArgs jobs.
//
// Order: River fetches by priority, but jobs fetched together run side by side, so a
// participant's message could overtake a winner's by a few milliseconds. The worker makes the
// order of one event strict: a message waits while a message of a higher priority (lower
// number) of the same event is due or being sent. The same event means the same EventKey, or
// one that extends it after a colon: a result's "draw:7:result" messages wait for its
// "draw:7:result:winner:1". Messages of different events keep River's order, so a personal
// message of one draw is never held up by another draw's fan-out. A higher-priority message
// that is snoozed (after a 429) or waiting for a retry holds nobody back.
//
// Once a message may be sent, the send and its record run to the end even if the job is
// cancelled (River stopping, a job timeout): a stop never leaves a message sent but not
// recorded, which the next run would send again. Only a crash between Telegram's answer and
// the record (one round trip to PostgreSQL) can send a message twice.
type Worker struct {
	river.WorkerDefaults[notify.SendArgs]
	pool          *pgxpool.Pool
	sender        Sender
	limiter       Limiter
	logger        *slog.Logger
	now           func() time.Time
	paidBroadcast bool
	sendTimeout   time.Duration
	metrics       *Metrics
}

// WorkerConfig configures a Worker.
type WorkerConfig struct {
	Pool   *pgxpool.Pool
	Sender Sender
	// Limiter paces sending; nil sends as fast as the workers go (tests of other packages).
	Limiter Limiter
	// Logger defaults to discarding; Now to time.Now.
	Logger *slog.Logger
	Now    func() time.Time
	// PaidBroadcast (ALLOW_PAID_BROADCAST) sends messages marked Broadcast with
	// allow_paid_broadcast, paced by the limiter's paid budget.
	PaidBroadcast bool
	// SendTimeout bounds one sendMessage call and its record; default 30s.
	SendTimeout time.Duration
	// Metrics defaults to unregistered counters.
	Metrics *Metrics
}

// NewWorker returns the send worker.
func NewWorker(c WorkerConfig) *Worker {
	if c.Limiter == nil {
		c.Limiter = unlimited{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = DefaultSendTimeout
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	return &Worker{pool: c.Pool, sender: c.Sender, limiter: c.Limiter, logger: c.Logger, now: c.Now,
		paidBroadcast: c.PaidBroadcast, sendTimeout: c.SendTimeout, metrics: c.Metrics}
}

var q = dbq.New()

// Work sends one message, at most once per (event, chat).
func (w *Worker) Work(ctx context.Context, job *river.Job[notify.SendArgs]) error {
	a := job.Args
	r, err := w.lookUp(ctx, a, job.Priority)
	if err != nil {
		return w.interrupted(ctx, err)
	}
	if r.sent {
		return nil
	}
	if r.blocked {
		w.metrics.Skipped.Inc()
		return nil
	}
	lang := i18n.RU
	if r.lang != nil {
		lang = i18n.Lang(*r.lang)
	}
	out := Outgoing{ChatID: a.ChatID, Text: i18n.Render(lang, a.Key, a.Args), PaidBroadcast: a.Broadcast && w.paidBroadcast}
	for _, b := range a.Buttons {
		text := b.Text
		if b.TextKey != "" {
			text = i18n.T(lang, b.TextKey)
		}
		out.Buttons = append(out.Buttons, RenderedButton{Text: text, URL: b.URL, Data: b.Data})
	}
	if r.ahead {
		if err := w.waitTurn(ctx, a, job.Priority); err != nil {
			return w.interrupted(ctx, err)
		}
	}
	end, err := w.limiter.Wait(ctx, a.ChatID, out.PaidBroadcast)
	if err != nil {
		if busy, ok := errors.AsType[*RetryAfterError](err); ok {
			return river.JobSnooze(busy.After)
		}
		return w.interrupted(ctx, fmt.Errorf("notify: rate limiter: %w", err))
	}

	// The message may go out from here on: finish and record it whatever happens to ctx.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.sendTimeout)
	defer cancel()
	msgID, err := w.sender.Send(sctx, out)
	end(sctx)
	if err != nil {
		return w.failed(sctx, job, err)
	}
	w.metrics.Sent.Inc()
	if _, err := q.MarkNotificationSent(sctx, w.pool, dbq.MarkNotificationSentParams{
		EventKey: a.EventKey, TelegramID: a.ChatID, SentAt: w.now(), MessageID: pgtype.Int8{Int64: msgID, Valid: msgID != 0},
	}); err != nil {
		return fmt.Errorf("notify: sent but not recorded, a retry sends it again: %w", err)
	}
	return nil
}

// recipient is what Work needs to know before sending a message to a chat.
type recipient struct {
	sent    bool    // this event's message went to the chat already
	blocked bool    // the user blocked the bot
	lang    *string // the user's language; nil for a chat that is not a user of ours
	ahead   bool    // a message of the same event with a higher priority is due or being sent
}

// recipientState answers lookUp in one round trip: $1 the event, $2 the chat, $3 the queue,
// $4 the message's priority, $5 gateStale in seconds, $6 whether the message waits for higher
// priorities at all (a personal message does not).
//
// The gate reads River's own table through its fetch index (state, queue, priority, ...): it
// looks for a message of the same event (the key $1, or one starting with $1 followed by a
// colon) with a higher priority than $4 that is waiting to be sent or being sent. The rows it
// filters are the higher-priority messages in flight, usually a handful, since River fetches
// a lower priority only once no higher one is waiting.
const recipientState = `SELECT EXISTS (SELECT 1 FROM notifications_sent WHERE event_key = $1 AND telegram_id = $2),
	       coalesce(u.blocked_at IS NOT NULL, false), u.language_code,
	       CASE WHEN $6::boolean THEN EXISTS (
	         SELECT 1 FROM river_job
	          WHERE state = 'available' AND queue = $3 AND priority < $4 AND scheduled_at <= now()
	            AND (args->>'event' = $1 OR starts_with(args->>'event', $1 || ':'))
	         UNION ALL
	         SELECT 1 FROM river_job
	          WHERE state = 'running' AND queue = $3 AND priority < $4 AND attempted_at > now() - make_interval(secs => $5)
	            AND (args->>'event' = $1 OR starts_with(args->>'event', $1 || ':'))
	       ) ELSE false END
	  FROM (SELECT) AS one LEFT JOIN users u ON u.telegram_id = $2`

// lookUp reads the recipient's state and the message's turn (see recipientState).
func (w *Worker) lookUp(ctx context.Context, a notify.SendArgs, prio int) (recipient, error) {
	var r recipient
	gated := prio > notify.PriorityPersonal
	err := w.pool.QueryRow(ctx, recipientState, a.EventKey, a.ChatID, notify.QueueName, prio, gateStale.Seconds(), gated).
		Scan(&r.sent, &r.blocked, &r.lang, &r.ahead)
	if err != nil {
		return r, fmt.Errorf("notify: look up recipient: %w", err)
	}
	return r, nil
}

// failed decides what a failed send means for the job.
func (w *Worker) failed(ctx context.Context, job *river.Job[notify.SendArgs], err error) error {
	a := job.Args
	if retry, ok := errors.AsType[*RetryAfterError](err); ok {
		w.metrics.Throttled.Inc()
		after := max(retry.After, time.Second)
		if terr := w.limiter.Throttled(ctx, a.ChatID, after); terr != nil {
			// The snooze below still keeps this job away for retry_after.
			w.logger.Error("record 429 in the limiter", slog.Int64("chat_id", a.ChatID), slog.Any("error", terr))
		}
		return river.JobSnooze(after)
	}
	if errors.Is(err, ErrBlocked) {
		w.metrics.Blocked.Inc()
		if err := q.SetUserBlocked(ctx, w.pool, dbq.SetUserBlockedParams{At: new(w.now()), TelegramID: a.ChatID}); err != nil {
			return fmt.Errorf("notify: mark blocked: %w", err)
		}
		w.logger.Info("user blocked the bot", slog.Int64("chat_id", a.ChatID))
		return nil
	}
	w.metrics.Failed.Inc()
	if errors.Is(err, ErrUndeliverable) {
		w.deadLetter(job, err)
		return river.JobCancel(fmt.Errorf("notify: send: %w", err))
	}
	if job.Attempt >= job.MaxAttempts {
		w.deadLetter(job, err)
	}
	return fmt.Errorf("notify: send: %w", err)
}

// deadLetter makes a message that will never be sent visible: a metric and an error log. The
// job stays in river_job (discarded or cancelled) with its errors until River prunes it.
func (w *Worker) deadLetter(job *river.Job[notify.SendArgs], err error) {
	w.metrics.DeadLetters.Inc()
	w.logger.Error("notification given up", slog.Int64("job_id", job.ID), slog.String("event", job.Args.EventKey),
		slog.Int64("chat_id", job.Args.ChatID), slog.Int("attempt", job.Attempt), slog.Any("error", err))
}

// interrupted turns an error caused by the job's context ending (River stopping, a timeout)
// into a snooze of zero: nothing was sent, so the job runs again at once on the next start,
// without counting an attempt.
func (w *Worker) interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return river.JobSnooze(0)
	}
	return err
}

// waitTurn returns when no message of a's event with a higher priority than prio is due or
// being sent any more, looking again every gatePoll. After gateMax it snoozes the job instead,
// giving the worker back. (The wait is measured on the real clock: it bounds how long a worker
// sleeps, not a business deadline.)
func (w *Worker) waitTurn(ctx context.Context, a notify.SendArgs, prio int) error {
	deadline := time.Now().Add(gateMax)
	for {
		if time.Now().After(deadline) {
			return river.JobSnooze(gateSnooze)
		}
		if err := sleep(ctx, gatePoll); err != nil {
			return err
		}
		r, err := w.lookUp(ctx, a, prio)
		if err != nil {
			return err // lookUp's error says what failed
		}
		if !r.ahead {
			return nil
		}
	}
}

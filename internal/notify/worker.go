package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
)

// Sender delivers one rendered message. It returns ErrBlocked (wrapped) when the recipient
// blocked the bot and a *RetryAfterError when Telegram says to wait; anything else is retried.
type Sender interface {
	Send(ctx context.Context, out Outgoing) (messageID int64, err error)
}

// Outgoing is a rendered message.
type Outgoing struct {
	ChatID        int64
	Text          string
	Buttons       []RenderedButton
	PaidBroadcast bool
}

// RenderedButton is a Button with its text in the recipient's language.
type RenderedButton struct{ Text, URL, Data string }

// Limiter paces sending: Wait returns when one more message to chatID may go out now.
type Limiter interface {
	Wait(ctx context.Context, chatID int64) error
}

// unlimited is the Limiter used when none is configured (tests of other packages).
type unlimited struct{}

func (unlimited) Wait(context.Context, int64) error { return nil }

// Worker sends SendArgs jobs.
type Worker struct {
	river.WorkerDefaults[SendArgs]
	pool          *pgxpool.Pool
	sender        Sender
	limiter       Limiter
	logger        *slog.Logger
	now           func() time.Time
	paidBroadcast bool
	metrics       *Metrics
}

// WorkerConfig configures a Worker. Limiter defaults to none; Now to time.Now.
type WorkerConfig struct {
	Pool          *pgxpool.Pool
	Sender        Sender
	Limiter       Limiter
	Logger        *slog.Logger
	Now           func() time.Time
	PaidBroadcast bool
	Metrics       *Metrics
}

// NewWorker returns the send worker.
func NewWorker(c WorkerConfig) *Worker {
	if c.Limiter == nil {
		c.Limiter = unlimited{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	return &Worker{pool: c.Pool, sender: c.Sender, limiter: c.Limiter, logger: c.Logger, now: c.Now, paidBroadcast: c.PaidBroadcast, metrics: c.Metrics}
}

var q = dbq.New()

// Work sends one message, at most once per (event, chat).
func (w *Worker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	a := job.Args
	sent, err := q.NotificationSent(ctx, w.pool, dbq.NotificationSentParams{EventKey: a.EventKey, TelegramID: a.ChatID})
	if err != nil {
		return fmt.Errorf("notify: look up sent: %w", err)
	}
	if sent {
		return nil
	}
	lang := i18n.RU
	user, err := q.GetUser(ctx, w.pool, a.ChatID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Not a user we know (a group, say): send in the default language.
	case err != nil:
		return fmt.Errorf("notify: look up user: %w", err)
	default:
		if user.BlockedAt != nil {
			w.metrics.Skipped.Inc()
			return nil
		}
		lang = i18n.Lang(user.LanguageCode)
	}
	out := Outgoing{ChatID: a.ChatID, Text: i18n.Render(lang, a.Key, a.Args), PaidBroadcast: a.Broadcast && w.paidBroadcast}
	for _, b := range a.Buttons {
		text := b.Text
		if b.TextKey != "" {
			text = i18n.T(lang, b.TextKey)
		}
		out.Buttons = append(out.Buttons, RenderedButton{Text: text, URL: b.URL, Data: b.Data})
	}
	if !out.PaidBroadcast {
		if err := w.limiter.Wait(ctx, a.ChatID); err != nil {
			return fmt.Errorf("notify: rate limiter: %w", err)
		}
	}
	msgID, err := w.sender.Send(ctx, out)
	if err != nil {
		if retry, ok := errors.AsType[*RetryAfterError](err); ok {
			w.metrics.Throttled.Inc()
			return river.JobSnooze(retry.After)
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
		if job.Attempt >= job.MaxAttempts {
			w.metrics.DeadLetters.Inc()
			w.logger.Error("notification given up", slog.String("event", a.EventKey), slog.Int64("chat_id", a.ChatID), slog.Any("error", err))
		}
		return fmt.Errorf("notify: send: %w", err)
	}
	w.metrics.Sent.Inc()
	if _, err := q.MarkNotificationSent(ctx, w.pool, dbq.MarkNotificationSentParams{
		EventKey: a.EventKey, TelegramID: a.ChatID, SentAt: w.now(), MessageID: pgtype.Int8{Int64: msgID, Valid: msgID != 0},
	}); err != nil {
		return fmt.Errorf("notify: record sent: %w", err)
	}
	return nil
}

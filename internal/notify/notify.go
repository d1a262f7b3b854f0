// Package notify delivers messages to users through a durable queue.
//
// A message is a River job inserted in the same database transaction as the event that causes
// it (an entry, a result, a refund), so a crash can never lose a notification and a rolled-back
// event never sends one. The job carries a text key and typed arguments; the text is rendered
// at send time in the recipient's language. Each (event, user) pair is recorded when sent, so
// re-running a job, or enqueueing the same event twice, sends nothing twice.
//
// Order: jobs carry a River priority (winners 1, participants 2, observers 3), and the worker
// holds a message back while one of a higher priority is due or being sent, so a result
// reaches its winners before the participants and the participants before the observers.
//
// Pace: a RedisLimiter shared by every replica keeps to Telegram's limits (a global budget,
// one per chat, 20 a minute in groups, a separate budget for paid broadcasts). A 429 keeps
// its chat waiting exactly retry_after and slows everyone down for a while; a 403 marks the
// user unreachable; other errors are retried with River's backoff and end as dead letters
// (a metric and an error log). Metrics holds the counters, QueueCollector the backlog.
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/i18n"
)

// QueueName is the River queue messages go through, apart from the draw jobs.
const QueueName = "notify"

// Priorities of a draw's result fan-out.
const (
	PriorityPersonal    = 1 // winners, payment confirmations, refunds: one person, about their money
	PriorityParticipant = 2 // everyone in the draw
	PriorityObserver    = 3 // followers of announcements
)

// Button is an inline button under a message: a URL or callback data.
type Button struct {
	// TextKey is translated; Text is used as is when TextKey is empty.
	TextKey string `json:"tk,omitempty"`
	Text    string `json:"t,omitempty"`
	URL     string `json:"url,omitempty"`
	Data    string `json:"data,omitempty"`
}

// Message is one text to one user.
type Message struct {
	// EventKey names the event; with ChatID it makes the message unique ("draw:7:result").
	EventKey string
	ChatID   int64
	Key      string
	Args     map[string]i18n.Arg
	Buttons  []Button
	Priority int
	// Broadcast marks a message of a large fan-out, which may use paid broadcast when allowed.
	Broadcast bool
}

// SendArgs is the job that sends one Message.
type SendArgs struct {
	EventKey  string              `json:"event" river:"unique"`
	ChatID    int64               `json:"chat_id" river:"unique"`
	Key       string              `json:"key"`
	Args      map[string]i18n.Arg `json:"args,omitempty"`
	Buttons   []Button            `json:"buttons,omitempty"`
	Broadcast bool                `json:"broadcast,omitempty"`
}

// Kind is the River job kind.
func (SendArgs) Kind() string { return "notify_send" }

// InsertOpts puts messages on their own queue, one job per (event, chat) while it is pending.
func (SendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueName, MaxAttempts: 25, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Enqueue inserts msgs as jobs in tx: they are sent only if tx commits.
func Enqueue(ctx context.Context, tx pgx.Tx, jobs *river.Client[pgx.Tx], msgs ...Message) error {
	if len(msgs) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(msgs))
	for i, m := range msgs {
		if m.EventKey == "" || m.ChatID == 0 || m.Key == "" {
			return fmt.Errorf("notify: message %d lacks an event key, chat or text", i)
		}
		prio := m.Priority
		if prio == 0 {
			prio = PriorityPersonal
		}
		opts := SendArgs{}.InsertOpts()
		opts.Priority = prio
		params[i] = river.InsertManyParams{
			Args:       SendArgs{EventKey: m.EventKey, ChatID: m.ChatID, Key: m.Key, Args: m.Args, Buttons: m.Buttons, Broadcast: m.Broadcast},
			InsertOpts: &opts,
		}
	}
	if _, err := jobs.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("notify: enqueue: %w", err)
	}
	return nil
}

// Errors a Sender returns so the worker can act on them.
var (
	// ErrBlocked means the recipient cannot be written to any more (blocked the bot, deleted
	// their account, never started it, removed the bot from the group): the user is marked
	// unreachable and nothing more is sent to them until they come back.
	ErrBlocked = errors.New("notify: recipient blocked the bot")
	// ErrUndeliverable means Telegram refused this message for a reason a retry cannot fix
	// (400 Bad Request: chat not found, text too long, a bad button). The message goes to the
	// dead letters at once instead of being retried for weeks.
	ErrUndeliverable = errors.New("notify: message refused")
)

// RetryAfterError means the chat may not be written to for After: Telegram said so with a 429
// (Err is its error), or the limiter found the chat busy for longer than it sleeps.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("notify: rate limited, retry after %s: %v", e.After, e.Err)
	}
	return fmt.Sprintf("notify: rate limited, retry after %s", e.After)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

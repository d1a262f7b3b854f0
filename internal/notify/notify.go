// Package notify is the outbox of messages to users: a message is a River job inserted in the
// same database transaction as the event that causes it (an entry, a result, a refund), so a
// crash can never lose a notification and a rolled-back event never sends one. The job carries
// a text key and typed arguments; the text is rendered at send time in the recipient's language.
// Each (event, user) pair is recorded when sent, so re-running a job, or enqueueing the same
// event twice, sends nothing twice.
//
// Order: jobs carry a River priority (winners 1, participants 2, observers 3); the sender (see
// package sender) keeps to it within one event.
//
// This package needs only pgx and River, so the domain (raffle, rubles, prize) queues
// messages without linking the sender's Redis and Prometheus.
package notify

import (
	"context"
	"fmt"

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

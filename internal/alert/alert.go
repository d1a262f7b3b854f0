// Package alert tells the admins about something that needs a person (a payout YooKassa
// canceled, a draw waiting on its randomness, a ledger mismatch). An alert is one personal
// message per admin through the notify outbox: queued in the transaction of what caused it, so
// it goes if and only if that commits, and sent once per (event, admin).
package alert

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/notify"
)

// eventPrefix keeps alert events apart from the users' own messages of the same event.
const eventPrefix = "alert:"

// Config configures an Alerter.
type Config struct {
	// Pool runs Alert's own transaction.
	Pool *pgxpool.Pool
	// Jobs is River's client, used to insert the messages inside transactions.
	Jobs *river.Client[pgx.Tx]
	// AdminIDs (ADMIN_IDS) hear every alert. None: alerts go nowhere.
	AdminIDs []int64
}

// Alerter queues alerts to the admins. It is built once in serve and handed to every
// subsystem. A nil *Alerter alerts nobody (the CLI, tests that don't look). It is safe for
// concurrent use.
type Alerter struct {
	pool   *pgxpool.Pool
	jobs   *river.Client[pgx.Tx]
	admins []int64
}

// New returns an Alerter.
func New(c Config) *Alerter {
	return &Alerter{pool: c.Pool, jobs: c.Jobs, admins: append([]int64(nil), c.AdminIDs...)}
}

// AlertTx queues the alert inside tx: event names what happened ("payout:7:canceled"; each
// admin hears of one event once), key and args are the text, rendered in each admin's language.
func (a *Alerter) AlertTx(ctx context.Context, tx pgx.Tx, event, key string, args map[string]i18n.Arg) error {
	if a == nil || len(a.admins) == 0 {
		return nil
	}
	msgs := make([]notify.Message, 0, len(a.admins))
	for _, id := range a.admins {
		msgs = append(msgs, notify.Message{EventKey: eventPrefix + event, ChatID: id, Key: key, Args: args, Priority: notify.PriorityPersonal})
	}
	return notify.Enqueue(ctx, tx, a.jobs, msgs...)
}

// Alert queues the alert in its own transaction, for a caller that holds none (a worker that
// found a problem).
func (a *Alerter) Alert(ctx context.Context, event, key string, args map[string]i18n.Arg) error {
	if a == nil || len(a.admins) == 0 {
		return nil
	}
	return db.InTx(ctx, a.pool, func(tx pgx.Tx) error { return a.AlertTx(ctx, tx, event, key, args) })
}

// Package announce sends the admins' announcement to every observer: one numbered broadcast
// per confirmation, audited and queued in one transaction, then fanned out by a River job
// through the notification queue.
package announce

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/settings"
)

var q = dbq.New()

// keySeq numbers broadcasts (in the settings table), so one confirmation sends once.
const keySeq = "broadcast_seq"

// Service queues broadcasts.
type Service struct {
	pool *pgxpool.Pool
	jobs *river.Client[pgx.Tx]
	now  func() time.Time
}

// New returns a Service inserting the broadcast job with jobs (Worker must be registered with
// the same client); now nil means time.Now.
func New(pool *pgxpool.Pool, jobs *river.Client[pgx.Tx], now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, jobs: jobs, now: now}
}

// Observers is how many users a broadcast would go to now.
func (s *Service) Observers(ctx context.Context) (int64, error) {
	n, err := q.CountObservers(ctx, s.pool)
	if err != nil {
		return 0, fmt.Errorf("announce: observers: %w", err)
	}
	return n, nil
}

// LastSeq is the number of the last broadcast sent (0: none).
func (s *Service) LastSeq(ctx context.Context) (int64, error) { return lastSeq(ctx, s.pool) }

func lastSeq(ctx context.Context, conn dbq.DBTX) (int64, error) {
	v, err := q.GetSetting(ctx, conn, keySeq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("announce: broadcast number: %w", err)
	}
	return strconv.ParseInt(v, 10, 64)
}

// Send queues broadcast number seq of the announcement, audited as actor's: it goes out only
// if seq is the next number, so a confirmation pressed twice, or an old one, sends nothing
// more (sent false). observers is how many it goes to.
func (s *Service) Send(ctx context.Context, seq int64, actor string) (observers int64, sent bool, err error) {
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := q.LockSettingKey(ctx, tx, keySeq); err != nil {
			return fmt.Errorf("announce: lock broadcast: %w", err)
		}
		last, err := lastSeq(ctx, tx)
		if err != nil || seq != last+1 {
			return err
		}
		text, err := q.GetSetting(ctx, tx, settings.KeyAnnouncement)
		if errors.Is(err, pgx.ErrNoRows) || text == "" {
			return nil
		}
		if err != nil {
			return fmt.Errorf("announce: announcement: %w", err)
		}
		if observers, err = q.CountObservers(ctx, tx); err != nil {
			return fmt.Errorf("announce: observers: %w", err)
		}
		now := s.now()
		if err := q.UpsertSetting(ctx, tx, dbq.UpsertSettingParams{Key: keySeq, Value: strconv.FormatInt(seq, 10), UpdatedAt: now, UpdatedBy: actor}); err != nil {
			return fmt.Errorf("announce: broadcast number: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{At: now, Actor: actor, Action: "announcement.send", Subject: fmt.Sprintf("broadcast:%d", seq),
			Before: map[string]any{"seq": last}, After: map[string]any{"seq": seq, "text": text, "observers": observers}}); err != nil {
			return err
		}
		if _, err := s.jobs.InsertTx(ctx, tx, Args{Seq: seq, Text: text}, nil); err != nil {
			return fmt.Errorf("announce: queue broadcast: %w", err)
		}
		sent = true
		return nil
	})
	return observers, sent, err
}

// Args sends announcement number Seq to every observer.
type Args struct {
	Seq  int64  `json:"seq"`
	Text string `json:"text"`
}

// Kind is the River job kind.
func (Args) Kind() string { return "admin_broadcast" }

// InsertOpts: one job per broadcast.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 25}
}

// broadcastBatch is how many messages one transaction enqueues.
const broadcastBatch = 1000

// Worker turns a broadcast into one message per observer (users who follow news, have
// not blocked the bot and are not banned), enqueued in batches through the notification queue,
// which paces them within Telegram's limits. Running it again sends nobody anything twice: a
// message is unique by (announce:<seq>, chat).
type Worker struct {
	river.WorkerDefaults[Args]
	Pool *pgxpool.Pool
}

// Work enqueues the messages with the River client the job runs on.
func (w *Worker) Work(ctx context.Context, j *river.Job[Args]) error {
	client := river.ClientFromContext[pgx.Tx](ctx)
	observers, err := q.Observers(ctx, w.Pool)
	if err != nil {
		return fmt.Errorf("announce: observers: %w", err)
	}
	args := map[string]i18n.Arg{"text": i18n.S(j.Args.Text)}
	event := fmt.Sprintf("announce:%d", j.Args.Seq)
	for start := 0; start < len(observers); start += broadcastBatch {
		batch := observers[start:min(start+broadcastBatch, len(observers))]
		msgs := make([]notify.Message, len(batch))
		for i, id := range batch {
			msgs[i] = notify.Message{EventKey: event, ChatID: id, Key: "notify.announcement", Args: args, Priority: notify.PriorityObserver, Broadcast: true}
		}
		if err := db.InTx(ctx, w.Pool, func(tx pgx.Tx) error { return notify.Enqueue(ctx, tx, client, msgs...) }); err != nil {
			return err
		}
	}
	return nil
}

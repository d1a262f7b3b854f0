package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/settings"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// keyBroadcastSeq numbers broadcasts (in the settings table), so one confirmation sends once.
const keyBroadcastSeq = "broadcast_seq"

// showAnnouncement shows the announcement text, how many observers would get it, and the
// buttons to edit and to send it.
func (p *Panel) showAnnouncement(ctx context.Context, s *screen, note string) error {
	v, err := p.settings.Values(ctx)
	if err != nil {
		return err
	}
	observers, err := q.CountObservers(ctx, p.pool)
	if err != nil {
		return fmt.Errorf("admin: observers: %w", err)
	}
	seq, err := p.broadcastSeq(ctx, p.pool)
	if err != nil {
		return err
	}
	text := s.t("admin.announce", "text", settingShown(s.lang(), settings.KeyAnnouncement, v), "observers", observers)
	if note != "" {
		text = note + "\n\n" + text
	}
	kb := [][]telego.InlineKeyboardButton{tgui.Row(tgui.Button(s.t("admin.announce_edit"), tgui.Data(cbSetting, settings.KeyAnnouncement)))}
	if v.Announcement != "" && observers > 0 {
		kb = append(kb, tgui.Row(tgui.Button(s.t("admin.announce_send", "observers", observers), tgui.Data(cbAsk, actSend, seq+1))))
	}
	kb = append(kb, s.backRow(cbMenu))
	return s.show(ctx, text, kb)
}

// broadcastSeq is the number of the last broadcast sent.
func (p *Panel) broadcastSeq(ctx context.Context, conn dbq.DBTX) (int64, error) {
	v, err := q.GetSetting(ctx, conn, keyBroadcastSeq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("admin: broadcast number: %w", err)
	}
	return strconv.ParseInt(v, 10, 64)
}

func (p *Panel) askSend(ctx context.Context, s *screen, seq int64, yes []telego.InlineKeyboardButton) error {
	text, _, err := p.settings.Get(ctx, settings.KeyAnnouncement)
	if err != nil {
		return err
	}
	observers, err := q.CountObservers(ctx, p.pool)
	if err != nil {
		return fmt.Errorf("admin: observers: %w", err)
	}
	return s.show(ctx, s.t("admin.ask_send", "observers", observers, "text", text),
		[][]telego.InlineKeyboardButton{yes, tgui.Row(tgui.Button(s.t("admin.no"), cbAnnounce))})
}

// send queues broadcast number seq: it goes out only if seq is the next number, so pressing
// the button twice, or an old button, sends nothing more.
func (p *Panel) send(ctx context.Context, s *screen, seq int64) error {
	var observers int64
	sent := false
	err := db.InTx(ctx, p.pool, func(tx pgx.Tx) error {
		if err := q.LockSettingKey(ctx, tx, keyBroadcastSeq); err != nil {
			return fmt.Errorf("admin: lock broadcast: %w", err)
		}
		last, err := p.broadcastSeq(ctx, tx)
		if err != nil || seq != last+1 {
			return err
		}
		text, err := q.GetSetting(ctx, tx, settings.KeyAnnouncement)
		if errors.Is(err, pgx.ErrNoRows) || text == "" {
			return nil
		}
		if err != nil {
			return fmt.Errorf("admin: announcement: %w", err)
		}
		if observers, err = q.CountObservers(ctx, tx); err != nil {
			return fmt.Errorf("admin: observers: %w", err)
		}
		now := p.now()
		if err := q.UpsertSetting(ctx, tx, dbq.UpsertSettingParams{Key: keyBroadcastSeq, Value: strconv.FormatInt(seq, 10), UpdatedAt: now, UpdatedBy: s.actor()}); err != nil {
			return fmt.Errorf("admin: broadcast number: %w", err)
		}
		if err := raffle.Audit(ctx, tx, now, s.actor(), "announcement.send", 0, fmt.Sprintf("broadcast:%d", seq),
			map[string]any{"seq": last}, map[string]any{"seq": seq, "text": text, "observers": observers}); err != nil {
			return err
		}
		if _, err := p.jobs.InsertTx(ctx, tx, BroadcastArgs{Seq: seq, Text: text}, nil); err != nil {
			return fmt.Errorf("admin: queue broadcast: %w", err)
		}
		sent = true
		return nil
	})
	if err != nil {
		return err
	}
	if !sent {
		return s.answer(ctx, s.t("admin.send_stale"), alert)
	}
	p.logger.Info("announcement queued", "seq", seq, "observers", observers, "admin_id", s.from.ID)
	note := s.t("admin.sent", "observers", observers)
	if err := p.showAnnouncement(ctx, s, "✅ "+note); err != nil {
		return err
	}
	return s.answer(ctx, note, toast)
}

// BroadcastArgs sends announcement number Seq to every observer.
type BroadcastArgs struct {
	Seq  int64  `json:"seq"`
	Text string `json:"text"`
}

// Kind is the River job kind.
func (BroadcastArgs) Kind() string { return "admin_broadcast" }

// InsertOpts: one job per broadcast.
func (BroadcastArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 25}
}

// broadcastBatch is how many messages one transaction enqueues.
const broadcastBatch = 1000

// BroadcastWorker turns a broadcast into one message per observer (users who follow news, have
// not blocked the bot and are not banned), enqueued in batches through the notification queue,
// which paces them within Telegram's limits. Running it again sends nobody anything twice: a
// message is unique by (announce:<seq>, chat).
type BroadcastWorker struct {
	river.WorkerDefaults[BroadcastArgs]
	Pool *pgxpool.Pool
}

// Work enqueues the messages with the River client the job runs on.
func (w *BroadcastWorker) Work(ctx context.Context, j *river.Job[BroadcastArgs]) error {
	client := river.ClientFromContext[pgx.Tx](ctx)
	observers, err := q.Observers(ctx, w.Pool)
	if err != nil {
		return fmt.Errorf("admin: observers: %w", err)
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

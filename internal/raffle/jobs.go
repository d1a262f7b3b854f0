package raffle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/notify"
)

// Jobs of a draw's life. Each is unique by its arguments while it exists, and each worker is
// idempotent: running a job twice, or after a crash, does the work once.

// DeadlineArgs closes (or cancels, below the minimum) a draw at its deadline.
type DeadlineArgs struct {
	DrawID int64 `json:"draw_id"`
}

func (DeadlineArgs) Kind() string { return "raffle_deadline" }
func (DeadlineArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 100}
}

// TicketArgs creates a draw's Random.org ticket when it opens.
type TicketArgs struct {
	DrawID int64 `json:"draw_id"`
}

func (TicketArgs) Kind() string { return "raffle_ticket" }
func (TicketArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 50}
}

// DrawArgs fetches the randomness of a closed draw and records its winners.
type DrawArgs struct {
	DrawID int64 `json:"draw_id"`
}

func (DrawArgs) Kind() string { return "raffle_draw" }

// InsertOpts: a draw waits for its source as long as it takes (no silent fallback), retrying
// with River's backoff; admins are alerted along the way.
func (DrawArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 1000}
}

// SettleArgs pays out a drawn draw.
type SettleArgs struct {
	DrawID int64 `json:"draw_id"`
}

func (SettleArgs) Kind() string { return "raffle_settle" }
func (SettleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 100}
}

// RefundArgs returns one payment through its provider.
type RefundArgs struct {
	PaymentID int64 `json:"payment_id"`
}

func (RefundArgs) Kind() string { return "raffle_refund" }
func (RefundArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 100}
}

// Fan-out events.
const (
	FanoutOpened = "opened"
	FanoutClosed = "closed"
	FanoutResult = "result"
)

// FanoutArgs turns one draw event into one message per recipient, in batches.
type FanoutArgs struct {
	DrawID int64  `json:"draw_id"`
	Event  string `json:"event"`
}

func (FanoutArgs) Kind() string { return "raffle_fanout" }
func (FanoutArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}, MaxAttempts: 25}
}

// DigestArgs tells a draw's participants how many joined since the last digest. Joins share
// one job per period (digestOpts); the digests of a draw go out at least one interval apart.
type DigestArgs struct {
	DrawID int64 `json:"draw_id"`
}

func (DigestArgs) Kind() string { return "raffle_digest" }

// Workers are the River workers of the draw jobs.
type Workers struct {
	Service   *Service
	Sources   map[string]Source
	Refunders map[string]Refunder
	Logger    *slog.Logger
}

// Register adds every draw worker to w.
func (wk *Workers) Register(w *river.Workers) {
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, j *river.Job[DeadlineArgs]) error {
		row, err := q.GetRaffle(ctx, wk.Service.pool, j.Args.DrawID)
		if err != nil {
			return fmt.Errorf("raffle: deadline: %w", err)
		}
		if wait := row.Deadline.Sub(wk.Service.now()); wait > 0 && row.Status == StatusOpen {
			return river.JobSnooze(wait)
		}
		return wk.Service.closeOrCancelAtDeadline(ctx, j.Args.DrawID)
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, j *river.Job[TicketArgs]) error {
		src, ok := wk.Sources[SourceRandomOrg]
		if !ok {
			return fmt.Errorf("raffle: ticket: randomorg is not configured")
		}
		row, err := q.GetRaffle(ctx, wk.Service.pool, j.Args.DrawID)
		if err != nil {
			return fmt.Errorf("raffle: ticket: %w", err)
		}
		if row.TicketID.Valid || row.Status != StatusOpen {
			return nil
		}
		_, err = wk.Service.ensureTicket(ctx, j.Args.DrawID, src)
		return err
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, j *river.Job[DrawArgs]) error {
		err := wk.Service.draw(ctx, j.Args.DrawID, wk.Sources)
		if notYet, ok := errors.AsType[*NotYetError](err); ok {
			return river.JobSnooze(max(time.Until(notYet.Until), time.Second))
		}
		if err != nil {
			wk.alertDrawTrouble(ctx, j, err)
		}
		return err
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, j *river.Job[SettleArgs]) error {
		return wk.Service.settle(ctx, j.Args.DrawID)
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, j *river.Job[RefundArgs]) error {
		st, err := wk.Service.refund(ctx, j.Args.PaymentID, wk.Refunders)
		if err != nil {
			return err
		}
		if !st.Done {
			return river.JobSnooze(max(st.RetryAfter, 5*time.Second))
		}
		return nil
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, j *river.Job[FanoutArgs]) error {
		return wk.fanout(ctx, j.Args)
	}))
	river.AddWorker(w, river.WorkFunc(func(ctx context.Context, j *river.Job[DigestArgs]) error {
		return wk.digest(ctx, j.Args.DrawID)
	}))
}

// alertDrawTrouble tells admins a draw is waiting on its source: on the first failure, then
// every tenth, and always when the evidence did not verify.
func (wk *Workers) alertDrawTrouble(ctx context.Context, j *river.Job[DrawArgs], err error) {
	bad := errors.Is(err, ErrBadEvidence)
	if !bad && j.Attempt != 1 && j.Attempt%10 != 0 {
		return
	}
	key := "admin.alert_source_down"
	if bad {
		key = "admin.alert_bad_signature"
	}
	args := map[string]i18n.Arg{"id": i18n.I(j.Args.DrawID), "error": i18n.S(err.Error()), "attempt": i18n.I(int64(j.Attempt))}
	if aerr := wk.Service.alerter.Alert(ctx, fmt.Sprintf("draw:%d:attempt:%d", j.Args.DrawID, j.Attempt), key, args); aerr != nil {
		wk.Logger.Error("alert admins", slog.Any("error", aerr))
	}
	wk.Logger.Warn("draw waiting on its randomness source", slog.Int64("draw_id", j.Args.DrawID), slog.Int("attempt", j.Attempt), slog.Any("error", err))
}

// stopNewsButton goes under every message to observers, so following news is one tap to stop.
var stopNewsButton = []notify.Button{{TextKey: "menu.news_off", Data: "news:off"}}

// fanoutBatch is how many messages one transaction enqueues.
const fanoutBatch = 1000

// fanout enqueues one message per recipient of a draw event, winners first.
func (wk *Workers) fanout(ctx context.Context, a FanoutArgs) error {
	s := wk.Service
	d, err := get(ctx, s.pool, a.DrawID)
	if err != nil {
		return err
	}
	proof := i18n.S(s.proofURL(d.ID))
	base := map[string]i18n.Arg{"id": i18n.I(d.ID), "title": i18n.S(d.Title)}
	with := func(extra map[string]i18n.Arg) map[string]i18n.Arg {
		m := make(map[string]i18n.Arg, len(base)+len(extra))
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	var msgs []notify.Message
	event := fmt.Sprintf("draw:%d:%s", d.ID, a.Event)
	switch a.Event {
	case FanoutOpened:
		observers, err := q.Observers(ctx, s.pool)
		if err != nil {
			return fmt.Errorf("raffle: observers: %w", err)
		}
		args := with(map[string]i18n.Arg{"fee": i18n.M(d.Fee, d.Currency), "deadline": i18n.At(d.Deadline)})
		for _, id := range observers {
			msgs = append(msgs, notify.Message{EventKey: event, ChatID: id, Key: "notify.draw_opened", Args: args, Priority: notify.PriorityObserver, Broadcast: true, Buttons: stopNewsButton})
		}
	case FanoutClosed:
		ids, err := q.RaffleParticipants(ctx, s.pool, d.ID)
		if err != nil {
			return fmt.Errorf("raffle: participants: %w", err)
		}
		src := "Random.org"
		if d.Source == SourceDrand {
			src = "drand"
		}
		args := with(map[string]i18n.Arg{"participants": i18n.N(int64(d.Entries), "participants"), "hash": i18n.S(d.ListHash), "source": i18n.S(src)})
		for _, id := range ids {
			msgs = append(msgs, notify.Message{EventKey: event, ChatID: id, Key: "notify.draw_closed", Args: args, Priority: notify.PriorityParticipant, Broadcast: true})
		}
	case FanoutResult:
		codes := make([]string, len(d.Winners))
		won := map[int64]bool{}
		for i, w := range d.Winners {
			codes[i] = w.EntryCode
			msgs = append(msgs, notify.Message{
				EventKey: fmt.Sprintf("%s:winner:%d", event, w.Position), ChatID: w.TelegramID, Key: "notify.winner", Priority: notify.PriorityPersonal,
				Args: with(map[string]i18n.Arg{"code": i18n.S(w.EntryCode), "prize": i18n.M(w.Prize, d.Currency), "proof_url": proof}),
			})
			won[w.TelegramID] = true
		}
		entries, err := q.RaffleEntries(ctx, s.pool, d.ID)
		if err != nil {
			return fmt.Errorf("raffle: entries: %w", err)
		}
		myCodes := map[int64][]string{}
		var order []int64
		for _, e := range entries {
			if _, ok := myCodes[e.TelegramID]; !ok {
				order = append(order, e.TelegramID)
			}
			myCodes[e.TelegramID] = append(myCodes[e.TelegramID], e.Code)
		}
		winnerCodes := i18n.S(strings.Join(codes, ", "))
		for _, id := range order {
			if won[id] {
				continue // their personal message says it all
			}
			msgs = append(msgs, notify.Message{
				EventKey: event, ChatID: id, Key: "notify.result", Priority: notify.PriorityParticipant, Broadcast: true,
				Args: with(map[string]i18n.Arg{"codes": winnerCodes, "code": i18n.S(strings.Join(myCodes[id], ", ")), "proof_url": proof}),
			})
		}
		observers, err := q.Observers(ctx, s.pool)
		if err != nil {
			return fmt.Errorf("raffle: observers: %w", err)
		}
		obsArgs := with(map[string]i18n.Arg{"participants": i18n.N(int64(d.Entries), "participants"), "pool": i18n.M(d.Pool, d.Currency), "codes": winnerCodes, "proof_url": proof})
		for _, id := range observers {
			if _, in := myCodes[id]; in {
				continue
			}
			msgs = append(msgs, notify.Message{EventKey: event, ChatID: id, Key: "notify.result_observer", Args: obsArgs, Priority: notify.PriorityObserver, Broadcast: true, Buttons: stopNewsButton})
		}
	default:
		return river.JobCancel(fmt.Errorf("raffle: unknown fan-out event %q", a.Event))
	}
	msgs = append(msgs, s.channelPosts(d, a.Event, event)...)
	for start := 0; start < max(len(msgs), 1); start += fanoutBatch {
		batch := msgs[start:min(start+fanoutBatch, len(msgs))]
		if err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			if a.Event == FanoutClosed {
				// The result may have been enqueued meanwhile (it dropped what was queued):
				// then this news is stale. The row lock orders this against the settlement.
				var status string
				if err := tx.QueryRow(ctx, "SELECT status FROM raffles WHERE id = $1 FOR SHARE", d.ID).Scan(&status); err != nil {
					return fmt.Errorf("raffle: fan-out status: %w", err)
				}
				if status == StatusSettled {
					// Only the public record (the channel's post of the list hash) still goes.
					batch = slices.DeleteFunc(slices.Clone(batch), func(m notify.Message) bool { return m.ChatID > 0 })
					if len(batch) == 0 {
						return nil
					}
				}
			}
			if start == 0 && a.Event == FanoutResult {
				dropped, err := dropStaleNews(ctx, tx, d.ID)
				if err != nil {
					return err
				}
				if dropped > 0 {
					wk.Logger.Info("stale draw news dropped before the result", slog.Int64("draw_id", d.ID), slog.Int64("messages", dropped))
				}
			}
			return notify.Enqueue(ctx, tx, s.jobs, batch...)
		}); err != nil {
			return err
		}
	}
	return nil
}

// digest tells every participant of an open draw how many joined since the last digest, at
// most once per digest interval: a digest job that comes sooner (one per period may be
// pending, see digestOpts) snoozes until the interval since the last digest is over, and one
// that finds nobody new does nothing. The count, the time and the messages commit together
// under the draw's lock, so entries and digests never miss or repeat a join.
func (wk *Workers) digest(ctx context.Context, drawID int64) error {
	s := wk.Service
	var wait time.Duration
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		row, err := q.LockRaffle(ctx, tx, drawID)
		if err != nil {
			return fmt.Errorf("raffle: digest: %w", err)
		}
		countKey, atKey := fmt.Sprintf("digest:%d", drawID), fmt.Sprintf("digest:%d:at", drawID)
		last := int64(0)
		if v, err := q.GetBotState(ctx, tx, countKey); err == nil {
			last, _ = strconv.ParseInt(v, 10, 64)
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("raffle: digest state: %w", err)
		}
		total := int64(row.EntriesCount)
		if row.Status != StatusOpen || total <= last {
			return nil
		}
		now := s.now()
		if v, err := q.GetBotState(ctx, tx, atKey); err == nil {
			if at, perr := time.Parse(time.RFC3339Nano, v); perr == nil && now.Before(at.Add(s.joinDigestInterval(ctx, tx))) {
				wait = at.Add(s.joinDigestInterval(ctx, tx)).Sub(now)
				return nil
			}
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("raffle: digest state: %w", err)
		}
		if err := q.SetBotState(ctx, tx, dbq.SetBotStateParams{Key: countKey, Value: strconv.FormatInt(total, 10)}); err != nil {
			return fmt.Errorf("raffle: digest state: %w", err)
		}
		if err := q.SetBotState(ctx, tx, dbq.SetBotStateParams{Key: atKey, Value: now.UTC().Format(time.RFC3339Nano)}); err != nil {
			return fmt.Errorf("raffle: digest state: %w", err)
		}
		entries, err := q.RaffleEntries(ctx, tx, drawID)
		if err != nil {
			return fmt.Errorf("raffle: digest entries: %w", err)
		}
		// Each participant hears about those who joined after them, since the last digest.
		var msgs []notify.Message
		seen := map[int64]bool{}
		for i, e := range entries {
			newer := total - max(int64(i+1), last)
			if seen[e.TelegramID] || newer <= 0 {
				continue
			}
			seen[e.TelegramID] = true
			msgs = append(msgs, notify.Message{
				EventKey: fmt.Sprintf("draw:%d:digest:%d", drawID, total), ChatID: e.TelegramID, Key: "notify.joined_digest",
				Priority: notify.PriorityObserver, Broadcast: true,
				Args: map[string]i18n.Arg{"id": i18n.I(drawID), "title": i18n.S(row.Title), "participants": i18n.N(newer, "participants"), "total": i18n.I(total)},
			})
		}
		return notify.Enqueue(ctx, tx, s.jobs, msgs...)
	})
	if err != nil {
		return err
	}
	if wait > 0 {
		return river.JobSnooze(wait)
	}
	return nil
}

// digestOpts schedules the digest one interval after the join that asks for it.
//
// Joins whose digest would fall in the same period (the interval, at least River's minimum of
// a second) share one job. That job runs after its period has begun, so after every join that
// shares it: a join is never folded into a job that has already counted. (Unique by arguments
// alone would fold a join into a running digest that has already read the count, and that
// join would wait for the next one to be told.) Two periods may each have a job pending;
// digest keeps them one interval apart.
func digestOpts(now time.Time, interval time.Duration) *river.InsertOpts {
	return &river.InsertOpts{
		ScheduledAt: now.Add(interval),
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: max(interval, time.Second), ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateScheduled,
			rivertype.JobStateRetryable, rivertype.JobStateRunning,
		}},
	}
}

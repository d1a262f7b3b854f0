package prize

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/faults"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/notify"
)

// lockClass is the first half of the advisory lock that lets one worker at a time deliver a
// redemption (the second half is its id).
const lockClass = 0x67696674 // "gift"

// searchSlack widens the search for a purchase before the hold, against a clock that runs ahead
// of Telegram's. It cannot match a purchase of another redemption: those carry their
// transaction id, and only one redemption per user is unfinished at a time.
const searchSlack = 5 * time.Minute

// errLocked means another worker is delivering the redemption now; River tries again later.
var errLocked = errors.New("prize: redemption is being delivered by another worker")

// DeliverWorker runs DeliverArgs.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	Service *Service
}

// Work delivers one redemption.
func (w *DeliverWorker) Work(ctx context.Context, j *river.Job[DeliverArgs]) error {
	return w.Service.Deliver(ctx, j.Args.ID)
}

// Timeout leaves room for a search through a long history before the call (a -tags faults
// build shortens it, so the fault matrix rescues a delivery killed mid-call within seconds).
func (w *DeliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return faults.JobTimeout(5 * time.Minute)
}

// outcome is what a refusal means for the claim.
type outcome int

const (
	outcomeUnknown outcome = iota // no answer, or a server error: the call may have happened
	outcomeWait                   // refused now (the reserve is short, ...): retry later
	outcomeFinal                  // refused for good: give the Stars back
)

func classify(err error) (outcome, string) {
	var e *ta.Error
	if !errors.As(err, &e) || e == nil {
		return outcomeUnknown, err.Error()
	}
	desc := e.Description
	switch {
	case e.ErrorCode == http.StatusTooManyRequests || e.ErrorCode >= 500:
		return outcomeUnknown, desc
	case e.ErrorCode == http.StatusForbidden:
		return outcomeFinal, desc
	case strings.Contains(desc, "STARGIFT_USAGE_LIMITED"), strings.Contains(desc, "STARGIFT_INVALID"),
		strings.Contains(desc, "user not found"), strings.Contains(desc, "PREMIUM_GIFT"):
		return outcomeFinal, desc
	default:
		// BALANCE_TOO_LOW and any refusal not known to be final keep the claim.
		return outcomeWait, desc
	}
}

// Deliver brings a redemption to an end, or as far as Telegram lets it: sent, waiting for the
// reserve, or released. It is safe to run again at any point: it never asks Telegram twice for
// a purchase that may already have happened without first looking for it.
func (s *Service) Deliver(ctx context.Context, id int64) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("prize: acquire: %w", err)
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", int32(lockClass), int32(id)).Scan(&locked); err != nil {
		return fmt.Errorf("prize: lock redemption: %w", err)
	}
	if !locked {
		return errLocked
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, $2)", int32(lockClass), int32(id)); err != nil {
			// A session lock left behind would block this redemption: drop the connection.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()

	r, err := q.GetRedemption(ctx, s.pool, id)
	if err != nil {
		return fmt.Errorf("prize: redemption %d: %w", id, err)
	}
	log := s.log.With(slog.Int64("redemption_id", r.ID), slog.Int64("user_id", r.TelegramID))
	switch r.Status {
	case StatusSent, StatusReleased:
		return nil
	case StatusPurchased:
		return s.confirm(ctx, r)
	}
	if r.Attempts > 0 {
		// An earlier call may have reached Telegram: look before calling again.
		txID, found, err := s.findPurchase(ctx, r)
		if err != nil {
			return err
		}
		if found {
			log.Info("earlier purchase found", slog.String("star_tx_id", txID))
			return s.settle(ctx, r, txID)
		}
	}
	now := s.now()
	if err := q.MarkRedemptionCalling(ctx, s.pool, dbq.MarkRedemptionCallingParams{ID: r.ID, Now: now}); err != nil {
		return fmt.Errorf("prize: mark calling: %w", err)
	}
	r.Attempts++
	r.Status = StatusCalling
	if err := s.call(ctx, r); err != nil {
		kind, reason := classify(err)
		switch kind {
		case outcomeWait:
			log.Warn("telegram refused the purchase; the claim waits", slog.String("reason", reason))
			return s.wait(ctx, r, reason)
		case outcomeFinal:
			log.Warn("telegram refused the purchase for good; stars go back", slog.String("reason", reason))
			if r.Kind == KindGift {
				s.forgetCatalogue()
			}
			return s.release(ctx, r, reason)
		default:
			if wait, ok := retryAfter(err); ok {
				return river.JobSnooze(wait)
			}
			return fmt.Errorf("prize: redemption %d: %w", r.ID, err)
		}
	}
	if err := q.SetRedemptionStatus(ctx, s.pool, dbq.SetRedemptionStatusParams{ID: r.ID, Status: StatusPurchased, Now: s.now()}); err != nil {
		return fmt.Errorf("prize: mark purchased: %w", err)
	}
	r.Status = StatusPurchased
	return s.confirm(ctx, r)
}

func retryAfter(err error) (time.Duration, bool) {
	var e *ta.Error
	if errors.As(err, &e) && e != nil && e.ErrorCode == http.StatusTooManyRequests && e.Parameters != nil && e.Parameters.RetryAfter > 0 {
		return time.Duration(e.Parameters.RetryAfter) * time.Second, true
	}
	return 0, false
}

// call asks Telegram for the purchase.
func (s *Service) call(ctx context.Context, r Redemption) error {
	lang, err := s.userLang(ctx, r.TelegramID)
	if err != nil {
		return err
	}
	text := i18n.T(lang, "gift.card_text")
	if r.Kind == KindPremium {
		return s.api.GiftPremiumSubscription(ctx, &telego.GiftPremiumSubscriptionParams{
			UserID: r.TelegramID, MonthCount: int(r.Months), StarCount: int(r.Price), Text: text,
		})
	}
	return s.api.SendGift(ctx, &telego.SendGiftParams{UserID: r.TelegramID, GiftID: r.GiftID, Text: text})
}

func (s *Service) userLang(ctx context.Context, userID int64) (string, error) {
	var code string
	err := s.pool.QueryRow(ctx, "SELECT language_code FROM users WHERE telegram_id = $1", userID).Scan(&code)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("prize: user language: %w", err)
	}
	return i18n.Lang(code), nil
}

// confirm settles a purchase Telegram accepted once its transaction shows up.
func (s *Service) confirm(ctx context.Context, r Redemption) error {
	txID, found, err := s.findPurchase(ctx, r)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("prize: redemption %d: telegram accepted the purchase but it is not in getStarTransactions yet", r.ID)
	}
	return s.settle(ctx, r, txID)
}

// findPurchase looks for r's purchase in getStarTransactions: an outgoing gift_purchase (or
// premium_purchase) to r's user at r's price and gift (or months), dated no earlier than the
// hold (less searchSlack), whose id pays no other redemption. The earliest such one is r's.
func (s *Service) findPurchase(ctx context.Context, r Redemption) (string, bool, error) {
	since := r.CreatedAt.Add(-searchSlack).Unix()
	var candidates []string
	err := s.scan(ctx, since, func(t telego.StarTransaction) {
		if t.Date < since || int64(t.Amount) != r.Price {
			return
		}
		u, ok := t.Receiver.(*telego.TransactionPartnerUser)
		if !ok || u.User.ID != r.TelegramID {
			return
		}
		switch r.Kind {
		case KindGift:
			if u.TransactionType == telego.TransactionTypeGiftPurchase && u.Gift != nil && u.Gift.ID == r.GiftID {
				candidates = append(candidates, t.ID)
			}
		case KindPremium:
			if u.TransactionType == telego.TransactionTypePremiumPurchase && int64(u.PremiumSubscriptionDuration) == int64(r.Months) {
				candidates = append(candidates, t.ID)
			}
		}
	})
	if err != nil || len(candidates) == 0 {
		return "", false, err
	}
	claimed, err := q.ClaimedStarTransactions(ctx, s.pool, candidates)
	if err != nil {
		return "", false, fmt.Errorf("prize: claimed transactions: %w", err)
	}
	for _, id := range candidates {
		if r.StarTxID.Valid && r.StarTxID.String == id {
			return id, true, nil
		}
		if !slices.Contains(claimed, id) {
			return id, true, nil
		}
	}
	return "", false, nil
}

// scan reads getStarTransactions from the last page known to start before since (Unix time) to
// the end, calling fn for each transaction, and remembers where pages start.
func (s *Service) scan(ctx context.Context, since int64, fn func(telego.StarTransaction)) error {
	offset, err := q.StarCheckpointBefore(ctx, s.pool, since)
	if err != nil {
		return fmt.Errorf("prize: star checkpoint: %w", err)
	}
	return s.scanFrom(ctx, int(offset), fn)
}

func (s *Service) scanFrom(ctx context.Context, offset int, fn func(telego.StarTransaction)) error {
	for {
		page, err := s.api.GetStarTransactions(ctx, &telego.GetStarTransactionsParams{Offset: offset, Limit: pageSize})
		if err != nil {
			return fmt.Errorf("prize: star transactions from %d: %w", offset, err)
		}
		if len(page.Transactions) > 0 {
			if err := q.SaveStarCheckpoint(ctx, s.pool, dbq.SaveStarCheckpointParams{
				PageOffset: int64(offset), FirstDate: page.Transactions[0].Date,
			}); err != nil {
				return fmt.Errorf("prize: save star checkpoint: %w", err)
			}
		}
		for _, t := range page.Transactions {
			fn(t)
		}
		if len(page.Transactions) < pageSize {
			return nil
		}
		offset += len(page.Transactions)
	}
}

// settle records the purchase: the held Stars go to Telegram, the redemption is sent, the
// user is told; one transaction.
func (s *Service) settle(ctx context.Context, r Redemption, txID string) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := q.LockRedemption(ctx, tx, r.ID)
		if err != nil {
			return fmt.Errorf("prize: lock redemption: %w", err)
		}
		if cur.Status == StatusSent || cur.Status == StatusReleased {
			return nil
		}
		kind := "gift_purchase"
		if cur.Kind == KindPremium {
			kind = "premium_purchase"
		}
		if _, err := ledger.Post(ctx, tx, ledger.Transaction{
			Key: purchaseKey(cur.ID), Kind: kind, Memo: "star transaction " + txID,
			Postings: []ledger.Posting{
				{Account: ledger.UserHeldAccount(cur.TelegramID, ledger.XTR), Amount: -cur.Price},
				{Account: ledger.TelegramClearing, Amount: cur.Price},
			},
		}); err != nil {
			return fmt.Errorf("prize: purchase ledger: %w", err)
		}
		now := s.now()
		if err := q.MarkRedemptionSent(ctx, tx, dbq.MarkRedemptionSentParams{ID: cur.ID, StarTxID: pgText(txID), Now: &now}); err != nil {
			return fmt.Errorf("prize: mark sent: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{
			At: now, Actor: "system", Action: "redeem.purchase", DrawID: cur.RaffleID.Int64, Subject: redeemSubject(cur),
			Before: map[string]any{"status": cur.Status},
			After:  map[string]any{"status": StatusSent, "star_tx_id": txID, "price": cur.Price},
		}); err != nil {
			return err
		}
		bal, err := ledger.Balance(ctx, tx, ledger.UserAccount(cur.TelegramID, ledger.XTR))
		if err != nil {
			return err
		}
		msg := notify.Message{
			EventKey: fmt.Sprintf("redeem:%d:sent", cur.ID), ChatID: cur.TelegramID, Key: "gift.sent",
			Args: map[string]i18n.Arg{"gift": giftArg(cur), "price": i18n.M(cur.Price, ledger.XTR), "balance": i18n.M(bal, ledger.XTR)},
		}
		if cur.Kind == KindPremium {
			msg.Key = "gift.premium_sent"
		}
		return notify.Enqueue(ctx, tx, s.jobs, msg)
	})
}

// giftArg names what was bought: the gift's emoji, or the Premium duration.
func giftArg(r Redemption) i18n.Arg {
	if r.Kind == KindPremium {
		return i18n.N(int64(r.Months), "months")
	}
	return i18n.S(r.GiftEmoji)
}

// wait keeps the claim, its Stars held, and tells the user and the admins the first time.
func (s *Service) wait(ctx context.Context, r Redemption, reason string) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := q.LockRedemption(ctx, tx, r.ID)
		if err != nil {
			return fmt.Errorf("prize: lock redemption: %w", err)
		}
		if err := q.SetRedemptionStatus(ctx, tx, dbq.SetRedemptionStatusParams{ID: cur.ID, Status: StatusWaiting, LastError: reason, Now: s.now()}); err != nil {
			return fmt.Errorf("prize: mark waiting: %w", err)
		}
		if cur.LastError != "" {
			return nil // already told
		}
		msgs := []notify.Message{{
			EventKey: fmt.Sprintf("redeem:%d:waiting", cur.ID), ChatID: cur.TelegramID, Key: "gift.waiting",
			Args: map[string]i18n.Arg{"gift": giftArg(cur), "price": i18n.M(cur.Price, ledger.XTR), "next": i18n.At(s.now().Add(s.retryInterval))},
		}}
		if err := notify.Enqueue(ctx, tx, s.jobs, msgs...); err != nil {
			return err
		}
		return s.alerter.AlertTx(ctx, tx, fmt.Sprintf("redeem:%d:waiting", cur.ID), "admin.alert_gift_waiting",
			map[string]i18n.Arg{"id": i18n.I(cur.ID), "user": i18n.I(cur.TelegramID), "price": i18n.M(cur.Price, ledger.XTR), "reason": i18n.S(reason)})
	})
}

// release gives the held Stars back after a final refusal.
func (s *Service) release(ctx context.Context, r Redemption, reason string) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := q.LockRedemption(ctx, tx, r.ID)
		if err != nil {
			return fmt.Errorf("prize: lock redemption: %w", err)
		}
		if cur.Status == StatusSent || cur.Status == StatusReleased {
			return nil
		}
		if _, err := ledger.Post(ctx, tx, ledger.Transfer(releaseKey(cur.ID), "redeem_release",
			ledger.UserHeldAccount(cur.TelegramID, ledger.XTR), ledger.UserAccount(cur.TelegramID, ledger.XTR), cur.Price)); err != nil {
			return fmt.Errorf("prize: release ledger: %w", err)
		}
		if err := q.SetRedemptionStatus(ctx, tx, dbq.SetRedemptionStatusParams{ID: cur.ID, Status: StatusReleased, LastError: reason, Now: s.now()}); err != nil {
			return fmt.Errorf("prize: mark released: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{
			At: s.now(), Actor: "system", Action: "redeem.release", DrawID: cur.RaffleID.Int64, Subject: redeemSubject(cur),
			Before: map[string]any{"status": cur.Status},
			After:  map[string]any{"status": StatusReleased, "reason": reason, "price": cur.Price},
		}); err != nil {
			return err
		}
		msgs := []notify.Message{{
			EventKey: fmt.Sprintf("redeem:%d:released", cur.ID), ChatID: cur.TelegramID, Key: "gift.released",
			Args: map[string]i18n.Arg{"gift": giftArg(cur), "price": i18n.M(cur.Price, ledger.XTR)},
		}}
		if err := notify.Enqueue(ctx, tx, s.jobs, msgs...); err != nil {
			return err
		}
		return s.alerter.AlertTx(ctx, tx, fmt.Sprintf("redeem:%d:released", cur.ID), "admin.alert_gift_released",
			map[string]i18n.Arg{"id": i18n.I(cur.ID), "user": i18n.I(cur.TelegramID), "price": i18n.M(cur.Price, ledger.XTR), "reason": i18n.S(reason)})
	})
}

// RetryUnfinished schedules delivery of every unfinished redemption (waiting ones after a
// top-up; any left behind by a job that gave up). It returns how many were scheduled.
func (s *Service) RetryUnfinished(ctx context.Context) (int, error) {
	ids, err := q.UnfinishedRedemptionIDs(ctx, s.pool)
	if err != nil {
		return 0, fmt.Errorf("prize: unfinished redemptions: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	round := s.now().UnixNano()
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: DeliverArgs{ID: id, Round: round}}
	}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		_, err := s.jobs.InsertManyTx(ctx, tx, params)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prize: schedule retries: %w", err)
	}
	return len(ids), nil
}

// RetryArgs retries unfinished redemptions.
type RetryArgs struct{}

// Kind is the River job kind.
func (RetryArgs) Kind() string { return "prize_retry" }

// RetryWorker runs RetryArgs.
type RetryWorker struct {
	river.WorkerDefaults[RetryArgs]
	Service *Service
}

// Work schedules the retries.
func (w *RetryWorker) Work(ctx context.Context, _ *river.Job[RetryArgs]) error {
	_, err := w.Service.RetryUnfinished(ctx)
	return err
}

// Register adds the prize workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &DeliverWorker{Service: s})
	river.AddWorker(workers, &RetryWorker{Service: s})
	river.AddWorker(workers, &AutoWorker{Service: s})
}

// PeriodicJobs retries unfinished redemptions every RetryInterval.
func (s *Service) PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(s.retryInterval), func() (river.JobArgs, *river.InsertOpts) {
			return RetryArgs{}, nil
		}, nil),
	}
}

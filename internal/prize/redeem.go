package prize

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/ledger"
)

// Redemption is one gift or Premium subscription bought with a user's Stars.
type Redemption = dbq.StarRedemption

// Request asks for a redemption.
type Request struct {
	UserID int64
	// Kind is KindGift (GiftID) or KindPremium (Months).
	Kind   string
	GiftID string
	Months int64
	// Price is the price the user saw and confirmed; it must be the price now.
	Price int64
	// Key identifies the request: the same Key makes the same redemption however often it
	// comes (a double press, a redelivered callback).
	Key string
	// DrawID is set for a draw's automatic prize.
	DrawID int64
}

// Redeem records the redemption, holds its Stars and schedules its delivery, in one
// transaction. A repeated Key returns the first redemption with created false. Refusals
// (ErrUnknownGift, ErrPriceChanged, ErrInsufficientFunds, ErrBusy, ErrInvalid) move nothing.
func (s *Service) Redeem(ctx context.Context, r Request) (red Redemption, created bool, err error) {
	if r.UserID <= 0 || r.Key == "" || r.Price <= 0 {
		return Redemption{}, false, fmt.Errorf("%w: user, key and price are required", ErrInvalid)
	}
	// A request already recorded is answered from the record, whatever the catalogue says now.
	if prev, err := q.RedemptionByRequest(ctx, s.pool, r.Key); err == nil {
		return prev, false, nil
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return Redemption{}, false, fmt.Errorf("prize: look up request: %w", err)
	}
	var emoji string
	switch r.Kind {
	case KindGift:
		if r.Months != 0 {
			return Redemption{}, false, fmt.Errorf("%w: a gift has no months", ErrInvalid)
		}
		g, err := s.FindGift(ctx, r.GiftID)
		if err != nil {
			return Redemption{}, false, err
		}
		if g.Stars != r.Price {
			return Redemption{}, false, ErrPriceChanged
		}
		emoji = g.Emoji
	case KindPremium:
		price, ok := PremiumPrice(r.Months)
		if !ok || r.GiftID != "" {
			return Redemption{}, false, fmt.Errorf("%w: %d months of Premium", ErrInvalid, r.Months)
		}
		if price != r.Price {
			return Redemption{}, false, ErrPriceChanged
		}
	default:
		return Redemption{}, false, fmt.Errorf("%w: kind %q", ErrInvalid, r.Kind)
	}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		red, created, err = s.redeemTx(ctx, tx, r, emoji)
		return err
	})
	if errors.Is(err, ErrBusy) {
		// The same request, made at the same moment, may be the one that holds the user's
		// unfinished slot: PostgreSQL reports the slot's index before the request key's. It
		// has committed by now (our insert waited for it), so it is found by its key.
		if prev, perr := q.RedemptionByRequest(ctx, s.pool, r.Key); perr == nil {
			return prev, false, nil
		}
	}
	if err != nil {
		return Redemption{}, false, err
	}
	return red, created, nil
}

// redeemTx records r inside tx: the row, the hold and the delivery job.
func (s *Service) redeemTx(ctx context.Context, tx pgx.Tx, r Request, emoji string) (Redemption, bool, error) {
	now := s.now()
	params := dbq.InsertRedemptionParams{
		TelegramID: r.UserID, Kind: r.Kind, GiftID: r.GiftID, GiftEmoji: emoji, Months: int32(r.Months),
		Price: r.Price, RequestKey: r.Key, Now: now,
	}
	if r.DrawID > 0 {
		params.RaffleID = pgtype.Int8{Int64: r.DrawID, Valid: true}
	}
	red, err := q.InsertRedemption(ctx, tx, params)
	if errors.Is(err, pgx.ErrNoRows) {
		// The same request committed first.
		prev, err := q.RedemptionByRequest(ctx, tx, r.Key)
		if err != nil {
			return Redemption{}, false, fmt.Errorf("prize: look up request: %w", err)
		}
		return prev, false, nil
	}
	if db.ErrorCode(err) == "23505" {
		return Redemption{}, false, ErrBusy
	}
	if err != nil {
		return Redemption{}, false, fmt.Errorf("prize: record redemption: %w", err)
	}
	_, err = ledger.Post(ctx, tx, ledger.Transaction{
		Key: holdKey(red.ID), Kind: "redeem_hold", Memo: r.Kind + " " + r.GiftID,
		Postings: []ledger.Posting{
			{Account: ledger.UserAccount(r.UserID, ledger.XTR), Amount: -r.Price},
			{Account: ledger.UserHeldAccount(r.UserID, ledger.XTR), Amount: r.Price},
		},
	})
	if errors.Is(err, ledger.ErrInsufficientFunds) {
		return Redemption{}, false, ErrInsufficientFunds
	}
	if err != nil {
		return Redemption{}, false, fmt.Errorf("prize: hold stars: %w", err)
	}
	actor := "user:" + strconv.FormatInt(r.UserID, 10)
	if r.DrawID > 0 {
		actor = "system"
	}
	if err := audit.Record(ctx, tx, audit.Entry{
		At: now, Actor: actor, Action: "redeem.hold", DrawID: r.DrawID, Subject: redeemSubject(red),
		After: map[string]any{
			"kind": r.Kind, "gift_id": r.GiftID, "months": r.Months, "price": r.Price, "status": StatusHeld,
		},
	}); err != nil {
		return Redemption{}, false, err
	}
	if _, err := s.jobs.InsertTx(ctx, tx, DeliverArgs{ID: red.ID}, nil); err != nil {
		return Redemption{}, false, fmt.Errorf("prize: schedule delivery: %w", err)
	}
	return red, true, nil
}

// redeemSubject is a redemption's subject in the audit log.
func redeemSubject(r Redemption) string { return "redeem:" + strconv.FormatInt(r.ID, 10) }

// Ledger keys of a redemption: its hold, the purchase at Telegram, and the return of the Stars
// after a final refusal.
func holdKey(id int64) string     { return "redeem:" + strconv.FormatInt(id, 10) + ":hold" }
func purchaseKey(id int64) string { return "redeem:" + strconv.FormatInt(id, 10) + ":purchase" }
func releaseKey(id int64) string  { return "redeem:" + strconv.FormatInt(id, 10) + ":release" }

// DeliverArgs is the job that delivers one redemption.
type DeliverArgs struct {
	ID int64 `json:"id" river:"unique"`
	// Round is 0 for the job scheduled with the redemption, and a fresh number for each retry
	// (a top-up, the hourly sweep): a retry must not be skipped as a duplicate of a job that is
	// just finishing. Deliveries of one redemption exclude each other by an advisory lock, so
	// two jobs for it are harmless.
	Round int64 `json:"round,omitempty" river:"unique"`
}

// Kind is the River job kind.
func (DeliverArgs) Kind() string { return "prize_deliver" }

// InsertOpts keeps one unfinished job per redemption; a finished one does not stop a later
// retry (a waiting claim after a top-up).
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 50, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: unfinishedJobStates}}
}

var unfinishedJobStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

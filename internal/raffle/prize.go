package raffle

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
)

// How a Stars draw pays its winners (Params.Prize, fixed at creation). The draw credits every
// prize to the winners' balances either way; with gift or premium, settlement also schedules
// PrizeDeliveryArgs, whose worker (package prize) spends each prize at once on the most
// valuable Telegram gift it covers (the rest stays on the balance) or on Telegram Premium when
// it covers that.
const (
	PrizeBalance = "balance"
	PrizeGift    = "gift"
	PrizePremium = "premium"
)

// PrizeDeliveryArgs delivers a settled draw's prizes as gifts or Premium.
type PrizeDeliveryArgs struct {
	DrawID int64 `json:"draw_id" river:"unique"`
}

// Kind is the River job kind.
func (PrizeDeliveryArgs) Kind() string { return "prize_delivery" }

// InsertOpts keeps one delivery per draw.
func (PrizeDeliveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// setPrizeMode stores a mode other than the default, in the creating transaction.
func setPrizeMode(ctx context.Context, tx pgx.Tx, id int64, mode string) error {
	if mode == PrizeBalance {
		return nil
	}
	if err := q.SetRafflePrizeMode(ctx, tx, dbq.SetRafflePrizeModeParams{ID: id, PrizeMode: mode}); err != nil {
		return fmt.Errorf("raffle: prize mode: %w", err)
	}
	return nil
}

// schedulePrizeDelivery schedules the gifts of a settled draw whose prizes leave the bot.
func (s *Service) schedulePrizeDelivery(ctx context.Context, tx pgx.Tx, row dbq.Raffle) error {
	if row.PrizeMode == PrizeBalance || row.PrizeMode == "" {
		return nil
	}
	if _, err := s.jobs.InsertTx(ctx, tx, PrizeDeliveryArgs{DrawID: row.ID}, nil); err != nil {
		return fmt.Errorf("raffle: schedule prize delivery: %w", err)
	}
	return nil
}

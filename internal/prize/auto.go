package prize

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/raffle"
)

// A draw created with the gift or premium prize pays each winner at settlement by spending
// their prize straight away: on the most valuable gift the prize covers (the rest stays on the
// balance), or on the longest Telegram Premium it covers. A prize too small for either stays on
// the balance. Each winner's redemption is keyed by the draw and the winner's position, so the
// job may run any number of times.

// AutoWorker runs raffle.PrizeDeliveryArgs.
type AutoWorker struct {
	river.WorkerDefaults[raffle.PrizeDeliveryArgs]
	Service *Service
}

// Work redeems every winner's prize of the draw.
func (w *AutoWorker) Work(ctx context.Context, j *river.Job[raffle.PrizeDeliveryArgs]) error {
	return w.Service.DeliverDrawPrizes(ctx, j.Args.DrawID)
}

// Choose picks what a prize of amount Stars buys under mode: ok false when nothing fits.
func Choose(mode string, gifts []Gift, amount int64) (r Request, ok bool) {
	switch mode {
	case raffle.PrizeGift:
		var best *Gift
		for i := range gifts {
			if gifts[i].Stars <= amount && (best == nil || gifts[i].Stars > best.Stars) {
				best = &gifts[i]
			}
		}
		if best == nil {
			return Request{}, false
		}
		return Request{Kind: KindGift, GiftID: best.ID, Price: best.Stars}, true
	case raffle.PrizePremium:
		for i := len(PremiumOptions) - 1; i >= 0; i-- {
			if p := PremiumOptions[i]; p.Stars <= amount {
				return Request{Kind: KindPremium, Months: p.Months, Price: p.Stars}, true
			}
		}
	}
	return Request{}, false
}

// DeliverDrawPrizes redeems the prizes of a settled draw whose prize mode is gift or premium.
func (s *Service) DeliverDrawPrizes(ctx context.Context, drawID int64) error {
	mode, err := q.RafflePrizeMode(ctx, s.pool, drawID)
	if err != nil {
		return fmt.Errorf("prize: draw %d: %w", drawID, err)
	}
	if mode == raffle.PrizeBalance {
		return nil
	}
	winners, err := q.RaffleWinners(ctx, s.pool, drawID)
	if err != nil {
		return fmt.Errorf("prize: winners of draw %d: %w", drawID, err)
	}
	var gifts []Gift
	if mode == raffle.PrizeGift {
		if gifts, err = s.Catalogue(ctx); err != nil {
			return err
		}
	}
	var busy error
	for _, w := range winners {
		req, ok := Choose(mode, gifts, w.Prize)
		if !ok {
			s.log.Info("prize too small to send; it stays on the balance", slog.Int64("draw_id", drawID), slog.Int64("user_id", w.TelegramID), slog.Int64("prize", w.Prize))
			continue
		}
		req.UserID, req.DrawID = w.TelegramID, drawID
		req.Key = fmt.Sprintf("draw:%d:winner:%d:prize", drawID, w.Position)
		_, _, err := s.Redeem(ctx, req)
		switch {
		case err == nil:
		case errors.Is(err, ErrBusy):
			// The winner has a redemption on its way (another prize, their own choice): this
			// one goes when it is done.
			busy = fmt.Errorf("prize: draw %d winner %d: %w", drawID, w.Position, err)
		case errors.Is(err, ErrInsufficientFunds):
			// The winner already spent the prize (on entries, or their own gift choice).
			s.log.Info("prize already spent; nothing to send", slog.Int64("draw_id", drawID), slog.Int64("user_id", w.TelegramID))
		case errors.Is(err, ErrUnknownGift), errors.Is(err, ErrPriceChanged):
			// The catalogue moved since it was read: read it again on the retry.
			s.forgetCatalogue()
			return fmt.Errorf("prize: draw %d winner %d: %w", drawID, w.Position, err)
		default:
			return err
		}
	}
	return busy
}

package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/prize"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// Redeeming the Stars balance for a Telegram gift or Premium (package prize). The screens:
//
//	gift                          the gifts the balance covers
//	gift:prem                     the Premium durations the balance covers
//	gift:pick:<gift id>           a gift's price, what remains, and the confirm button
//	gift:pm:<months>              the same for Premium
//	gift:ok:<gift id>:<price>:<n> confirm a gift at the price shown; n names this confirmation
//	gift:okp:<months>:<price>:<n> confirm Premium
//
// A confirmation is redeemed with the key "tg:<presser>:<n>:<what>", so pressing it twice or
// Telegram delivering it again makes one redemption, and any press only ever spends the
// presser's own balance. The price in the button must still be the price, or nothing moves.
//
// The patterns are in callbacks.go.

// giftColumns is how many gift buttons share a row.
const giftColumns = 2

// giftStep wraps a gift button: the offer must be on (it is hidden otherwise, so a press
// without it is an old button).
func (b *Bot) giftStep(h tgui.Handler) tgui.Handler {
	return func(ctx context.Context, p *tgui.Press) error {
		if b.prizes == nil {
			return tgui.ErrUnknown
		}
		return h(ctx, p)
	}
}

// starsBalance is the presser's Stars balance.
func (b *Bot) starsBalance(ctx context.Context, p *tgui.Press) (int64, error) {
	return ledger.Balance(ctx, b.pool, ledger.UserAccount(p.From.ID, ledger.XTR))
}

func premiumName(l string, months int64) string {
	return "Telegram Premium, " + i18n.Plural(l, months, "months")
}

// onGifts shows the gifts the balance covers.
func (b *Bot) onGifts(ctx context.Context, p *tgui.Press) error {
	l := p.Lang()
	bal, err := b.starsBalance(ctx, p)
	if err != nil {
		return err
	}
	all, err := b.prizes.Catalogue(ctx)
	if err != nil {
		b.logger.Warn("gift catalogue unavailable", "error", err)
		return p.Answer(ctx, i18n.T(l, "gift.err_catalogue"), true)
	}
	gifts, _, err := b.prizes.Affordable(ctx, bal)
	if err != nil {
		return p.Answer(ctx, i18n.T(l, "gift.err_catalogue"), true)
	}
	balance := i18n.Money(l, bal, ledger.XTR)
	if len(gifts) == 0 {
		text := i18n.T(l, "gift.none_affordable", "balance", balance, "min", "—")
		if len(all) > 0 {
			text = i18n.T(l, "gift.none_affordable", "balance", balance, "min", i18n.Money(l, all[0].Stars, ledger.XTR))
		}
		return p.Screen.Show(ctx, text, tgui.Rows(balanceBackRow(l)))
	}
	var options []telego.InlineKeyboardButton
	for _, g := range gifts {
		options = append(options, tgui.Button(i18n.T(l, "gift.option", "gift", g.Emoji, "price", i18n.Money(l, g.Stars, ledger.XTR)), tgui.Data(cbGiftPick, g.ID)))
	}
	kb := append(tgui.Grid(giftColumns, options), balanceBackRow(l))
	return p.Screen.Show(ctx, i18n.T(l, "gift.explain", "balance", balance), kb)
}

// onPremium shows the Premium durations the balance covers.
func (b *Bot) onPremium(ctx context.Context, p *tgui.Press) error {
	l := p.Lang()
	bal, err := b.starsBalance(ctx, p)
	if err != nil {
		return err
	}
	balance := i18n.Money(l, bal, ledger.XTR)
	var kb [][]telego.InlineKeyboardButton
	for _, o := range prize.PremiumOptions {
		if o.Stars <= bal {
			kb = append(kb, tgui.Row(tgui.Button(
				i18n.T(l, "gift.premium_option", "months", i18n.Plural(l, o.Months, "months"), "price", i18n.Money(l, o.Stars, ledger.XTR)),
				tgui.Data(cbGiftPm, o.Months))))
		}
	}
	text := i18n.T(l, "gift.premium_explain", "balance", balance)
	if len(kb) == 0 {
		text = i18n.T(l, "gift.premium_none", "balance", balance)
	}
	kb = append(kb, balanceBackRow(l))
	return p.Screen.Show(ctx, text, kb)
}

// onGiftPick asks to confirm a gift at its price.
func (b *Bot) onGiftPick(ctx context.Context, p *tgui.Press) error {
	g, err := b.prizes.FindGift(ctx, p.Text("gift"))
	if err != nil {
		return b.giftRefusal(ctx, p, err)
	}
	return b.confirmScreen(ctx, p, g.Emoji, g.Stars, func(n string) string { return tgui.Data(cbGiftOK, g.ID, g.Stars, n) })
}

// onPremiumPick asks to confirm Premium for some months at its price.
func (b *Bot) onPremiumPick(ctx context.Context, p *tgui.Press) error {
	months := p.Int("months")
	price, ok := prize.PremiumPrice(months)
	if !ok {
		return tgui.ErrUnknown
	}
	return b.confirmScreen(ctx, p, premiumName(p.Lang(), months), price, func(n string) string { return tgui.Data(cbGiftOKP, months, price, n) })
}

// confirmScreen shows what the user is about to get, for how much, and what remains; okData
// is the confirm button's data given the confirmation's number.
func (b *Bot) confirmScreen(ctx context.Context, p *tgui.Press, name string, price int64, okData func(n string) string) error {
	l := p.Lang()
	bal, err := b.starsBalance(ctx, p)
	if err != nil {
		return err
	}
	if price > bal {
		return p.Answer(ctx, i18n.T(l, "gift.err_balance"), true)
	}
	// The confirmation's own number: a later confirmation of the same gift is a new request.
	n := strconv.FormatInt(b.now().UnixNano(), 36)
	text := i18n.T(l, "gift.confirm", "gift", name, "price", i18n.Money(l, price, ledger.XTR), "rest", i18n.Money(l, bal-price, ledger.XTR))
	kb := tgui.Rows(tgui.Row(tgui.Button(i18n.T(l, "gift.confirm_button"), okData(n))), balanceBackRow(l))
	return p.Screen.Show(ctx, text, kb)
}

// onGiftOK redeems a gift's confirmation.
func (b *Bot) onGiftOK(ctx context.Context, p *tgui.Press) error {
	id := p.Text("gift")
	req := prize.Request{UserID: p.From.ID, Kind: prize.KindGift, GiftID: id, Price: p.Int("price"), Key: redeemKey(p, id)}
	name := id
	if g, err := b.prizes.FindGift(ctx, id); err == nil {
		name = g.Emoji
	}
	return b.redeem(ctx, p, req, name)
}

// onPremiumOK redeems a Premium confirmation.
func (b *Bot) onPremiumOK(ctx context.Context, p *tgui.Press) error {
	months := p.Int("months")
	req := prize.Request{UserID: p.From.ID, Kind: prize.KindPremium, Months: months, Price: p.Int("price"), Key: redeemKey(p, p.Text("months"))}
	return b.redeem(ctx, p, req, premiumName(p.Lang(), months))
}

// redeemKey is a confirmation's idempotency key, "tg:<presser>:<n>:<what>": the presser's own,
// whoever else presses the button.
func redeemKey(p *tgui.Press, what string) string {
	return fmt.Sprintf("tg:%d:%s:%s", p.From.ID, p.Text("n"), what)
}

// redeem redeems a confirmation and says so.
func (b *Bot) redeem(ctx context.Context, p *tgui.Press, req prize.Request, name string) error {
	l := p.Lang()
	if req.Price <= 0 {
		return tgui.ErrUnknown
	}
	red, created, err := b.prizes.Redeem(ctx, req)
	if err != nil {
		return b.giftRefusal(ctx, p, err)
	}
	if !created {
		return p.Answer(ctx, i18n.T(l, "gift.already"), true)
	}
	text := i18n.T(l, "gift.accepted", "gift", name, "price", i18n.Money(l, red.Price, ledger.XTR))
	return p.Screen.Show(ctx, text, tgui.Rows(balanceBackRow(l)))
}

// giftRefusal answers a refused redemption in plain words; nothing moved.
func (b *Bot) giftRefusal(ctx context.Context, cb *tgui.Press, err error) error {
	l := cb.Lang()
	key := ""
	switch {
	case errors.Is(err, prize.ErrUnknownGift):
		key = "gift.err_unknown"
	case errors.Is(err, prize.ErrPriceChanged):
		key = "gift.err_price"
	case errors.Is(err, prize.ErrInsufficientFunds):
		key = "gift.err_balance"
	case errors.Is(err, prize.ErrBusy):
		key = "gift.err_busy"
	case errors.Is(err, prize.ErrInvalid):
		key = "error.unknown_button"
	default:
		b.logger.Warn("gift redemption failed", "user_id", cb.From.ID, "error", err)
		key = "gift.err_catalogue"
	}
	return cb.Answer(ctx, i18n.T(l, key), true)
}

func balanceBackRow(l string) []telego.InlineKeyboardButton {
	return tgui.Row(tgui.Button(i18n.T(l, "menu.back"), cbBalance))
}

// giftButtons are the balance screen's redemption buttons for a Stars balance of xtr.
func (b *Bot) giftButtons(l string, xtr int64) [][]telego.InlineKeyboardButton {
	if b.prizes == nil || xtr <= 0 {
		return nil
	}
	out := tgui.Rows(tgui.Row(tgui.Button(i18n.T(l, "balance.redeem_gift"), cbGift)))
	if xtr >= prize.PremiumOptions[0].Stars {
		out = append(out, tgui.Row(tgui.Button(i18n.T(l, "balance.redeem_premium"), cbGiftPrem)))
	}
	return out
}

// prizeLine tells, under a draw's card, how its prize leaves the bot when it is not simply
// credited to the balance.
func prizeLine(l string, d raffle.Draw) string {
	switch d.Prize {
	case raffle.PrizeGift, raffle.PrizePremium:
		return "\n" + i18n.T(l, "draw.prize_"+d.Prize)
	}
	return ""
}

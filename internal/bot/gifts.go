package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/prize"
	"github.com/fairdraw/fairdraw/internal/raffle"
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
const (
	cbGift     = "gift"
	cbGiftPrem = "gift:prem"
	cbGiftPick = "gift:pick:"
	cbGiftPm   = "gift:pm:"
	cbGiftOK   = "gift:ok:"
	cbGiftOKP  = "gift:okp:"
)

// giftColumns is how many gift buttons share a row.
const giftColumns = 2

// onGift handles the gift buttons.
func (b *Bot) onGift(ctx context.Context, cb *telego.CallbackQuery, chatID int64, msgID int) error {
	l := lang(&cb.From)
	if b.prizes == nil {
		return b.answer(ctx, cb, i18n.T(l, "error.unknown_button"), true)
	}
	bal, err := ledger.Balance(ctx, b.pool, ledger.UserAccount(cb.From.ID, ledger.XTR))
	if err != nil {
		return err
	}
	data := cb.Data
	switch {
	case data == cbGift:
		return b.showGifts(ctx, cb, chatID, msgID, bal)
	case data == cbGiftPrem:
		return b.showPremium(ctx, cb, chatID, msgID, bal)
	case strings.HasPrefix(data, cbGiftPick):
		g, err := b.prizes.FindGift(ctx, strings.TrimPrefix(data, cbGiftPick))
		if err != nil {
			return b.giftRefusal(ctx, cb, err)
		}
		return b.confirmScreen(ctx, cb, chatID, msgID, bal, g.Emoji, g.Stars, fmt.Sprintf("%s%s:%d", cbGiftOK, g.ID, g.Stars))
	case strings.HasPrefix(data, cbGiftPm):
		months, err := strconv.ParseInt(strings.TrimPrefix(data, cbGiftPm), 10, 64)
		price, ok := prize.PremiumPrice(months)
		if err != nil || !ok {
			return b.answer(ctx, cb, i18n.T(l, "error.unknown_button"), true)
		}
		return b.confirmScreen(ctx, cb, chatID, msgID, bal, premiumName(l, months), price, fmt.Sprintf("%s%d:%d", cbGiftOKP, months, price))
	case strings.HasPrefix(data, cbGiftOK), strings.HasPrefix(data, cbGiftOKP):
		return b.confirmGift(ctx, cb, chatID, msgID)
	}
	return b.answer(ctx, cb, i18n.T(l, "error.unknown_button"), true)
}

func premiumName(l string, months int64) string {
	return "Telegram Premium, " + i18n.Plural(l, months, "months")
}

func (b *Bot) showGifts(ctx context.Context, cb *telego.CallbackQuery, chatID int64, msgID int, bal int64) error {
	l := lang(&cb.From)
	all, err := b.prizes.Catalogue(ctx)
	if err != nil {
		b.logger.Warn("gift catalogue unavailable", "error", err)
		return b.answer(ctx, cb, i18n.T(l, "gift.err_catalogue"), true)
	}
	gifts, _, err := b.prizes.Affordable(ctx, bal)
	if err != nil {
		return b.answer(ctx, cb, i18n.T(l, "gift.err_catalogue"), true)
	}
	balance := i18n.Money(l, bal, ledger.XTR)
	if len(gifts) == 0 {
		text := i18n.T(l, "gift.none_affordable", "balance", balance, "min", "—")
		if len(all) > 0 {
			text = i18n.T(l, "gift.none_affordable", "balance", balance, "min", i18n.Money(l, all[0].Stars, ledger.XTR))
		}
		if err := b.reply(ctx, chatID, msgID, text, rows(balanceBackRow(l))); err != nil {
			return err
		}
		return b.answer(ctx, cb, "", false)
	}
	var kb [][]telego.InlineKeyboardButton
	var row []telego.InlineKeyboardButton
	for _, g := range gifts {
		row = append(row, button(i18n.T(l, "gift.option", "gift", g.Emoji, "price", i18n.Money(l, g.Stars, ledger.XTR)), cbGiftPick+g.ID))
		if len(row) == giftColumns {
			kb, row = append(kb, row), nil
		}
	}
	if len(row) > 0 {
		kb = append(kb, row)
	}
	kb = append(kb, balanceBackRow(l))
	if err := b.reply(ctx, chatID, msgID, i18n.T(l, "gift.explain", "balance", balance), rows(kb...)); err != nil {
		return err
	}
	return b.answer(ctx, cb, "", false)
}

func (b *Bot) showPremium(ctx context.Context, cb *telego.CallbackQuery, chatID int64, msgID int, bal int64) error {
	l := lang(&cb.From)
	balance := i18n.Money(l, bal, ledger.XTR)
	var kb [][]telego.InlineKeyboardButton
	for _, p := range prize.PremiumOptions {
		if p.Stars <= bal {
			kb = append(kb, []telego.InlineKeyboardButton{button(
				i18n.T(l, "gift.premium_option", "months", i18n.Plural(l, p.Months, "months"), "price", i18n.Money(l, p.Stars, ledger.XTR)),
				fmt.Sprintf("%s%d", cbGiftPm, p.Months))})
		}
	}
	text := i18n.T(l, "gift.premium_explain", "balance", balance)
	if len(kb) == 0 {
		text = i18n.T(l, "gift.premium_none", "balance", balance)
	}
	kb = append(kb, balanceBackRow(l))
	if err := b.reply(ctx, chatID, msgID, text, rows(kb...)); err != nil {
		return err
	}
	return b.answer(ctx, cb, "", false)
}

// confirmScreen shows what the user is about to get, for how much, and what remains.
func (b *Bot) confirmScreen(ctx context.Context, cb *telego.CallbackQuery, chatID int64, msgID int, bal int64, name string, price int64, okData string) error {
	l := lang(&cb.From)
	if price > bal {
		return b.answer(ctx, cb, i18n.T(l, "gift.err_balance"), true)
	}
	// The confirmation's own number: a later confirmation of the same gift is a new request.
	okData += ":" + strconv.FormatInt(b.now().UnixNano(), 36)
	text := i18n.T(l, "gift.confirm", "gift", name, "price", i18n.Money(l, price, ledger.XTR), "rest", i18n.Money(l, bal-price, ledger.XTR))
	kb := rows([]telego.InlineKeyboardButton{button(i18n.T(l, "gift.confirm_button"), okData)}, balanceBackRow(l))
	if err := b.reply(ctx, chatID, msgID, text, kb); err != nil {
		return err
	}
	return b.answer(ctx, cb, "", false)
}

// confirmGift redeems a confirmation.
func (b *Bot) confirmGift(ctx context.Context, cb *telego.CallbackQuery, chatID int64, msgID int) error {
	l := lang(&cb.From)
	req, name, ok := parseGiftConfirm(l, cb.From.ID, cb.Data)
	if !ok {
		b.metrics.malformed.Inc()
		return b.answer(ctx, cb, i18n.T(l, "error.unknown_button"), true)
	}
	if req.Kind == prize.KindGift {
		if g, err := b.prizes.FindGift(ctx, req.GiftID); err == nil {
			name = g.Emoji
		}
	}
	red, created, err := b.prizes.Redeem(ctx, req)
	if err != nil {
		return b.giftRefusal(ctx, cb, err)
	}
	if !created {
		return b.answer(ctx, cb, i18n.T(l, "gift.already"), true)
	}
	text := i18n.T(l, "gift.accepted", "gift", name, "price", i18n.Money(l, red.Price, ledger.XTR))
	if err := b.reply(ctx, chatID, msgID, text, rows(balanceBackRow(l))); err != nil {
		return err
	}
	return b.answer(ctx, cb, "", false)
}

// parseGiftConfirm reads gift:ok:<id>:<price>:<n> or gift:okp:<months>:<price>:<n>.
func parseGiftConfirm(l string, userID int64, data string) (prize.Request, string, bool) {
	var req prize.Request
	rest, premium := strings.CutPrefix(data, cbGiftOKP)
	if !premium {
		rest = strings.TrimPrefix(data, cbGiftOK)
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 || parts[0] == "" || parts[2] == "" {
		return req, "", false
	}
	price, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || price <= 0 {
		return req, "", false
	}
	req = prize.Request{UserID: userID, Price: price, Key: fmt.Sprintf("tg:%d:%s:%s", userID, parts[2], parts[0])}
	if premium {
		months, err := strconv.ParseInt(parts[0], 10, 64)
		if err != nil {
			return req, "", false
		}
		req.Kind, req.Months = prize.KindPremium, months
		return req, premiumName(l, months), true
	}
	req.Kind, req.GiftID = prize.KindGift, parts[0]
	return req, parts[0], true
}

// giftRefusal answers a refused redemption in plain words; nothing moved.
func (b *Bot) giftRefusal(ctx context.Context, cb *telego.CallbackQuery, err error) error {
	l := lang(&cb.From)
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
	return b.answer(ctx, cb, i18n.T(l, key), true)
}

func balanceBackRow(l string) []telego.InlineKeyboardButton {
	return []telego.InlineKeyboardButton{button(i18n.T(l, "menu.back"), cbBalance)}
}

// giftButtons are the balance screen's redemption buttons for a Stars balance of xtr.
func (b *Bot) giftButtons(l string, xtr int64) [][]telego.InlineKeyboardButton {
	if b.prizes == nil || xtr <= 0 {
		return nil
	}
	out := [][]telego.InlineKeyboardButton{{button(i18n.T(l, "balance.redeem_gift"), cbGift)}}
	if xtr >= prize.PremiumOptions[0].Stars {
		out = append(out, []telego.InlineKeyboardButton{button(i18n.T(l, "balance.redeem_premium"), cbGiftPrem)})
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

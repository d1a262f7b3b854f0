package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// A withdrawal takes the user's whole ruble balance to SBP (phone, then bank), a YooMoney wallet,
// or a card (through YooKassa's widget page: the bot never sees a card number). What the user
// has chosen so far waits in bot_state for withdrawTTL.
const withdrawTTL = 30 * time.Minute

type withdrawState struct {
	Method string `json:"m"`           // "sbp" or "wallet"
	Phone  string `json:"p,omitempty"` // normalised, once given
	At     int64  `json:"at"`
}

func withdrawKey(userID int64) string { return "withdraw:" + strconv.FormatInt(userID, 10) }

func (b *Bot) loadWithdraw(ctx context.Context, userID int64) (withdrawState, bool, error) {
	v, err := q.GetBotState(ctx, b.pool, withdrawKey(userID))
	if errors.Is(err, pgx.ErrNoRows) {
		return withdrawState{}, false, nil
	}
	if err != nil {
		return withdrawState{}, false, fmt.Errorf("bot: withdraw state: %w", err)
	}
	var st withdrawState
	if json.Unmarshal([]byte(v), &st) != nil || b.now().Sub(time.Unix(st.At, 0)) > withdrawTTL {
		return withdrawState{}, false, nil
	}
	return st, true, nil
}

func (b *Bot) saveWithdraw(ctx context.Context, userID int64, st withdrawState) error {
	st.At = b.now().Unix()
	v, _ := json.Marshal(st)
	if err := q.SetBotState(ctx, b.pool, dbq.SetBotStateParams{Key: withdrawKey(userID), Value: string(v)}); err != nil {
		return fmt.Errorf("bot: withdraw state: %w", err)
	}
	return nil
}

func (b *Bot) clearWithdraw(ctx context.Context, userID int64) error {
	if _, err := b.pool.Exec(ctx, "DELETE FROM bot_state WHERE key = $1", withdrawKey(userID)); err != nil {
		return fmt.Errorf("bot: withdraw state: %w", err)
	}
	return nil
}

// onWithdraw handles the withdraw buttons.
func (b *Bot) onWithdraw(ctx context.Context, cb *telego.CallbackQuery, chatID int64, msgID int) error {
	l := lang(&cb.From)
	if b.rubles == nil {
		return b.answer(ctx, cb, i18n.T(l, "pay.rub_disabled"), true)
	}
	available, _, err := b.rubles.Balance(ctx, cb.From.ID)
	if err != nil {
		return err
	}
	if available <= 0 {
		return b.answer(ctx, cb, i18n.T(l, "rub.payout_err_balance"), true)
	}
	amount := i18n.Money(l, available, "RUB")
	sub := strings.TrimPrefix(strings.TrimPrefix(cb.Data, cbWithdraw), ":")
	switch {
	case sub == "":
		kb := rows(
			[]telego.InlineKeyboardButton{button(i18n.T(l, "rub.withdraw_sbp"), cbWithdraw+":sbp")},
			[]telego.InlineKeyboardButton{button(i18n.T(l, "rub.withdraw_wallet"), cbWithdraw+":wallet")},
			[]telego.InlineKeyboardButton{button(i18n.T(l, "rub.withdraw_card"), cbWithdraw+":card")},
			backRow(l))
		if err := b.reply(ctx, chatID, msgID, i18n.T(l, "rub.withdraw_choose_method", "amount", amount), kb); err != nil {
			return err
		}
	case sub == "sbp" || sub == "wallet":
		if err := b.saveWithdraw(ctx, cb.From.ID, withdrawState{Method: sub}); err != nil {
			return err
		}
		key := "rub.withdraw_ask_phone"
		if sub == "wallet" {
			key = "rub.withdraw_ask_wallet"
		}
		if err := b.send(ctx, chatID, i18n.T(l, key), nil); err != nil {
			return err
		}
	case sub == "card":
		link, err := b.rubles.CardPayoutLink(ctx, cb.From.ID, available, cb.From.LanguageCode)
		if err != nil {
			return b.answer(ctx, cb, rubles.PayoutErrorText(l, yookassa.PayoutBankCard, err), true)
		}
		kb := rows([]telego.InlineKeyboardButton{{Text: i18n.T(l, "rub.card_link_button"), URL: link}}, backRow(l))
		if err := b.send(ctx, chatID, i18n.T(l, "rub.card_note"), kb); err != nil {
			return err
		}
	case strings.HasPrefix(sub, "banks:"):
		page, _ := strconv.Atoi(strings.TrimPrefix(sub, "banks:"))
		return b.showBanks(ctx, cb, chatID, msgID, page)
	case strings.HasPrefix(sub, "bank:"):
		st, ok, err := b.loadWithdraw(ctx, cb.From.ID)
		if err != nil {
			return err
		}
		if !ok || st.Method != "sbp" || st.Phone == "" {
			return b.answer(ctx, cb, i18n.T(l, "error.unknown_button"), true)
		}
		return b.payout(ctx, &cb.From, chatID, rubles.PayoutRequest{
			UserID: cb.From.ID, Amount: available, Method: yookassa.PayoutSBP, Phone: st.Phone,
			BankID: strings.TrimPrefix(sub, "bank:"), RequestKey: "wd-" + cb.ID,
		}, cb)
	default:
		return b.answer(ctx, cb, i18n.T(l, "error.unknown_button"), true)
	}
	return b.answer(ctx, cb, "", false)
}

// banksPerPage keeps the keyboard well under Telegram's 100 buttons.
const banksPerPage = 20

func (b *Bot) showBanks(ctx context.Context, cb *telego.CallbackQuery, chatID int64, msgID, page int) error {
	l := lang(&cb.From)
	banks, err := b.rubles.SBPBanks(ctx)
	if err != nil {
		_ = b.answer(ctx, cb, i18n.T(l, "error.internal"), true)
		return err
	}
	pages := max((len(banks)+banksPerPage-1)/banksPerPage, 1)
	page = min(max(page, 0), pages-1)
	var kb [][]telego.InlineKeyboardButton
	for _, bank := range banks[page*banksPerPage : min((page+1)*banksPerPage, len(banks))] {
		kb = append(kb, []telego.InlineKeyboardButton{button(bank.Name, cbWithdraw+":bank:"+bank.BankID)})
	}
	var nav []telego.InlineKeyboardButton
	if page > 0 {
		nav = append(nav, button("«", fmt.Sprintf("%s:banks:%d", cbWithdraw, page-1)))
	}
	if page < pages-1 {
		nav = append(nav, button("»", fmt.Sprintf("%s:banks:%d", cbWithdraw, page+1)))
	}
	if len(nav) > 0 {
		kb = append(kb, nav)
	}
	kb = append(kb, backRow(l))
	if err := b.reply(ctx, chatID, msgID, i18n.T(l, "rub.withdraw_choose_bank"), rows(kb...)); err != nil {
		return err
	}
	return b.answer(ctx, cb, "", false)
}

// withdrawText takes the phone or wallet number the user was asked for.
func (b *Bot) withdrawText(ctx context.Context, m *telego.Message) (bool, error) {
	if b.rubles == nil {
		return false, nil
	}
	st, ok, err := b.loadWithdraw(ctx, m.From.ID)
	if err != nil || !ok {
		return false, err
	}
	l := lang(m.From)
	text := strings.TrimSpace(m.Text)
	switch st.Method {
	case "sbp":
		phone, ok := rubles.NormalizePhone(text)
		if !ok {
			return true, b.send(ctx, m.Chat.ID, i18n.T(l, "rub.payout_err_destination")+"\n"+i18n.T(l, "rub.withdraw_ask_phone"), nil)
		}
		st.Phone = phone
		if err := b.saveWithdraw(ctx, m.From.ID, st); err != nil {
			return true, err
		}
		banks := rows([]telego.InlineKeyboardButton{button(i18n.T(l, "rub.withdraw_choose_bank"), cbWithdraw+":banks:0")})
		return true, b.send(ctx, m.Chat.ID, i18n.T(l, "rub.withdraw_choose_bank"), banks)
	case "wallet":
		available, _, err := b.rubles.Balance(ctx, m.From.ID)
		if err != nil {
			return true, err
		}
		return true, b.payout(ctx, m.From, m.Chat.ID, rubles.PayoutRequest{
			UserID: m.From.ID, Amount: available, Method: yookassa.PayoutYooMoney, Wallet: text,
			RequestKey: fmt.Sprintf("wd-msg-%d-%d", m.Chat.ID, m.MessageID),
		}, nil)
	}
	return false, nil
}

// payout asks for the payout and tells the user what happened.
func (b *Bot) payout(ctx context.Context, from *telego.User, chatID int64, r rubles.PayoutRequest, cb *telego.CallbackQuery) error {
	l := lang(from)
	p, err := b.rubles.RequestPayout(ctx, r)
	if err != nil {
		text := rubles.PayoutErrorText(l, r.Method, err)
		if cb != nil {
			return b.answer(ctx, cb, text, true)
		}
		return b.send(ctx, chatID, text, nil)
	}
	if err := b.clearWithdraw(ctx, from.ID); err != nil {
		return err
	}
	dest := i18n.T(l, "rub.method."+string(r.Method))
	if err := b.send(ctx, chatID, i18n.T(l, "rub.withdraw_requested", "amount", i18n.Money(l, p.Amount, "RUB"), "destination", dest), nil); err != nil {
		return err
	}
	if cb != nil {
		return b.answer(ctx, cb, "", false)
	}
	return nil
}

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
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
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

// withdrawStep wraps a withdraw button: rubles must be accepted and the user must have some to
// withdraw; h gets the whole withdrawable amount.
func (b *Bot) withdrawStep(h func(ctx context.Context, p *tgui.Press, available int64) error) tgui.Handler {
	return func(ctx context.Context, p *tgui.Press) error {
		l := p.Lang()
		if b.rubles == nil {
			return p.Answer(ctx, i18n.T(l, "pay.rub_disabled"), true)
		}
		available, _, err := b.rubles.Balance(ctx, p.From.ID)
		if err != nil {
			return err
		}
		if available <= 0 {
			return p.Answer(ctx, i18n.T(l, "rub.payout_err_balance"), true)
		}
		return h(ctx, p, available)
	}
}

// onWithdrawMenu offers the ways to withdraw.
func (b *Bot) onWithdrawMenu(ctx context.Context, p *tgui.Press, available int64) error {
	l := p.Lang()
	kb := tgui.Rows(
		tgui.Row(tgui.Button(i18n.T(l, "rub.withdraw_sbp"), cbWithdrawSBP)),
		tgui.Row(tgui.Button(i18n.T(l, "rub.withdraw_wallet"), cbWithdrawWallet)),
		tgui.Row(tgui.Button(i18n.T(l, "rub.withdraw_card"), cbWithdrawCard)),
		backRow(l))
	return p.Screen.Show(ctx, i18n.T(l, "rub.withdraw_choose_method", "amount", i18n.Money(l, available, "RUB")), kb)
}

// onWithdrawAsk starts an SBP or wallet withdrawal: it asks for the phone or wallet number.
func (b *Bot) onWithdrawAsk(ctx context.Context, p *tgui.Press, _ int64) error {
	method, key := "sbp", "rub.withdraw_ask_phone"
	if p.Data == cbWithdrawWallet {
		method, key = "wallet", "rub.withdraw_ask_wallet"
	}
	if err := b.saveWithdraw(ctx, p.From.ID, withdrawState{Method: method}); err != nil {
		return err
	}
	return b.send(ctx, p.Screen.ChatID, i18n.T(p.Lang(), key), nil)
}

// onWithdrawCard gives the link to the page where the card is entered.
func (b *Bot) onWithdrawCard(ctx context.Context, p *tgui.Press, available int64) error {
	l := p.Lang()
	link, err := b.rubles.CardPayoutLink(ctx, p.From.ID, available, p.From.LanguageCode)
	if err != nil {
		return p.Answer(ctx, rubles.PayoutErrorText(l, yookassa.PayoutBankCard, err), true)
	}
	kb := tgui.Rows(tgui.Row(tgui.URLButton(i18n.T(l, "rub.card_link_button"), link)), backRow(l))
	return b.send(ctx, p.Screen.ChatID, i18n.T(l, "rub.card_note"), kb)
}

// onBank pays the whole balance out by SBP to the bank pressed, to the phone given before.
func (b *Bot) onBank(ctx context.Context, p *tgui.Press, available int64) error {
	st, ok, err := b.loadWithdraw(ctx, p.From.ID)
	if err != nil {
		return err
	}
	if !ok || st.Method != "sbp" || st.Phone == "" {
		return tgui.ErrUnknown
	}
	return b.payout(ctx, &p.From, p.Screen.ChatID, rubles.PayoutRequest{
		UserID: p.From.ID, Amount: available, Method: yookassa.PayoutSBP, Phone: st.Phone,
		BankID: p.Text("bank"), RequestKey: "wd-" + p.ID,
	}, p)
}

// banksPerPage keeps the keyboard well under Telegram's 100 buttons.
const banksPerPage = 20

// onBanks shows one page of the banks SBP can pay to.
func (b *Bot) onBanks(ctx context.Context, p *tgui.Press, _ int64) error {
	l := p.Lang()
	banks, err := b.rubles.SBPBanks(ctx)
	if err != nil {
		return err
	}
	pages := max((len(banks)+banksPerPage-1)/banksPerPage, 1)
	page := int(min(p.Int("page"), int64(pages-1)))
	var kb [][]telego.InlineKeyboardButton
	for _, bank := range banks[page*banksPerPage : min((page+1)*banksPerPage, len(banks))] {
		kb = append(kb, tgui.Row(tgui.Button(bank.Name, tgui.Data(cbBank, bank.BankID))))
	}
	var nav []telego.InlineKeyboardButton
	if page > 0 {
		nav = append(nav, tgui.Button("«", tgui.Data(cbBanks, page-1)))
	}
	if page < pages-1 {
		nav = append(nav, tgui.Button("»", tgui.Data(cbBanks, page+1)))
	}
	if len(nav) > 0 {
		kb = append(kb, nav)
	}
	kb = append(kb, backRow(l))
	return p.Screen.Show(ctx, i18n.T(l, "rub.withdraw_choose_bank"), kb)
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
		banks := tgui.Rows(tgui.Row(tgui.Button(i18n.T(l, "rub.withdraw_choose_bank"), tgui.Data(cbBanks, 0))))
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
func (b *Bot) payout(ctx context.Context, from *telego.User, chatID int64, r rubles.PayoutRequest, cb *tgui.Press) error {
	l := lang(from)
	p, err := b.rubles.RequestPayout(ctx, r)
	if err != nil {
		text := rubles.PayoutErrorText(l, r.Method, err)
		if cb != nil {
			return cb.Answer(ctx, text, true)
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
	return nil
}

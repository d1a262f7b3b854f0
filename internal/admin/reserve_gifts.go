package admin

import (
	"context"
	"fmt"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/ops"
	"github.com/fairdraw/fairdraw/internal/prize"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// The Stars reserve pays the gifts and Premium users redeem (package prize). The admin tops it
// up by paying the bot's own Stars invoice: adm:top shows the amounts, adm:top:<n> sends the
// invoice; the bot records the payment as operator funding when it arrives.

// reserveGiftText is what the reserve screen adds about redemptions: Stars held for claims,
// claims waiting for the reserve, and the Stars Telegram has already matured.
func (p *Panel) reserveGiftText(ctx context.Context, s *screen, f ops.ReserveFigures) string {
	if p.prizes == nil {
		return ""
	}
	held, waiting, err := p.prizes.Totals(ctx)
	if err != nil {
		p.logger.Warn("gift claims not readable", "error", err)
		return ""
	}
	l := s.lang()
	return "\n" + s.t("admin.reserve_gifts", "held", i18n.Money(l, held, ledger.XTR), "waiting", waiting) +
		"\n" + s.t("admin.reserve_available", "available", i18n.Money(l, f.Balance-f.Immature, ledger.XTR))
}

// topUpRow is the reserve screen's top-up button.
func (p *Panel) topUpRow(s *screen) []telego.InlineKeyboardButton {
	if p.prizes == nil {
		return nil
	}
	return tgui.Row(tgui.Button(s.t("admin.topup_button"), cbTopUp))
}

// showTopUp shows the amounts to top up by.
func (p *Panel) showTopUp(ctx context.Context, s *screen) error {
	if p.prizes == nil {
		return s.answer(ctx, s.t("admin.reserve_off"), alert)
	}
	var amounts []telego.InlineKeyboardButton
	for _, n := range prize.TopUpAmounts {
		amounts = append(amounts, tgui.Button(i18n.Money(s.lang(), n, ledger.XTR), tgui.Data(cbTopUpAmount, n)))
	}
	kb := append(tgui.Grid(3, amounts), s.backRow(cbReserve))
	return s.show(ctx, s.t("admin.topup_ask"), kb)
}

// sendTopUp sends the invoice for the amount pressed.
func (p *Panel) sendTopUp(ctx context.Context, s *screen) error {
	if p.prizes == nil {
		return s.answer(ctx, s.t("admin.reserve_off"), alert)
	}
	amount := s.int("amount")
	if !validTopUp(amount) {
		return tgui.ErrUnknown
	}
	_, err := p.api.SendInvoice(ctx, &telego.SendInvoiceParams{
		ChatID:      telego.ChatID{ID: s.from.ID},
		Title:       s.t("admin.topup_title"),
		Description: s.t("admin.topup_description"),
		Payload:     prize.TopUpPayload(s.from.ID, amount),
		Currency:    ledger.XTR,
		Prices:      []telego.LabeledPrice{{Label: s.t("admin.topup_title"), Amount: int(amount)}},
	})
	if err != nil {
		return fmt.Errorf("admin: top-up invoice: %w", err)
	}
	return nil
}

func validTopUp(amount int64) bool {
	for _, n := range prize.TopUpAmounts {
		if n == amount {
			return true
		}
	}
	return false
}

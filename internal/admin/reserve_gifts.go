package admin

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/ops"
	"github.com/fairdraw/fairdraw/internal/prize"
)

// The Stars reserve pays the gifts and Premium users redeem (package prize). The admin tops it
// up by paying the bot's own Stars invoice: adm:top shows the amounts, adm:top:<n> sends the
// invoice; the bot records the payment as operator funding when it arrives.
const cbTopUp = "adm:top"

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
	return row(button(s.t("admin.topup_button"), cbTopUp))
}

// onTopUp shows the amounts (adm:top) or sends the invoice for one (adm:top:<n>).
func (p *Panel) onTopUp(ctx context.Context, s *screen, data string) error {
	if p.prizes == nil {
		return s.answer(ctx, s.t("admin.reserve_off"), true)
	}
	if data == cbTopUp {
		var kb [][]telego.InlineKeyboardButton
		var r []telego.InlineKeyboardButton
		for _, n := range prize.TopUpAmounts {
			r = append(r, button(i18n.Money(s.lang(), n, ledger.XTR), fmt.Sprintf("%s:%d", cbTopUp, n)))
			if len(r) == 3 {
				kb, r = append(kb, r), nil
			}
		}
		if len(r) > 0 {
			kb = append(kb, r)
		}
		kb = append(kb, s.backRow(cbReserve))
		return s.show(ctx, s.t("admin.topup_ask"), kb)
	}
	amount, err := strconv.ParseInt(strings.TrimPrefix(data, cbTopUp+":"), 10, 64)
	if err != nil || !validTopUp(amount) {
		return s.answer(ctx, s.t("error.unknown_button"), true)
	}
	_, err = p.api.SendInvoice(ctx, &telego.SendInvoiceParams{
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
	return s.answer(ctx, "", false)
}

func validTopUp(amount int64) bool {
	for _, n := range prize.TopUpAmounts {
		if n == amount {
			return true
		}
	}
	return false
}

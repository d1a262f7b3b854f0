package admin

import (
	"context"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/reporting"
	"github.com/fairdraw/fairdraw/internal/settings"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// failedShown is how many failed payouts the statistics list.
const failedShown = 10

// showPayouts shows where the money went: prizes credited, ruble withdrawals by status with the
// failed ones and their reasons, refunds of fees, and the commission earned.
func (p *Panel) showPayouts(ctx context.Context, s *screen) error {
	l := s.lang()
	st, err := reporting.PayoutStats(ctx, p.pool, failedShown)
	if err != nil {
		return err
	}
	lines := []string{s.t("admin.payouts_header"), "", s.t("admin.prizes")}
	for _, r := range st.Prizes {
		lines = append(lines, s.t("admin.stat_line", "what", s.t("admin.currency_"+r.Currency), "count", r.Count, "total", i18n.Money(l, r.Amount, r.Currency)))
	}
	if len(st.Prizes) == 0 {
		lines = append(lines, s.t("admin.stat_none"))
	}

	lines = append(lines, "", s.t("admin.payouts_rub"))
	for _, r := range st.RubPayouts {
		lines = append(lines, s.t("admin.stat_line", "what", s.t("admin.payout_"+r.Status), "count", r.Count, "total", i18n.Money(l, r.Amount, ledger.RUB)))
	}
	if len(st.RubPayouts) == 0 {
		lines = append(lines, s.t("admin.stat_none"))
	}
	lines = append(lines, s.t("admin.payouts_held", "amount", i18n.Money(l, st.HeldRUB, ledger.RUB)))

	lines = append(lines, "", s.t("admin.refunds"))
	anyRefund := false
	for _, r := range st.Payments {
		if r.Status == "entered" {
			continue
		}
		anyRefund = true
		what := s.t("admin.currency_"+r.Currency) + ", " + s.t("admin.payment_"+r.Status)
		lines = append(lines, s.t("admin.stat_line", "what", what, "count", r.Count, "total", i18n.Money(l, r.Amount, r.Currency)))
	}
	if !anyRefund {
		lines = append(lines, s.t("admin.stat_none"))
	}

	lines = append(lines, "", s.t("admin.commission"))
	for _, cur := range []string{ledger.XTR, ledger.RUB} {
		c, err := ledger.Balance(ctx, p.pool, ledger.CommissionAccount(cur))
		if err != nil {
			return err
		}
		lines = append(lines, s.t("admin.commission_line", "currency", s.t("admin.currency_"+cur), "amount", i18n.Money(l, c, cur)))
	}

	if failed := st.Failed; len(failed) > 0 {
		lines = append(lines, "", s.t("admin.failed_header", "count", len(failed)))
		for _, f := range failed {
			reason := "—"
			if f.CancelReason != "" {
				// YooKassa's code and party for the operator, and what the winner was told.
				reason = f.CancelReason
				if f.CancelParty != "" {
					reason += " (" + f.CancelParty + ")"
				}
				reason += " — " + i18n.T(l, rubles.PayoutReasonKey(f.CancelReason))
			}
			lines = append(lines, s.t("admin.failed_item", "id", f.ID, "user", f.UserID, "amount", i18n.Money(l, f.Amount, ledger.RUB),
				"status", s.t("admin.payout_"+f.Status), "reason", reason, "at", i18n.FormatTime(l, f.CreatedAt)))
		}
	}
	return s.show(ctx, strings.Join(lines, "\n"), [][]telego.InlineKeyboardButton{
		tgui.Row(tgui.Button(s.t("admin.refresh"), cbPayouts)), s.backRow(cbMenu),
	})
}

// showReserve shows the Stars reserve: the bot's balance against what users hold.
func (p *Panel) showReserve(ctx context.Context, s *screen) error {
	kb := [][]telego.InlineKeyboardButton{
		tgui.Row(tgui.Button(s.t("admin.refresh"), cbReserve), tgui.Button(s.t("admin.reserve_threshold"), tgui.Data(cbSetting, settings.KeyReserveThreshold))),
	}
	if r := p.topUpRow(s); r != nil {
		kb = append(kb, r)
	}
	kb = append(kb, s.backRow(cbMenu))
	if p.reserve == nil {
		return s.show(ctx, s.t("admin.reserve_off"), kb)
	}
	f, err := p.reserve.Figures(ctx)
	if err != nil {
		p.logger.Warn("stars reserve not readable", "error", err)
		return s.show(ctx, s.t("admin.reserve_error", "error", err.Error()), kb)
	}
	l := s.lang()
	m := func(v int64) string { return i18n.Money(l, v, ledger.XTR) }
	state := s.t("admin.reserve_ok")
	if f.Low() {
		state = s.t("admin.reserve_low")
	}
	text := s.t("admin.reserve", "at", i18n.FormatTime(l, f.At), "balance", m(f.Balance), "immature", m(f.Immature),
		"owed", m(f.Owed), "pools", m(f.Pools), "refunds", m(f.Refunds), "spare", m(f.Spare()), "threshold", m(f.Threshold), "state", state)
	return s.show(ctx, text+p.reserveGiftText(ctx, s, f), kb)
}

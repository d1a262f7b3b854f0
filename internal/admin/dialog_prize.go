package admin

import (
	"context"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// The create dialog's choice of how a Stars draw pays its winners (raffle.Params.Prize). It is
// set on the confirmation screen, where one button steps through balance -> gift -> premium;
// a ruble draw has no such choice.
const opPrize = "prize"

var prizeModes = []string{raffle.PrizeBalance, raffle.PrizeGift, raffle.PrizePremium}

func draftPrize(dr Draft) string {
	if dr.Prize == "" {
		return raffle.PrizeBalance
	}
	return dr.Prize
}

// prizeSummary is the confirmation screen's line about the prize; "" for a ruble draw.
func prizeSummary(s *screen, dr Draft) string {
	if dr.Currency != "XTR" {
		return ""
	}
	return "\n" + s.t("admin.create_prize", "prize", s.t("admin.prize_"+draftPrize(dr)))
}

// prizeRow is the button that switches to the next prize mode; nil for a ruble draw.
func prizeRow(s *screen, d Dialog) []telego.InlineKeyboardButton {
	if d.Draft.Currency != "XTR" {
		return nil
	}
	next := prizeModes[0]
	for i, m := range prizeModes {
		if m == draftPrize(d.Draft) {
			next = prizeModes[(i+1)%len(prizeModes)]
		}
	}
	return tgui.Row(tgui.Button(s.t("admin.prize_switch", "prize", s.t("admin.prize_"+next)), dialogData(d, opPrize, next)))
}

// setDraftPrize takes the prize button of the confirmation screen.
func (p *Panel) setDraftPrize(ctx context.Context, s *screen, d Dialog, mode string) error {
	valid := false
	for _, m := range prizeModes {
		valid = valid || m == mode
	}
	if d.Kind != kindCreate || d.Step != stepConfirm || d.Draft.Currency != "XTR" || !valid {
		return s.answer(ctx, s.t("admin.stale"), alert)
	}
	d.Draft.Prize = mode
	d, ok, err := p.save(ctx, s, d)
	if !ok || err != nil {
		return err
	}
	return p.showStep(ctx, s, d, "")
}

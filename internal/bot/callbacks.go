package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
)

// onCallback handles a button press. Every press is answered, so the user's client stops
// showing progress, even when the data is unknown or out of date.
func (b *Bot) onCallback(ctx context.Context, cb *telego.CallbackQuery) error {
	l := lang(&cb.From)
	if ok, err := b.allowed(ctx, cb.From.ID); err != nil || !ok {
		if err == nil {
			return b.answer(ctx, cb, i18n.T(l, "error.flood"), false)
		}
		return err
	}
	var chatID int64
	var msgID int
	if cb.Message != nil && cb.Message.IsAccessible() {
		chatID, msgID = cb.Message.GetChat().ID, cb.Message.GetMessageID()
	}
	if chatID == 0 {
		chatID = cb.From.ID // a message too old to edit: answer in a new one
	}
	data := cb.Data
	var err error
	switch {
	case data == cbMenu:
		err = b.showMenu(ctx, &cb.From, chatID, msgID)
	case strings.HasPrefix(data, cbList):
		cur := strings.TrimPrefix(data, cbList)
		if cur != "XTR" && cur != "RUB" {
			return b.answer(ctx, cb, i18n.T(l, "error.unknown_button"), true)
		}
		err = b.showOpenDraws(ctx, &cb.From, chatID, msgID, cur)
	case strings.HasPrefix(data, cbDraw):
		id, ok := parseID(strings.TrimPrefix(data, cbDraw))
		if !ok {
			return b.answer(ctx, cb, i18n.T(l, "error.unknown_button"), true)
		}
		err = b.showDraw(ctx, &cb.From, chatID, msgID, id)
	case strings.HasPrefix(data, cbPayStars):
		id, ok := parseID(strings.TrimPrefix(data, cbPayStars))
		if !ok {
			return b.answer(ctx, cb, i18n.T(l, "error.unknown_button"), true)
		}
		return b.sendInvoice(ctx, cb, id)
	case strings.HasPrefix(data, cbPayBal):
		id, ok := parseID(strings.TrimPrefix(data, cbPayBal))
		if !ok {
			return b.answer(ctx, cb, i18n.T(l, "error.unknown_button"), true)
		}
		return b.payFromBalance(ctx, cb, id)
	case strings.HasPrefix(data, cbPayRub):
		id, ok := parseID(strings.TrimPrefix(data, cbPayRub))
		if !ok {
			return b.answer(ctx, cb, i18n.T(l, "error.unknown_button"), true)
		}
		return b.payRubles(ctx, cb, chatID, id)
	case data == cbStats:
		err = b.showStats(ctx, &cb.From, chatID, msgID)
	case data == cbRules:
		err = b.reply(ctx, chatID, msgID, i18n.T(l, "rules.text", "proof_url", b.publicURL+"/"), rows(backRow(l)))
	case data == cbBalance:
		err = b.showBalance(ctx, &cb.From, chatID, msgID)
	case data == cbHistory:
		err = b.showHistory(ctx, &cb.From, chatID, msgID)
	case data == cbWithdraw || strings.HasPrefix(data, cbWithdraw+":"):
		return b.onWithdraw(ctx, cb, chatID, msgID)
	case data == cbGift || strings.HasPrefix(data, cbGift+":"):
		return b.onGift(ctx, cb, chatID, msgID)
	case data == cbNewsOff, data == cbNewsOn:
		err = b.setNews(ctx, &cb.From, chatID, data == cbNewsOn)
	case strings.HasPrefix(data, cbAdmin):
		if !b.admins[cb.From.ID] || b.admin == nil {
			b.logger.Warn("forged admin callback", "user_id", cb.From.ID, "data", data)
			if aerr := b.auditDenied(ctx, cb.From.ID, data); aerr != nil {
				return aerr
			}
			return b.answer(ctx, cb, i18n.T(l, "error.not_admin"), true)
		}
		return b.admin.HandleCallback(ctx, cb)
	default:
		b.metrics.malformed.Inc()
		b.logger.Info("unknown callback data", "user_id", cb.From.ID, "data", data)
		return b.answer(ctx, cb, i18n.T(l, "error.unknown_button"), true)
	}
	if err != nil {
		_ = b.answer(ctx, cb, i18n.T(l, "error.internal"), true)
		return err
	}
	return b.answer(ctx, cb, "", false)
}

// answer answers a callback query; alert shows the text as a dialog instead of a toast.
func (b *Bot) answer(ctx context.Context, cb *telego.CallbackQuery, text string, alert bool) error {
	if err := b.api.AnswerCallbackQuery(ctx, &telego.AnswerCallbackQueryParams{CallbackQueryID: cb.ID, Text: text, ShowAlert: alert}); err != nil {
		return fmt.Errorf("bot: answer callback: %w", err)
	}
	return nil
}

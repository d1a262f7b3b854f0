package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/stars"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// sendInvoice sends the Stars invoice of a draw, after checking the user may enter it, so
// nobody is invoiced for an entry that would only be refunded.
func (b *Bot) sendInvoice(ctx context.Context, cb *tgui.Press, drawID int64) error {
	l := lang(&cb.From)
	d, ok, err := b.drawForButton(ctx, cb, drawID)
	if !ok || err != nil {
		return err
	}
	if d.Currency != "XTR" || !b.currencies["XTR"] {
		return b.answer(ctx, cb, i18n.T(l, "pay.xtr_disabled"), true)
	}
	if err := b.draws.CheckEntry(ctx, d.ID, cb.From.ID, d.Currency, d.Fee); err != nil {
		if r, ok := errors.AsType[*raffle.Refusal](err); ok {
			return b.answer(ctx, cb, i18n.T(l, "precheckout.error", "reason", i18n.T(l, "reason."+r.Code)), true)
		}
		return err
	}
	payload := stars.Payload{DrawID: d.ID, UserID: cb.From.ID, Amount: d.Fee}
	_, err = b.api.SendInvoice(ctx, &telego.SendInvoiceParams{
		ChatID:      telego.ChatID{ID: cb.From.ID},
		Title:       tgui.Truncate(i18n.T(l, "invoice.title", "id", d.ID), 32),
		Description: tgui.Truncate(i18n.T(l, "invoice.desc", "title", d.Title, "deadline", i18n.FormatTime(l, d.Deadline)), 255),
		Payload:     payload.String(),
		Currency:    "XTR",
		Prices:      []telego.LabeledPrice{{Label: i18n.T(l, "invoice.label"), Amount: int(d.Fee)}},
	})
	if err != nil {
		_ = b.answer(ctx, cb, i18n.T(l, "error.internal"), true)
		return fmt.Errorf("bot: send invoice: %w", err)
	}
	return b.answer(ctx, cb, "", false)
}

// Bounds of a pre-checkout query: the checks (then the query is refused), and the answer.
// Together well under Telegram's 10 seconds.
const (
	precheckoutTimeout       = 5 * time.Second
	precheckoutAnswerTimeout = 3 * time.Second
)

// onPreCheckout answers a pre-checkout query: ok only if the payload is ours and issued to this
// payer, the amount and currency match, and the draw can take this user's entry now.
func (b *Bot) onPreCheckout(ctx context.Context, pq *telego.PreCheckoutQuery) error {
	start := time.Now()
	defer func() { b.metrics.precheckout.Observe(time.Since(start).Seconds()) }()
	// Telegram gives 10 seconds; answer within a few whatever happens below.
	ctx, cancel := context.WithTimeout(ctx, precheckoutTimeout)
	defer cancel()
	reason := b.precheckoutRefusal(ctx, pq)
	params := &telego.AnswerPreCheckoutQueryParams{PreCheckoutQueryID: pq.ID, Ok: reason == ""}
	if reason != "" {
		l := lang(&pq.From)
		params.ErrorMessage = i18n.T(l, "precheckout.error", "reason", i18n.T(l, "reason."+reason))
		b.logger.Info("pre-checkout refused", slog.Int64("user_id", pq.From.ID), slog.String("reason", reason), slog.String("payload", pq.InvoicePayload))
	}
	if slot, ok := ctx.Value(webhookReplyKey{}).(*webhookReply); ok {
		// Came in a webhook request: the answer goes back in its response, no call of its own.
		slot.precheckout = params
		return nil
	}
	// The answer goes even if the checks used up the time, bounded on its own.
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), precheckoutAnswerTimeout)
	defer acancel()
	if err := b.answerer.AnswerPreCheckoutQuery(actx, params); err != nil {
		// Too late or unknown: Telegram fails the payment itself, and no money moved.
		b.logger.Warn("pre-checkout answer refused", slog.String("query_id", pq.ID), slog.Any("error", err))
	}
	return nil
}

func (b *Bot) precheckoutRefusal(ctx context.Context, pq *telego.PreCheckoutQuery) string {
	if isTopUp(pq.InvoicePayload) {
		return b.topUpRefusal(pq)
	}
	p, err := stars.ParsePayload(pq.InvoicePayload)
	switch {
	case err != nil:
		return raffle.RefuseNotFound
	case p.UserID != pq.From.ID:
		return raffle.RefuseWrongUser
	case pq.Currency != "XTR" || int64(pq.TotalAmount) != p.Amount:
		return raffle.RefuseAmount
	case !b.currencies["XTR"]:
		return raffle.RefuseCurrencyOff
	}
	err = b.draws.CheckEntry(ctx, p.DrawID, pq.From.ID, pq.Currency, int64(pq.TotalAmount))
	if r, ok := errors.AsType[*raffle.Refusal](err); ok {
		return r.Code
	}
	if err != nil {
		// The database is not answering: better to refuse than to take money we cannot book.
		b.logger.Error("pre-checkout check failed", slog.Any("error", err))
		return "internal"
	}
	return ""
}

// onSuccessfulPayment books a Stars payment: one entry, or one refund, in the transaction that
// also marks the update processed. The confirmation or the refund notice is queued with it.
func (b *Bot) onSuccessfulPayment(ctx context.Context, updateID int, m *telego.Message) error {
	sp := m.SuccessfulPayment
	if m.From == nil || sp.TelegramPaymentChargeID == "" {
		b.metrics.malformed.Inc()
		b.logger.Error("successful_payment without payer or charge id", slog.Int("update_id", updateID))
		return nil
	}
	if b.intake == nil || isTopUp(sp.InvoicePayload) {
		if err := b.upsertUser(ctx, b.pool, m.From); err != nil {
			return err
		}
	}
	if isTopUp(sp.InvoicePayload) {
		return b.onTopUp(ctx, updateID, m)
	}
	pay := raffle.Payment{
		Provider: raffle.ProviderTelegram, ExternalID: sp.TelegramPaymentChargeID, UserID: m.From.ID,
		Currency: sp.Currency, Amount: int64(sp.TotalAmount),
	}
	p, err := stars.ParsePayload(sp.InvoicePayload)
	switch {
	case err != nil:
		pay.Refuse = raffle.RefuseNotFound
	case p.UserID != m.From.ID:
		pay.DrawID, pay.Refuse = p.DrawID, raffle.RefuseWrongUser
	default:
		pay.DrawID = p.DrawID
	}
	if pay.Currency != "XTR" || pay.Amount <= 0 {
		b.metrics.malformed.Inc()
		b.logger.Error("successful_payment that is not Stars", slog.String("currency", pay.Currency), slog.Int64("amount", pay.Amount))
		if b.intake != nil {
			return b.upsertUser(ctx, b.pool, m.From)
		}
		return nil
	}
	if b.intake != nil {
		return b.intake.record(ctx, updateID, pay, m.From)
	}
	var res raffle.EntryResult
	err = db.InTx(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := q.ClaimUpdate(ctx, tx, dbq.ClaimUpdateParams{UpdateID: int64(updateID), ProcessedAt: b.now()}); err != nil {
			return fmt.Errorf("bot: claim update: %w", err)
		}
		var err error
		res, err = b.draws.Enter(ctx, tx, pay)
		return err
	})
	if err != nil {
		return fmt.Errorf("bot: book payment %s: %w", sp.TelegramPaymentChargeID, err)
	}
	b.countPayment(res)
	return nil
}

// countPayment counts what became of a booked Stars payment.
func (b *Bot) countPayment(res raffle.EntryResult) {
	switch {
	case res.Replay:
		b.metrics.payments.WithLabelValues("replay").Inc()
	case res.Entered:
		b.metrics.payments.WithLabelValues("entered").Inc()
	default:
		b.metrics.payments.WithLabelValues("refused").Inc()
	}
}

// payFromBalance pays an entry from the user's in-bot balance: the same rules and the same
// single transaction as a Stars payment, keyed by the button press.
func (b *Bot) payFromBalance(ctx context.Context, cb *tgui.Press, drawID int64) error {
	l := lang(&cb.From)
	d, ok, err := b.drawForButton(ctx, cb, drawID)
	if !ok || err != nil {
		return err
	}
	err = db.InTx(ctx, b.pool, func(tx pgx.Tx) error {
		_, err := b.draws.Enter(ctx, tx, raffle.Payment{
			Provider: raffle.ProviderBalance, ExternalID: "cb-" + cb.ID, DrawID: d.ID, UserID: cb.From.ID,
			Currency: d.Currency, Amount: d.Fee,
		})
		return err
	})
	if r, ok := errors.AsType[*raffle.Refusal](err); ok {
		return b.answer(ctx, cb, i18n.T(l, "precheckout.error", "reason", i18n.T(l, "reason."+r.Code)), true)
	}
	if err != nil {
		_ = b.answer(ctx, cb, i18n.T(l, "error.internal"), true)
		return err
	}
	return b.answer(ctx, cb, "", false)
}

// payRubles opens a YooKassa payment for a ruble draw and gives the user the page's link.
func (b *Bot) payRubles(ctx context.Context, cb *tgui.Press, chatID, drawID int64) error {
	l := lang(&cb.From)
	if b.rubles == nil || !b.currencies["RUB"] {
		return b.answer(ctx, cb, i18n.T(l, "pay.rub_disabled"), true)
	}
	d, ok, err := b.drawForButton(ctx, cb, drawID)
	if !ok || err != nil {
		return err
	}
	checkout, err := b.rubles.StartPayment(ctx, rubles.StartPaymentRequest{DrawID: d.ID, UserID: cb.From.ID, Lang: cb.From.LanguageCode})
	url := checkout.ConfirmationURL
	if r, ok := errors.AsType[*raffle.Refusal](err); ok {
		return b.answer(ctx, cb, i18n.T(l, "precheckout.error", "reason", i18n.T(l, "reason."+r.Code)), true)
	}
	if err != nil {
		_ = b.answer(ctx, cb, i18n.T(l, "error.internal"), true)
		return err
	}
	kb := tgui.Rows(tgui.Row(tgui.URLButton(i18n.T(l, "pay.rub", "fee", i18n.Money(l, d.Fee, d.Currency)), url)), backRow(l))
	if err := b.send(ctx, chatID, i18n.T(l, "pay.rub_hint"), kb); err != nil {
		return err
	}
	return b.answer(ctx, cb, "", false)
}

func (b *Bot) auditDenied(ctx context.Context, userID int64, what string) error {
	return audit.Record(ctx, b.pool, audit.Entry{
		At: b.now(), Actor: fmt.Sprintf("user:%d", userID), Action: "admin.denied", Subject: what,
	})
}

// drawForButton loads the draw a button names; when there is none it answers the press and
// reports !ok.
func (b *Bot) drawForButton(ctx context.Context, cb *tgui.Press, drawID int64) (raffle.Draw, bool, error) {
	d, ok, err := b.getDraw(ctx, drawID)
	if err != nil {
		return raffle.Draw{}, false, err
	}
	if !ok {
		return raffle.Draw{}, false, b.answer(ctx, cb, i18n.T(lang(&cb.From), "draw.not_found", "id", drawID), true)
	}
	return d, true, nil
}

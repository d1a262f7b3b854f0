package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/prize"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// isTopUp reports whether an invoice payload is a reserve top-up (sent from the admin panel).
func isTopUp(payload string) bool { return strings.HasPrefix(payload, prize.TopUpPayloadPrefix) }

// topUpRefusal checks a top-up's pre-checkout: the payer is the admin it was issued to and
// still an admin, and the amount is the one on the invoice.
func (b *Bot) topUpRefusal(pq *telego.PreCheckoutQuery) string {
	admin, amount, err := prize.ParseTopUp(pq.InvoicePayload)
	switch {
	case err != nil || b.prizes == nil:
		return raffle.RefuseNotFound
	case admin != pq.From.ID || !b.admins[admin]:
		return raffle.RefuseWrongUser
	case pq.Currency != ledger.XTR || int64(pq.TotalAmount) != amount:
		return raffle.RefuseAmount
	}
	return ""
}

// onTopUp books a paid top-up as operator funding, in the transaction that marks the update
// processed, then sends every waiting claim again and tells the admin. The Stars arrived
// whatever the payload says, so they are booked at the amount Telegram reports.
func (b *Bot) onTopUp(ctx context.Context, updateID int, m *telego.Message) error {
	sp := m.SuccessfulPayment
	amount := int64(sp.TotalAmount)
	if sp.Currency != ledger.XTR || amount <= 0 {
		b.metrics.malformed.Inc()
		b.logger.Error("top-up that is not Stars", slog.String("currency", sp.Currency), slog.Int64("amount", amount))
		return nil
	}
	var replay bool
	err := db.InTx(ctx, b.pool, func(tx pgx.Tx) error {
		if _, err := q.ClaimUpdate(ctx, tx, dbq.ClaimUpdateParams{UpdateID: int64(updateID), ProcessedAt: b.now()}); err != nil {
			return fmt.Errorf("bot: claim update: %w", err)
		}
		var err error
		replay, err = prize.RecordTopUp(ctx, tx, b.now(), m.From.ID, sp.TelegramPaymentChargeID, amount)
		return err
	})
	if err != nil {
		return fmt.Errorf("bot: book top-up %s: %w", sp.TelegramPaymentChargeID, err)
	}
	if replay {
		return nil
	}
	b.logger.Info("stars reserve topped up", slog.Int64("admin_id", m.From.ID), slog.Int64("amount", amount))
	n := 0
	if b.prizes != nil {
		if n, err = b.prizes.RetryUnfinished(ctx); err != nil {
			// The hourly retry picks them up; the top-up itself is booked.
			b.logger.Error("retry waiting gift claims", slog.Any("error", err))
		}
	}
	l := lang(m.From)
	return b.send(ctx, m.From.ID, i18n.T(l, "admin.topup_done", "amount", i18n.Money(l, amount, ledger.XTR), "count", n), nil)
}

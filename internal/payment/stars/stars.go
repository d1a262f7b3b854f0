// Package stars is fairdraw's Telegram Stars side: the invoice payload that names a draw and its
// payer, refunds through refundStarPayment, and the Stars reserve (what users hold against the
// bot's real balance, minding Stars not yet matured).
package stars

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram"
)

// payloadVersion prefixes every invoice payload, so a payload of another shape is refused.
const payloadVersion = "fd1"

// Payload is what an invoice carries: which draw, which user it was issued to, and the fee.
type Payload struct {
	DrawID int64
	UserID int64
	Amount int64
}

// String encodes p as "fd1:<draw>:<user>:<amount>", well under Telegram's 128 bytes.
func (p Payload) String() string {
	return fmt.Sprintf("%s:%d:%d:%d", payloadVersion, p.DrawID, p.UserID, p.Amount)
}

// ErrBadPayload means an invoice payload is not one fairdraw issued.
var ErrBadPayload = errors.New("stars: unrecognised invoice payload")

// ParsePayload decodes an invoice payload.
func ParsePayload(s string) (Payload, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 4 || parts[0] != payloadVersion {
		return Payload{}, ErrBadPayload
	}
	var p Payload
	var err error
	if p.DrawID, err = strconv.ParseInt(parts[1], 10, 64); err != nil || p.DrawID <= 0 {
		return Payload{}, ErrBadPayload
	}
	if p.UserID, err = strconv.ParseInt(parts[2], 10, 64); err != nil || p.UserID <= 0 {
		return Payload{}, ErrBadPayload
	}
	if p.Amount, err = strconv.ParseInt(parts[3], 10, 64); err != nil || p.Amount <= 0 {
		return Payload{}, ErrBadPayload
	}
	return p, nil
}

// Refunder returns Stars payments with refundStarPayment. A refund Telegram already made
// (CHARGE_ALREADY_REFUNDED) counts as done, so a job that crashed after refunding and runs again
// finishes cleanly.
type Refunder struct {
	Bot *telego.Bot
}

// Refund implements raffle.Refunder.
func (r Refunder) Refund(ctx context.Context, p raffle.RefundRequest) (raffle.RefundState, error) {
	err := r.Bot.RefundStarPayment(ctx, &telego.RefundStarPaymentParams{UserID: p.UserID, TelegramPaymentChargeID: p.ExternalID})
	switch {
	case err == nil, telegram.IsChargeAlreadyRefunded(err):
		return raffle.RefundState{Done: true, Ref: "telegram"}, nil
	default:
		if wait, ok := telegram.RetryAfter(err); ok {
			return raffle.RefundState{RetryAfter: wait}, nil
		}
		return raffle.RefundState{}, fmt.Errorf("stars: refund payment %d: %w", p.PaymentID, err)
	}
}

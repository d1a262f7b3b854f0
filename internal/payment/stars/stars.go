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

// ParsePayload decodes an invoice payload. Only the spelling String produces is accepted
// (positive decimal numbers without sign or leading zero), so one payload has one form.
func ParsePayload(s string) (Payload, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 4 || parts[0] != payloadVersion {
		return Payload{}, ErrBadPayload
	}
	var p Payload
	var ok bool
	if p.DrawID, ok = parsePositive(parts[1]); !ok {
		return Payload{}, ErrBadPayload
	}
	if p.UserID, ok = parsePositive(parts[2]); !ok {
		return Payload{}, ErrBadPayload
	}
	if p.Amount, ok = parsePositive(parts[3]); !ok {
		return Payload{}, ErrBadPayload
	}
	return p, nil
}

// parsePositive reads a canonical positive decimal int64: digits only, no leading zero.
func parsePositive(s string) (int64, bool) {
	if s == "" || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
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

package telegram

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	ta "github.com/mymmrac/telego/telegoapi"
)

// Descriptions Telegram sends, from the Bot API server source
// (research/telegram-stars.md, section 4 and 6.2).
const (
	descBlocked         = "Forbidden: bot was blocked by the user"
	descDeactivated     = "Forbidden: user is deactivated"
	descAlreadyRefunded = "CHARGE_ALREADY_REFUNDED"
	descNotModified     = "message is not modified"
	retryAfterPrefix    = "Too Many Requests: retry after "
)

func apiError(err error) (*ta.Error, bool) {
	var e *ta.Error
	if errors.As(err, &e) && e != nil {
		return e, true
	}
	return nil, false
}

// IsBlocked reports whether err is Telegram's 403 for a user the bot can no
// longer write to: "bot was blocked by the user" or "user is deactivated".
func IsBlocked(err error) bool {
	e, ok := apiError(err)
	if !ok || e.ErrorCode != http.StatusForbidden {
		return false
	}
	return e.Description == descBlocked || e.Description == descDeactivated
}

// RetryAfter reports whether err is Telegram's 429 flood control and how
// long to wait before repeating the request: parameters.retry_after, or the
// number in "Too Many Requests: retry after N" when parameters are missing
// (0 if neither is there).
func RetryAfter(err error) (time.Duration, bool) {
	e, ok := apiError(err)
	if !ok || e.ErrorCode != http.StatusTooManyRequests {
		return 0, false
	}
	if e.Parameters != nil && e.Parameters.RetryAfter > 0 {
		return time.Duration(e.Parameters.RetryAfter) * time.Second, true
	}
	if n, err := strconv.Atoi(strings.TrimPrefix(e.Description, retryAfterPrefix)); err == nil && n > 0 {
		return time.Duration(n) * time.Second, true
	}
	return 0, true
}

// IsChargeAlreadyRefunded reports whether err is refundStarPayment's
// 400 "Bad Request: CHARGE_ALREADY_REFUNDED": the payment was refunded
// before, so a repeated refund is done, not failed.
func IsChargeAlreadyRefunded(err error) bool {
	e, ok := apiError(err)
	return ok && e.ErrorCode == http.StatusBadRequest && strings.HasSuffix(e.Description, descAlreadyRefunded)
}

// IsNotModified reports whether err is editMessageText's 400 "message is not
// modified": the message already shows that text and keyboard (a button
// pressed twice), so the edit is done, not failed.
func IsNotModified(err error) bool {
	e, ok := apiError(err)
	return ok && e.ErrorCode == http.StatusBadRequest && strings.Contains(e.Description, descNotModified)
}

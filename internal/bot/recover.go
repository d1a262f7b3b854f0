package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/mymmrac/telego"
)

// ErrHandlerPanicked is what HandleUpdate returns for an update whose handling panicked: the
// panic is logged at Error level (so it reaches Sentry with the user and the update) and the
// update is treated as a passing failure (retried a few times, then skipped) instead of taking
// the whole process down with every other update in flight.
var ErrHandlerPanicked = errors.New("bot: update handler panicked")

// HandleUpdate handles one update; see handleUpdate. A panic in any handler is recovered here.
func (b *Bot) HandleUpdate(ctx context.Context, u telego.Update) (err error) {
	defer func() {
		if v := recover(); v != nil {
			attrs := []any{slog.Int("update_id", u.UpdateID), slog.String("update_kind", updateKind(u)),
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack()))}
			if from := sender(u); from != nil {
				attrs = append(attrs, slog.Int64("user_id", from.ID))
			}
			if u.CallbackQuery != nil {
				// Button data names the draw ("pay:xtr:12"); it carries no personal data.
				attrs = append(attrs, slog.String("callback", u.CallbackQuery.Data))
			}
			b.logger.ErrorContext(ctx, "update handler panicked", attrs...)
			err = fmt.Errorf("%w: %v", ErrHandlerPanicked, v)
		}
	}()
	return b.handleUpdate(ctx, u)
}

func updateKind(u telego.Update) string {
	switch {
	case u.PreCheckoutQuery != nil:
		return "pre_checkout_query"
	case u.Message != nil && u.Message.SuccessfulPayment != nil:
		return "successful_payment"
	case u.Message != nil:
		return "message"
	case u.CallbackQuery != nil:
		return "callback_query"
	case u.MyChatMember != nil:
		return "my_chat_member"
	}
	return "other"
}

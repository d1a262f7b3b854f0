package telegram

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/fairdraw/fairdraw/internal/notify/sender"
)

// Sender delivers notify messages with sendMessage. It is the sender.Sender of serve.
//
// Telegram's answers become what the send worker acts on:
//   - 429: a *sender.RetryAfterError with retry_after (1s if Telegram gave none), wrapping
//     Telegram's error.
//   - 403 of any kind (blocked by the user, user deactivated, can't initiate a conversation,
//     kicked from the group): sender.ErrBlocked, the chat is unreachable until the user
//     comes back.
//   - 400: sender.ErrUndeliverable, a retry would be refused the same way.
//   - anything else (5xx, the network, 401): a plain error, retried with backoff.
type Sender struct {
	bot *telego.Bot
}

// NewSender returns a Sender on bot (see NewBot).
func NewSender(bot *telego.Bot) *Sender { return &Sender{bot: bot} }

// Send sends out as plain text (no parse mode, so names and titles need no escaping), with
// its buttons as an inline keyboard, one per row, and allow_paid_broadcast when
// out.PaidBroadcast. A button with a URL opens it; otherwise it sends its Data as callback.
func (s *Sender) Send(ctx context.Context, out sender.Outgoing) (int64, error) {
	params := &telego.SendMessageParams{ChatID: tu.ID(out.ChatID), Text: out.Text, AllowPaidBroadcast: out.PaidBroadcast}
	if len(out.Buttons) > 0 {
		rows := make([][]telego.InlineKeyboardButton, 0, len(out.Buttons))
		for _, b := range out.Buttons {
			btn := telego.InlineKeyboardButton{Text: b.Text}
			if b.URL != "" {
				btn.URL = b.URL
			} else {
				btn.CallbackData = b.Data
			}
			rows = append(rows, []telego.InlineKeyboardButton{btn})
		}
		params.ReplyMarkup = &telego.InlineKeyboardMarkup{InlineKeyboard: rows}
	}
	// The notify worker took this message's slot itself: the pacer lets it through.
	msg, err := s.bot.SendMessage(AlreadyPaced(ctx), params)
	if err == nil {
		return int64(msg.MessageID), nil
	}
	if after, ok := RetryAfter(err); ok {
		if after <= 0 {
			after = time.Second
		}
		return 0, &sender.RetryAfterError{After: after, Err: err}
	}
	if e, ok := apiError(err); ok {
		switch e.ErrorCode {
		case http.StatusForbidden:
			return 0, fmt.Errorf("telegram: send: %w: %w", sender.ErrBlocked, err)
		case http.StatusBadRequest:
			return 0, fmt.Errorf("telegram: send: %w: %w", sender.ErrUndeliverable, err)
		}
	}
	return 0, fmt.Errorf("telegram: send: %w", err)
}

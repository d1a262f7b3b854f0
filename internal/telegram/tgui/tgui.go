// Package tgui is the Telegram UI kit the bot and the admin panel share: screens (a message
// sent, or edited in place under the button that was pressed), buttons and keyboards, and
// button presses dispatched by a table of callback-data patterns (router.go).
//
// A screen is one message with its inline keyboard. A button press shows its answer by editing
// the message the button was under, so a menu stays one message; a command (or a press whose
// message Telegram no longer lets us edit) sends a new one.
package tgui

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/telegram"
)

// Screen is where a reply is shown: a chat, and the message in it to edit in place (EditID 0:
// send a new message).
type Screen struct {
	API    *telego.Bot
	ChatID int64
	EditID int
}

// Show puts text and the keyboard kb (nil or empty: none) on the screen, without link
// previews. Editing a message into what it already shows (the same button pressed twice) is
// success: Telegram's "message is not modified" is not an error here.
func (s Screen) Show(ctx context.Context, text string, kb [][]telego.InlineKeyboardButton) error {
	var markup *telego.InlineKeyboardMarkup
	if len(kb) > 0 {
		markup = &telego.InlineKeyboardMarkup{InlineKeyboard: kb}
	}
	noPreview := &telego.LinkPreviewOptions{IsDisabled: true}
	if s.EditID == 0 {
		p := &telego.SendMessageParams{ChatID: telego.ChatID{ID: s.ChatID}, Text: text, LinkPreviewOptions: noPreview}
		if markup != nil {
			p.ReplyMarkup = markup
		}
		if _, err := s.API.SendMessage(ctx, p); err != nil {
			return fmt.Errorf("tgui: send message: %w", err)
		}
		return nil
	}
	p := &telego.EditMessageTextParams{ChatID: telego.ChatID{ID: s.ChatID}, MessageID: s.EditID, Text: text,
		LinkPreviewOptions: noPreview, ReplyMarkup: markup}
	if _, err := s.API.EditMessageText(ctx, p); err != nil && !telegram.IsNotModified(err) {
		return fmt.Errorf("tgui: edit message: %w", err)
	}
	return nil
}

// Send sends text with the keyboard kb (nil: none) as a new message to chatID.
func Send(ctx context.Context, api *telego.Bot, chatID int64, text string, kb [][]telego.InlineKeyboardButton) error {
	return Screen{API: api, ChatID: chatID}.Show(ctx, text, kb)
}

// Button is an inline button that sends data (see Data) back when pressed.
func Button(text, data string) telego.InlineKeyboardButton {
	return telego.InlineKeyboardButton{Text: text, CallbackData: data}
}

// URLButton is an inline button that opens url.
func URLButton(text, url string) telego.InlineKeyboardButton {
	return telego.InlineKeyboardButton{Text: text, URL: url}
}

// Row is one row of a keyboard.
func Row(b ...telego.InlineKeyboardButton) []telego.InlineKeyboardButton { return b }

// Rows is a keyboard of the given rows.
func Rows(rows ...[]telego.InlineKeyboardButton) [][]telego.InlineKeyboardButton { return rows }

// Grid lays buttons out cols to a row, the last row holding what is left.
func Grid(cols int, buttons []telego.InlineKeyboardButton) [][]telego.InlineKeyboardButton {
	var kb [][]telego.InlineKeyboardButton
	for len(buttons) > 0 {
		n := min(cols, len(buttons))
		kb = append(kb, buttons[:n:n])
		buttons = buttons[n:]
	}
	return kb
}

// MaxAnswer is the most characters Telegram shows in the answer to a button press.
const MaxAnswer = 200

// Truncate shortens s to at most n characters (not bytes), ending a shortened text with "…".
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

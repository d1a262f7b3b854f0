// Package bottest holds what the bot's and the admin panel's tests share: test users, reading
// the buttons under a message, and updates posted to the webhook as Telegram would. It does not
// import the bot, so the bot's own (internal) tests can use it.
package bottest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// User is test user id, Russian-speaking, named "U<id>".
func User(id int64) telegramtest.User {
	return telegramtest.User{ID: id, FirstName: fmt.Sprintf("U%d", id), LanguageCode: "ru"}
}

// Buttons lists the callback data under m, in order.
func Buttons(m telegramtest.Message) []string {
	var out []string
	if m.ReplyMarkup != nil {
		for _, r := range m.ReplyMarkup.InlineKeyboard {
			for _, b := range r {
				if b.CallbackData != nil {
					out = append(out, *b.CallbackData)
				}
			}
		}
	}
	return out
}

// HasButton reports whether a button under m carries data.
func HasButton(m telegramtest.Message, data string) bool {
	for _, d := range Buttons(m) {
		if d == data {
			return true
		}
	}
	return false
}

// Post sends body to the webhook handler h as Telegram would, with secret as its secret token
// ("" for none), and returns the status code.
func Post(t testing.TB, h http.Handler, secret, body string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/telegram", strings.NewReader(body))
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// CallbackUpdate is the JSON of update updateID: user (Russian, named name) pressing a button
// with data under message 1 of their private chat.
func CallbackUpdate(updateID, user int64, name, data string) string {
	raw, _ := json.Marshal(map[string]any{"update_id": updateID, "callback_query": map[string]any{
		"id": fmt.Sprint("cq", updateID), "chat_instance": "1", "data": data,
		"from":    map[string]any{"id": user, "is_bot": false, "first_name": name, "language_code": "ru"},
		"message": map[string]any{"message_id": 1, "date": 1, "chat": map[string]any{"id": user, "type": "private"}}}})
	return string(raw)
}

package telegram_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fairdraw/fairdraw/internal/notify/sender"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

func TestSenderDelivers(t *testing.T) {
	data := "news:off"
	tests := []struct {
		name      string
		out       sender.Outgoing
		wantPaid  bool
		wantReply *telegramtest.InlineKeyboardMarkup
	}{
		{name: "plain text", out: sender.Outgoing{Text: "Итоги розыгрыша #7"}},
		{
			name: "buttons, one per row",
			out: sender.Outgoing{Text: "Results", Buttons: []sender.RenderedButton{
				{Text: "Proof", URL: "https://draws.test/raffles/7"}, {Text: "🔕 Stop news", Data: "news:off"},
			}},
			wantReply: &telegramtest.InlineKeyboardMarkup{InlineKeyboard: [][]telegramtest.InlineKeyboardButton{
				{{Text: "Proof", URL: "https://draws.test/raffles/7"}}, {{Text: "🔕 Stop news", CallbackData: &data}},
			}},
		},
		{name: "paid broadcast", out: sender.Outgoing{Text: "New draw", PaidBroadcast: true}, wantPaid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, bot := setup(t, telegramtest.Config{GlobalRate: 30, PerChatRate: 1})
			srv.AddUser(alice)
			tt.out.ChatID = alice.ID
			id, err := telegram.NewSender(bot).Send(testContext(t), tt.out)
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			msgs := srv.Messages(alice.ID)
			if len(msgs) != 1 || msgs[0].MessageID != id {
				t.Fatalf("chat holds %+v, want one message with id %d", msgs, id)
			}
			if msgs[0].Text != tt.out.Text {
				t.Fatalf("text %q, want %q", msgs[0].Text, tt.out.Text)
			}
			if diff := cmp.Diff(tt.wantReply, msgs[0].ReplyMarkup); diff != "" {
				t.Fatalf("reply markup (-want +got):\n%s", diff)
			}
			call := srv.Calls("sendMessage")[0]
			paid, sent := call.Params["allow_paid_broadcast"]
			if tt.wantPaid != sent || (sent && string(paid) != "true") {
				t.Fatalf("allow_paid_broadcast = %s (sent %v), want sent %v", paid, sent, tt.wantPaid)
			}
		})
	}
}

func TestSenderErrors(t *testing.T) {
	tests := []struct {
		name           string
		prepare        func(srv *telegramtest.Server)
		sendTwice      bool // the first send must succeed; the second is checked
		wantBlocked    bool
		wantRefused    bool
		wantRetryAfter time.Duration
	}{
		{name: "blocked by the user", prepare: func(srv *telegramtest.Server) { srv.BlockUser(alice) }, wantBlocked: true},
		{name: "user deactivated", prepare: func(srv *telegramtest.Server) { srv.DeactivateUser(alice) }, wantBlocked: true},
		{name: "injected 429", prepare: func(srv *telegramtest.Server) { srv.FailNext("sendMessage", 1, http.StatusTooManyRequests) }, wantRetryAfter: time.Second},
		{name: "per-chat limit", prepare: func(srv *telegramtest.Server) { srv.SetRateLimits(30, 1) }, sendTwice: true, wantRetryAfter: time.Second},
		{name: "bad request", prepare: func(srv *telegramtest.Server) { srv.FailNext("sendMessage", 1, http.StatusBadRequest) }, wantRefused: true},
		{name: "server error", prepare: func(srv *telegramtest.Server) { srv.FailNext("sendMessage", 1, http.StatusInternalServerError) }},
		{name: "bad gateway", prepare: func(srv *telegramtest.Server) { srv.FailNext("sendMessage", 1, http.StatusBadGateway) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, bot := setup(t, telegramtest.Config{})
			srv.AddUser(alice)
			tt.prepare(srv)
			s := telegram.NewSender(bot)
			_, err := s.Send(testContext(t), sender.Outgoing{ChatID: alice.ID, Text: "hello"})
			if tt.sendTwice {
				if err != nil {
					t.Fatalf("first Send: %v", err)
				}
				_, err = s.Send(testContext(t), sender.Outgoing{ChatID: alice.ID, Text: "again"})
			}
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			if got := errors.Is(err, sender.ErrBlocked); got != tt.wantBlocked {
				t.Fatalf("errors.Is(%v, ErrBlocked) = %v, want %v", err, got, tt.wantBlocked)
			}
			if got := errors.Is(err, sender.ErrUndeliverable); got != tt.wantRefused {
				t.Fatalf("errors.Is(%v, ErrUndeliverable) = %v, want %v", err, got, tt.wantRefused)
			}
			retry, isRetry := errors.AsType[*sender.RetryAfterError](err)
			if isRetry != (tt.wantRetryAfter > 0) || (isRetry && retry.After != tt.wantRetryAfter) {
				t.Fatalf("error %v: RetryAfterError %v, want retry after %v", err, retry, tt.wantRetryAfter)
			}
			if isRetry {
				if d, ok := telegram.RetryAfter(err); !ok || d != tt.wantRetryAfter {
					t.Fatalf("the 429 is not kept inside the RetryAfterError: %v", err)
				}
			}
		})
	}
}

func TestSenderUnknownChatIsRefused(t *testing.T) {
	_, bot := setup(t, telegramtest.Config{})
	_, err := telegram.NewSender(bot).Send(testContext(t), sender.Outgoing{ChatID: 999, Text: "hello"})
	if !errors.Is(err, sender.ErrUndeliverable) {
		t.Fatalf("Send to an unknown chat: %v, want ErrUndeliverable", err)
	}
}

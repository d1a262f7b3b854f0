package obs_test

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/fairdraw/fairdraw/internal/obs"
	"github.com/fairdraw/fairdraw/internal/obs/sentrytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestErrorRecordsReachSentryScrubbed: an Error record becomes one Sentry event with its release
// and environment, the draw and user as tags, the error as the exception, and no token, key,
// card number or phone number anywhere in it; Info records do not become events.
func TestErrorRecordsReachSentryScrubbed(t *testing.T) {
	logger, tr := sentrytest.Init(t, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	log := logger.With(slog.Int64("raffle_id", 12))
	log.Info("fine")
	log.Error("payout request failed",
		slog.Int64("user_id", 501),
		slog.Any("error", errors.New(`POST https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0/x: card 4111 1111 1111 1111, phone +7 (900) 123-45-67, key live_abcdefghijklmnopqrstuvwxyz012345`)),
		slog.String("phone", "79001234567"),
		slog.String("detail", "Authorization: Basic c2hvcDpsaXZlX3NlY3JldA== to postgres://fairdraw:hunter2@db/fairdraw, sbp 79001234567"),
		slog.String("bot_token", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0"),
		slog.Int64("amount", 27000),
	)
	events := tr.Events()
	if len(events) != 1 {
		t.Fatalf("%d events, want 1 (Info must not be sent)", len(events))
	}
	e := events[0]
	if e.Release != "test-release" || e.Environment != "test" {
		t.Errorf("release %q environment %q", e.Release, e.Environment)
	}
	if e.Message != "payout request failed" || e.Tags["raffle_id"] != "12" || e.Tags["user_id"] != "501" || e.User.ID != "501" {
		t.Errorf("event context: message %q tags %v user %+v", e.Message, e.Tags, e.User)
	}
	if len(e.Exception) != 1 || !strings.Contains(e.Exception[0].Value, "[card]") || !strings.Contains(e.Exception[0].Value, "[phone]") ||
		!strings.Contains(e.Exception[0].Value, "[token]") {
		t.Errorf("exception %+v", e.Exception)
	}
	if e.Contexts["log"]["amount"] != "27000" {
		t.Errorf("amount lost: %v", e.Contexts["log"])
	}
	all := dump(e)
	for _, secret := range []string{"AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0", "4111 1111 1111 1111", "123-45-67", "79001234567",
		"live_abcdefghijklmnopqrstuvwxyz012345", "c2hvcDpsaXZlX3NlY3JldA==", "hunter2"} {
		if strings.Contains(all, secret) {
			t.Errorf("%q reached Sentry:\n%s", secret, all)
		}
	}
}

func dump(e any) string {
	var b strings.Builder
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(fmtAny(e), "\n", " "), "\t", " "))
	return b.String()
}

func TestScrubStringKeepsOrdinaryNumbers(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"a draw id and an amount", "draw 12 paid 27000 kopecks", "draw 12 paid 27000 kopecks"},
		{"a Telegram user id", "user 5012345678", "user 5012345678"},
		{"a YooKassa payment id", "payment 2d9b8c1e-000f-5000-8000-18db351245c7", "payment 2d9b8c1e-000f-5000-8000-18db351245c7"},
		{"a non-Luhn long number", "ref 1234567890123", "ref 1234567890123"},
		{"a card", "card 5555555555554444", "card [card]"},
		{"a phone with 8", "8 900 123 45 67", "[phone]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := obs.ScrubString(tc.in); got != tc.want {
				t.Fatalf("ScrubString(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

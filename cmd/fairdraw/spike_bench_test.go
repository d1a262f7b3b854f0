package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/payment/stars"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// BenchmarkPaymentBurstThroughServe: 2,000 Stars payments for one draw completed within a
// moment, delivered to serve (long polling, as in production without PUBLIC_URL) as
// successful_payment updates. entries/s is payments booked as entries per second, from the
// first update to the last entry; ledger check must be clean after.
//
// go test -run '^$' -bench PaymentBurstThroughServe -benchtime 1x ./cmd/fairdraw/
func BenchmarkPaymentBurstThroughServe(b *testing.B) {
	const burst = 2000
	tg, env, _ := spikeServe(b, 1000)
	d := createDraw(b, env, "--min", "2", "--max-per-user", "100")
	users := make([]telegramtest.User, burst)
	for i := range users {
		users[i] = telegramtest.User{ID: int64(200000 + i), FirstName: fmt.Sprintf("P%d", i), LanguageCode: "ru"}
		tg.SendText(users[i], "/start") // Telegram completes payments of users who talked to the bot
	}
	waitLong(b, "greetings", 2*time.Minute, func() bool {
		for _, u := range users {
			if len(botMessages(tg, u.ID)) == 0 {
				return false
			}
		}
		return true
	})
	var elapsed time.Duration
	total := 0
	for b.Loop() {
		start := time.Now()
		for _, u := range users {
			tg.CompletePayment(u, d.Fee, stars.Payload{DrawID: d.ID, UserID: u.ID, Amount: d.Fee}.String())
		}
		total += burst
		waitLong(b, "entries", 10*time.Minute, func() bool { return show(b, env, d.ID).Entries >= total })
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "entries/s")
	b.ReportMetric(0, "ns/op")
	if code, out, errOut := runCmd(b, b.Context(), env, "ledger", "check"); code != 0 {
		b.Fatalf("ledger check: %s %s", out, errOut)
	}
}

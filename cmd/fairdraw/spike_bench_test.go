package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/payment/stars"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// BenchmarkPaymentBurstThroughServe: 2,000 Stars payments for one draw completed within a
// moment, delivered to serve (long polling, as in production without PUBLIC_URL) as
// successful_payment updates. entries/s is payments booked as entries per second, from the
// first update to the last entry; ledger check must be clean after.
//
// Each payment's confirmation is sent while the rest are booked, on the same cores, so the
// figure depends on the send rate: send=100 is the launch spike's SEND_RATE_GLOBAL (Telegram
// itself allows about 30 messages a second), send=1000 a bot with paid broadcasts sending
// every confirmation as fast as they are booked. The entries are counted with one query on a
// connection of the benchmark's own, not by starting the fairdraw command.
//
// go test -run '^$' -bench PaymentBurstThroughServe -benchtime 1x ./cmd/fairdraw/
func BenchmarkPaymentBurstThroughServe(b *testing.B) {
	for _, rate := range []int{100, 1000} {
		b.Run(fmt.Sprintf("send=%d", rate), func(b *testing.B) { benchPaymentBurst(b, rate) })
	}
}

func benchPaymentBurst(b *testing.B, rate int) {
	const burst = 2000
	tg, env, _ := spikeServe(b, rate)
	d := createDraw(b, env, "--min", "2", "--max-per-user", "100")
	conn, err := pgx.Connect(b.Context(), env["DATABASE_URL"])
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(context.Background())
	entries := func() int {
		var n int
		if err := conn.QueryRow(b.Context(), "SELECT count(*) FROM entries WHERE raffle_id = $1", d.ID).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	users := make([]telegramtest.User, burst)
	for i := range users {
		users[i] = telegramtest.User{ID: int64(200000 + i), FirstName: fmt.Sprintf("P%d", i), LanguageCode: "ru"}
		tg.SendText(users[i], "/start") // Telegram completes payments of users who talked to the bot
	}
	waitLong(b, "greetings", 5*time.Minute, func() bool {
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
		deadline := start.Add(10 * time.Minute)
		for entries() < total {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d payments booked after 10 minutes", entries(), total)
			}
			time.Sleep(10 * time.Millisecond)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "entries/s")
	b.ReportMetric(0, "ns/op")
	if code, out, errOut := runCmd(b, b.Context(), env, "ledger", "check"); code != 0 {
		b.Fatalf("ledger check: %s %s", out, errOut)
	}
}

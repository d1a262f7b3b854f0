package main

import (
	"context"
	"fmt"
	"slices"
	"sync"
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
	entries := entryCounter(b, env, d.ID)
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

// BenchmarkPreCheckoutBurstThroughServe: 2,000 users who have their invoices press Pay at the
// same moment. Each Pay is telegramtest's PayInvoice: the pre_checkout_query goes to serve and
// the user waits for serve's answerPreCheckoutQuery, as Telegram waits (10 s at most). p50-ms
// and p99-ms are from the press to the answer; every payment must then become an entry, and
// ledger check must be clean.
//
// intake=polling: the queries go out in getUpdates, at most 100 a call, one call at a time
// (Telegram allows no more), and each answer is a call of its own. intake=webhook: Telegram
// POSTs them over up to max_connections (serve asks for 100) and the answer rides in the
// response. Against the real Telegram each getUpdates also costs a network round trip, so a
// bot that expects bursts like this one should run in webhook mode.
//
// go test -run '^$' -bench PreCheckoutBurstThroughServe -benchtime 1x ./cmd/fairdraw/
func BenchmarkPreCheckoutBurstThroughServe(b *testing.B) {
	for _, intake := range []string{"polling", "webhook"} {
		b.Run("intake="+intake, func(b *testing.B) { benchPreCheckoutBurst(b, intake) })
	}
}

func benchPreCheckoutBurst(b *testing.B, intake string) {
	const burst = 2000
	tg, env, _ := spikeServeIntake(b, 1000, intake)
	d := createDraw(b, env, "--min", "2", "--max-per-user", "100")
	users := make([]telegramtest.User, burst)
	for i := range users {
		users[i] = telegramtest.User{ID: int64(300000 + i), FirstName: fmt.Sprintf("Q%d", i), LanguageCode: "ru"}
		tg.SendText(users[i], fmt.Sprintf("/join_raffle %d", d.ID))
	}
	entries := entryCounter(b, env, d.ID)
	invoices := make([]telegramtest.Message, burst)
	pressed, have := make([]bool, burst), make([]bool, burst)
	waitLong(b, "invoices", 5*time.Minute, func() bool {
		all := true
		for i, u := range users {
			if !have[i] {
				invoices[i], have[i] = toInvoice(b, tg, u, d.ID, &pressed[i])
				all = all && have[i]
			}
		}
		return all
	})
	var lat []time.Duration
	var mu sync.Mutex
	total := 0
	for b.Loop() {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, u := range users {
			wg.Go(func() {
				<-start
				t0 := time.Now()
				if _, err := tg.PayInvoice(b.Context(), u, invoices[i]); err != nil {
					b.Errorf("pay %d: %v", u.ID, err)
				}
				took := time.Since(t0)
				mu.Lock()
				lat = append(lat, took)
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		total += burst
		waitLong(b, "entries", 10*time.Minute, func() bool { return entries() >= total })
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	// From each query queued for the bot to its answer: serve's share, without the time the
	// fake took to take 2,000 presses one after another under its lock.
	bot := tg.PreCheckoutAnswerTimes()
	if len(bot) != len(lat) {
		b.Fatalf("%d answers timed, %d presses", len(bot), len(lat))
	}
	slices.Sort(bot)
	b.ReportMetric(float64(bot[len(bot)/2].Microseconds())/1000, "bot-p50-ms")
	b.ReportMetric(float64(bot[len(bot)*99/100].Microseconds())/1000, "bot-p99-ms")
	b.ReportMetric(0, "ns/op")
	if code, out, errOut := runCmd(b, b.Context(), env, "ledger", "check"); code != 0 {
		b.Fatalf("ledger check: %s %s", out, errOut)
	}
}

// entryCounter returns a function counting the draw's entries with one query on a connection
// of the benchmark's own (starting the fairdraw command to ask would load what is measured).
func entryCounter(b *testing.B, env map[string]string, drawID int64) func() int {
	conn, err := pgx.Connect(b.Context(), env["DATABASE_URL"])
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close(context.Background()) })
	return func() int {
		var n int
		if err := conn.QueryRow(b.Context(), "SELECT count(*) FROM entries WHERE raffle_id = $1", drawID).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
}

package bot

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/payment/stars"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

func benchFixture(b *testing.B) (*Bot, *raffletest.Bundle, raffle.Draw) {
	tg := telegramtest.NewServer(b, telegramtest.Config{})
	api, err := telegram.NewBot(tg.Token(), tg.URL(), tg.Client(), nil)
	if err != nil {
		b.Fatal(err)
	}
	rt := raffletest.Setup(b, raffletest.Options{NoStart: true, MaxEntriesPerDay: 1 << 30})
	bot := New(Config{API: api, Pool: rt.Pool, Draws: rt.Svc, Logger: rt.Logger, Currencies: []string{"XTR"}})
	d, err := rt.Svc.Create(b.Context(), raffle.Params{Title: "bench", Currency: "XTR", Fee: 10, Min: 1, Deadline: time.Now().Add(time.Hour)}, "cli")
	if err != nil {
		b.Fatal(err)
	}
	return bot, rt, d
}

func decodeOrFail(b *testing.B, v any) telego.Update {
	raw, _ := json.Marshal(v)
	u, err := decode(raw)
	if err != nil {
		b.Fatal(err)
	}
	return u
}

// BenchmarkPreCheckout measures how long answering a pre-checkout query takes (check the draw
// and the user's limits, answer Telegram) with 100 queries arriving at once. Telegram allows 10 s.
func BenchmarkPreCheckout(b *testing.B) {
	bot, _, d := benchFixture(b)
	const concurrent = 100
	var lat []time.Duration
	var mu sync.Mutex
	var seq atomic.Int64
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		for i := range concurrent {
			user := int64(10_000 + i)
			n := seq.Add(1)
			u := decodeOrFail(b, map[string]any{"update_id": n, "pre_checkout_query": map[string]any{
				"id": fmt.Sprint(n), "currency": "XTR", "total_amount": 10,
				"invoice_payload": stars.Payload{DrawID: d.ID, UserID: user, Amount: 10}.String(),
				"from":            map[string]any{"id": user, "is_bot": false, "first_name": "B"}}})
			wg.Go(func() {
				start := time.Now()
				if err := bot.HandleUpdate(b.Context(), u); err != nil {
					b.Error(err)
				}
				mu.Lock()
				lat = append(lat, time.Since(start))
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkSuccessfulPayment measures booking Stars payments (payment row, ledger posting,
// entry, confirmation job, in one transaction) with 8 handled at once.
func BenchmarkSuccessfulPayment(b *testing.B) {
	bot, rt, d := benchFixture(b)
	var seq atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	per := max(b.N/8, 1)
	for range 8 {
		wg.Go(func() {
			for range per {
				n := seq.Add(1)
				user := 20_000 + n
				u := decodeOrFail(b, map[string]any{"update_id": n, "message": map[string]any{
					"message_id": n, "date": 1, "chat": map[string]any{"id": user, "type": "private"},
					"from": map[string]any{"id": user, "is_bot": false, "first_name": "B"},
					"successful_payment": map[string]any{"currency": "XTR", "total_amount": 10,
						"invoice_payload":            stars.Payload{DrawID: d.ID, UserID: user, Amount: 10}.String(),
						"telegram_payment_charge_id": fmt.Sprintf("bench-charge-%d", n), "provider_payment_charge_id": ""}}})
				if err := bot.HandleUpdate(b.Context(), u); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(seq.Load())/b.Elapsed().Seconds(), "entries/s")
	if got := rt.Count(b, "SELECT count(*) FROM entries"); got != int(seq.Load()) {
		b.Fatalf("%d entries for %d payments", got, seq.Load())
	}
}

package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/payment/stars"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// BenchmarkPaymentBurst measures 2,000 successful_payment updates for one draw arriving at
// once (100 handled at a time, as the poller does) through the payment intake: record-ms is
// how long until every update was answered, entries/s the payments booked per second from
// the first update to the last entry.
//
// go test -run '^$' -bench PaymentBurst -benchtime 1x ./internal/bot/
func BenchmarkPaymentBurst(b *testing.B) {
	const burst, parallel = 2000, 100
	bot, rt, d := benchFixture(b)
	in := bot.EnablePaymentIntake()
	ctx, cancel := context.WithCancel(b.Context())
	done := make(chan struct{})
	go func() { in.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	var recorded, booked time.Duration
	total := 0
	for round := range b.N {
		updates := make(chan []byte, burst)
		for i := range burst {
			n := int64(round*burst + i + 1)
			user := 30_000 + n
			updates <- paymentUpdate(b, n, user, d.ID, fmt.Sprintf("burst-%d", n))
		}
		close(updates)
		start := time.Now()
		var wg sync.WaitGroup
		for range parallel {
			wg.Go(func() {
				for raw := range updates {
					u, err := decode(raw)
					if err == nil {
						err = bot.HandleUpdate(b.Context(), u)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		recorded += time.Since(start)
		total += burst
		for rt.Count(b, "SELECT count(*) FROM entries") < total {
			if time.Since(start) > 10*time.Minute {
				b.Fatalf("not every payment booked after 10 minutes")
			}
			time.Sleep(20 * time.Millisecond)
		}
		booked += time.Since(start)
	}
	b.ReportMetric(float64(recorded.Milliseconds())/float64(b.N), "record-ms")
	b.ReportMetric(float64(total)/booked.Seconds(), "entries/s")
	b.ReportMetric(0, "ns/op")
	rt.LedgerOK(b)
}

// BenchmarkPreCheckoutBurst is BenchmarkPreCheckout with 2,000 queries arriving at once,
// answered to a Bot API that answers at once (a plain handler, not telegramtest, whose
// recording and spec checks under one lock would be most of what is measured): p50-ms and
// p99-ms are fairdraw's own latency, update in to answer out. Every query must be answered ok.
func BenchmarkPreCheckoutBurst(b *testing.B) {
	const concurrent = 2000
	var oks, refusals atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if strings.Contains(string(body), `"ok":true`) {
			oks.Add(1)
		} else {
			refusals.Add(1)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true,"result":true}`)
	}))
	b.Cleanup(api.Close)
	// As serve's: keep-alive connections, not one per call.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = 64, 64
	tg, err := telegram.NewBot(telegramtest.Token, api.URL, &http.Client{Transport: tr}, nil)
	if err != nil {
		b.Fatal(err)
	}
	bot, _, d := benchFixture(b)
	// As serve's: answers through telegram.PreCheckoutAnswerer.
	bot.api, bot.answerer = tg, telegram.NewPreCheckoutAnswerer(telegramtest.Token, api.URL, &http.Client{Transport: tr})
	n := preCheckoutBurst(b, concurrent, func(n, i int64) func() {
		u := decodeOrFail(b, preCheckoutUpdate(n, 40_000+i, d.ID))
		return func() {
			if err := bot.HandleUpdate(b.Context(), u); err != nil {
				b.Error(err)
			}
		}
	})
	if refusals.Load() != 0 || oks.Load() != n {
		b.Fatalf("%d answered ok, %d refused, of %d", oks.Load(), refusals.Load(), n)
	}
}

// BenchmarkPreCheckoutBurstWebhook is BenchmarkPreCheckoutBurst in webhook mode: 2,000
// pre-checkout queries POSTed at once to the webhook over up to 100 connections (the most
// setWebhook's max_connections allows), each answered in its response. p50-ms and p99-ms are
// from each POST to its answer, what Telegram waits; both sides share this machine's cores.
//
// go test -run '^$' -bench PreCheckoutBurstWebhook -benchtime 5x ./internal/bot/
func BenchmarkPreCheckoutBurstWebhook(b *testing.B) {
	const concurrent, secret = 2000, "bench-secret"
	bot, _, d := benchFixture(b)
	srv := httptest.NewServer(bot.WebhookHandler(secret))
	b.Cleanup(srv.Close)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = 100, 100
	client := &http.Client{Transport: tr}
	preCheckoutBurst(b, concurrent, func(n, i int64) func() {
		raw, _ := json.Marshal(preCheckoutUpdate(n, 60_000+i, d.ID))
		return func() {
			req, _ := http.NewRequestWithContext(b.Context(), http.MethodPost, srv.URL, bytes.NewReader(raw))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"ok":true`)) {
				b.Errorf("answer %d %s", resp.StatusCode, body)
			}
		}
	})
}

// preCheckoutBurst runs b's rounds: in each, concurrent calls made by prepare (given the update
// number, counted across rounds, and the call's index in the round) start at once, and each is
// timed. It reports p50-ms and p99-ms over all calls and returns how many were made.
func preCheckoutBurst(b *testing.B, concurrent int, prepare func(n, i int64) func()) int64 {
	var lat []time.Duration
	var mu sync.Mutex
	n := int64(0)
	for b.Loop() {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range concurrent {
			n++
			call := prepare(n, int64(i))
			wg.Go(func() {
				<-start
				t0 := time.Now()
				call()
				took := time.Since(t0)
				mu.Lock()
				lat = append(lat, took)
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
	return n
}

// preCheckoutUpdate is update n: user's pre-checkout query for one 10-Star entry to draw.
func preCheckoutUpdate(n, user, draw int64) map[string]any {
	return map[string]any{"update_id": n, "pre_checkout_query": map[string]any{
		"id": fmt.Sprint(n), "currency": "XTR", "total_amount": 10,
		"invoice_payload": stars.Payload{DrawID: draw, UserID: user, Amount: 10}.String(),
		"from":            map[string]any{"id": user, "is_bot": false, "first_name": "B"}}}
}

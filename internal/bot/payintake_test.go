package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/payment/stars"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

func paymentUpdate(tb testing.TB, updateID, user int64, drawID int64, charge string) []byte {
	tb.Helper()
	return mustJSON(tb, map[string]any{"update_id": updateID, "message": map[string]any{
		"message_id": updateID, "date": 1, "chat": map[string]any{"id": user, "type": "private"},
		"from": map[string]any{"id": user, "is_bot": false, "first_name": "P"},
		"successful_payment": map[string]any{"currency": "XTR", "total_amount": 10,
			"invoice_payload":            stars.Payload{DrawID: drawID, UserID: user, Amount: 10}.String(),
			"telegram_payment_charge_id": charge, "provider_payment_charge_id": ""}}})
}

// Recorded payments are booked once each, in arrival order, in batches: a redelivered update
// and a second update with the same charge change nothing, payments beyond the draw's
// maximum are refunded, and the ledger balances.
func TestPaymentIntakeBooksEachPaymentOnce(t *testing.T) {
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	api, err := telegram.NewBot(tg.Token(), tg.URL(), tg.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rt := raffletest.Setup(t, raffletest.Options{HoldMessages: true})
	b := New(Config{API: api, Pool: rt.Pool, Draws: rt.Svc, Logger: rt.Logger, Currencies: []string{"XTR"}})
	in := b.EnablePaymentIntake()
	in.batch = 3 // several batches for five payments
	d, err := rt.Svc.Create(t.Context(), raffle.Params{Title: "intake", Currency: "XTR", Fee: 10, Min: 1, Max: 4, Deadline: time.Now().Add(time.Hour)}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	handle := func(raw []byte) {
		t.Helper()
		u, err := decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.HandleUpdate(t.Context(), u); err != nil {
			t.Fatalf("update %d: %v", u.UpdateID, err)
		}
	}
	for i := range 5 {
		handle(paymentUpdate(t, int64(100+i), int64(500+i), d.ID, fmt.Sprintf("intake-%d", i)))
	}
	handle(paymentUpdate(t, 100, 500, d.ID, "intake-0")) // the same update delivered again
	handle(paymentUpdate(t, 200, 501, d.ID, "intake-1")) // the same charge in another update
	if n := rt.Count(t, "SELECT count(*) FROM payment_intake"); n != 5 {
		t.Fatalf("%d payments recorded, want 5", n)
	}
	if n := rt.Count(t, "SELECT count(*) FROM entries"); n != 0 {
		t.Fatalf("%d entries before the intake ran", n)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { in.Run(ctx); close(done) }()
	raffletest.WaitFor(t, "every payment booked", func() bool { return rt.Count(t, "SELECT count(*) FROM payment_intake") == 0 })
	// A payment recorded again after it was booked (redelivered after a restart) is a replay.
	handle(paymentUpdate(t, 300, 502, d.ID, "intake-2"))
	raffletest.WaitFor(t, "the replay booked", func() bool { return rt.Count(t, "SELECT count(*) FROM payment_intake") == 0 })
	cancel()
	<-done
	if n := rt.Count(t, "SELECT count(*) FROM entries WHERE raffle_id = $1", d.ID); n != 4 {
		t.Fatalf("%d entries, want the draw's maximum of 4", n)
	}
	// Entries follow arrival: the fifth payment is the one refunded.
	if n := rt.Count(t, "SELECT count(*) FROM entries e JOIN payments p ON p.id = e.payment_id WHERE p.external_id = 'intake-4'"); n != 0 {
		t.Fatalf("the last payment became an entry")
	}
	if n := rt.Count(t, "SELECT count(*) FROM payments"); n != 5 {
		t.Fatalf("%d payments booked, want 5", n)
	}
	if n := rt.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'raffle_refund'"); n != 1 {
		t.Fatalf("%d refunds queued, want 1", n)
	}
	rt.LedgerOK(t)
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// Stopping the intake in the middle of a burst (its transaction rolled back, as a crash
// leaves it), restarting it and delivering every update again books exactly one entry per
// payment.
func TestPaymentIntakeStoppedMidBurst(t *testing.T) {
	const payments = 300
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	api, err := telegram.NewBot(tg.Token(), tg.URL(), tg.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rt := raffletest.Setup(t, raffletest.Options{HoldMessages: true})
	b := New(Config{API: api, Pool: rt.Pool, Draws: rt.Svc, Logger: rt.Logger, Currencies: []string{"XTR"}})
	in := b.EnablePaymentIntake()
	in.batch = 50
	d, err := rt.Svc.Create(t.Context(), raffle.Params{Title: "crash", Currency: "XTR", Fee: 10, Min: 1, Deadline: time.Now().Add(time.Hour)}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	deliver := func() {
		for i := range payments {
			u, err := decode(paymentUpdate(t, int64(1000+i), int64(9000+i), d.ID, fmt.Sprintf("crash-%d", i)))
			if err != nil {
				t.Fatal(err)
			}
			if err := b.HandleUpdate(t.Context(), u); err != nil {
				t.Fatal(err)
			}
		}
	}
	deliver()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { in.Run(ctx); close(done) }()
	raffletest.WaitFor(t, "some entries", func() bool { return rt.Count(t, "SELECT count(*) FROM entries") > 0 })
	cancel()
	<-done
	booked := rt.Count(t, "SELECT count(*) FROM entries")
	if left := rt.Count(t, "SELECT count(*) FROM payment_intake"); left+booked != payments {
		t.Fatalf("%d booked and %d recorded after the stop, want %d in all", booked, left, payments)
	}
	deliver() // Telegram delivers everything again after the restart
	ctx, cancel = context.WithCancel(t.Context())
	done = make(chan struct{})
	go func() { in.Run(ctx); close(done) }()
	raffletest.WaitFor(t, "every payment booked", func() bool { return rt.Count(t, "SELECT count(*) FROM payment_intake") == 0 })
	cancel()
	<-done
	if n := rt.Count(t, "SELECT count(*) FROM entries"); n != payments {
		t.Fatalf("%d entries for %d payments", n, payments)
	}
	if n := rt.Count(t, "SELECT count(DISTINCT payment_id) FROM entries"); n != payments {
		t.Fatalf("%d payments entered", n)
	}
	rt.LedgerOK(t)
}

// Payments arriving together are recorded together, with the same guarantees as one by one:
// an update delivered twice in the same burst and a charge in two updates are recorded once,
// every payer is upserted, and a payment that cannot be recorded fails only its own call (the
// batch is done again call by call).
func TestPaymentRecordsTogether(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := f.bot.EnablePaymentIntake()
	d := f.createDraw(t, nil)
	const n = 60
	var wg sync.WaitGroup
	errs := make([]error, n+3)
	start := make(chan struct{})
	for i := range n + 3 {
		wg.Go(func() {
			<-start
			updateID, user, charge := int64(7000+i), int64(3000+i), fmt.Sprintf("together-%d", i)
			switch i {
			case n: // update 7000 again
				updateID, user, charge = 7000, 3000, "together-0"
			case n + 1: // charge together-1 in another update
				updateID, user, charge = 7100, 3001, "together-1"
			case n + 2: // cannot be recorded: a charge id must not be empty
				errs[i] = in.record(t.Context(), 7200, raffle.Payment{Provider: raffle.ProviderTelegram, UserID: 3999,
					Currency: "XTR", Amount: 10, DrawID: d.ID}, &telego.User{ID: 3999, FirstName: "Bad"})
				return
			}
			u, err := decode(paymentUpdate(t, updateID, user, d.ID, charge))
			if err == nil {
				err = f.bot.HandleUpdate(t.Context(), u)
			}
			errs[i] = err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i == n+2) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if got := f.rt.Count(t, "SELECT count(*) FROM payment_intake"); got != n {
		t.Fatalf("%d payments recorded, want %d", got, n)
	}
	if got := f.rt.Count(t, "SELECT count(*) FROM users WHERE telegram_id BETWEEN 3000 AND 3999"); got != n {
		t.Fatalf("%d payers upserted, want %d", got, n)
	}
	if got := f.rt.Count(t, "SELECT count(*) FROM processed_updates WHERE update_id = 7200"); got != 0 {
		t.Fatalf("the failed payment's update was claimed")
	}
	// The intake books them all.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { in.Run(ctx); close(done) }()
	raffletest.WaitFor(t, "every payment booked", func() bool { return f.rt.Count(t, "SELECT count(*) FROM payment_intake") == 0 })
	cancel()
	<-done
	if got := f.rt.Count(t, "SELECT count(*) FROM entries WHERE raffle_id = $1", d.ID); got != n {
		t.Fatalf("%d entries, want %d", got, n)
	}
	f.rt.LedgerOK(t)
}

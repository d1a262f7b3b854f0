package raffle_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/fairness/drand/drandtest"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func params(mod func(*raffle.Params)) raffle.Params {
	p := raffle.Params{Title: "Весенний розыгрыш", Currency: "XTR", Fee: 10, Min: 2, Winners: 1, CommissionBP: 1000, Deadline: time.Now().Add(time.Hour)}
	if mod != nil {
		mod(&p)
	}
	return p
}

func TestCreateValidates(t *testing.T) {
	b := raffletest.Setup(t, raffletest.Options{NoStart: true})
	for _, tc := range []struct {
		name string
		mod  func(*raffle.Params)
		want string
	}{
		{"no title", func(p *raffle.Params) { p.Title = " " }, "title"},
		{"currency", func(p *raffle.Params) { p.Currency = "USD" }, "currency"},
		{"fee", func(p *raffle.Params) { p.Fee = 0 }, "fee"},
		{"ruble fee under a ruble", func(p *raffle.Params) { p.Currency, p.Fee = "RUB", 50 }, "fee"},
		{"winners above min", func(p *raffle.Params) { p.Winners = 3 }, "winners"},
		{"max below min", func(p *raffle.Params) { p.Max = 1 }, "max"},
		{"commission", func(p *raffle.Params) { p.CommissionBP = 10001 }, "commission"},
		{"past deadline", func(p *raffle.Params) { p.Deadline = time.Now().Add(-time.Minute) }, "deadline"},
		{"mode", func(p *raffle.Params) { p.Mode = "whenever" }, "mode"},
		{"source", func(p *raffle.Params) { p.Source = "dice" }, "source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.Svc.Create(t.Context(), params(tc.mod), "cli")
			if !errors.Is(err, raffle.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want invalid %s", err, tc.want)
			}
		})
	}
	if n := b.Count(t, "SELECT count(*) FROM raffles"); n != 0 {
		t.Fatalf("%d draws created from invalid params", n)
	}
}

// TestStarsDrawOpenToSettled: 10 entrants, k=2, Random.org, forced draw; the pool empties
// exactly into prizes and commission, everyone is told, the proof verifies.
func TestStarsDrawOpenToSettled(t *testing.T) {
	b := raffletest.Setup(t, raffletest.Options{})
	d, err := b.Svc.Create(t.Context(), params(func(p *raffle.Params) { p.Min, p.Winners, p.Fee, p.CommissionBP = 10, 2, 7, 1500 }), "cli")
	if err != nil {
		t.Fatal(err)
	}
	raffletest.WaitFor(t, "ticket", func() bool { d, _ := b.Svc.Get(t.Context(), d.ID); return d.TicketID != "" })
	for i := range 10 {
		res := b.Pay(t, d, int64(1000+i), fmt.Sprintf("charge-%d", i))
		if !res.Entered || res.Seq != i+1 || res.Code == "" {
			t.Fatalf("entry %d: %+v", i, res)
		}
	}
	if err := b.Svc.ForceDraw(t.Context(), d.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	got := b.WaitStatus(t, d.ID, raffle.StatusSettled)
	// pool 70, commission floor(70*1500/10000)=10, each of 2 winners 30.
	if got.Pool != 70 || len(got.Winners) != 2 || got.Winners[0].Prize != 30 || got.Winners[1].Prize != 30 {
		t.Fatalf("settled draw: %+v", got)
	}
	if pool := b.Balance(t, ledger.PoolAccount(d.ID, "XTR")); pool != 0 {
		t.Fatalf("pool account holds %d after settlement", pool)
	}
	if c := b.Balance(t, ledger.CommissionAccount("XTR")); c != 10 {
		t.Fatalf("commission %d, want 10", c)
	}
	var prizes int64
	for _, w := range got.Winners {
		prizes += b.Balance(t, ledger.UserAccount(w.TelegramID, "XTR"))
	}
	if prizes != 60 {
		t.Fatalf("winners hold %d, want 60", prizes)
	}
	b.LedgerOK(t)
	if n := b.Count(t, "SELECT count(*) FROM ledger_transactions WHERE idempotency_key = $1", fmt.Sprintf("draw:%d:settle", d.ID)); n != 1 {
		t.Fatalf("%d settlements", n)
	}
	// Every participant got the confirmation and the result; winners a personal message.
	raffletest.WaitFor(t, "result messages", func() bool {
		for i := range 10 {
			msgs := b.Sent.To(int64(1000 + i))
			var confirmed, result bool
			for _, m := range msgs {
				confirmed = confirmed || strings.Contains(m.Text, "Ваш код участника")
				result = result || strings.Contains(m.Text, "Итоги розыгрыша") || strings.Contains(m.Text, "Поздравляем")
			}
			if !confirmed || !result {
				return false
			}
		}
		return true
	})
	// The winner's personal message names the prize (it may arrive before the "closed" notice:
	// messages of different events are not ordered among themselves).
	raffletest.WaitFor(t, "winner told the prize", func() bool {
		for _, m := range b.Sent.To(got.Winners[0].TelegramID) {
			if strings.Contains(m.Text, "Поздравляем") && strings.Contains(m.Text, "30 ⭐") {
				return true
			}
		}
		return false
	})
	// The proof verifies with the fake's key and names the recorded winners.
	p, err := b.Svc.Proof(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := fairness.VerifyProof(p, fairness.Keys{RandomOrg: b.RO.PublicKey()}); err != nil {
		t.Fatalf("proof does not verify: %v", err)
	}
	if p.RandomOrg.TicketID != got.TicketID || p.Winners[0].EntryCode != got.Winners[0].EntryCode {
		t.Fatalf("proof %+v does not match draw %+v", p, got)
	}
	// Audit rows for every money-changing step.
	for _, action := range []string{"raffle.create", "entry.create", "raffle.close", "raffle.drawn", "raffle.settle"} {
		if n := b.Count(t, "SELECT count(*) FROM audit_log WHERE raffle_id = $1 AND action = $2", d.ID, action); n == 0 {
			t.Errorf("no audit row %s", action)
		}
	}
}

func TestReplayedPaymentChangesNothing(t *testing.T) {
	b := raffletest.Setup(t, raffletest.Options{})
	d, err := b.Svc.Create(t.Context(), params(nil), "cli")
	if err != nil {
		t.Fatal(err)
	}
	first := b.Pay(t, d, 42, "dup")
	again := b.Pay(t, d, 42, "dup")
	if !again.Replay || again.Code != first.Code || again.PaymentID != first.PaymentID {
		t.Fatalf("replay = %+v, first %+v", again, first)
	}
	if n := b.Count(t, "SELECT count(*) FROM entries"); n != 1 {
		t.Fatalf("%d entries", n)
	}
	if n := b.Count(t, "SELECT count(*) FROM ledger_transactions WHERE kind = 'entry'"); n != 1 {
		t.Fatalf("%d ledger entries", n)
	}
}

func TestRefusedPaymentsAreRefunded(t *testing.T) {
	b := raffletest.Setup(t, raffletest.Options{})
	d, err := b.Svc.Create(t.Context(), params(func(p *raffle.Params) { p.Min, p.Max = 1, 1 }), "cli")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		pay    raffle.Payment
		reason string
	}{
		{"wrong amount", raffle.Payment{Provider: raffle.ProviderTelegram, ExternalID: "c-amt", DrawID: d.ID, UserID: 1, Currency: "XTR", Amount: 9}, raffle.RefuseAmount},
		{"unknown draw", raffle.Payment{Provider: raffle.ProviderTelegram, ExternalID: "c-404", DrawID: 999999, UserID: 1, Currency: "XTR", Amount: 10}, raffle.RefuseNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var res raffle.EntryResult
			err := db.InTx(t.Context(), b.Pool, func(tx pgx.Tx) error {
				var err error
				res, err = b.Svc.Enter(t.Context(), tx, tc.pay)
				return err
			})
			if err != nil || res.Entered || res.Refusal == nil || res.Refusal.Code != tc.reason {
				t.Fatalf("Enter = %+v, %v; want refusal %s", res, err, tc.reason)
			}
		})
	}
	// The draw fills with one entry and closes; a later payment is refused and refunded.
	if res := b.Pay(t, d, 2, "c-ok"); !res.Entered {
		t.Fatalf("first entry refused: %+v", res)
	}
	late := b.Pay(t, d, 3, "c-late")
	if late.Entered || late.Refusal == nil || late.Refusal.Code != raffle.RefuseClosed {
		t.Fatalf("late payment: %+v", late)
	}
	raffletest.WaitFor(t, "three refunds", func() bool { return b.Count(t, "SELECT count(*) FROM payments WHERE status = 'refunded'") == 3 })
	if p, calls := b.Refunds.Count(); p != 3 || calls != 3 {
		t.Fatalf("refunder saw %d payments in %d calls", p, calls)
	}
	if v := b.Balance(t, ledger.RefundsAccount("XTR")); v != 0 {
		t.Fatalf("refunds account holds %d", v)
	}
	raffletest.WaitFor(t, "late payer told", func() bool {
		for _, m := range b.Sent.To(3) {
			if strings.Contains(m.Text, "не стал участием") && strings.Contains(m.Text, "уже закрыт") {
				return true
			}
		}
		return false
	})
	b.WaitStatus(t, d.ID, raffle.StatusSettled)
	b.LedgerOK(t)
}

// TestRaceAtMax: 200 users pay at once for a draw with max 50: exactly 50 entries, 150 refunds.
func TestRaceAtMax(t *testing.T) {
	b := raffletest.Setup(t, raffletest.Options{NoStart: true})
	d, err := b.Svc.Create(t.Context(), params(func(p *raffle.Params) { p.Min, p.Max, p.Winners = 10, 50, 3 }), "cli")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	entered, refused := 0, 0
	for i := range 200 {
		wg.Go(func() {
			var res raffle.EntryResult
			err := db.InTx(t.Context(), b.Pool, func(tx pgx.Tx) error {
				var err error
				res, err = b.Svc.Enter(t.Context(), tx, raffle.Payment{Provider: raffle.ProviderTelegram, ExternalID: fmt.Sprintf("race-%d", i), DrawID: d.ID, UserID: int64(5000 + i), Currency: "XTR", Amount: 10})
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("payment %d: %v", i, err)
			case res.Entered:
				entered++
			default:
				refused++
			}
		})
	}
	wg.Wait()
	if entered != 50 || refused != 150 {
		t.Fatalf("entered %d refused %d", entered, refused)
	}
	b.Start()
	raffletest.WaitFor(t, "150 refunds", func() bool { return b.Count(t, "SELECT count(*) FROM payments WHERE status = 'refunded'") == 150 })
	b.WaitStatus(t, d.ID, raffle.StatusSettled)
	b.LedgerOK(t)
	// Nobody's Stars unaccounted for: the clearing account equals what was kept (50 entries).
	if v := b.Balance(t, ledger.TelegramClearing); v != -500 {
		t.Fatalf("clearing %d, want -500", v)
	}
	if n := b.Count(t, "SELECT count(DISTINCT seq) FROM entries WHERE raffle_id = $1", d.ID); n != 50 {
		t.Fatalf("%d distinct seqs", n)
	}
}

func TestBelowMinimumAtDeadlineRefundsEveryone(t *testing.T) {
	b := raffletest.Setup(t, raffletest.Options{})
	d, err := b.Svc.Create(t.Context(), params(func(p *raffle.Params) { p.Min = 5; p.Deadline = time.Now().Add(1500 * time.Millisecond) }), "cli")
	if err != nil {
		t.Fatal(err)
	}
	b.Pay(t, d, 1, "a")
	b.Pay(t, d, 2, "b")
	// A balance-paid entry goes straight back to the balance.
	fundBalance(t, b, 3, 10)
	err = db.InTx(t.Context(), b.Pool, func(tx pgx.Tx) error {
		_, err := b.Svc.Enter(t.Context(), tx, raffle.Payment{Provider: raffle.ProviderBalance, ExternalID: "cb-1", DrawID: d.ID, UserID: 3, Currency: "XTR", Amount: 10})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := b.Balance(t, ledger.UserAccount(3, "XTR")); v != 0 {
		t.Fatalf("balance after paying %d", v)
	}
	got := b.WaitStatus(t, d.ID, raffle.StatusRefunded)
	if got.CancelReason != "below_min" {
		t.Fatalf("cancel reason %q", got.CancelReason)
	}
	if v := b.Balance(t, ledger.UserAccount(3, "XTR")); v != 10 {
		t.Fatalf("balance after refund %d, want 10", v)
	}
	if v := b.Balance(t, ledger.PoolAccount(d.ID, "XTR")); v != 0 {
		t.Fatalf("pool %d", v)
	}
	if p, _ := b.Refunds.Count(); p != 2 {
		t.Fatalf("%d provider refunds, want 2", p)
	}
	b.LedgerOK(t)
}

func fundBalance(t *testing.T, b *raffletest.Bundle, user, amount int64) {
	t.Helper()
	err := db.InTx(t.Context(), b.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(t.Context(), "INSERT INTO users (telegram_id, first_seen_at, last_seen_at) VALUES ($1, now(), now()) ON CONFLICT DO NOTHING", user); err != nil {
			return err
		}
		_, err := ledger.Post(t.Context(), tx, ledger.Transfer(fmt.Sprintf("fund:%d", user), "test", ledger.TelegramClearing, ledger.UserAccount(user, "XTR"), amount))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBalanceEntryRefusedWritesNothing(t *testing.T) {
	b := raffletest.Setup(t, raffletest.Options{NoStart: true})
	d, err := b.Svc.Create(t.Context(), params(nil), "cli")
	if err != nil {
		t.Fatal(err)
	}
	fundBalance(t, b, 7, 5)
	err = db.InTx(t.Context(), b.Pool, func(tx pgx.Tx) error {
		_, err := b.Svc.Enter(t.Context(), tx, raffle.Payment{Provider: raffle.ProviderBalance, ExternalID: "cb-x", DrawID: d.ID, UserID: 7, Currency: "XTR", Amount: 10})
		return err
	})
	var r *raffle.Refusal
	if !errors.As(err, &r) || r.Code != raffle.RefuseInsufficient {
		t.Fatalf("err = %v, want insufficient", err)
	}
	if n := b.Count(t, "SELECT count(*) FROM payments"); n != 0 {
		t.Fatalf("%d payments written", n)
	}
}

// TestCrashBetweenDrawAndSettlement: the result is recorded, the worker dies before settling;
// on restart the settle job runs and settles exactly once, and running the jobs again changes nothing.
func TestCrashBetweenDrawAndSettlement(t *testing.T) {
	b := raffletest.Setup(t, raffletest.Options{})
	d, err := b.Svc.Create(t.Context(), params(func(p *raffle.Params) { p.Min = 3 }), "cli")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		b.Pay(t, d, int64(10+i), fmt.Sprintf("x-%d", i))
	}
	raffletest.WaitFor(t, "ticket", func() bool { d, _ := b.Svc.Get(t.Context(), d.ID); return d.TicketID != "" })
	// Stop the workers, close the draw, and run only the draw step: the process dies right after
	// it committed the result (and the settle job), before any settlement.
	b.Stop()
	if err := b.Svc.ForceDraw(t.Context(), d.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	if err := b.Svc.DrawNow(t.Context(), d.ID, b.Sources); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Svc.Get(t.Context(), d.ID); got.Status != raffle.StatusDrawn {
		t.Fatalf("after the draw step: %s", got.Status)
	}
	if n := b.Count(t, "SELECT count(*) FROM ledger_transactions WHERE kind = 'settle'"); n != 0 {
		t.Fatalf("settled before the restart")
	}
	// Restart: the pending draw job finds the result and stops; the settle job settles.
	b.Start()
	b.WaitStatus(t, d.ID, raffle.StatusSettled)
	// Run draw and settle again as a duplicate delivery would.
	if _, err := b.Pool.Exec(t.Context(), "UPDATE river_job SET state = 'available', finalized_at = NULL, scheduled_at = now() WHERE kind IN ('raffle_draw', 'raffle_settle')"); err != nil {
		t.Fatal(err)
	}
	raffletest.WaitFor(t, "jobs done again", func() bool {
		return b.Count(t, "SELECT count(*) FROM river_job WHERE kind IN ('raffle_draw', 'raffle_settle') AND state <> 'completed'") == 0
	})
	if n := b.Count(t, "SELECT count(*) FROM ledger_transactions WHERE kind = 'settle'"); n != 1 {
		t.Fatalf("%d settlements", n)
	}
	if n := b.Count(t, "SELECT count(*) FROM draw_results"); n != 1 {
		t.Fatalf("%d results", n)
	}
	if calls := b.RO.Calls(randomorg.MethodSignedIntegers); calls != 1 {
		t.Fatalf("random.org asked %d times", calls)
	}
	b.LedgerOK(t)
}

func TestBadSignatureIsNeverAccepted(t *testing.T) {
	b := raffletest.Setup(t, raffletest.Options{Admins: []int64{777}})
	d, err := b.Svc.Create(t.Context(), params(func(p *raffle.Params) { p.Min = 2 }), "cli")
	if err != nil {
		t.Fatal(err)
	}
	b.Pay(t, d, 1, "s1")
	b.Pay(t, d, 2, "s2")
	b.RO.CorruptSignatures(true)
	if err := b.Svc.ForceDraw(t.Context(), d.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	raffletest.WaitFor(t, "admin alert", func() bool {
		for _, m := range b.Sent.To(777) {
			if strings.Contains(m.Text, "подпись") {
				return true
			}
		}
		return false
	})
	if got, _ := b.Svc.Get(t.Context(), d.ID); got.Status != raffle.StatusDrawing {
		t.Fatalf("status %s after a bad signature", got.Status)
	}
	if n := b.Count(t, "SELECT count(*) FROM draw_results"); n != 0 {
		t.Fatalf("a result was recorded from a bad signature")
	}
	// The job stays to be retried (and to alert again); it is not dropped.
	if n := b.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'raffle_draw' AND state IN ('retryable', 'available', 'running')"); n != 1 {
		t.Fatalf("draw job not kept for retry")
	}
}

func TestDrandDraw(t *testing.T) {
	b := raffletest.Setup(t, raffletest.Options{NoStart: true})
	var d raffle.Draw
	beacons, err := drandtest.Recorded()
	if err != nil {
		t.Fatal(err)
	}
	target := beacons[len(beacons)-1]
	chain := b.Drand.Chain()
	// The clock stands just before the recorded round, so closing fixes that round.
	closeAt := chain.TimeOfRound(target.Round).Add(-time.Second)
	b.Clock.Set(closeAt)
	d, err = b.Svc.Create(t.Context(), params(func(p *raffle.Params) {
		p.Source, p.Min, p.Winners, p.Deadline = raffle.SourceDrand, 4, 2, closeAt.Add(time.Hour)
	}), "cli")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		b.Pay(t, d, int64(20+i), fmt.Sprintf("d-%d", i))
	}
	if err := b.Svc.ForceDraw(t.Context(), d.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	got, _ := b.Svc.Get(t.Context(), d.ID)
	if got.DrandRound != target.Round {
		t.Fatalf("fixed round %d, want %d", got.DrandRound, target.Round)
	}
	b.Clock.Set(chain.TimeOfRound(target.Round).Add(time.Second))
	b.Start()
	got = b.WaitStatus(t, d.ID, raffle.StatusSettled)
	p, err := b.Svc.Proof(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := fairness.VerifyProof(p, fairness.Keys{Drand: b.Drand.Chain()}); err != nil {
		t.Fatalf("drand proof: %v", err)
	}
	if p.Drand.Round != target.Round || p.Winners[0].EntryCode != got.Winners[0].EntryCode {
		t.Fatalf("proof %+v vs draw %+v", p.Drand, got.Winners)
	}
}

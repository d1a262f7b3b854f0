package rubles_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/ledger"

	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// TestCancelledDrawRefunds: an admin cancels a ruble draw with two paid entries. YooKassa
// keeps both refunds pending. One succeeds and is notified; the other is canceled by YooKassa
// (no notification exists for that), found by polling, reported to the admins, tried again
// with a new attempt, and succeeds. Both payers get their money back exactly once.
func TestCancelledDrawRefunds(t *testing.T) {
	e := setup(t, envOptions{fake: yookassatest.Options{RefundsPending: true}})
	d := e.rubDraw(t, nil)
	a, b := e.checkout(t, d, 71), e.checkout(t, d, 72)
	for _, c := range []rubles.Checkout{a, b} {
		if err := e.yk.Succeed(c.YooKassaID); err != nil {
			t.Fatal(err)
		}
	}
	e.flush(t)
	e.waitCount(t, 2, "SELECT count(*) FROM entries WHERE raffle_id = $1", d.ID)

	if err := e.b.Svc.Cancel(t.Context(), d.ID, "admin:1"); err != nil {
		t.Fatal(err)
	}
	e.waitCount(t, 2, "SELECT count(*) FROM rub_refunds WHERE status = 'pending'")
	refundOf := func(payment string) string {
		var id string
		if err := e.b.Pool.QueryRow(t.Context(), "SELECT yookassa_id FROM rub_refunds WHERE yookassa_payment_id = $1 AND status = 'pending'", payment).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}

	// A: refund.succeeded is notified.
	if err := e.yk.SucceedRefund(refundOf(a.YooKassaID)); err != nil {
		t.Fatal(err)
	}
	e.waitCount(t, 1, "SELECT count(*) FROM payments WHERE external_id = $1 AND status = 'refunded'", a.YooKassaID)

	// B: canceled, which YooKassa does not notify; the poll finds it and a second attempt follows.
	if err := e.yk.CancelRefund(refundOf(b.YooKassaID), yookassa.ReasonRejectedByPayee); err != nil {
		t.Fatal(err)
	}
	e.waitCount(t, 1, "SELECT count(*) FROM rub_refunds WHERE yookassa_payment_id = $1 AND attempt = 2 AND status = 'pending'", b.YooKassaID)
	e.waitTold(t, admin, "Возврат платежа", "rejected_by_payee", "Будет новая попытка")
	if err := e.yk.SucceedRefund(refundOf(b.YooKassaID)); err != nil {
		t.Fatal(err)
	}
	e.waitCount(t, 1, "SELECT count(*) FROM payments WHERE external_id = $1 AND status = 'refunded'", b.YooKassaID)

	got := e.b.WaitStatus(t, d.ID, raffle.StatusRefunded)
	if got.Status != raffle.StatusRefunded {
		t.Fatalf("draw %s", got.Status)
	}
	for _, u := range []int64{71, 72} {
		e.waitTold(t, u, "Мы вернули 100 ₽")
	}
	for sql, want := range map[string]int{
		"SELECT count(*) FROM rub_refunds":                               3,
		"SELECT count(*) FROM rub_refunds WHERE status = 'succeeded'":    2,
		"SELECT count(*) FROM ledger_transactions WHERE kind = 'refund'": 2,
		"SELECT count(DISTINCT idempotence_key) FROM rub_refunds":        3,
	} {
		if n := e.count(t, sql); n != want {
			t.Errorf("%s = %d, want %d", sql, n, want)
		}
	}
	if n := e.calls("POST", "/refunds"); n != 3 {
		t.Fatalf("%d refund requests, want 3", n)
	}
	if v := e.b.Balance(t, ledger.RefundsAccount("RUB")); v != 0 {
		t.Fatalf("refunds account holds %d", v)
	}
	e.b.LedgerOK(t)
}

// TestRefundRecheck: a ruble payment waiting for its refund whose refund job is gone is
// picked up by the periodic re-check and refunded.
func TestRefundRecheck(t *testing.T) {
	e := setup(t, envOptions{noWebhook: true})
	d := e.rubDraw(t, func(p *raffle.Params) { p.Min, p.Max = 1, 1 })
	first, late := e.checkout(t, d, 81), e.checkout(t, d, 82)
	enter := func(c rubles.Checkout, user int64) raffle.EntryResult {
		var res raffle.EntryResult
		err := db.InTx(t.Context(), e.b.Pool, func(tx pgx.Tx) error {
			var err error
			res, err = e.b.Svc.Enter(t.Context(), tx, raffle.Payment{Provider: raffle.ProviderYooKassa, ExternalID: c.YooKassaID,
				DrawID: d.ID, UserID: user, Currency: "RUB", Amount: d.Fee})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for _, c := range []rubles.Checkout{first, late} {
		if err := e.yk.Succeed(c.YooKassaID); err != nil {
			t.Fatal(err)
		}
	}
	if res := enter(first, 81); !res.Entered {
		t.Fatalf("first payment: %+v", res)
	}
	e.b.WaitStatus(t, d.ID, raffle.StatusSettled)

	// The late payment is refused, and its refund job is lost before it runs.
	e.b.Stop()
	if res := enter(late, 82); res.Refusal == nil {
		t.Fatalf("late payment: %+v", res)
	}
	if _, err := e.b.Pool.Exec(t.Context(), "DELETE FROM river_job WHERE kind = 'raffle_refund'"); err != nil {
		t.Fatal(err)
	}
	e.restart(t)
	e.idle(t, "raffle_refund", "notify_send")
	if n := e.count(t, "SELECT count(*) FROM payments WHERE status = 'refund_pending'"); n != 1 {
		t.Fatalf("%d payments waiting for a refund", n)
	}
	e.runJob(t, rubles.RecheckRefundsArgs{})
	e.waitCount(t, 1, "SELECT count(*) FROM payments WHERE external_id = $1 AND status = 'refunded'", late.YooKassaID)
	if n := e.calls("POST", "/refunds"); n != 1 {
		t.Fatalf("%d refund requests", n)
	}
	e.b.LedgerOK(t)
}

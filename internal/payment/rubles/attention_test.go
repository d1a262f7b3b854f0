package rubles_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// TestStuckRefundsNeedAPerson: a refund YooKassa cancels three times waits for a person; a retry
// sends a fourth attempt that can succeed; "done by hand" completes another refund as any
// refund (ledger, payment, the payer told), audited with its note; bad uses change nothing.
func TestStuckRefundsNeedAPerson(t *testing.T) {
	e := setup(t, envOptions{fake: yookassatest.Options{RefundsPending: true}})
	d := e.rubDraw(t, nil)
	a, b := e.checkout(t, d, 81), e.checkout(t, d, 82)
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
	for attempt := 1; attempt <= 3; attempt++ {
		for _, c := range []rubles.Checkout{a, b} {
			e.waitCount(t, 1, "SELECT count(*) FROM rub_refunds WHERE yookassa_payment_id = $1 AND attempt = $2 AND status = 'pending'", c.YooKassaID, attempt)
			var id string
			if err := e.b.Pool.QueryRow(t.Context(), "SELECT yookassa_id FROM rub_refunds WHERE yookassa_payment_id = $1 AND attempt = $2", c.YooKassaID, attempt).Scan(&id); err != nil {
				t.Fatal(err)
			}
			if err := e.yk.CancelRefund(id, yookassa.ReasonGeneralDecline); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.waitCount(t, 2, "SELECT count(*) FROM rub_refunds WHERE attempt = 3 AND status = 'canceled'")
	e.idle(t, raffle.RefundArgs{}.Kind())
	att, err := e.svc.NeedsPerson(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(att.Refunds) != 2 || att.Refunds[0].Attempts != 3 || att.Refunds[0].LastReason != yookassa.ReasonGeneralDecline || att.Refunds[0].Amount != 100_00 {
		t.Fatalf("queue %+v", att)
	}
	payA, payB := paymentID(t, e, a.YooKassaID), paymentID(t, e, b.YooKassaID)

	// Retry: a fourth attempt goes to YooKassa, and this time succeeds.
	if err := e.svc.RetryRefund(t.Context(), payA, "admin:900001"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RetryRefund(t.Context(), payA, "admin:900001"); !errors.Is(err, rubles.ErrNotWaiting) {
		t.Fatalf("second retry: %v", err)
	}
	e.waitCount(t, 1, "SELECT count(*) FROM rub_refunds WHERE yookassa_payment_id = $1 AND attempt = 4 AND status = 'pending'", a.YooKassaID)
	var idA string
	if err := e.b.Pool.QueryRow(t.Context(), "SELECT yookassa_id FROM rub_refunds WHERE yookassa_payment_id = $1 AND attempt = 4", a.YooKassaID).Scan(&idA); err != nil {
		t.Fatal(err)
	}
	if err := e.yk.SucceedRefund(idA); err != nil {
		t.Fatal(err)
	}
	e.waitCount(t, 1, "SELECT count(*) FROM payments WHERE id = $1 AND status = 'refunded'", payA)

	// Done by hand: needs a note; then the payment is refunded without another YooKassa request.
	requests := e.calls("POST", "/refunds")
	for _, note := range []string{"", "   ", strings.Repeat("я", 501)} {
		if err := e.svc.RefundDoneByHand(t.Context(), payB, note, "admin:900001"); !errors.Is(err, rubles.ErrNoteNeeded) {
			t.Fatalf("note %q: %v", note, err)
		}
	}
	if err := e.svc.RefundDoneByHand(t.Context(), payB, "вернули переводом по СБП 04.12", "admin:900001"); err != nil {
		t.Fatal(err)
	}
	e.waitCount(t, 1, "SELECT count(*) FROM payments WHERE id = $1 AND status = 'refunded' AND refund_ref LIKE 'manual-%'", payB)
	if err := e.svc.RefundDoneByHand(t.Context(), payB, "again", "admin:900001"); !errors.Is(err, rubles.ErrNotWaiting) {
		t.Fatalf("done twice: %v", err)
	}
	if n := e.calls("POST", "/refunds"); n != requests {
		t.Fatalf("done by hand sent %d refund requests", n-requests)
	}
	e.waitTold(t, 82, "Мы вернули 100 ₽")
	if n := e.count(t, "SELECT count(*) FROM audit_log WHERE action = 'rub_refund.done_by_hand' AND actor = 'admin:900001' AND after->>'note' = 'вернули переводом по СБП 04.12'"); n != 1 {
		t.Fatalf("%d audit rows for done by hand", n)
	}
	if n := e.count(t, "SELECT count(*) FROM audit_log WHERE action = 'rub_refund.retry'"); n != 1 {
		t.Fatalf("%d audit rows for retry", n)
	}
	if att, _ := e.svc.NeedsPerson(t.Context()); len(att.Refunds) != 0 {
		t.Fatalf("queue after: %+v", att.Refunds)
	}
	if v := e.b.Balance(t, ledger.RefundsAccount("RUB")); v != 0 {
		t.Fatalf("refunds account holds %d", v)
	}
	e.b.LedgerOK(t)
}

// TestPayoutInReviewDoneByHand: a payout held for review is settled by an admin either way; the
// money goes where the admin says, exactly once, audited with the note.
func TestPayoutInReviewDoneByHand(t *testing.T) {
	e := setup(t, envOptions{})
	review := func(user int64) int64 {
		e.grant(t, user, 40_00)
		p, err := e.svc.RequestPayout(t.Context(), rubles.PayoutRequest{UserID: user, Amount: 40_00, Method: yookassa.PayoutSBP,
			Phone: fmt.Sprintf("+7 900 000-%02d-%02d", user%100, user%100), BankID: sbpBank})
		if err != nil {
			t.Fatal(err)
		}
		e.waitPayout(t, p.ID, "pending")
		// What holdForReview does when YooKassa shows two payouts for one row.
		if _, err := e.b.Pool.Exec(t.Context(), "UPDATE rub_payouts SET status = 'review', cancel_reason = '2_payouts_found' WHERE id = $1", p.ID); err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	paid, returned := review(91), review(92)
	att, err := e.svc.NeedsPerson(t.Context())
	if err != nil || len(att.Payouts) != 2 {
		t.Fatalf("queue %+v %v", att, err)
	}
	if err := e.svc.PayoutDoneByHand(t.Context(), paid, "sent", "checked", "admin:1"); err == nil {
		t.Fatal("an unknown outcome was accepted")
	}
	if err := e.svc.PayoutDoneByHand(t.Context(), paid, rubles.ByHandPaid, "", "admin:1"); !errors.Is(err, rubles.ErrNoteNeeded) {
		t.Fatalf("no note: %v", err)
	}
	if err := e.svc.PayoutDoneByHand(t.Context(), paid, rubles.ByHandPaid, "one payout reached the winner (YooKassa 04.12)", "admin:1"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.PayoutDoneByHand(t.Context(), returned, rubles.ByHandReturned, "both canceled at YooKassa", "admin:1"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.PayoutDoneByHand(t.Context(), returned, rubles.ByHandPaid, "again", "admin:1"); !errors.Is(err, rubles.ErrNotWaiting) {
		t.Fatalf("done twice: %v", err)
	}
	if row := e.payout(t, paid); row.Status != "succeeded" || row.Phone != "" {
		t.Fatalf("paid payout %+v", row)
	}
	if row := e.payout(t, returned); row.Status != "canceled" || row.Phone != "" {
		t.Fatalf("returned payout %+v", row)
	}
	if avail, held, _ := e.svc.Balance(t.Context(), 91); avail != 0 || held != 0 {
		t.Fatalf("paid winner: available %d held %d", avail, held)
	}
	if avail, held, _ := e.svc.Balance(t.Context(), 92); avail != 40_00 || held != 0 {
		t.Fatalf("returned winner: available %d held %d", avail, held)
	}
	if n := e.count(t, "SELECT count(*) FROM audit_log WHERE action = 'rub_payout.done_by_hand' AND after->>'note' <> ''"); n != 2 {
		t.Fatalf("%d audit rows", n)
	}
	if v := e.b.Balance(t, ledger.UserHeldAccount(91, "RUB")); v != 0 {
		t.Fatalf("held %d", v)
	}
	e.b.LedgerOK(t)
}

func paymentID(t *testing.T, e *env, yookassaID string) int64 {
	t.Helper()
	var id int64
	if err := e.b.Pool.QueryRow(t.Context(), "SELECT id FROM payments WHERE provider = 'yookassa' AND external_id = $1", yookassaID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

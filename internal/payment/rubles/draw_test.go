package rubles_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// TestRubleDrawEndToEnd: three users pay their entries through YooKassa (entries made by the
// webhook), the full draw closes, is drawn and settled; a fourth payment that succeeds after
// the close is refunded automatically; the winner withdraws the prize by SBP and the payout
// succeeds. The books balance at the end.
func TestRubleDrawEndToEnd(t *testing.T) {
	e := setup(t, envOptions{})
	d := e.rubDraw(t, func(p *raffle.Params) { p.Min, p.Max, p.CommissionBP = 3, 3, 1000 })

	users := []int64{101, 102, 103}
	var checkouts []rubles.Checkout
	for _, u := range users {
		checkouts = append(checkouts, e.checkout(t, d, u))
	}
	late := e.checkout(t, d, 104) // starts paying while the draw still has room

	// The request is what the research says it must be.
	var body struct {
		Amount       yookassa.Amount   `json:"amount"`
		Capture      bool              `json:"capture"`
		Confirmation map[string]string `json:"confirmation"`
		Metadata     map[string]string `json:"metadata"`
	}
	for _, c := range e.yk.Calls() {
		if c.Method == "POST" && c.Path == "/payments" {
			if err := json.Unmarshal(c.Body, &body); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(c.IdempotenceKey, "fdpay-") {
				t.Fatalf("idempotence key %q", c.IdempotenceKey)
			}
			break
		}
	}
	want := map[string]string{"fd_payment_id": fmt.Sprint(checkouts[0].ID), "draw_id": fmt.Sprint(d.ID), "tg_user_id": "101"}
	if !body.Capture || body.Amount != yookassa.RUB(100_00) || body.Confirmation["type"] != "redirect" ||
		body.Confirmation["return_url"] != "https://t.me/fairdraw_test_bot" || !cmp.Equal(body.Metadata, want) {
		t.Fatalf("payment request %+v", body)
	}

	for _, c := range checkouts {
		if err := e.yk.Succeed(c.YooKassaID); err != nil {
			t.Fatal(err)
		}
	}
	e.flush(t)
	if n := e.count(t, "SELECT count(*) FROM entries WHERE raffle_id = $1", d.ID); n != 3 {
		t.Fatalf("%d entries, want 3", n)
	}
	for _, u := range users {
		e.waitTold(t, u, "Ваш код участника")
	}

	// Full: the draw closes, is drawn and settled. pool 300 ₽, commission 30 ₽, prize 270 ₽.
	got := e.b.WaitStatus(t, d.ID, raffle.StatusSettled)
	if len(got.Winners) != 1 || got.Winners[0].Prize != 270_00 {
		t.Fatalf("settled draw %+v", got)
	}
	winner := got.Winners[0].TelegramID

	// The late payment succeeds after the close: refunded in full, the payer told why.
	if err := e.yk.Succeed(late.YooKassaID); err != nil {
		t.Fatal(err)
	}
	e.waitCount(t, 1, "SELECT count(*) FROM payments WHERE external_id = $1 AND status = 'refunded'", late.YooKassaID)
	e.waitTold(t, 104, "не стал участием", "уже закрыт")
	if n := e.calls("POST", "/refunds"); n != 1 {
		t.Fatalf("%d refund requests", n)
	}

	// The winner withdraws the prize by SBP; SBP payouts stay pending until YooKassa finishes.
	p, err := e.svc.RequestPayout(t.Context(), rubles.PayoutRequest{UserID: winner, Amount: 270_00, Method: yookassa.PayoutSBP,
		Phone: "+7 (900) 000-00-01", BankID: sbpBank})
	if err != nil {
		t.Fatal(err)
	}
	if avail, held, _ := e.svc.Balance(t.Context(), winner); avail != 0 || held != 270_00 {
		t.Fatalf("after the request: available %d, held %d", avail, held)
	}
	row := e.waitPayout(t, p.ID, "pending")
	if err := e.yk.SucceedPayout(row.YookassaID.String); err != nil {
		t.Fatal(err)
	}
	e.waitPayout(t, p.ID, "succeeded")
	e.waitTold(t, winner, "Выплата 270 ₽ отправлена")

	if avail, held, _ := e.svc.Balance(t.Context(), winner); avail != 0 || held != 0 {
		t.Fatalf("after the payout: available %d, held %d", avail, held)
	}
	for account, want := range map[string]int64{
		ledger.YooKassaClearing:               -30_00, // 300 in, 270 out; the late 100 in and back out
		ledger.CommissionAccount("RUB"):       30_00,
		ledger.PoolAccount(d.ID, "RUB"):       0,
		ledger.RefundsAccount("RUB"):          0,
		ledger.UserHeldAccount(winner, "RUB"): 0,
	} {
		if got := e.b.Balance(t, account); got != want {
			t.Errorf("%s holds %d, want %d", account, got, want)
		}
	}
	if n := e.calls("POST", "/payouts"); n != 1 {
		t.Fatalf("%d payout requests", n)
	}
	e.b.LedgerOK(t)
}

// TestStartPayment covers the checkout's refusals and that a user never gets two payments for
// one entry by asking twice, or after a failure whose outcome was unknown.
func TestStartPayment(t *testing.T) {
	e := setup(t, envOptions{noClientRetries: true})
	d := e.rubDraw(t, nil)
	stars, err := e.b.Svc.Create(t.Context(), raffle.Params{Title: "Звёзды", Currency: "XTR", Fee: 10, Min: 1, Deadline: e.b.Clock.Now().Add(time.Hour)}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	full := e.rubDraw(t, func(p *raffle.Params) { p.Min, p.Max = 1, 1 })
	c := e.checkout(t, full, 7)
	if err := e.yk.Succeed(c.YooKassaID); err != nil {
		t.Fatal(err)
	}
	e.b.WaitStatus(t, full.ID, raffle.StatusSettled)

	for _, tc := range []struct {
		name   string
		draw   int64
		refuse string
	}{
		{"draw in stars", stars.ID, rubles.RefuseNotRubles},
		{"closed draw", full.ID, raffle.RefuseClosed},
		{"no such draw", 987654, raffle.RefuseNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.StartPayment(t.Context(), rubles.StartPaymentRequest{DrawID: tc.draw, UserID: 8})
			var r *raffle.Refusal
			if !errors.As(err, &r) || r.Code != tc.refuse {
				t.Fatalf("err = %v, want refusal %s", err, tc.refuse)
			}
		})
	}

	t.Run("asking twice gives the same checkout", func(t *testing.T) {
		first := e.checkout(t, d, 9)
		again := e.checkout(t, d, 9)
		if again.YooKassaID != first.YooKassaID || !again.Reused {
			t.Fatalf("second checkout %+v, first %+v", again, first)
		}
	})
	t.Run("unknown outcome, then the same request", func(t *testing.T) {
		before := len(e.yk.PaymentIDs())
		e.yk.FailNext("/payments", 1, 500) // YooKassa made the payment but the answer was lost
		if _, err := e.svc.StartPayment(t.Context(), rubles.StartPaymentRequest{DrawID: d.ID, UserID: 10}); err == nil {
			t.Fatal("no error for a 500")
		}
		c := e.checkout(t, d, 10)
		if !c.Reused || len(e.yk.PaymentIDs()) != before+1 {
			t.Fatalf("checkout %+v; fake holds %d payments, had %d", c, len(e.yk.PaymentIDs()), before)
		}
	})
	t.Run("refused request", func(t *testing.T) {
		e.yk.FailNext("/payments", 1, 400)
		if _, err := e.svc.StartPayment(t.Context(), rubles.StartPaymentRequest{DrawID: d.ID, UserID: 11}); err == nil {
			t.Fatal("no error for a 400")
		}
		if n := e.count(t, "SELECT count(*) FROM rub_payments WHERE telegram_id = 11 AND status = 'failed'"); n != 1 {
			t.Fatalf("%d failed rows", n)
		}
		e.checkout(t, d, 11) // a new tap starts afresh
	})
}

func TestStartPaymentWithReceipt(t *testing.T) {
	e := setup(t, envOptions{cfg: func(c *rubles.Config) { c.Receipt = &rubles.ReceiptConfig{VATCode: 1} }})
	d := e.rubDraw(t, nil)
	for _, tc := range []struct {
		name, email string
	}{{"no e-mail", ""}, {"not an e-mail", "winner at example"}, {"with a name", "Вася <vasya@example.com>"}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.svc.StartPayment(t.Context(), rubles.StartPaymentRequest{DrawID: d.ID, UserID: 5, Email: tc.email})
			if !errors.Is(err, rubles.ErrReceiptContact) {
				t.Fatalf("err = %v, want ErrReceiptContact", err)
			}
		})
	}
	c, err := e.svc.StartPayment(t.Context(), rubles.StartPaymentRequest{DrawID: d.ID, UserID: 5, Email: "payer@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Receipt struct {
			Customer map[string]string `json:"customer"`
			Items    []struct {
				Description string          `json:"description"`
				Amount      yookassa.Amount `json:"amount"`
				VatCode     int             `json:"vat_code"`
			} `json:"items"`
		} `json:"receipt"`
	}
	calls := e.yk.Calls()
	if err := json.Unmarshal(calls[len(calls)-1].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Receipt.Customer["email"] != "payer@example.com" || len(body.Receipt.Items) != 1 ||
		body.Receipt.Items[0].Amount != yookassa.RUB(d.Fee) || body.Receipt.Items[0].VatCode != 1 {
		t.Fatalf("receipt %+v", body.Receipt)
	}
	if err := e.yk.Succeed(c.YooKassaID); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	if n := e.count(t, "SELECT count(*) FROM entries"); n != 1 {
		t.Fatalf("%d entries", n)
	}
}

// TestStartPaymentAfterCancel: a user taps "pay" again after the first payment was canceled at
// YooKassa but before its notification was handled: the cancellation is applied (and told) and
// a new payment is made, rather than the dead one offered again.
func TestStartPaymentAfterCancel(t *testing.T) {
	e := setup(t, envOptions{noWebhook: true})
	d := e.rubDraw(t, nil)
	first := e.checkout(t, d, 12)
	if err := e.yk.Cancel(first.YooKassaID, yookassa.ReasonExpiredOnConfirmation); err != nil {
		t.Fatal(err)
	}
	again := e.checkout(t, d, 12)
	if again.Reused || again.YooKassaID == first.YooKassaID {
		t.Fatalf("second checkout %+v, first %+v", again, first)
	}
	e.waitTold(t, 12, "не прошёл", "Время на оплату истекло")
	if n := e.count(t, "SELECT count(*) FROM rub_payments WHERE telegram_id = 12 AND status = 'canceled'"); n != 1 {
		t.Fatalf("%d canceled checkouts", n)
	}
}

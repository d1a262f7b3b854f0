package rubles_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
)

func notification(event, id, status string) string {
	return fmt.Sprintf(`{"type":"notification","event":%q,"object":{"id":%q,"status":%q,"paid":true,"amount":{"value":"100.00","currency":"RUB"}}}`, event, id, status)
}

// TestWebhookSource: only YooKassa's addresses get through, and forwarding headers count only
// from the configured proxies (loopback here). Nothing is queued for a rejected request.
func TestWebhookSource(t *testing.T) {
	e := setup(t, envOptions{noWebhook: true})
	h := e.svc.WebhookHandler()
	body := notification("payment.succeeded", "2e8dd95a-000f-5000-a000-1e3515f51c18", "succeeded")
	for _, tc := range []struct {
		name   string
		method string
		remote string
		xff    string
		body   string
		want   int
	}{
		{"untrusted peer", "POST", "203.0.113.5:40000", "", body, http.StatusForbidden},
		{"untrusted peer claiming yookassa", "POST", "203.0.113.5:40000", "185.71.76.1", body, http.StatusForbidden},
		{"trusted proxy forwarding a stranger", "POST", "127.0.0.1:40000", "185.71.76.1, 203.0.113.9", body, http.StatusForbidden},
		{"trusted proxy forwarding yookassa", "POST", "127.0.0.1:40000", "185.71.76.1", body, http.StatusOK},
		{"yookassa directly", "POST", "77.75.156.11:443", "", body, http.StatusOK},
		{"yookassa ipv6", "POST", "[2a02:5180::5]:443", "", body, http.StatusOK},
		{"not a notification", "POST", "185.71.76.2:443", "", `{"type":"payment"}`, http.StatusBadRequest},
		{"another object", "POST", "185.71.76.2:443", "", notification("deal.closed", "dl-1", "closed"), http.StatusOK},
		{"wrong method", "GET", "185.71.76.2:443", "", "", http.StatusMethodNotAllowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.count(t, "SELECT count(*) FROM river_job WHERE kind = 'rubles_notification'")
			r := httptest.NewRequest(tc.method, "/webhooks/yookassa", strings.NewReader(tc.body))
			r.RemoteAddr = tc.remote
			if tc.xff != "" {
				r.Header.Set("X-Forwarded-For", tc.xff)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.want {
				t.Fatalf("status %d, want %d", w.Code, tc.want)
			}
			queued := e.count(t, "SELECT count(*) FROM river_job WHERE kind = 'rubles_notification'") - before
			wantQueued := 0
			if tc.want == http.StatusOK && !strings.Contains(tc.body, "deal.closed") {
				wantQueued = 1
			}
			if queued != wantQueued {
				t.Fatalf("%d jobs queued, want %d", queued, wantQueued)
			}
		})
	}
	// The queued notifications named a payment YooKassa does not know: nothing happened.
	e.idle(t, rubles.NotificationArgs{}.Kind())
	if n := e.count(t, "SELECT count(*) FROM payments"); n != 0 {
		t.Fatalf("%d payments", n)
	}
}

// TestUntrustedNotificationChangesNothing: YooKassa's real notification of a succeeded
// payment, arriving through the proxy from an address outside YooKassa's ranges, is refused
// every time it is delivered and changes nothing.
func TestUntrustedNotificationChangesNothing(t *testing.T) {
	e := setup(t, envOptions{forwardedFor: "203.0.113.9", fake: yookassatest.Options{NotifyMaxAttempts: 3}})
	d := e.rubDraw(t, nil)
	c := e.checkout(t, d, 21)
	if err := e.yk.Succeed(c.YooKassaID); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	ds := e.yk.Deliveries()
	if len(ds) != 3 {
		t.Fatalf("%d deliveries, want 3", len(ds))
	}
	for _, dl := range ds {
		if dl.Status != http.StatusForbidden {
			t.Fatalf("delivery answered %d, want 403", dl.Status)
		}
	}
	for sql, want := range map[string]int{
		"SELECT count(*) FROM river_job WHERE kind = 'rubles_notification'":                                            0,
		"SELECT count(*) FROM entries":                                                                                 0,
		"SELECT count(*) FROM ledger_transactions":                                                                     0,
		"SELECT count(*) FROM rub_payments WHERE status = 'pending'":                                                   1,
		"SELECT count(*) FROM audit_log WHERE action LIKE 'entry.%' OR action LIKE 'payment.%' OR action LIKE 'rub_%'": 0,
	} {
		if n := e.count(t, sql); n != want {
			t.Errorf("%s = %d, want %d", sql, n, want)
		}
	}
}

// TestForgedSucceededNotification: a notification from a trusted address claiming success for
// a payment that YooKassa, asked, says is still pending makes no entry.
func TestForgedSucceededNotification(t *testing.T) {
	e := setup(t, envOptions{})
	d := e.rubDraw(t, nil)
	c := e.checkout(t, d, 31)
	req, err := http.NewRequestWithContext(t.Context(), "POST", e.web.URL+"/webhooks/yookassa",
		strings.NewReader(notification("payment.succeeded", c.YooKassaID, "succeeded")))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Forwarded-For", "185.71.76.1") // through the loopback proxy, from YooKassa's range
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	e.waitCount(t, 1, "SELECT count(*) FROM river_job WHERE kind = 'rubles_notification' AND state = 'completed'")
	if e.calls("GET", "/payments/"+c.YooKassaID) != 1 {
		t.Fatalf("the payment was not fetched")
	}
	for sql, want := range map[string]int{
		"SELECT count(*) FROM entries":                               0,
		"SELECT count(*) FROM payments":                              0,
		"SELECT count(*) FROM ledger_transactions":                   0,
		"SELECT count(*) FROM rub_payments WHERE status = 'pending'": 1,
	} {
		if n := e.count(t, sql); n != want {
			t.Errorf("%s = %d, want %d", sql, n, want)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

// TestDuplicateNotifications: the same notification delivered three times makes one entry.
func TestDuplicateNotifications(t *testing.T) {
	e := setup(t, envOptions{fake: yookassatest.Options{NotifyCopies: 3}})
	d := e.rubDraw(t, nil)
	c := e.checkout(t, d, 41)
	if err := e.yk.Succeed(c.YooKassaID); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	ds := e.yk.Deliveries()
	if len(ds) != 3 {
		t.Fatalf("%d deliveries, want 3", len(ds))
	}
	for _, dl := range ds {
		if dl.Status != http.StatusOK || dl.Event != yookassa.EventPaymentSucceeded {
			t.Fatalf("delivery %+v", dl)
		}
	}
	for sql, want := range map[string]int{
		"SELECT count(*) FROM river_job WHERE kind = 'rubles_notification' AND state = 'completed'": 3,
		"SELECT count(*) FROM entries":                                  1,
		"SELECT count(*) FROM payments":                                 1,
		"SELECT count(*) FROM ledger_transactions WHERE kind = 'entry'": 1,
		"SELECT count(*) FROM rub_payments WHERE status = 'succeeded'":  1,
	} {
		if n := e.count(t, sql); n != want {
			t.Errorf("%s = %d, want %d", sql, n, want)
		}
	}
	raffletest.WaitFor(t, "confirmation", func() bool { return e.told(41, "Ваш код участника") })
	e.idle(t, notify.SendArgs{}.Kind())
	if n := e.countTold(41, "Ваш код участника"); n != 1 {
		t.Fatalf("%d confirmations to the payer", n)
	}
	e.b.LedgerOK(t)
}

// TestPendingRecheck: notifications never arrive (no webhook configured); the periodic re-check
// finds the succeeded payment and makes the entry, and finds the canceled one and tells its
// payer why.
func TestPendingRecheck(t *testing.T) {
	e := setup(t, envOptions{noWebhook: true, cfg: func(c *rubles.Config) { c.RecheckAfter = time.Minute }})
	d := e.rubDraw(t, nil)
	paid := e.checkout(t, d, 51)
	gaveUp := e.checkout(t, d, 52)
	if err := e.yk.Succeed(paid.YooKassaID); err != nil {
		t.Fatal(err)
	}
	if err := e.yk.Cancel(gaveUp.YooKassaID, yookassa.ReasonExpiredOnConfirmation); err != nil {
		t.Fatal(err)
	}
	// Not due yet: nothing is fetched.
	e.runJob(t, rubles.RecheckPaymentsArgs{})
	if n := e.calls("GET", "/payments/"+paid.YooKassaID); n != 0 {
		t.Fatalf("fetched %d times before it was due", n)
	}
	e.b.Clock.Set(time.Now().Add(2 * time.Minute))
	e.runJob(t, rubles.RecheckPaymentsArgs{})
	for sql, want := range map[string]int{
		"SELECT count(*) FROM entries WHERE telegram_id = 51":                                                       1,
		"SELECT count(*) FROM entries WHERE telegram_id = 52":                                                       0,
		"SELECT count(*) FROM rub_payments WHERE status = 'succeeded' AND telegram_id = 51":                         1,
		"SELECT count(*) FROM rub_payments WHERE status = 'canceled' AND cancel_reason = 'expired_on_confirmation'": 1,
	} {
		if n := e.count(t, sql); n != want {
			t.Errorf("%s = %d, want %d", sql, n, want)
		}
	}
	e.waitTold(t, 52, "не прошёл", "Время на оплату истекло")
	// Finished payments are not fetched again.
	e.b.Clock.Set(time.Now().Add(10 * time.Minute))
	before := len(e.yk.Calls())
	e.runJob(t, rubles.RecheckPaymentsArgs{})
	if n := len(e.yk.Calls()) - before; n != 0 {
		t.Fatalf("%d requests for finished payments", n)
	}
	e.b.LedgerOK(t)
}

// TestCanceledPaymentTellsWhy: payment.canceled, fetched, tells the payer the reason in plain
// words; no money moves.
func TestCanceledPaymentTellsWhy(t *testing.T) {
	e := setup(t, envOptions{fake: yookassatest.Options{NotifyCopies: 2}})
	d := e.rubDraw(t, nil)
	for i, tc := range []struct {
		reason, text string
	}{
		{yookassa.ReasonInsufficientFunds, "Недостаточно денег для оплаты"},
		{yookassa.Reason3DSecureFailed, "Не пройдена проверка 3-D Secure"},
		{yookassa.ReasonExpiredOnConfirmation, "Время на оплату истекло"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			user := int64(61 + i)
			c := e.checkout(t, d, user)
			if err := e.yk.Cancel(c.YooKassaID, tc.reason); err != nil {
				t.Fatal(err)
			}
			e.flush(t)
			e.waitTold(t, user, "Платёж 100 ₽ за участие в розыгрыше", tc.text)
		})
	}
	e.idle(t, notify.SendArgs{}.Kind())
	for _, u := range []int64{61, 62, 63} {
		if n := e.countTold(u, "не прошёл"); n != 1 {
			t.Fatalf("user %d was told %d times", u, n)
		}
	}
	if n := e.count(t, "SELECT count(*) FROM ledger_transactions"); n != 0 {
		t.Fatalf("%d ledger transactions", n)
	}
}

package rubles_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// BenchmarkWebhook is the handler's cost per notification from YooKassa: the address check,
// parsing, and the one INSERT of the job that will fetch the object (River is stopped, so the
// jobs only pile up).
func BenchmarkWebhook(b *testing.B) {
	e := setup(b, envOptions{noWebhook: true})
	e.b.Stop()
	h := e.svc.WebhookHandler()
	body := notification("payment.succeeded", "2e8dd95a-000f-5000-a000-1e3515f51c18", "succeeded")
	b.ResetTimer()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/webhooks/yookassa", strings.NewReader(body))
		r.RemoteAddr = "185.71.76.10:443"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkPaymentToEntry is the cost of turning one succeeded YooKassa payment into an entry:
// the fetch from the fake, the transaction with raffle.Enter (ledger posting, entry, audit,
// confirmation job) and the checkout row, as the notification job runs it.
func BenchmarkPaymentToEntry(b *testing.B) {
	e := setup(b, envOptions{noWebhook: true})
	e.b.Stop()
	d, err := e.b.Svc.Create(b.Context(), rubDrawParams(e), "cli")
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for i := range b.N {
		c, err := e.svc.StartPayment(b.Context(), rubles.StartPaymentRequest{DrawID: d.ID, UserID: int64(10_000 + i)})
		if err != nil {
			b.Fatal(err)
		}
		if err := e.yk.Succeed(c.YooKassaID); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, c.YooKassaID)
	}
	b.ResetTimer()
	for _, id := range ids {
		if err := rubles.SyncPaymentForTest(e.svc, b.Context(), id); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var n int
	if err := db.InTx(b.Context(), e.b.Pool, func(tx pgx.Tx) error {
		return tx.QueryRow(b.Context(), "SELECT count(*) FROM entries").Scan(&n)
	}); err != nil || n != b.N {
		b.Fatalf("%d entries for %d payments (%v)", n, b.N, err)
	}
}

func rubDrawParams(e *env) raffle.Params {
	return raffle.Params{Title: "Замер", Currency: "RUB", Fee: 100_00, Min: 2, Deadline: e.b.Clock.Now().Add(time.Hour)}
}

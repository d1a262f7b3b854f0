package yookassa_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
)

// webhook is the handler shape the package is meant for: check the sender, parse the body only
// to learn the object, re-fetch it and act on the fetched status.
type webhook struct {
	client    *yookassa.Client
	trusted   yookassa.TrustedIPs
	proxies   yookassa.TrustedIPs
	mu        sync.Mutex
	failFirst int      // answer 500 to this many accepted deliveries
	fetched   []string // "<object id> <fetched status>"
}

func (h *webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.trusted.Contains(yookassa.ClientIP(r, h.proxies)) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, yookassa.MaxNotificationSize))
	if err != nil {
		http.Error(w, "body", http.StatusBadRequest)
		return
	}
	n, err := yookassa.ParseNotification(body)
	if err != nil {
		http.Error(w, "notification", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	fail := h.failFirst > 0
	if fail {
		h.failFirst--
	}
	h.mu.Unlock()
	if fail {
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	var status string
	switch n.ObjectType {
	case "payment":
		p, err := h.client.GetPayment(r.Context(), n.ObjectID)
		if err != nil {
			http.Error(w, "fetch", http.StatusInternalServerError)
			return
		}
		status = string(p.Status)
	case "payout":
		p, err := h.client.GetPayout(r.Context(), n.ObjectID)
		if err != nil {
			http.Error(w, "fetch", http.StatusInternalServerError)
			return
		}
		status = string(p.Status)
	default:
		w.WriteHeader(http.StatusOK) // not ours to handle
		return
	}
	h.mu.Lock()
	h.fetched = append(h.fetched, n.ObjectID+" "+status)
	h.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (h *webhook) seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.fetched...)
}

func mustTrusted(t *testing.T, s string) yookassa.TrustedIPs {
	t.Helper()
	ips, err := yookassa.ParseTrustedIPs(s)
	if err != nil {
		t.Fatalf("ParseTrustedIPs(%q): %v", s, err)
	}
	return ips
}

// startWebhook serves h and returns its URL; the fake posts to it over loopback, so the
// handler treats loopback as its reverse proxy.
func startWebhook(t *testing.T, h *webhook) string {
	t.Helper()
	h.trusted = yookassa.DefaultTrustedIPs()
	h.proxies = mustTrusted(t, "127.0.0.1,::1")
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/webhooks/yookassa"
}

func TestWebhookPaymentSucceeded(t *testing.T) {
	h := &webhook{failFirst: 1}
	url := startWebhook(t, h)
	b := setup(t, yookassatest.Options{WebhookURL: url, NotifyCopies: 2, NotifyForwardedFor: "185.71.76.5"}, nil)
	h.client = b.client
	ctx := context.Background()

	p, err := b.client.CreatePayment(ctx, "entry-3-9", entryFee())
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	if err := b.fake.Succeed(p.ID); err != nil {
		t.Fatalf("Succeed: %v", err)
	}
	if err := b.fake.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}

	// Two copies; the first attempt of one was answered 500 and delivered again.
	want := []yookassatest.Delivery{
		{Event: yookassa.EventPaymentSucceeded, ObjectID: p.ID, URL: url, Copy: 1, Attempt: 1, Status: 500},
		{Event: yookassa.EventPaymentSucceeded, ObjectID: p.ID, URL: url, Copy: 1, Attempt: 2, Status: 200},
		{Event: yookassa.EventPaymentSucceeded, ObjectID: p.ID, URL: url, Copy: 2, Attempt: 1, Status: 200},
	}
	byCopyAttempt := cmpopts.SortSlices(func(a, b yookassatest.Delivery) bool {
		return a.Copy < b.Copy || a.Copy == b.Copy && a.Attempt < b.Attempt
	})
	if diff := cmp.Diff(want, b.fake.Deliveries(), byCopyAttempt); diff != "" {
		t.Fatalf("deliveries (-want +got):\n%s", diff)
	}
	// The handler saw the payment twice and fetched succeeded both times: deduplication by
	// (id, status) is the caller's job.
	if diff := cmp.Diff([]string{p.ID + " succeeded", p.ID + " succeeded"}, h.seen()); diff != "" {
		t.Fatalf("fetched (-want +got):\n%s", diff)
	}
}

func TestWebhookPaymentCanceled(t *testing.T) {
	h := &webhook{}
	url := startWebhook(t, h)
	b := setup(t, yookassatest.Options{WebhookURL: url, NotifyForwardedFor: "77.75.156.11"}, nil)
	h.client = b.client
	ctx := context.Background()

	p, err := b.client.CreatePayment(ctx, "entry-3-10", entryFee())
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	if err := b.fake.Cancel(p.ID, yookassa.ReasonExpiredOnConfirmation); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if err := b.fake.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if diff := cmp.Diff([]string{p.ID + " canceled"}, h.seen()); diff != "" {
		t.Fatalf("fetched (-want +got):\n%s", diff)
	}
	got, err := b.client.GetPayment(ctx, p.ID)
	if err != nil {
		t.Fatalf("GetPayment: %v", err)
	}
	want := &yookassa.CancellationDetails{Party: yookassa.PartyYooMoney, Reason: yookassa.ReasonExpiredOnConfirmation}
	if diff := cmp.Diff(want, got.CancellationDetails); diff != "" {
		t.Fatalf("cancellation (-want +got):\n%s", diff)
	}
}

func TestWebhookSpoofedSourceRejected(t *testing.T) {
	h := &webhook{}
	url := startWebhook(t, h)
	b := setup(t, yookassatest.Options{WebhookURL: url, NotifyForwardedFor: "203.0.113.9", NotifyMaxAttempts: 2}, nil)
	h.client = b.client
	ctx := context.Background()

	p, err := b.client.CreatePayment(ctx, "entry-3-11", entryFee())
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	if err := b.fake.Succeed(p.ID); err != nil {
		t.Fatalf("Succeed: %v", err)
	}
	if err := b.fake.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	for _, d := range b.fake.Deliveries() {
		if d.Status != http.StatusForbidden {
			t.Fatalf("delivery %+v, want 403", d)
		}
	}
	if n := len(b.fake.Deliveries()); n != 2 {
		t.Fatalf("deliveries = %d, want 2 (NotifyMaxAttempts)", n)
	}
	if got := h.seen(); len(got) != 0 {
		t.Fatalf("handler acted on %v", got)
	}
}

func TestWebhookPayoutSucceeded(t *testing.T) {
	h := &webhook{}
	url := startWebhook(t, h)
	b := setup(t, yookassatest.Options{PayoutWebhookURL: url, NotifyForwardedFor: "185.71.77.1"}, nil)
	h.client = b.client
	ctx := context.Background()

	p, err := b.client.CreatePayout(ctx, "payout-5-1", yookassa.PayoutRequest{
		Amount: yookassa.RUB(1_500_00), Destination: yookassa.SBPDestination("79000000000", "100000000111"),
		Metadata: map[string]string{"payout_id": "5"}})
	if err != nil {
		t.Fatalf("CreatePayout: %v", err)
	}
	if p.Status != yookassa.PayoutPending {
		t.Fatalf("status = %s, want pending", p.Status)
	}
	if err := b.fake.SucceedPayout(p.ID); err != nil {
		t.Fatalf("SucceedPayout: %v", err)
	}
	if err := b.fake.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if diff := cmp.Diff([]string{p.ID + " succeeded"}, h.seen()); diff != "" {
		t.Fatalf("fetched (-want +got):\n%s", diff)
	}
}

package yookassatest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var frozen = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newFake(t *testing.T, opts yookassatest.Options) *yookassatest.Server {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return frozen }
	}
	f := yookassatest.NewServer(opts)
	t.Cleanup(f.Close)
	return f
}

type creds struct{ user, pass string }

var (
	shop    = creds{yookassatest.DefaultShopID, yookassatest.DefaultShopSecretKey}
	gateway = creds{yookassatest.DefaultGatewayID, yookassatest.DefaultGatewaySecretKey}
	nobody  = creds{}
)

type answer struct {
	status int
	header http.Header
	body   []byte
}

// send makes a raw request; key "" omits Idempotence-Key, contentType "" means JSON.
func send(t *testing.T, f *yookassatest.Server, c creds, method, path, key, contentType, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.URL()+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if c != nobody {
		req.SetBasicAuth(c.user, c.pass)
	}
	if key != "" {
		req.Header.Set("Idempotence-Key", key)
	}
	if contentType == "" {
		contentType = "application/json"
	}
	if body != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

type errorBody struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Code        string `json:"code"`
	Description string `json:"description"`
	Parameter   string `json:"parameter"`
	RetryAfter  int64  `json:"retry_after"`
}

func decodeError(t *testing.T, a answer) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal(a.body, &e); err != nil {
		t.Fatalf("error body %s: %v", a.body, err)
	}
	if e.Type != "error" || e.ID == "" || e.Code == "" {
		t.Fatalf("error body %s lacks type/id/code", a.body)
	}
	return e
}

const paymentBody = `{"amount":{"value":"100.00","currency":"RUB"},"capture":true,"confirmation":{"type":"redirect","return_url":"https://t.me/bot"},"description":"Участие"}`

func TestErrorAnswers(t *testing.T) {
	f := newFake(t, yookassatest.Options{})
	tests := []struct {
		name        string
		c           creds
		method      string
		path        string
		key         string
		contentType string
		body        string
		wantStatus  int
		wantCode    string
		wantParam   string
	}{
		{name: "no credentials", c: nobody, method: "GET", path: "/payments", wantStatus: 401, wantCode: "invalid_credentials"},
		{name: "wrong secret", c: creds{shop.user, "nope"}, method: "GET", path: "/payments", wantStatus: 401, wantCode: "invalid_credentials"},
		{name: "gateway pair on payments", c: gateway, method: "GET", path: "/payments", wantStatus: 401, wantCode: "invalid_credentials"},
		{name: "shop pair on payouts", c: shop, method: "GET", path: "/payouts", wantStatus: 401, wantCode: "invalid_credentials"},
		{name: "shop pair on sbp_banks", c: shop, method: "GET", path: "/sbp_banks", wantStatus: 401, wantCode: "invalid_credentials"},
		{name: "missing key", c: shop, method: "POST", path: "/payments", body: paymentBody,
			wantStatus: 400, wantCode: "invalid_request", wantParam: "Idempotence-Key"},
		{name: "key too long", c: shop, method: "POST", path: "/payments", key: strings.Repeat("k", 65), body: paymentBody,
			wantStatus: 400, wantCode: "invalid_request", wantParam: "Idempotence-Key"},
		{name: "not json", c: shop, method: "POST", path: "/payments", key: "k", contentType: "text/plain", body: paymentBody,
			wantStatus: 415, wantCode: "invalid_request"},
		{name: "amount as a number", c: shop, method: "POST", path: "/payments", key: "k1",
			body:       `{"amount":{"value":100.00,"currency":"RUB"},"confirmation":{"type":"redirect","return_url":"https://t.me/bot"}}`,
			wantStatus: 400, wantCode: "invalid_request", wantParam: "amount.value"},
		{name: "amount without decimals", c: shop, method: "POST", path: "/payments", key: "k2",
			body:       `{"amount":{"value":"100","currency":"RUB"},"confirmation":{"type":"redirect","return_url":"https://t.me/bot"}}`,
			wantStatus: 400, wantCode: "invalid_request", wantParam: "amount.value"},
		{name: "foreign currency", c: shop, method: "POST", path: "/payments", key: "k3",
			body:       `{"amount":{"value":"1.00","currency":"USD"},"confirmation":{"type":"redirect","return_url":"https://t.me/bot"}}`,
			wantStatus: 400, wantCode: "invalid_request", wantParam: "amount.currency"},
		{name: "misspelt field", c: shop, method: "POST", path: "/payments", key: "k4",
			body:       `{"amount":{"value":"1.00","currency":"RUB"},"reciept":{},"confirmation":{"type":"redirect","return_url":"https://t.me/bot"}}`,
			wantStatus: 400, wantCode: "invalid_request", wantParam: "reciept"},
		{name: "payout field removed from the spec", c: gateway, method: "POST", path: "/payouts", key: "k5",
			body:       `{"amount":{"value":"10.00","currency":"RUB"},"payout_token":"t","receipt_data":{"service_name":"x"}}`,
			wantStatus: 400, wantCode: "invalid_request", wantParam: "receipt_data"},
		{name: "payout below the card minimum", c: gateway, method: "POST", path: "/payouts", key: "k6",
			body:       `{"amount":{"value":"4.99","currency":"RUB"},"payout_token":"t"}`,
			wantStatus: 400, wantCode: "invalid_request", wantParam: "amount"},
		{name: "payout to an unknown sbp bank", c: gateway, method: "POST", path: "/payouts", key: "k7",
			body:       `{"amount":{"value":"10.00","currency":"RUB"},"payout_destination_data":{"type":"sbp","phone":"79000000000","bank_id":"100000000999"}}`,
			wantStatus: 400, wantCode: "invalid_request", wantParam: "payout_destination_data.bank_id"},
		{name: "payout with two destinations", c: gateway, method: "POST", path: "/payouts", key: "k8",
			body:       `{"amount":{"value":"10.00","currency":"RUB"},"payout_token":"t","payment_method_id":"pm"}`,
			wantStatus: 400, wantCode: "invalid_request", wantParam: "payout_destination_data"},
		{name: "search without metadata", c: gateway, method: "GET", path: "/payouts/search", wantStatus: 400, wantCode: "invalid_request", wantParam: "metadata"},
		{name: "search with two pairs", c: gateway, method: "GET", path: "/payouts/search?metadata%5Ba%5D=1&metadata%5Bb%5D=2",
			wantStatus: 400, wantCode: "invalid_request", wantParam: "metadata"},
		{name: "limit out of range", c: shop, method: "GET", path: "/payments?limit=101", wantStatus: 400, wantCode: "invalid_request", wantParam: "limit"},
		{name: "unknown payment", c: shop, method: "GET", path: "/payments/00000000-000f-5000-a000-000000000000", wantStatus: 404, wantCode: "not_found"},
		{name: "unknown payout", c: gateway, method: "GET", path: "/payouts/po-00000000-000f-5000-a000-000000000000", wantStatus: 404, wantCode: "not_found"},
		{name: "unknown refund", c: shop, method: "GET", path: "/refunds/00000000-000f-5000-a000-000000000000", wantStatus: 404, wantCode: "not_found"},
		{name: "unknown endpoint", c: shop, method: "GET", path: "/receipts", wantStatus: 404, wantCode: "not_found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := send(t, f, tc.c, tc.method, tc.path, tc.key, tc.contentType, tc.body)
			if a.status != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", a.status, a.body, tc.wantStatus)
			}
			e := decodeError(t, a)
			if e.Code != tc.wantCode || e.Parameter != tc.wantParam {
				t.Fatalf("code %q parameter %q, want %q %q (%s)", e.Code, e.Parameter, tc.wantCode, tc.wantParam, a.body)
			}
		})
	}
	if n := len(f.PaymentIDs()) + len(f.PayoutIDs()); n != 0 {
		t.Fatalf("failed requests created %d objects", n)
	}
}

func TestIdempotenceReplay(t *testing.T) {
	f := newFake(t, yookassatest.Options{})
	first := send(t, f, shop, "POST", "/payments", "key-1", "", paymentBody)
	if first.status != 200 {
		t.Fatalf("create: %d %s", first.status, first.body)
	}
	reordered := `{"description":"Участие","capture":true, "confirmation":{"return_url":"https://t.me/bot","type":"redirect"},"amount":{"currency":"RUB","value":"100.00"}}`
	replay := send(t, f, shop, "POST", "/payments", "key-1", "", reordered)
	if replay.status != 200 || !bytes.Equal(replay.body, first.body) {
		t.Fatalf("replay with the same JSON in another order: %d %s", replay.status, replay.body)
	}
	other := send(t, f, shop, "POST", "/payments", "key-1", "", strings.Replace(paymentBody, "100.00", "200.00", 1))
	if e := decodeError(t, other); other.status != 400 || e.Description != "Idempotence key duplicated" || e.Parameter != "Idempotence-Key" {
		t.Fatalf("different body: %d %s", other.status, other.body)
	}
	// Keys belong to a credential pair: the gateway may use the same key for a payout.
	payout := send(t, f, gateway, "POST", "/payouts", "key-1", "", `{"amount":{"value":"10.00","currency":"RUB"},"payout_destination_data":{"type":"yoo_money","account_number":"41001614575714"}}`)
	if payout.status != 200 {
		t.Fatalf("payout with the shop's key: %d %s", payout.status, payout.body)
	}
	f.Advance(24 * time.Hour)
	fresh := send(t, f, shop, "POST", "/payments", "key-1", "", strings.Replace(paymentBody, "100.00", "200.00", 1))
	if fresh.status != 200 {
		t.Fatalf("after 24h a reused key with another body: %d %s", fresh.status, fresh.body)
	}
	if n := len(f.PaymentIDs()); n != 2 {
		t.Fatalf("payments = %d, want 2", n)
	}
}

func TestConcurrentSameKeyMakesOnePayment(t *testing.T) {
	f := newFake(t, yookassatest.Options{})
	c, err := yookassa.New(f.Config())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	req := yookassa.CreatePaymentRequest{Amount: yookassa.RUB(100_00), ReturnURL: "https://t.me/bot"}
	var wg sync.WaitGroup
	ids := make([]string, 8)
	errs := make([]error, 8)
	for i := range ids {
		wg.Go(func() {
			p, err := c.CreatePayment(context.Background(), "same", req)
			errs[i] = err
			if err == nil {
				ids[i] = p.ID
			}
		})
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("request %d: id %q err %v, want %q", i, ids[i], errs[i], ids[0])
		}
	}
	if n := len(f.PaymentIDs()); n != 1 {
		t.Fatalf("payments = %d, want 1", n)
	}
}

func TestFailNext(t *testing.T) {
	t.Run("429 is not performed", func(t *testing.T) {
		f := newFake(t, yookassatest.Options{RetryAfter: 1500 * time.Millisecond})
		f.FailNext("/v3/payments", 1, http.StatusTooManyRequests)
		a := send(t, f, shop, "POST", "/payments", "k", "", paymentBody)
		e := decodeError(t, a)
		if a.status != 429 || e.Code != "too_many_requests" || e.RetryAfter != 1500 || a.header.Get("Retry-After") != "2" {
			t.Fatalf("429 answer: %d %s Retry-After %q", a.status, a.body, a.header.Get("Retry-After"))
		}
		if n := len(f.PaymentIDs()); n != 0 {
			t.Fatalf("payments = %d, want 0", n)
		}
	})
	t.Run("500 is performed and replayed by the key", func(t *testing.T) {
		f := newFake(t, yookassatest.Options{})
		f.FailNext("/payments", 1, http.StatusInternalServerError)
		a := send(t, f, shop, "POST", "/payments", "k", "", paymentBody)
		if e := decodeError(t, a); a.status != 500 || e.Code != "internal_server_error" {
			t.Fatalf("500 answer: %d %s", a.status, a.body)
		}
		again := send(t, f, shop, "POST", "/payments", "k", "", paymentBody)
		var p struct{ ID string }
		if err := json.Unmarshal(again.body, &p); err != nil || again.status != 200 {
			t.Fatalf("retry: %d %s", again.status, again.body)
		}
		if diff := cmp.Diff([]string{p.ID}, f.PaymentIDs()); diff != "" {
			t.Fatalf("payments (-want +got):\n%s", diff)
		}
		// A caller that changes the key on retry pays twice; that is what the test catches.
		send(t, f, shop, "POST", "/payments", "k-new", "", paymentBody)
		if n := len(f.PaymentIDs()); n != 2 {
			t.Fatalf("payments = %d, want 2", n)
		}
	})
	t.Run("202 processing", func(t *testing.T) {
		f := newFake(t, yookassatest.Options{})
		f.FailNext("/payments", 1, http.StatusAccepted)
		a := send(t, f, shop, "POST", "/payments", "k", "", paymentBody)
		var body struct {
			Type       string `json:"type"`
			RetryAfter int64  `json:"retry_after"`
		}
		if err := json.Unmarshal(a.body, &body); err != nil || a.status != 202 || body.RetryAfter != 1000 {
			t.Fatalf("202 answer: %d %s", a.status, a.body)
		}
	})
	t.Run("only the named path", func(t *testing.T) {
		f := newFake(t, yookassatest.Options{})
		f.FailNext("/payouts", 1, http.StatusInternalServerError)
		if a := send(t, f, shop, "POST", "/payments", "k", "", paymentBody); a.status != 200 {
			t.Fatalf("payments failed: %d", a.status)
		}
	})
}

func TestCallsAreRecorded(t *testing.T) {
	f := newFake(t, yookassatest.Options{})
	send(t, f, shop, "POST", "/payments", "k-rec", "", paymentBody)
	send(t, f, shop, "GET", "/payments?limit=5", "", "", "")
	want := []yookassatest.Call{
		{Method: "POST", Path: "/payments", IdempotenceKey: "k-rec", Body: []byte(paymentBody), Status: 200},
		{Method: "GET", Path: "/payments", Query: "limit=5", Body: []byte{}, Status: 200},
	}
	if diff := cmp.Diff(want, f.Calls()); diff != "" {
		t.Fatalf("calls (-want +got):\n%s", diff)
	}
}

func TestMeWithShopCredentials(t *testing.T) {
	f := newFake(t, yookassatest.Options{})
	a := send(t, f, shop, "GET", "/me", "", "", "")
	var me map[string]any
	if err := json.Unmarshal(a.body, &me); err != nil || a.status != 200 {
		t.Fatalf("me: %d %s", a.status, a.body)
	}
	if me["account_id"] != yookassatest.DefaultShopID || me["payout_balance"] != nil {
		t.Fatalf("shop settings = %v, want the shop without a payout balance", me)
	}
}

func TestControlErrors(t *testing.T) {
	f := newFake(t, yookassatest.Options{})
	c, err := yookassa.New(f.Config())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	p, err := c.CreatePayment(context.Background(), "k", yookassa.CreatePaymentRequest{Amount: yookassa.RUB(100), ReturnURL: "https://t.me/bot"})
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	tests := []struct {
		name string
		call func() error
	}{
		{"succeed unknown payment", func() error { return f.Succeed("nope") }},
		{"cancel with a payout reason", func() error { return f.Cancel(p.ID, yookassa.ReasonRecipientNotFound) }},
		{"succeed a canceled payment", func() error {
			if err := f.Cancel(p.ID, yookassa.ReasonCanceledByMerchant); err != nil {
				return nil
			}
			return f.Succeed(p.ID)
		}},
		{"cancel a canceled payment", func() error { return f.Cancel(p.ID, yookassa.ReasonGeneralDecline) }},
		{"unknown outcome", func() error { return f.SetPayoutOutcome("79000000000", "lost_in_the_mail") }},
		{"succeed unknown payout", func() error { return f.SucceedPayout("po-nope") }},
		{"cancel payout with a payment reason", func() error { return f.CancelPayout("po-nope", yookassa.ReasonExpiredOnConfirmation) }},
		{"succeed unknown refund", func() error { return f.SucceedRefund("nope") }},
		{"cancel refund with a payout reason", func() error { return f.CancelRefund("nope", yookassa.ReasonRecipientNotFound) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); err == nil {
				t.Fatalf("want an error")
			}
		})
	}
}

func TestNotificationBodyIsTheObject(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
	}))
	defer target.Close()
	f := newFake(t, yookassatest.Options{WebhookURL: target.URL, NotifyCopies: 3})
	c, err := yookassa.New(f.Config())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx := context.Background()
	p, err := c.CreatePayment(ctx, "k", yookassa.CreatePaymentRequest{Amount: yookassa.RUB(100), ReturnURL: "https://t.me/bot"})
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	if err := f.Succeed(p.ID); err != nil {
		t.Fatalf("Succeed: %v", err)
	}
	if err := f.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 3 {
		t.Fatalf("deliveries = %d, want 3 copies", len(bodies))
	}
	var envelope struct {
		Type   string           `json:"type"`
		Event  string           `json:"event"`
		Object yookassa.Payment `json:"object"`
	}
	if err := json.Unmarshal(bodies[0], &envelope); err != nil {
		t.Fatalf("notification %s: %v", bodies[0], err)
	}
	got, err := c.GetPayment(ctx, p.ID)
	if err != nil {
		t.Fatalf("GetPayment: %v", err)
	}
	if envelope.Type != "notification" || envelope.Event != "payment.succeeded" {
		t.Fatalf("envelope %s", bodies[0])
	}
	if diff := cmp.Diff(got, &envelope.Object); diff != "" {
		t.Fatalf("notification object differs from GET (-get +notification):\n%s", diff)
	}
}

func TestNotifyFromLocalAddr(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("binding 127.0.0.2 needs Linux's loopback /8")
	}
	remotes := make(chan string, 1)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case remotes <- r.RemoteAddr:
		default:
		}
	}))
	defer target.Close()
	f := newFake(t, yookassatest.Options{WebhookURL: target.URL, NotifyLocalAddr: netip.MustParseAddr("127.0.0.2")})
	c, err := yookassa.New(f.Config())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	p, err := c.CreatePayment(context.Background(), "k", yookassa.CreatePaymentRequest{Amount: yookassa.RUB(100), ReturnURL: "https://t.me/bot"})
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	if err := f.Cancel(p.ID, yookassa.ReasonExpiredOnConfirmation); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if err := f.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	remote := <-remotes
	if !strings.HasPrefix(remote, "127.0.0.2:") {
		t.Fatalf("RemoteAddr = %s, want 127.0.0.2", remote)
	}
}

func TestCloseStopsDeliveries(t *testing.T) {
	release := make(chan struct{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer target.Close()
	defer close(release)
	f := yookassatest.NewServer(yookassatest.Options{WebhookURL: target.URL, Now: func() time.Time { return frozen }})
	c, err := yookassa.New(f.Config())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	p, err := c.CreatePayment(context.Background(), "k", yookassa.CreatePaymentRequest{Amount: yookassa.RUB(100), ReturnURL: "https://t.me/bot"})
	if err != nil {
		t.Fatalf("CreatePayment: %v", err)
	}
	if err := f.Succeed(p.ID); err != nil {
		t.Fatalf("Succeed: %v", err)
	}
	f.Close() // must not wait for the hanging webhook
	if err := f.Flush(context.Background()); err == nil {
		t.Fatalf("Flush after Close succeeded")
	}
}

func TestRawCardPayoutIsMasked(t *testing.T) {
	f := newFake(t, yookassatest.Options{})
	if err := f.SetPayoutOutcome("5555555555554477", yookassatest.OutcomeSucceeded); err != nil {
		t.Fatalf("SetPayoutOutcome: %v", err)
	}
	// The docs' raw-card request (needs PCI DSS in production; fairdraw uses payout tokens).
	a := send(t, f, gateway, "POST", "/payouts", "card-1", "",
		`{"amount":{"value":"5.00","currency":"RUB"},"payout_destination_data":{"type":"bank_card","card":{"number":"5555555555554477"}},"description":"Payout for order No. 37","metadata":{"order_id":"37"}}`)
	if a.status != 200 {
		t.Fatalf("create: %d %s", a.status, a.body)
	}
	if strings.Contains(string(a.body), "5555555555554477") {
		t.Fatalf("answer holds the full card number: %s", a.body)
	}
	var p struct {
		Status            string `json:"status"`
		PayoutDestination struct {
			Type string            `json:"type"`
			Card map[string]string `json:"card"`
		} `json:"payout_destination"`
	}
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Fatalf("decode: %v", err)
	}
	want := map[string]string{"first6": "555555", "last4": "4477", "card_type": "MasterCard", "issuer_country": "RU"}
	if diff := cmp.Diff(want, p.PayoutDestination.Card); diff != "" || p.Status != "succeeded" {
		t.Fatalf("status %s, card (-want +got):\n%s", p.Status, diff)
	}
	if got := f.PayoutBalance(); got != 1_000_000_00-5_00 {
		t.Fatalf("balance = %d", got)
	}
}

func TestClock(t *testing.T) {
	f := newFake(t, yookassatest.Options{})
	if !f.Now().Equal(frozen) {
		t.Fatalf("Now = %v, want %v", f.Now(), frozen)
	}
	f.Advance(25 * time.Hour)
	if want := frozen.Add(25 * time.Hour); !f.Now().Equal(want) {
		t.Fatalf("Now after Advance = %v, want %v", f.Now(), want)
	}
}

package yookassatest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// Default credentials of the fake. Tests normally take them from Server.Config.
const (
	DefaultShopID           = "100500"
	DefaultShopSecretKey    = "test_shop_secret_key"
	DefaultGatewayID        = "100700"
	DefaultGatewaySecretKey = "test_gateway_secret_key"
)

// Options configure a Server. Zero values take the documented defaults.
type Options struct {
	// Shop credentials (payments, refunds) and payout gateway credentials (payouts,
	// sbp_banks, me). Defaults: the Default* constants.
	ShopID, ShopSecretKey       string
	GatewayID, GatewaySecretKey string

	// Now is the fake's clock before Advance; default time.Now. Times are kept in UTC with
	// millisecond precision, like the API.
	Now func() time.Time

	// WebhookURL receives payment and refund notifications; PayoutWebhookURL payout ones
	// (default WebhookURL). Empty: no notifications are sent.
	WebhookURL       string
	PayoutWebhookURL string
	// NotifyCopies delivers every notification this many times (1 to 3; default 1), as YooKassa
	// sometimes does.
	NotifyCopies int
	// NotifyMaxAttempts is how often a delivery answered with anything but 200 (or failing) is
	// tried in total (default 5); NotifyRetryDelay the pause between tries (default 10 ms).
	// YooKassa itself keeps trying for 24 hours.
	NotifyMaxAttempts int
	NotifyRetryDelay  time.Duration
	// NotifyLocalAddr binds the notifier's outgoing connections to this local address (e.g.
	// 127.0.0.2 on Linux) so a handler sees a chosen RemoteAddr.
	NotifyLocalAddr netip.Addr
	// NotifyForwardedFor, if set, is sent as X-Forwarded-For, as if the notification had come
	// from that address through the operator's reverse proxy (the handler must then trust the
	// notifier's loopback address as a proxy). Use an address in YooKassa's ranges, e.g.
	// 185.71.76.1, for the happy path and anything else for a spoof.
	NotifyForwardedFor string

	// PayoutBalance is the gateway's initial payout balance in kopecks (default 1 000 000 ₽).
	// Payouts reserve from it; a payout it cannot cover is canceled with insufficient_funds.
	PayoutBalance int64
	// RefundsPending makes new refunds pending until SucceedRefund or CancelRefund; by default
	// they succeed at once.
	RefundsPending bool
	// FeeBasisPoints is YooKassa's fee the fake subtracts for income_amount (default 350 =
	// 3.5%; a made-up rate, the real one is in the merchant's contract).
	FeeBasisPoints int64
	// RetryAfter is what an injected 429 or 202 asks the client to wait (default 1 s).
	RetryAfter time.Duration
	// SBPBanks replaces the default list of SBP participants.
	SBPBanks []yookassa.SBPBank

	// Logger receives the fake's own diagnostics; default discard.
	Logger *slog.Logger
}

// Call is one request the fake received, for assertions.
type Call struct {
	Method         string
	Path           string // without the /v3 prefix, e.g. "/payments"
	Query          string
	IdempotenceKey string
	Body           []byte
	Status         int // the status the fake answered
}

// Server is an in-process YooKassa API v3 (payments, refunds, payouts, SBP banks, settings) for
// tests, following research/yookassa.md and the OpenAPI spec: Basic auth per credential pair,
// Idempotence-Key replay for 24 hours, strict amounts, YooKassa's error bodies, notifications
// to a webhook URL, the documented test wallets, and hooks to drive state and inject failures.
// All methods are safe for concurrent use. Close it when done.
type Server struct {
	opts Options
	srv  *httptest.Server
	log  *slog.Logger
	note *notifier

	mu       sync.Mutex
	offset   time.Duration
	seq      uint64
	payments map[string]*payment
	refunds  map[string]*refund
	payouts  map[string]*payout
	keys     map[string]*keyEntry
	failures map[string][]int
	calls    []Call
	balance  int64
	outcomes map[string]string
	banks    []yookassa.SBPBank
}

// NewServer starts a fake on a loopback port.
func NewServer(opts Options) *Server {
	if opts.ShopID == "" {
		opts.ShopID = DefaultShopID
	}
	if opts.ShopSecretKey == "" {
		opts.ShopSecretKey = DefaultShopSecretKey
	}
	if opts.GatewayID == "" {
		opts.GatewayID = DefaultGatewayID
	}
	if opts.GatewaySecretKey == "" {
		opts.GatewaySecretKey = DefaultGatewaySecretKey
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.PayoutWebhookURL == "" {
		opts.PayoutWebhookURL = opts.WebhookURL
	}
	if opts.PayoutBalance == 0 {
		opts.PayoutBalance = 1_000_000_00
	}
	if opts.FeeBasisPoints == 0 {
		opts.FeeBasisPoints = 350
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	banks := slices.Clone(opts.SBPBanks)
	if len(banks) == 0 {
		// The one participant the research has verified data for (official SDK fixture).
		banks = []yookassa.SBPBank{{BankID: "100000000111", Name: "Сбербанк", BIC: "044525225"}}
	}
	slices.SortFunc(banks, func(a, b yookassa.SBPBank) int { return strings.Compare(b.BankID, a.BankID) })

	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		payments: map[string]*payment{},
		refunds:  map[string]*refund{},
		payouts:  map[string]*payout{},
		keys:     map[string]*keyEntry{},
		failures: map[string][]int{},
		balance:  opts.PayoutBalance,
		outcomes: maps.Clone(testWallets),
		banks:    banks,
	}
	s.note = newNotifier(opts)

	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/payments", s.api(shopCreds, s.createPayment))
	mux.HandleFunc("GET /v3/payments", s.api(shopCreds, s.listPayments))
	mux.HandleFunc("GET /v3/payments/{id}", s.api(shopCreds, s.getPayment))
	mux.HandleFunc("POST /v3/refunds", s.api(shopCreds, s.createRefund))
	mux.HandleFunc("GET /v3/refunds", s.api(shopCreds, s.listRefunds))
	mux.HandleFunc("GET /v3/refunds/{id}", s.api(shopCreds, s.getRefund))
	mux.HandleFunc("POST /v3/payouts", s.api(gatewayCreds, s.createPayout))
	mux.HandleFunc("GET /v3/payouts", s.api(gatewayCreds, s.listPayouts))
	mux.HandleFunc("GET /v3/payouts/search", s.api(gatewayCreds, s.searchPayouts))
	mux.HandleFunc("GET /v3/payouts/{id}", s.api(gatewayCreds, s.getPayout))
	mux.HandleFunc("GET /v3/sbp_banks", s.api(gatewayCreds, s.sbpBanks))
	mux.HandleFunc("GET /v3/me", s.api(anyCreds, s.me))
	mux.HandleFunc("GET /checkout/payments/v2/contract", s.checkoutPage)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, &apiError{status: http.StatusNotFound, code: yookassa.CodeNotFound,
			description: "unknown endpoint " + r.Method + " " + r.URL.Path})
	})
	s.srv = httptest.NewServer(mux)
	return s
}

// URL is the API base URL, ending in /v3, for yookassa.Config.BaseURL.
func (s *Server) URL() string { return s.srv.URL + "/v3" }

// Config returns a client configuration pointing at the fake with its credentials.
func (s *Server) Config() yookassa.Config {
	return yookassa.Config{
		BaseURL:         s.URL(),
		ShopID:          s.opts.ShopID,
		SecretKey:       s.opts.ShopSecretKey,
		PayoutAgentID:   s.opts.GatewayID,
		PayoutSecretKey: s.opts.GatewaySecretKey,
	}
}

// Close stops the notifier (pending deliveries are dropped) and the HTTP server.
func (s *Server) Close() {
	s.note.close()
	s.srv.Close()
}

// Now is the fake's current time.
func (s *Server) Now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now()
}

func (s *Server) now() time.Time { return s.opts.Now().Add(s.offset).UTC().Truncate(time.Millisecond) }

// Advance moves the fake's clock forward, e.g. past the 24-hour idempotence window.
func (s *Server) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset += d
}

// Flush waits until every queued notification was delivered or given up.
func (s *Server) Flush(ctx context.Context) error { return s.note.flush(ctx) }

// Deliveries returns every notification delivery attempt so far.
func (s *Server) Deliveries() []Delivery { return s.note.snapshot() }

// Calls returns the requests received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// FailNext makes the next n requests to path (relative to /v3, e.g. "/payments", or with the
// /v3 prefix) answer status instead of their result:
//
//   - 429: rejected before anything happens, with Retry-After and retry_after.
//   - 202 and 5xx: the request IS performed (and its result stored under its key) but the
//     answer is replaced, as when YooKassa's answer is lost or still being processed. Only the
//     same key brings the result back; a new key makes a second object.
//   - any other status: rejected before anything happens with an error body.
func (s *Server) FailNext(path string, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	path = "/" + strings.TrimPrefix(strings.TrimPrefix(path, "/v3"), "/")
	for i := 0; i < n; i++ {
		s.failures[path] = append(s.failures[path], status)
	}
}

type credKind int

const (
	shopCreds credKind = iota
	gatewayCreds
	anyCreds
)

// request is what a handler sees.
type request struct {
	r       *http.Request
	body    []byte
	gateway bool // authenticated with the gateway pair
}

type response struct {
	status int
	body   []byte
}

// keyEntry is a remembered POST for idempotence replay.
type keyEntry struct {
	fingerprint string
	resp        response
	at          time.Time
}

// api wraps a handler with what every endpoint shares: reading the body, Basic auth, the
// Idempotence-Key rules for POST, injected failures and call recording. The whole request runs
// under s.mu, so concurrent requests with one key are serialized.
func (s *Server) api(kind credKind, h func(*request) (any, *apiError)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		path := strings.TrimPrefix(r.URL.Path, "/v3")
		key := r.Header.Get("Idempotence-Key")
		resp := s.serve(kind, h, r, path, key, body)
		s.calls = append(s.calls, Call{Method: r.Method, Path: path, Query: r.URL.RawQuery,
			IdempotenceKey: key, Body: bytes.Clone(body), Status: resp.status})
		if resp.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", strconv.Itoa(int((s.opts.RetryAfter+time.Second-1)/time.Second)))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.status)
		_, _ = w.Write(resp.body)
	}
}

func (s *Server) serve(kind credKind, h func(*request) (any, *apiError), r *http.Request, path, key string, body []byte) response {
	req := &request{r: r, body: body}
	user, pass, ok := r.BasicAuth()
	shopOK := ok && user == s.opts.ShopID && pass == s.opts.ShopSecretKey
	gwOK := ok && user == s.opts.GatewayID && pass == s.opts.GatewaySecretKey
	req.gateway = gwOK
	if !(kind == shopCreds && shopOK || kind == gatewayCreds && gwOK || kind == anyCreds && (shopOK || gwOK)) {
		// The spec's own example description for invalid credentials.
		return s.errorResponse(&apiError{status: http.StatusUnauthorized, code: yookassa.CodeInvalidCredentials,
			description: "Invalid API key provided"})
	}

	var injected int
	if q := s.failures[path]; len(q) > 0 {
		injected, s.failures[path] = q[0], q[1:]
		if injected != http.StatusAccepted && injected < 500 {
			return s.injectedResponse(injected)
		}
	}

	if r.Method != http.MethodPost {
		resp := s.run(h, req)
		if injected != 0 {
			return s.injectedResponse(injected)
		}
		return resp
	}

	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return s.errorResponse(&apiError{status: http.StatusUnsupportedMediaType, code: yookassa.CodeInvalidRequest,
			description: "Content-Type must be application/json"})
	}
	if key == "" {
		return s.errorResponse(badRequest(yookassa.ParamIdempotenceKey, "Idempotence-Key header is required"))
	}
	if yookassa.ValidateIdempotenceKey(key) != nil {
		return s.errorResponse(badRequest(yookassa.ParamIdempotenceKey, "Idempotence-Key must be 1 to 64 characters of [0-9a-zA-Z+-_.]"))
	}
	user, _, _ = r.BasicAuth()
	slot := user + "\x00" + key
	fp := r.Method + " " + path + " " + bodyHash(body)
	now := s.now()
	var resp response
	if e, ok := s.keys[slot]; ok && now.Sub(e.at) < yookassa.IdempotenceWindow {
		if e.fingerprint != fp {
			return s.errorResponse(badRequest(yookassa.ParamIdempotenceKey, "Idempotence key duplicated"))
		}
		resp = e.resp
	} else {
		resp = s.run(h, req)
		if resp.status < 500 {
			s.keys[slot] = &keyEntry{fingerprint: fp, resp: resp, at: now}
		}
	}
	if injected != 0 {
		return s.injectedResponse(injected)
	}
	return resp
}

func (s *Server) run(h func(*request) (any, *apiError), req *request) response {
	out, aerr := h(req)
	if aerr != nil {
		return s.errorResponse(aerr)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return s.errorResponse(&apiError{status: http.StatusInternalServerError, code: yookassa.CodeInternalServerError,
			description: "fake: encode response: " + err.Error()})
	}
	return response{status: http.StatusOK, body: b}
}

func (s *Server) injectedResponse(status int) response {
	retry := s.opts.RetryAfter.Milliseconds()
	switch {
	case status == http.StatusTooManyRequests:
		return s.errorResponse(&apiError{status: status, code: yookassa.CodeTooManyRequests,
			description: "Too many requests", retryAfterMs: retry})
	case status == http.StatusAccepted:
		// Official SDKs read "type" and "retry_after" (ms) from a 202; the exact body is not
		// documented.
		b, _ := json.Marshal(map[string]any{"type": "processing", "retry_after": retry})
		return response{status: status, body: b}
	case status >= 500:
		return s.errorResponse(&apiError{status: status, code: yookassa.CodeInternalServerError,
			description: "Internal server error"})
	default:
		return s.errorResponse(&apiError{status: status, code: yookassa.CodeInvalidRequest,
			description: "injected failure"})
	}
}

func (s *Server) errorResponse(e *apiError) response {
	s.seq++
	b, _ := json.Marshal(wireError{Type: "error", ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", s.seq, s.seq),
		Code: e.code, Description: e.description, Parameter: e.parameter, RetryAfter: e.retryAfterMs})
	return response{status: e.status, body: b}
}

func (s *Server) writeError(w http.ResponseWriter, e *apiError) {
	s.mu.Lock()
	resp := s.errorResponse(e)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// bodyHash fingerprints a JSON body independent of key order and spacing (the API's own
// comparison rule is not documented); a body that is not JSON is hashed as bytes.
func bodyHash(body []byte) string {
	canon := body
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil {
		if b, err := json.Marshal(v); err == nil {
			canon = b
		}
	}
	sum := sha256.Sum256(canon)
	return fmt.Sprintf("%x", sum)
}

// newID returns a 36-character id shaped like YooKassa's ("2e8dd95a-000f-5000-a000-…").
func (s *Server) newID() string {
	s.seq++
	return fmt.Sprintf("%08x-000f-5000-a000-%012x", s.seq, s.seq)
}

// checkoutPage stands in for YooKassa's payment page so confirmation_url resolves.
func (s *Server) checkoutPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("orderId")
	s.mu.Lock()
	p, ok := s.payments[id]
	status := ""
	if ok {
		status = p.Status
	}
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "fake YooKassa checkout: payment %s is %s\n", id, status)
}

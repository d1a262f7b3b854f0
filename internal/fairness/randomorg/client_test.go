package randomorg_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg/randomorgtest"
)

// clock is an injected clock whose Sleep records the delay and moves time on.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	onSlp  func()
}

func newClock() *clock { return &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	hook := c.onSlp
	c.mu.Unlock()
	if hook != nil {
		hook()
	}
	return ctx.Err()
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

func newClient(t *testing.T, srv *randomorgtest.Server, clk *clock, mod func(*randomorg.Config)) *randomorg.Client {
	t.Helper()
	cfg := randomorg.Config{
		URL:        srv.URL,
		APIKey:     randomorgtest.TestAPIKey,
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		Sleep:      clk.Sleep,
		Now:        clk.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := randomorg.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func drawRequest(ticket string) randomorg.Request {
	return randomorg.Request{N: 3, Min: 0, Max: 9, Replacement: false,
		UserData: json.RawMessage(`{"draw":7,"n":10,"list":"82ad52e67c287192da0409f3db1bf44e1569c2095b51efcaeb808b0bb00f066f"}`),
		TicketID: ticket}
}

func TestDrawAgainstFake(t *testing.T) {
	srv := randomorgtest.NewServer(t)
	c := newClient(t, srv, newClock(), nil)
	ctx := context.Background()

	ticket, err := c.CreateTicket(ctx)
	if err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	req := drawRequest(ticket)
	res, err := c.GenerateSignedIntegers(ctx, req)
	if err != nil {
		t.Fatalf("GenerateSignedIntegers: %v", err)
	}
	if err := randomorg.CheckResult(res, req, srv.PublicKey(), c.HashedAPIKey()); err != nil {
		t.Fatalf("CheckResult: %v", err)
	}
	if len(res.Data) != 3 || res.TicketData == nil || res.TicketData.TicketID != ticket {
		t.Fatalf("result data %v ticket %+v", res.Data, res.TicketData)
	}

	got, err := c.GetTicket(ctx, ticket)
	if err != nil {
		t.Fatalf("GetTicket: %v", err)
	}
	if got.UsedTime == nil || got.SerialNumber == nil || *got.SerialNumber != res.SerialNumber || got.Result == nil {
		t.Fatalf("ticket after use: %+v", got)
	}
	if diff := cmp.Diff(string(res.Random), string(got.Result.Random)); diff != "" {
		t.Fatalf("getTicket random differs from the generated one (-gen +ticket):\n%s", diff)
	}
	if got.HashedAPIKey != c.HashedAPIKey() {
		t.Fatalf("ticket hashedApiKey %q, want %q", got.HashedAPIKey, c.HashedAPIKey())
	}
	if diff := cmp.Diff(map[string]int{"createTickets": 1, "generateSignedIntegers": 1, "getTicket": 1}, map[string]int{
		"createTickets":          srv.Calls("createTickets"),
		"generateSignedIntegers": srv.Calls("generateSignedIntegers"),
		"getTicket":              srv.Calls("getTicket"),
	}); diff != "" {
		t.Fatalf("calls (-want +got):\n%s", diff)
	}
}

func TestRetriesTransientFailures(t *testing.T) {
	tests := []struct {
		name string
		fail func(*randomorgtest.Server)
	}{
		{"http 503", func(s *randomorgtest.Server) { s.FailNextHTTP(2, http.StatusServiceUnavailable) }},
		{"http 500", func(s *randomorgtest.Server) { s.FailNextHTTP(2, http.StatusInternalServerError) }},
		{"http 429", func(s *randomorgtest.Server) { s.FailNextHTTP(2, http.StatusTooManyRequests) }},
		{"json-rpc internal error", func(s *randomorgtest.Server) { s.FailNextRPC(2, randomorg.CodeInternalError, "Internal error") }},
		{"json-rpc server error", func(s *randomorgtest.Server) { s.FailNextRPC(2, -32000, "Server error") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := randomorgtest.NewServer(t)
			clk := newClock()
			c := newClient(t, srv, clk, nil)
			tt.fail(srv)
			req := drawRequest("")
			res, err := c.GenerateSignedIntegers(context.Background(), req)
			if err != nil {
				t.Fatalf("GenerateSignedIntegers: %v", err)
			}
			if err := randomorg.CheckResult(res, req, srv.PublicKey(), c.HashedAPIKey()); err != nil {
				t.Fatalf("CheckResult: %v", err)
			}
			if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, clk.Sleeps()); diff != "" {
				t.Fatalf("backoff sleeps (-want +got):\n%s", diff)
			}
			if got := srv.Calls(randomorg.MethodSignedIntegers); got != 3 {
				t.Fatalf("calls = %d, want 3", got)
			}
		})
	}
}

func TestBackoffIsCappedAndBounded(t *testing.T) {
	srv := randomorgtest.NewServer(t)
	clk := newClock()
	c := newClient(t, srv, clk, func(cfg *randomorg.Config) {
		cfg.MaxAttempts = 5
		cfg.MinBackoff = time.Second
		cfg.MaxBackoff = 3 * time.Second
	})
	srv.FailNextHTTP(100, http.StatusBadGateway)
	_, err := c.GenerateSignedIntegers(context.Background(), drawRequest(""))
	var he *randomorg.HTTPError
	if !errors.As(err, &he) || he.StatusCode != http.StatusBadGateway {
		t.Fatalf("err = %v, want *HTTPError 502", err)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 3 * time.Second}
	if diff := cmp.Diff(want, clk.Sleeps()); diff != "" {
		t.Fatalf("sleeps (-want +got):\n%s", diff)
	}
	if got := srv.Calls(randomorg.MethodSignedIntegers); got != 5 {
		t.Fatalf("calls = %d, want 5", got)
	}
}

func TestPermanentErrorsAreTypedAndNotRetried(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(t *testing.T, s *randomorgtest.Server, c *randomorg.Client) randomorg.Request
		apiKey   string
		wantCode int
		wantGen  int // generateSignedIntegers calls expected in total
	}{
		{
			name: "ticket used twice",
			setup: func(t *testing.T, s *randomorgtest.Server, c *randomorg.Client) randomorg.Request {
				id, err := c.CreateTicket(context.Background())
				if err != nil {
					t.Fatalf("CreateTicket: %v", err)
				}
				if _, err := c.GenerateSignedIntegers(context.Background(), drawRequest(id)); err != nil {
					t.Fatalf("first use: %v", err)
				}
				return drawRequest(id)
			},
			wantCode: randomorg.CodeTicketUsed,
			wantGen:  2,
		},
		{
			name: "unknown ticket",
			setup: func(*testing.T, *randomorgtest.Server, *randomorg.Client) randomorg.Request {
				return drawRequest("feedfeedfeedfeed")
			},
			wantCode: randomorg.CodeTicketNotExist,
			wantGen:  1,
		},
		{
			name: "ticket of another key",
			setup: func(t *testing.T, s *randomorgtest.Server, _ *randomorg.Client) randomorg.Request {
				other := newClient(t, s, newClock(), func(cfg *randomorg.Config) { cfg.APIKey = randomorgtest.OtherAPIKey })
				id, err := other.CreateTicket(context.Background())
				if err != nil {
					t.Fatalf("CreateTicket: %v", err)
				}
				return drawRequest(id)
			},
			wantCode: randomorg.CodeTicketKeyMismatch,
			wantGen:  1,
		},
		{
			name:     "unknown API key",
			apiKey:   "not-a-key",
			setup:    func(*testing.T, *randomorgtest.Server, *randomorg.Client) randomorg.Request { return drawRequest("") },
			wantCode: randomorg.CodeKeyNotExist,
			wantGen:  1,
		},
		{
			name: "allowance exceeded",
			setup: func(_ *testing.T, s *randomorgtest.Server, _ *randomorg.Client) randomorg.Request {
				s.FailNextRPC(1, randomorg.CodeRequestsExceeded, "daily allowance exceeded")
				return drawRequest("")
			},
			wantCode: randomorg.CodeRequestsExceeded,
			wantGen:  1,
		},
		{
			name: "invalid params",
			setup: func(_ *testing.T, s *randomorgtest.Server, _ *randomorg.Client) randomorg.Request {
				s.FailNextRPC(1, randomorg.CodeInvalidParams, "Invalid params")
				return drawRequest("")
			},
			wantCode: randomorg.CodeInvalidParams,
			wantGen:  1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := randomorgtest.NewServer(t)
			clk := newClock()
			c := newClient(t, srv, clk, func(cfg *randomorg.Config) {
				if tt.apiKey != "" {
					cfg.APIKey = tt.apiKey
				}
			})
			req := tt.setup(t, srv, c)
			_, err := c.GenerateSignedIntegers(context.Background(), req)
			var re *randomorg.RPCError
			if !errors.As(err, &re) || re.Code != tt.wantCode {
				t.Fatalf("err = %v, want *RPCError code %d", err, tt.wantCode)
			}
			if got := srv.Calls(randomorg.MethodSignedIntegers); got != tt.wantGen {
				t.Fatalf("generate calls = %d, want %d (no retry)", got, tt.wantGen)
			}
			if len(clk.Sleeps()) != 0 {
				t.Fatalf("slept %v, want no backoff", clk.Sleeps())
			}
		})
	}
}

func TestAdvisoryDelayIsHonoured(t *testing.T) {
	srv := randomorgtest.NewServer(t)
	srv.SetAdvisoryDelay(1500 * time.Millisecond)
	clk := newClock()
	c := newClient(t, srv, clk, nil)
	ctx := context.Background()

	res, err := c.GenerateSignedIntegers(ctx, drawRequest(""))
	if err != nil {
		t.Fatalf("first: %v", err)
	}
	if res.AdvisoryDelay != 1500*time.Millisecond {
		t.Fatalf("AdvisoryDelay = %v, want 1.5s", res.AdvisoryDelay)
	}
	clk.Advance(500 * time.Millisecond)
	if _, err := c.GenerateSignedIntegers(ctx, drawRequest("")); err != nil {
		t.Fatalf("second: %v", err)
	}
	clk.Advance(2 * time.Second) // longer than the delay: no wait
	if _, err := c.GenerateSignedIntegers(ctx, drawRequest("")); err != nil {
		t.Fatalf("third: %v", err)
	}
	if diff := cmp.Diff([]time.Duration{time.Second}, clk.Sleeps()); diff != "" {
		t.Fatalf("advisory waits (-want +got):\n%s", diff)
	}
}

// TestLostResponseRecoversThroughTicket: the first attempt consumes the
// ticket but its response is lost; the retry is refused with 422 and the
// client fetches the one result the ticket produced.
func TestLostResponseRecoversThroughTicket(t *testing.T) {
	srv := randomorgtest.NewServer(t)
	c := newClient(t, srv, newClock(), nil)
	ctx := context.Background()
	id, err := c.CreateTicket(ctx)
	if err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	srv.LoseNextResponses(1)
	req := drawRequest(id)
	res, err := c.GenerateSignedIntegers(ctx, req)
	if err != nil {
		t.Fatalf("GenerateSignedIntegers: %v", err)
	}
	if err := randomorg.CheckResult(res, req, srv.PublicKey(), c.HashedAPIKey()); err != nil {
		t.Fatalf("CheckResult: %v", err)
	}
	if g, gt := srv.Calls(randomorg.MethodSignedIntegers), srv.Calls("getTicket"); g != 2 || gt != 1 {
		t.Fatalf("calls: generate %d getTicket %d, want 2 and 1", g, gt)
	}
}

func TestCheckResultRejects(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(*randomorgtest.Server)
		want    func(ticket string) randomorg.Request
		wantErr error
	}{
		{name: "corrupted signature", setup: func(s *randomorgtest.Server) { s.CorruptSignatures(true) }, wantErr: randomorg.ErrBadSignature},
		{name: "userData of another draw", want: func(id string) randomorg.Request {
			r := drawRequest(id)
			r.UserData = json.RawMessage(`{"draw":8,"n":10,"list":"82ad52e67c287192da0409f3db1bf44e1569c2095b51efcaeb808b0bb00f066f"}`)
			return r
		}, wantErr: randomorg.ErrUserData},
		{name: "another ticket", want: func(string) randomorg.Request { return drawRequest("0000000000000000") }, wantErr: randomorg.ErrTicket},
		{name: "other entrant count", want: func(id string) randomorg.Request {
			r := drawRequest(id)
			r.Max = 10
			return r
		}, wantErr: randomorg.ErrParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := randomorgtest.NewServer(t)
			c := newClient(t, srv, newClock(), nil)
			ctx := context.Background()
			id, err := c.CreateTicket(ctx)
			if err != nil {
				t.Fatalf("CreateTicket: %v", err)
			}
			if tt.setup != nil {
				tt.setup(srv)
			}
			res, err := c.GenerateSignedIntegers(ctx, drawRequest(id))
			if err != nil {
				t.Fatalf("GenerateSignedIntegers: %v", err)
			}
			want := drawRequest(id)
			if tt.want != nil {
				want = tt.want(id)
			}
			err = randomorg.CheckResult(res, want, srv.PublicKey(), c.HashedAPIKey())
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("CheckResult = %v, want %v", err, tt.wantErr)
			}
		})
	}
	t.Run("genuine result under the wrong key", func(t *testing.T) {
		srv := randomorgtest.NewServer(t)
		c := newClient(t, srv, newClock(), nil)
		res, err := c.GenerateSignedIntegers(context.Background(), drawRequest(""))
		if err != nil {
			t.Fatalf("GenerateSignedIntegers: %v", err)
		}
		err = randomorg.CheckResult(res, drawRequest(""), randomorg.PublicKey(), c.HashedAPIKey())
		if !errors.Is(err, randomorg.ErrBadSignature) {
			t.Fatalf("CheckResult = %v, want ErrBadSignature", err)
		}
	})
	t.Run("edited parsed fields are not trusted", func(t *testing.T) {
		srv := randomorgtest.NewServer(t)
		c := newClient(t, srv, newClock(), nil)
		res, err := c.GenerateSignedIntegers(context.Background(), drawRequest(""))
		if err != nil {
			t.Fatalf("GenerateSignedIntegers: %v", err)
		}
		res.N = 4 // CheckResult re-parses the signed bytes
		if err := randomorg.CheckResult(res, drawRequest(""), srv.PublicKey(), c.HashedAPIKey()); err != nil {
			t.Fatalf("CheckResult = %v, want nil", err)
		}
	})
}

func TestContextCancelStopsRetrying(t *testing.T) {
	srv := randomorgtest.NewServer(t)
	clk := newClock()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk.onSlp = cancel
	c := newClient(t, srv, clk, nil)
	srv.FailNextHTTP(5, http.StatusServiceUnavailable)
	_, err := c.GenerateSignedIntegers(ctx, drawRequest(""))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if got := srv.Calls(randomorg.MethodSignedIntegers); got != 1 {
		t.Fatalf("calls = %d, want 1", got)
	}
}

func TestRequestValidation(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*randomorg.Request)
	}{
		{"n zero", func(r *randomorg.Request) { r.N = 0 }},
		{"n too large", func(r *randomorg.Request) { r.N = randomorg.MaxN + 1 }},
		{"min above max", func(r *randomorg.Request) { r.Min, r.Max = 5, 4 }},
		{"max out of range", func(r *randomorg.Request) { r.Max = randomorg.MaxAbsValue + 1 }},
		{"more distinct values than the range holds", func(r *randomorg.Request) { r.N, r.Max = 11, 9 }},
		{"userData not JSON", func(r *randomorg.Request) { r.UserData = json.RawMessage(`{`) }},
		{"userData too long", func(r *randomorg.Request) {
			r.UserData = json.RawMessage(`"` + string(make([]byte, randomorg.MaxUserDataLen)) + `"`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := randomorgtest.NewServer(t)
			c := newClient(t, srv, newClock(), nil)
			req := drawRequest("")
			tt.mod(&req)
			if _, err := c.GenerateSignedIntegers(context.Background(), req); err == nil {
				t.Fatalf("GenerateSignedIntegers = nil error, want a validation error")
			}
			if got := srv.Calls(randomorg.MethodSignedIntegers); got != 0 {
				t.Fatalf("calls = %d, want 0", got)
			}
		})
	}
}

func TestNewNeedsAPIKey(t *testing.T) {
	if _, err := randomorg.New(randomorg.Config{}); err == nil {
		t.Fatalf("New without key = nil error")
	}
}

func TestFakePublicKeyPEM(t *testing.T) {
	srv := randomorgtest.NewServer(t)
	pub, err := randomorg.LoadPublicKey(srv.PublicKeyPEM())
	if err != nil {
		t.Fatalf("LoadPublicKey: %v", err)
	}
	if !pub.Equal(srv.PublicKey()) || pub.N.BitLen() != 4096 {
		t.Fatalf("fake key PEM does not round-trip to a 4096-bit key")
	}
}

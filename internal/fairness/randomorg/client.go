package randomorg

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// DefaultURL is the Release 4 JSON-RPC endpoint.
const DefaultURL = "https://api.random.org/json-rpc/4/invoke"

// Limits of generateSignedIntegers (research fairness.md §1.1).
const (
	MaxN           = 10000
	MaxAbsValue    = 1_000_000_000
	MaxUserDataLen = 1000
)

const (
	defaultMaxAttempts = 6
	defaultMinBackoff  = time.Second // the official clients' default delay
	defaultMaxBackoff  = time.Minute
	defaultHTTPTimeout = 30 * time.Second
	maxResponseBody    = 1 << 20
	maxErrorBody       = 512
)

// Config configures a Client. Only APIKey is required.
type Config struct {
	// URL is the JSON-RPC endpoint; empty means DefaultURL.
	URL string
	// APIKey is the RANDOM.ORG key. It is sent to the endpoint and never logged.
	APIKey string
	// HTTPClient sends requests; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// Logger receives retry warnings; nil discards them.
	Logger *slog.Logger
	// Sleep waits d or until ctx is done (returning ctx.Err()); nil means a
	// timer. Tests inject it to observe advisory delays and backoff.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock used for advisoryDelay; nil means time.Now.
	Now func() time.Time
	// MaxAttempts bounds tries per call, first included; 0 means 6.
	MaxAttempts int
	// MinBackoff is the wait after the first transient failure, doubled
	// after each further one; 0 means 1 s.
	MinBackoff time.Duration
	// MaxBackoff caps the wait between attempts; 0 means 1 min.
	MaxBackoff time.Duration
}

// Client calls the RANDOM.ORG JSON-RPC API. It is safe for concurrent use;
// requests are sent one at a time so that advisoryDelay holds between them.
type Client struct {
	url         string
	apiKey      string
	hc          *http.Client
	log         *slog.Logger
	sleep       func(context.Context, time.Duration) error
	now         func() time.Time
	maxAttempts int
	minBackoff  time.Duration
	maxBackoff  time.Duration

	// turn serialises requests; whoever holds it owns notBefore.
	turn      chan struct{}
	notBefore time.Time
	nextID    atomic.Int64
}

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("randomorg: new client: empty API key")
	}
	c := &Client{
		url:         cfg.URL,
		apiKey:      cfg.APIKey,
		hc:          cfg.HTTPClient,
		log:         cfg.Logger,
		sleep:       cfg.Sleep,
		now:         cfg.Now,
		maxAttempts: cfg.MaxAttempts,
		minBackoff:  cfg.MinBackoff,
		maxBackoff:  cfg.MaxBackoff,
		turn:        make(chan struct{}, 1),
	}
	if c.url == "" {
		c.url = DefaultURL
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.sleep == nil {
		c.sleep = sleepCtx
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = defaultMaxAttempts
	}
	if c.minBackoff <= 0 {
		c.minBackoff = defaultMinBackoff
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = defaultMaxBackoff
	}
	return c, nil
}

// HashedAPIKey returns HashAPIKey of the client's key: the value every
// result it obtains must carry.
func (c *Client) HashedAPIKey() string { return HashAPIKey(c.apiKey) }

// SignedResult is the result of a signed method.
type SignedResult struct {
	// Random is result.random exactly as received: the signed bytes.
	Random json.RawMessage
	// Signature is result.signature, standard base64.
	Signature string
	// RandomObject holds the fields parsed from Random (Data, SerialNumber,
	// UserData, TicketData, ...), for reading. CheckResult re-parses Random.
	RandomObject
	BitsUsed      int64
	BitsLeft      int64
	RequestsLeft  int64
	AdvisoryDelay time.Duration
}

// signedResultJSON is the wire shape of a signed method's result.
type signedResultJSON struct {
	Random        json.RawMessage `json:"random"`
	Signature     string          `json:"signature"`
	BitsUsed      int64           `json:"bitsUsed"`
	BitsLeft      int64           `json:"bitsLeft"`
	RequestsLeft  int64           `json:"requestsLeft"`
	AdvisoryDelay int64           `json:"advisoryDelay"`
}

func (j signedResultJSON) toResult() (*SignedResult, error) {
	if len(j.Random) == 0 || j.Signature == "" {
		return nil, errors.New("randomorg: result has no random object or signature")
	}
	o, err := ParseRandom(j.Random)
	if err != nil {
		return nil, err
	}
	return &SignedResult{
		Random:        j.Random,
		Signature:     j.Signature,
		RandomObject:  o,
		BitsUsed:      j.BitsUsed,
		BitsLeft:      j.BitsLeft,
		RequestsLeft:  j.RequestsLeft,
		AdvisoryDelay: time.Duration(j.AdvisoryDelay) * time.Millisecond,
	}, nil
}

// Ticket is what getTicket returns.
type Ticket struct {
	TicketID         string  `json:"ticketId"`
	HashedAPIKey     string  `json:"hashedApiKey"`
	ShowResult       bool    `json:"showResult"`
	CreationTime     string  `json:"creationTime"`
	UsedTime         *string `json:"usedTime"`
	SerialNumber     *int64  `json:"serialNumber"`
	ExpirationTime   *string `json:"expirationTime"`
	PreviousTicketID *string `json:"previousTicketId"`
	NextTicketID     *string `json:"nextTicketId"`
	// Result is the signed result that used the ticket; nil until the
	// ticket is used, or when it was created with showResult false.
	Result *SignedResult `json:"-"`
}

// CreateTicket creates one ticket with showResult true, so that anyone can
// later fetch the result that consumed it with getTicket, and returns its id.
func (c *Client) CreateTicket(ctx context.Context) (string, error) {
	params := struct {
		APIKey     string `json:"apiKey"`
		N          int    `json:"n"`
		ShowResult bool   `json:"showResult"`
	}{c.apiKey, 1, true}
	var tickets []struct {
		TicketID string `json:"ticketId"`
	}
	if _, err := c.call(ctx, "createTickets", params, &tickets); err != nil {
		return "", err
	}
	if len(tickets) != 1 || tickets[0].TicketID == "" {
		return "", fmt.Errorf("randomorg: createTickets returned %d tickets, want 1", len(tickets))
	}
	return tickets[0].TicketID, nil
}

// GenerateSignedIntegers asks for req.N integers in [req.Min, req.Max] in
// base 10, with pregeneratedRandomization and licenseData null, bound to
// req.UserData and req.TicketID. The result is not checked: call
// CheckResult before using it.
//
// If an attempt failed in a way that may have reached the server (network
// error, 5xx) and the retry is refused with CodeTicketUsed, the earlier
// attempt consumed the ticket; the result is then fetched with getTicket.
// A ticket already used before this call yields *RPCError CodeTicketUsed.
func (c *Client) GenerateSignedIntegers(ctx context.Context, req Request) (*SignedResult, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	var ticket *string
	if req.TicketID != "" {
		ticket = &req.TicketID
	}
	params := struct {
		APIKey                    string          `json:"apiKey"`
		N                         int             `json:"n"`
		Min                       int             `json:"min"`
		Max                       int             `json:"max"`
		Replacement               bool            `json:"replacement"`
		Base                      int             `json:"base"`
		PregeneratedRandomization json.RawMessage `json:"pregeneratedRandomization"`
		LicenseData               json.RawMessage `json:"licenseData"`
		UserData                  json.RawMessage `json:"userData"`
		TicketID                  *string         `json:"ticketId"`
	}{c.apiKey, req.N, req.Min, req.Max, req.Replacement, 10, nil, nil, req.UserData, ticket}

	var out signedResultJSON
	attempts, err := c.call(ctx, MethodSignedIntegers, params, &out)
	if err != nil {
		var rpcErr *RPCError
		if attempts > 1 && req.TicketID != "" && errors.As(err, &rpcErr) && rpcErr.Code == CodeTicketUsed {
			c.log.Warn("randomorg ticket consumed by an earlier attempt, fetching its result", "ticket_id", req.TicketID)
			t, terr := c.GetTicket(ctx, req.TicketID)
			if terr != nil {
				return nil, fmt.Errorf("%w (and getTicket failed: %w)", err, terr)
			}
			if t.Result == nil {
				return nil, fmt.Errorf("%w (and getTicket shows no result)", err)
			}
			return t.Result, nil
		}
		return nil, err
	}
	return out.toResult()
}

// GetTicket fetches a ticket. getTicket takes no API key: anyone can check
// which result a published ticket produced.
func (c *Client) GetTicket(ctx context.Context, id string) (*Ticket, error) {
	if id == "" {
		return nil, errors.New("randomorg: get ticket: empty id")
	}
	params := struct {
		TicketID string `json:"ticketId"`
	}{id}
	var raw struct {
		Ticket
		Result *signedResultJSON `json:"result"`
	}
	if _, err := c.call(ctx, "getTicket", params, &raw); err != nil {
		return nil, err
	}
	t := raw.Ticket
	if raw.Result != nil {
		res, err := raw.Result.toResult()
		if err != nil {
			return nil, fmt.Errorf("randomorg: getTicket result: %w", err)
		}
		t.Result = res
	}
	return &t, nil
}

func (r Request) validate() error {
	switch {
	case r.N < 1 || r.N > MaxN:
		return fmt.Errorf("randomorg: n=%d outside [1, %d]", r.N, MaxN)
	case r.Min < -MaxAbsValue || r.Max > MaxAbsValue || r.Min > r.Max:
		return fmt.Errorf("randomorg: range [%d, %d] invalid", r.Min, r.Max)
	case !r.Replacement && int64(r.N) > int64(r.Max)-int64(r.Min)+1:
		return fmt.Errorf("randomorg: cannot draw %d distinct values from [%d, %d]", r.N, r.Min, r.Max)
	case len(r.UserData) > MaxUserDataLen:
		return fmt.Errorf("randomorg: userData is %d characters, max %d", len(r.UserData), MaxUserDataLen)
	case len(r.UserData) > 0 && !json.Valid(r.UserData):
		return errors.New("randomorg: userData is not valid JSON")
	}
	return nil
}

// call sends one JSON-RPC request, retrying transient failures, and decodes
// result into out. It reports how many attempts it made.
func (c *Client) call(ctx context.Context, method string, params, out any) (int, error) {
	for attempt := 1; ; attempt++ {
		raw, err := c.attempt(ctx, method, params)
		if err == nil {
			if err := json.Unmarshal(raw, out); err != nil {
				return attempt, fmt.Errorf("randomorg: %s: decode result: %w", method, err)
			}
			return attempt, nil
		}
		if ctx.Err() != nil || !isTransient(err) || attempt >= c.maxAttempts {
			return attempt, err
		}
		d := c.backoff(attempt)
		c.log.Warn("randomorg request failed, retrying", "method", method, "attempt", attempt, "delay", d, "err", err)
		if serr := c.sleep(ctx, d); serr != nil {
			return attempt, fmt.Errorf("randomorg: %s: giving up: %w (last error: %w)", method, serr, err)
		}
	}
}

// backoff returns minBackoff * 2^(failures-1), capped at maxBackoff.
func (c *Client) backoff(failures int) time.Duration {
	d := c.minBackoff
	for i := 1; i < failures && d < c.maxBackoff; i++ {
		d *= 2
	}
	return min(d, c.maxBackoff)
}

// attempt waits for its turn and the advisory delay, then does one round
// trip. It returns the raw result member.
func (c *Client) attempt(ctx context.Context, method string, params any) (json.RawMessage, error) {
	select {
	case c.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("randomorg: %s: %w", method, ctx.Err())
	}
	defer func() { <-c.turn }()

	if wait := c.notBefore.Sub(c.now()); wait > 0 {
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("randomorg: %s: advisory delay: %w", method, err)
		}
	}
	raw, delay, err := c.roundTrip(ctx, method, params)
	if delay > 0 {
		c.notBefore = c.now().Add(delay)
	}
	return raw, err
}

type rpcRequest struct {
	JSONRPC string `json:"jsonrpc"`
	Method  string `json:"method"`
	Params  any    `json:"params"`
	ID      int64  `json:"id"`
}

type rpcResponse struct {
	JSONRPC string          `json:"jsonrpc"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int             `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	} `json:"error"`
	ID json.RawMessage `json:"id"`
}

// errTransport marks failures that may be retried: the request may or may
// not have reached the server.
type errTransport struct{ err error }

func (e errTransport) Error() string { return e.err.Error() }
func (e errTransport) Unwrap() error { return e.err }

func isTransient(err error) bool {
	var te errTransport
	var he *HTTPError
	var re *RPCError
	switch {
	case errors.As(err, &te):
		return true
	case errors.As(err, &he):
		return he.Transient()
	case errors.As(err, &re):
		return re.Transient()
	}
	return false
}

// roundTrip posts one request. It returns the result member and the
// advisoryDelay the server asked for (0 if none).
func (c *Client) roundTrip(ctx context.Context, method string, params any) (json.RawMessage, time.Duration, error) {
	id := c.nextID.Add(1)
	body, err := json.Marshal(rpcRequest{JSONRPC: "2.0", Method: method, Params: params, ID: id})
	if err != nil {
		return nil, 0, fmt.Errorf("randomorg: %s: encode request: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, fmt.Errorf("randomorg: %s: build request: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, fmt.Errorf("randomorg: %s: %w", method, ctx.Err())
		}
		return nil, 0, errTransport{fmt.Errorf("randomorg: %s: %w", method, err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return nil, 0, errTransport{fmt.Errorf("randomorg: %s: read response: %w", method, err)}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, &HTTPError{StatusCode: resp.StatusCode, Body: string(data[:min(len(data), maxErrorBody)])}
	}
	var rr rpcResponse
	if err := json.Unmarshal(data, &rr); err != nil {
		return nil, 0, errTransport{fmt.Errorf("randomorg: %s: decode response: %w", method, err)}
	}
	if rr.Error != nil {
		// Checked before the id: a parse error is answered with a null id.
		return nil, 0, &RPCError{Code: rr.Error.Code, Message: rr.Error.Message, Data: rr.Error.Data}
	}
	if string(rr.ID) != fmt.Sprint(id) {
		return nil, 0, fmt.Errorf("randomorg: %s: response id %s, want %d", method, rr.ID, id)
	}
	if len(rr.Result) == 0 {
		return nil, 0, fmt.Errorf("randomorg: %s: response has neither result nor error", method)
	}
	var adv struct {
		AdvisoryDelay int64 `json:"advisoryDelay"`
	}
	// Only object results carry advisoryDelay; others (createTickets' list) do not.
	_ = json.Unmarshal(rr.Result, &adv)
	return rr.Result, time.Duration(adv.AdvisoryDelay) * time.Millisecond, nil
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

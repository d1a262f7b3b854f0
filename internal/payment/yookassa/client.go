package yookassa

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultBaseURL is YooKassa's production API endpoint (design: YOOKASSA_API_URL).
const DefaultBaseURL = "https://api.yookassa.ru/v3"

// IdempotenceWindow is how long YooKassa honours an Idempotence-Key: «ЮKassa обеспечивает
// идемпотентность в течение 24 часов после первого запроса, потом повторный запрос будет
// обработан как новый». A POST first sent longer ago than this must not be repeated blindly:
// look the object up first (GetPayout, FindPayoutsByMetadata, ListPayments...).
const IdempotenceWindow = 24 * time.Hour

// Defaults used by New for zero Config fields.
const (
	DefaultMaxRetries  = 4
	DefaultBaseBackoff = time.Second
	DefaultMaxBackoff  = 30 * time.Second
	DefaultHTTPTimeout = 30 * time.Second
	maxResponseBytes   = 8 << 20
)

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	// BaseURL of the API including /v3. Default DefaultBaseURL; tests point it at yookassatest.
	BaseURL string
	// ShopID and SecretKey authenticate payments and refunds (HTTP Basic).
	ShopID    string
	SecretKey string
	// PayoutAgentID and PayoutSecretKey are the payout gateway's id and secret key. They
	// authenticate /payouts, /sbp_banks and /me. Payout methods fail with ErrInvalidRequest when
	// they are empty.
	PayoutAgentID   string
	PayoutSecretKey string
	// HTTPClient sends the requests. Default: a client with a 30 s timeout.
	HTTPClient *http.Client
	// Logger receives one record per retry (final failures are returned, not logged); never
	// secrets or bodies. Default: discard.
	Logger *slog.Logger
	// Sleep waits between retries and must return early with ctx.Err() when ctx is done.
	// Default: a timer. Tests inject a recorder that returns at once.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is used to read HTTP-date Retry-After headers. Default time.Now.
	Now func() time.Time
	// MaxRetries is how many times a request answered 202, 429, 5xx or lost in transport is
	// repeated (same key, same body) before the error is returned. Default 4; negative disables
	// retries.
	MaxRetries int
	// BaseBackoff is the first delay when the server gives no Retry-After; it doubles per
	// attempt up to MaxBackoff. Defaults 1 s and 30 s. A Retry-After longer than MaxBackoff is
	// not waited for: the *APIError is returned at once with RetryAfter set, so the caller's job
	// can come back later.
	BaseBackoff time.Duration
	MaxBackoff  time.Duration
}

// Client is a small typed client of YooKassa API v3. It is safe for concurrent use.
type Client struct {
	baseURL     string
	shop        credentials
	gateway     credentials
	http        *http.Client
	log         *slog.Logger
	sleep       func(context.Context, time.Duration) error
	now         func() time.Time
	maxRetries  int
	baseBackoff time.Duration
	maxBackoff  time.Duration
}

type credentials struct {
	user, pass string
	what       string // "shop" or "payout gateway", for errors
}

// New returns a Client. It validates the configuration: BaseURL must be an absolute http(s)
// URL and the shop credentials must be set; the payout credentials are optional (checked when
// a payout method is called).
func New(cfg Config) (*Client, error) {
	c := &Client{
		baseURL:     strings.TrimRight(cfg.BaseURL, "/"),
		shop:        credentials{cfg.ShopID, cfg.SecretKey, "shop"},
		gateway:     credentials{cfg.PayoutAgentID, cfg.PayoutSecretKey, "payout gateway"},
		http:        cfg.HTTPClient,
		log:         cfg.Logger,
		sleep:       cfg.Sleep,
		now:         cfg.Now,
		maxRetries:  cfg.MaxRetries,
		baseBackoff: cfg.BaseBackoff,
		maxBackoff:  cfg.MaxBackoff,
	}
	if c.baseURL == "" {
		c.baseURL = DefaultBaseURL
	}
	u, err := url.Parse(c.baseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("yookassa: base url %q: want an absolute http(s) url", c.baseURL)
	}
	if cfg.ShopID == "" || cfg.SecretKey == "" {
		return nil, errors.New("yookassa: shop id and secret key are required")
	}
	if c.http == nil {
		c.http = &http.Client{Timeout: DefaultHTTPTimeout}
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
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.baseBackoff <= 0 {
		c.baseBackoff = DefaultBaseBackoff
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = DefaultMaxBackoff
	}
	return c, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ValidateIdempotenceKey checks a key against the API's rule (1 to 64 characters). The spec's
// pattern [0-9a-zA-Z+-_.] is read as its evident intent — letters, digits and + - _ . — which
// is stricter than the regular expression taken literally (where "+-_" is a range that also
// admits ":", "/", "@"...). A UUID or "payout-42-1" passes; "payout:42" does not.
func ValidateIdempotenceKey(key string) error {
	if key == "" || len(key) > 64 {
		return invalidf("idempotence key must be 1 to 64 characters, got %d", len(key))
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '+', c == '-', c == '_', c == '.':
		default:
			return invalidf("idempotence key: character %q not allowed (letters, digits, + - _ . only)", c)
		}
	}
	return nil
}

// post sends a JSON body with an Idempotence-Key and decodes the answer into out.
func (c *Client) post(ctx context.Context, cred credentials, path, key string, in, out any) error {
	if err := ValidateIdempotenceKey(key); err != nil {
		return err
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%w: encode body: %w", ErrInvalidRequest, err)
	}
	return c.do(ctx, cred, http.MethodPost, path, nil, key, body, out)
}

// get sends a GET with an optional query and decodes the answer into out.
func (c *Client) get(ctx context.Context, cred credentials, path string, query url.Values, out any) error {
	return c.do(ctx, cred, http.MethodGet, path, query, "", nil, out)
}

// do performs one logical request: the same bytes and the same key on every attempt. It
// retries 202, 429, 5xx and transport errors with capped exponential backoff (or the server's
// Retry-After) while ctx allows.
func (c *Client) do(ctx context.Context, cred credentials, method, path string, query url.Values, key string, body []byte, out any) error {
	if cred.user == "" || cred.pass == "" {
		return invalidf("%s credentials are not configured", cred.what)
	}
	target := c.baseURL + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	for attempt := 0; ; attempt++ {
		status, respBody, header, err := c.roundTrip(ctx, cred, method, target, key, body)
		var apiErr *APIError
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return fmt.Errorf("yookassa: %s %s: %w", method, path, ctx.Err())
			}
			err = fmt.Errorf("yookassa: %s %s: %w", method, path, err)
		case status == http.StatusAccepted || status == http.StatusTooManyRequests || status >= 500:
			apiErr = parseAPIError(status, header, respBody, c.now())
			err = apiErr
		case status >= 200 && status < 300:
			if out == nil {
				return nil
			}
			if derr := json.Unmarshal(respBody, out); derr != nil {
				return fmt.Errorf("yookassa: %s %s: decode response: %w", method, path, derr)
			}
			return nil
		default:
			return parseAPIError(status, header, respBody, c.now())
		}

		// Failures that end the call are returned, not logged; only the retries the caller
		// never sees are logged.
		if attempt >= c.maxRetries {
			return err
		}
		delay := c.backoff(attempt)
		if apiErr != nil && apiErr.RetryAfter > 0 {
			if apiErr.RetryAfter > c.maxBackoff {
				return err
			}
			delay = apiErr.RetryAfter
		}
		c.log.LogAttrs(ctx, slog.LevelInfo, "yookassa request retry",
			slog.String("method", method), slog.String("path", path), slog.Int("attempt", attempt+1),
			slog.Duration("delay", delay), slog.String("idempotence_key", key), slog.String("error", err.Error()))
		if serr := c.sleep(ctx, delay); serr != nil {
			return fmt.Errorf("yookassa: %s %s: waiting to retry: %w (last error: %w)", method, path, serr, err)
		}
	}
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.baseBackoff
	for i := 0; i < attempt && d < c.maxBackoff; i++ {
		d *= 2
	}
	return min(d, c.maxBackoff)
}

func (c *Client) roundTrip(ctx context.Context, cred credentials, method, target, key string, body []byte) (int, []byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("build request: %w", err)
	}
	req.SetBasicAuth(cred.user, cred.pass)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotence-Key", key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("read response: %w", err)
	}
	if len(data) > maxResponseBytes {
		return 0, nil, nil, fmt.Errorf("response larger than %d bytes", maxResponseBytes)
	}
	return resp.StatusCode, data, resp.Header, nil
}

// objectPath builds "/payments/<id>" refusing ids that could change the path.
func objectPath(collection, id string) (string, error) {
	if id == "" || len(id) > 64 || strings.ContainsAny(id, "/?#%") || strings.TrimSpace(id) != id {
		return "", invalidf("%s id %q is not a valid id", strings.TrimSuffix(collection, "s"), truncate(id))
	}
	return "/" + collection + "/" + url.PathEscape(id), nil
}

// Limits on free-form fields, from the spec.
const (
	maxDescription       = 128 // Description (payments, payouts)
	maxRefundDescription = 250
	maxMetadataKeys      = 16
	maxMetadataKeyLen    = 32
	maxMetadataValueLen  = 512
	maxReturnURL         = 2048
)

func checkDescription(field, s string, max int) error {
	if !utf8.ValidString(s) {
		return invalidf("%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return invalidf("%s has %d characters, at most %d allowed", field, n, max)
	}
	return nil
}

// checkMetadata applies the spec's limits: at most 16 keys, key ≤ 32 and value ≤ 512
// characters, UTF-8 strings.
func checkMetadata(m map[string]string) error {
	if len(m) > maxMetadataKeys {
		return invalidf("metadata has %d keys, at most %d allowed", len(m), maxMetadataKeys)
	}
	for k, v := range m {
		if k == "" || !utf8.ValidString(k) || utf8.RuneCountInString(k) > maxMetadataKeyLen {
			return invalidf("metadata key %q must be 1 to %d UTF-8 characters", truncate(k), maxMetadataKeyLen)
		}
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > maxMetadataValueLen {
			return invalidf("metadata value of %q must be at most %d UTF-8 characters", k, maxMetadataValueLen)
		}
	}
	return nil
}

func checkPositive(field string, a Amount) error {
	if a.Value <= 0 {
		return invalidf("%s must be positive, got %s", field, FormatAmount(a.Value))
	}
	if !validCurrency(a.Currency) {
		return invalidf("%s currency %q is not an ISO 4217 code", field, a.Currency)
	}
	return nil
}

// ListParams are the filters shared by the list methods. Zero fields are not sent.
type ListParams struct {
	CreatedGTE, CreatedGT, CreatedLTE, CreatedLT time.Time
	Limit                                        int    // 1..100; 0 means the API default (10)
	Cursor                                       string // next_cursor of the previous page
}

func (p ListParams) values() (url.Values, error) {
	q := url.Values{}
	for _, f := range []struct {
		name string
		t    time.Time
	}{
		{"created_at.gte", p.CreatedGTE}, {"created_at.gt", p.CreatedGT},
		{"created_at.lte", p.CreatedLTE}, {"created_at.lt", p.CreatedLT},
	} {
		if !f.t.IsZero() {
			q.Set(f.name, formatTime(f.t))
		}
	}
	if p.Limit < 0 || p.Limit > 100 {
		return nil, invalidf("limit %d: want 1 to 100", p.Limit)
	}
	if p.Limit > 0 {
		q.Set("limit", fmt.Sprint(p.Limit))
	}
	if p.Cursor != "" {
		q.Set("cursor", p.Cursor)
	}
	return q, nil
}

// formatTime renders the API's ISO 8601 form, e.g. 2018-07-18T10:51:18.139Z.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

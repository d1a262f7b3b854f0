package yookassa

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error codes of YooKassa's error body (code field), as listed in the API's HTTP code table and
// the OpenAPI spec.
const (
	CodeInvalidRequest      = "invalid_request"       // 400: syntax or logic error, also a reused key
	CodeInvalidCredentials  = "invalid_credentials"   // 401
	CodeForbidden           = "forbidden"             // 403
	CodeNotFound            = "not_found"             // 404
	CodeGone                = "gone"                  // 410
	CodeTooManyRequests     = "too_many_requests"     // 429
	CodeInternalServerError = "internal_server_error" // 500: outcome unknown
)

// ParamIdempotenceKey is the parameter named in a 400 about the Idempotence-Key header.
const ParamIdempotenceKey = "Idempotence-Key"

var (
	// ErrNotFound matches (errors.Is) an *APIError with HTTP status 404.
	ErrNotFound = errors.New("not found")
	// ErrInvalidRequest is wrapped by errors about request data the client refuses to send
	// (bad key, missing field, too long description...). Nothing was sent to YooKassa.
	ErrInvalidRequest = errors.New("invalid request")
)

// APIError is a non-success answer from YooKassa. For 4xx other than 429 the request was not
// performed and must not be repeated with the same key. For 202, 429 and 5xx (Retryable) the
// outcome is unknown or postponed: repeat with the same key and the same body, or GET the
// object.
type APIError struct {
	Status      int           // HTTP status
	Type        string        // "error" for YooKassa's error bodies
	ID          string        // error id to quote to YooKassa's support
	Code        string        // e.g. CodeInvalidRequest
	Description string        // English, human readable
	Parameter   string        // the offending header or body parameter, if any
	RetryAfter  time.Duration // from the Retry-After header or the body's retry_after (ms); 0 if none
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("yookassa: http ")
	b.WriteString(strconv.Itoa(e.Status))
	if e.Code != "" {
		b.WriteString(" ")
		b.WriteString(e.Code)
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.Parameter != "" {
		b.WriteString(" (parameter ")
		b.WriteString(e.Parameter)
		b.WriteString(")")
	}
	if e.ID != "" {
		b.WriteString(" [error id ")
		b.WriteString(e.ID)
		b.WriteString("]")
	}
	return b.String()
}

// Is lets errors.Is(err, ErrNotFound) match a 404.
func (e *APIError) Is(target error) bool {
	return target == ErrNotFound && e.Status == http.StatusNotFound
}

// Retryable reports whether the same request (same key, same body) may be sent again later:
// 202 (still processing), 429 (rate limited) and 5xx (outcome unknown).
func (e *APIError) Retryable() bool {
	return e.Status == http.StatusAccepted || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// IdempotenceKeyRejected reports a 400 about the Idempotence-Key header: the key was reused
// with a different body ("Idempotence key duplicated") or is malformed. The request was not
// performed.
func (e *APIError) IdempotenceKeyRejected() bool {
	return e.Status == http.StatusBadRequest && e.Parameter == ParamIdempotenceKey
}

type wireError struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Code        string `json:"code"`
	Description string `json:"description"`
	Parameter   string `json:"parameter"`
	RetryAfter  *int64 `json:"retry_after"` // milliseconds
}

// parseAPIError builds an *APIError from a response. A body that is not YooKassa's JSON (a proxy's
// HTML page, say) leaves the fields empty except Status and a generic Description.
func parseAPIError(status int, header http.Header, body []byte, now time.Time) *APIError {
	e := &APIError{Status: status}
	var w wireError
	if err := json.Unmarshal(body, &w); err == nil {
		e.Type, e.ID, e.Code, e.Description, e.Parameter = w.Type, w.ID, w.Code, w.Description, w.Parameter
		if w.RetryAfter != nil && *w.RetryAfter > 0 {
			e.RetryAfter = time.Duration(*w.RetryAfter) * time.Millisecond
		}
	}
	if e.Description == "" {
		e.Description = strings.ToLower(http.StatusText(status))
	}
	if d, ok := parseRetryAfter(header.Get("Retry-After"), now); ok {
		e.RetryAfter = d
	}
	return e
}

// parseRetryAfter reads an HTTP Retry-After header: delay-seconds or an HTTP-date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 || secs > int64(24*time.Hour/time.Second) {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidRequest}, args...)...)
}

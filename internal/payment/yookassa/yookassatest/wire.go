package yookassatest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// apiError is an error answer in YooKassa's shape:
// {"type":"error","id":"…","code":"…","description":"…","parameter":"…"}.
type apiError struct {
	status       int
	code         string
	description  string
	parameter    string
	retryAfterMs int64
}

func badRequest(param, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: yookassa.CodeInvalidRequest,
		description: fmt.Sprintf(format, args...), parameter: param}
}

func notFound(what string) *apiError {
	return &apiError{status: http.StatusNotFound, code: yookassa.CodeNotFound,
		description: what + " not found"}
}

type wireError struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Code        string `json:"code"`
	Description string `json:"description,omitempty"`
	Parameter   string `json:"parameter,omitempty"`
	RetryAfter  int64  `json:"retry_after,omitempty"`
}

// money is MonetaryAmount as the fake writes it.
type money struct {
	Value    string `json:"value"`
	Currency string `json:"currency"`
}

func rub(kopecks int64) money {
	return money{Value: yookassa.FormatAmount(kopecks), Currency: yookassa.CurrencyRUB}
}

// parseMoney validates a MonetaryAmount strictly: value a string "123.45", currency RUB (the
// fake shop's and gateway's account currency), value positive.
func parseMoney(raw json.RawMessage, field string) (int64, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, badRequest(field, "%s is required", field)
	}
	var a yookassa.Amount
	if err := json.Unmarshal(raw, &a); err != nil {
		return 0, badRequest(field+".value", "invalid %s: %v", field, err)
	}
	if a.Currency != yookassa.CurrencyRUB {
		return 0, badRequest(field+".currency", "currency %s is not the account currency RUB", a.Currency)
	}
	if a.Value <= 0 {
		return 0, badRequest(field+".value", "%s must be positive", field)
	}
	return a.Value, nil
}

// decodeObject splits a JSON object into its fields, rejecting fields the spec does not list for
// the operation — the fake is stricter than needed so a misspelt field fails in tests.
func decodeObject(body []byte, allowed ...string) (map[string]json.RawMessage, *apiError) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, badRequest("", "request body must be a JSON object")
	}
	for k := range m {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			return nil, badRequest(k, "unknown parameter %s", k)
		}
	}
	return m, nil
}

func decodeString(m map[string]json.RawMessage, field string, maxRunes int) (string, *apiError) {
	raw, ok := m[field]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", badRequest(field, "%s must be a string", field)
	}
	if maxRunes > 0 && utf8.RuneCountInString(s) > maxRunes {
		return "", badRequest(field, "%s is longer than %d characters", field, maxRunes)
	}
	return s, nil
}

// decodeMetadata applies the spec's Metadata limits: ≤ 16 keys, key ≤ 32, value ≤ 512
// characters, values strings (or null).
func decodeMetadata(m map[string]json.RawMessage) (map[string]*string, *apiError) {
	raw, ok := m["metadata"]
	if !ok || string(raw) == "null" {
		return nil, nil
	}
	var md map[string]*string
	if err := json.Unmarshal(raw, &md); err != nil {
		return nil, badRequest("metadata", "metadata must be an object of strings")
	}
	if len(md) > 16 {
		return nil, badRequest("metadata", "metadata has more than 16 keys")
	}
	for k, v := range md {
		if k == "" || utf8.RuneCountInString(k) > 32 {
			return nil, badRequest("metadata", "metadata key %q is longer than 32 characters", k)
		}
		if v != nil && utf8.RuneCountInString(*v) > 512 {
			return nil, badRequest("metadata", "metadata value of %q is longer than 512 characters", k)
		}
	}
	return md, nil
}

// fakeTime renders timestamps like the API: UTC, milliseconds, "Z".
type fakeTime time.Time

func (t fakeTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format("2006-01-02T15:04:05.000Z07:00") + `"`), nil
}

func ptime(t time.Time) *fakeTime {
	if t.IsZero() {
		return nil
	}
	ft := fakeTime(t)
	return &ft
}

type cancellation struct {
	Party  string `json:"party"`
	Reason string `json:"reason"`
}

func isDigits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlnum(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func oneOf(s string, set ...string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

package yookassa

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		in     string
		want   time.Duration
		wantOK bool
	}{
		{"seconds", "3", 3 * time.Second, true},
		{"zero", "0", 0, true},
		{"http date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"empty", "", 0, false},
		{"negative", "-5", 0, false},
		{"more than a day", "86401", 0, false},
		{"garbage", "soon", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseRetryAfter(tc.in, now)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("parseRetryAfter(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestParseAPIErrorBodies(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		want   APIError
	}{
		{"docs example", 400, nil,
			`{"type":"error","id":"ab5a11cd-13cc-4e33-af8b-75a74e18dd09","code":"invalid_request","description":"Idempotence key duplicated","parameter":"Idempotence-Key"}`,
			APIError{Status: 400, Type: "error", ID: "ab5a11cd-13cc-4e33-af8b-75a74e18dd09", Code: "invalid_request",
				Description: "Idempotence key duplicated", Parameter: "Idempotence-Key"}},
		{"retry_after in milliseconds", 429, nil, `{"type":"error","id":"x","code":"too_many_requests","retry_after":1800}`,
			APIError{Status: 429, Type: "error", ID: "x", Code: "too_many_requests", Description: "too many requests", RetryAfter: 1800 * time.Millisecond}},
		{"header wins over body", 429, http.Header{"Retry-After": {"5"}}, `{"type":"error","id":"x","code":"too_many_requests","retry_after":1800}`,
			APIError{Status: 429, Type: "error", ID: "x", Code: "too_many_requests", Description: "too many requests", RetryAfter: 5 * time.Second}},
		{"html from a proxy", 502, nil, `<html>Bad Gateway</html>`,
			APIError{Status: 502, Description: "bad gateway"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			got := parseAPIError(tc.status, h, []byte(tc.body), now)
			if *got != tc.want {
				t.Fatalf("parseAPIError = %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestBackoffIsCapped(t *testing.T) {
	c := &Client{baseBackoff: time.Second, maxBackoff: 30 * time.Second}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 30 * time.Second, 30 * time.Second}
	for attempt, w := range want {
		if got := c.backoff(attempt); got != w {
			t.Fatalf("backoff(%d) = %v, want %v", attempt, got, w)
		}
	}
	if got := c.backoff(1000); got != 30*time.Second {
		t.Fatalf("backoff(1000) = %v", got)
	}
}

func TestStatusesFinal(t *testing.T) {
	if PaymentPending.Final() || PaymentWaitingForCapture.Final() || !PaymentSucceeded.Final() || !PaymentCanceled.Final() {
		t.Fatalf("PaymentStatus.Final is wrong")
	}
	if RefundPending.Final() || !RefundSucceeded.Final() || !RefundCanceled.Final() {
		t.Fatalf("RefundStatus.Final is wrong")
	}
	if PayoutPending.Final() || !PayoutSucceeded.Final() || !PayoutCanceled.Final() {
		t.Fatalf("PayoutStatus.Final is wrong")
	}
}

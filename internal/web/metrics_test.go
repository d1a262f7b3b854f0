package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsAccess: /metrics beside the public pages answers only this machine (not through a
// proxy) or the bearer token; METRICS_ADDR's handler answers anyone who reaches it.
func TestMetricsAccess(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector())
	const token = "0123456789abcdef-token"
	for _, tc := range []struct {
		name    string
		token   string
		remote  string
		headers map[string]string
		code    int
	}{
		{"loopback, no token configured", "", "127.0.0.1:5555", nil, 200},
		{"loopback IPv6", "", "[::1]:5555", nil, 200},
		{"internet, no token configured", "", "203.0.113.9:5555", nil, 404},
		{"through a proxy on this machine", "", "127.0.0.1:5555", map[string]string{"X-Forwarded-For": "203.0.113.9"}, 404},
		{"token configured, right token", token, "203.0.113.9:5555", map[string]string{"Authorization": "Bearer " + token}, 200},
		{"token configured, wrong token", token, "203.0.113.9:5555", map[string]string{"Authorization": "Bearer nope"}, 401},
		{"token configured, none sent, even from loopback", token, "127.0.0.1:5555", nil, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHandler(Deps{Logger: logger, Registry: reg, MetricsToken: tc.token})
			r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			r.RemoteAddr = tc.remote
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.code {
				t.Fatalf("GET /metrics = %d %q, want %d", rec.Code, rec.Body.String(), tc.code)
			}
			if tc.code == 200 && !strings.Contains(rec.Body.String(), "go_goroutines") {
				t.Fatalf("metrics body %q", rec.Body.String())
			}
		})
	}
	rec := httptest.NewRecorder()
	MetricsHandler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "go_goroutines") {
		t.Fatalf("METRICS_ADDR handler: %d", rec.Code)
	}
}

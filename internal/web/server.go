// Package web is fairdraw's HTTP surface: webhooks, health, metrics and the public pages.
// Every route is listed in routes() so the whole surface reads on one screen.
package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Pinger is a dependency whose reachability /readyz reports (PostgreSQL, Redis).
type Pinger interface {
	Ping(ctx context.Context) error
}

// PingFunc adapts a function to Pinger.
type PingFunc func(ctx context.Context) error

// Ping calls f.
func (f PingFunc) Ping(ctx context.Context) error { return f(ctx) }

// Deps are what the HTTP server serves. Nil handlers leave their routes unregistered.
type Deps struct {
	Logger *slog.Logger
	// Registry is served at GET /metrics, guarded (see guardedMetrics); nil when METRICS_ADDR
	// serves it elsewhere.
	Registry *prometheus.Registry
	// MetricsToken is the bearer token /metrics asks for; empty: loopback only.
	MetricsToken string
	// HTTPMetrics, when set, times every request.
	HTTPMetrics *HTTPMetrics
	// Ready lists the dependencies /readyz checks, by name.
	Ready map[string]Pinger
	// TelegramWebhook handles POST /webhooks/telegram.
	TelegramWebhook http.Handler
	// YooKassaWebhook handles POST /webhooks/yookassa.
	YooKassaWebhook http.Handler
	// Public serves the public site: GET /, the draw pages and proofs, the browser verifier,
	// the rules and (when enabled) the Mini App at /app; every page with the security headers.
	Public *Public
	// PayoutWidget serves the card payout page.
	PayoutWidget http.Handler
}

// NewHandler returns the HTTP handler with every route.
func NewHandler(d Deps) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", readyz(d.Ready))
	if d.Registry != nil {
		mux.Handle("GET /metrics", guardedMetrics(d.Registry, d.MetricsToken))
	}
	if d.TelegramWebhook != nil {
		mux.Handle("POST /webhooks/telegram", d.TelegramWebhook)
	}
	if d.YooKassaWebhook != nil {
		mux.Handle("POST /webhooks/yookassa", d.YooKassaWebhook)
	}
	if p := d.Public; p != nil {
		page := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, secure(publicCSP, h)) }
		page("GET /{$}", p.Index)
		page("GET /raffles/{id}", p.Page)
		page("GET /raffles/{id}/check", p.Check)
		page("GET /raffles/{id}/proof.json", p.ProofJSON)
		page("GET /rules", p.Rules)
		page("GET /verify", p.Verify)
		page("GET /verifier.html", p.Offline)
		page("GET /live.json", p.Live)
		page("GET /static/{name}", p.assets.ServeHTTP)
		if p.miniApp != nil {
			page("GET /app", p.App)
			page("POST /app/me", p.AppMe)
		}
	}
	if d.PayoutWidget != nil {
		mux.Handle("GET /payout/card", d.PayoutWidget)
		mux.Handle("POST /payout/card", d.PayoutWidget)
	}
	return d.HTTPMetrics.wrap(recoverer(d.Logger, mux))
}

func readyz(deps map[string]Pinger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status, code := map[string]string{}, http.StatusOK
		for name, p := range deps {
			if err := p.Ping(ctx); err != nil {
				status[name] = "unavailable"
				code = http.StatusServiceUnavailable
				continue
			}
			status[name] = "ok"
		}
		writeJSON(w, code, status)
	}
}

func recoverer(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.Error("http handler panicked", slog.String("path", r.URL.Path), slog.Any("panic", v))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// WriteJSON writes v as JSON with status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

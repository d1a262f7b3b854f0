package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type fakeDraws map[int64]raffle.Draw

func (f fakeDraws) List(context.Context) ([]raffle.Draw, error) {
	var out []raffle.Draw
	for _, d := range f {
		out = append(out, d)
	}
	return out, nil
}

func (f fakeDraws) Get(_ context.Context, id int64) (raffle.Draw, error) {
	d, ok := f[id]
	if !ok {
		return raffle.Draw{}, raffle.ErrNotFound
	}
	return d, nil
}

func (f fakeDraws) Proof(ctx context.Context, id int64) (fairness.Proof, error) {
	if _, err := f.Get(ctx, id); err != nil {
		return fairness.Proof{}, err
	}
	return fairness.Proof{}, raffle.ErrNotDrawn
}

func TestRoutes(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	draws := fakeDraws{7: {ID: 7, Title: "Весна <b>", Status: raffle.StatusOpen, Currency: "XTR", Fee: 10, Min: 2, WinnersCount: 1, Deadline: time.Now()}}
	down := errors.New("down")
	for _, tc := range []struct {
		name, path string
		ready      error
		code       int
		contains   string
	}{
		{"health", "/healthz", nil, 200, `"ok"`},
		{"ready", "/readyz", nil, 200, `"postgres":"ok"`},
		{"not ready", "/readyz", down, 503, `"postgres":"unavailable"`},
		{"metrics are not public", "/metrics", nil, 404, ""},
		{"index", "/", nil, 200, "Весна &lt;b&gt;"},
		{"draw page", "/raffles/7", nil, 200, "Розыгрыш #7"},
		{"unknown draw", "/raffles/8", nil, 404, ""},
		{"bad id", "/raffles/abc", nil, 404, ""},
		{"no proof yet", "/raffles/7/proof.json", nil, 404, "no result yet"},
		{"unknown route", "/admin", nil, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			reg.MustRegister(prometheus.NewGoCollector())
			h := NewHandler(Deps{Logger: logger, Registry: reg, Public: NewPublic(draws, logger),
				Ready: map[string]Pinger{"postgres": PingFunc(func(context.Context) error { return tc.ready })}})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.contains) {
				t.Fatalf("GET %s = %d %q", tc.path, rec.Code, rec.Body.String())
			}
		})
	}
}

func TestPanicIsAnInternalError(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := NewHandler(Deps{Logger: logger, TelegramWebhook: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/telegram", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("panic answered %d", rec.Code)
	}
}

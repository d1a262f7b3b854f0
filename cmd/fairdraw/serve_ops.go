package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/fairdraw/fairdraw/internal/config"
	"github.com/fairdraw/fairdraw/internal/obs"
	"github.com/fairdraw/fairdraw/internal/ops"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/web"
)

// serveOps wires the operator's side of serve: go-redis logging through slog, the operator's
// metrics (HTTP latency; entries, payments, payouts, job queues, self-checks), and /metrics on
// METRICS_ADDR when it is set (then the public address serves none) or behind METRICS_TOKEN. The
// returned stop function closes the metrics listener; call it after intake and workers stopped,
// so the last scrape sees the drain.
func (e *env) serveOps(ctx context.Context, deps *web.Deps, registry *prometheus.Registry, pool *pgxpool.Pool, logger *slog.Logger) (func(), error) {
	redis.SetLogger(obs.RedisLogger{Logger: logger})
	deps.MetricsToken = e.cfg.MetricsToken
	deps.HTTPMetrics = web.NewHTTPMetrics(registry)
	if err := registry.Register(ops.NewCollector(pool, time.Now, logger)); err != nil {
		return nil, fmt.Errorf("ops: metrics: %w", err)
	}
	if e.cfg.MetricsAddr == "" {
		return func() {}, nil
	}
	deps.Registry = nil
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", web.MetricsHandler(registry))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	ln, err := net.Listen("tcp", e.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen %s: %w", e.cfg.MetricsAddr, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics server", slog.Any("error", err))
		}
	}()
	logger.Info("metrics serving", slog.String("addr", ln.Addr().String()))
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		<-done
	}, nil
}

// receiptConfig is the 54-FZ receipt of every ruble payment, or nil when YOOKASSA_RECEIPTS is off.
func receiptConfig(cfg config.Config) *rubles.ReceiptConfig {
	if !cfg.YooKassaReceipts {
		return nil
	}
	return &rubles.ReceiptConfig{VATCode: cfg.YooKassaVATCode, TaxSystemCode: cfg.YooKassaTaxSystemCode}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/obs"
	"github.com/fairdraw/fairdraw/internal/web"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// serve runs everything until SIGINT or SIGTERM, then stops intake first (HTTP, polling), then
// the workers, then closes the pools.
func (e *env) serve(ctx context.Context, args []string) error {
	if err := parseFlags(e.flags("serve"), args); err != nil {
		return err
	}
	if err := e.cfg.RequireServe(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	logger, flush, err := obs.InitSentry(e.cfg.SentryDSN, version, e.logger)
	if err != nil {
		return err
	}
	defer flush()

	pool, err := db.Open(ctx, e.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := db.Migrate(ctx, pool, logger); err != nil {
		return err
	}

	redisOpts, err := redis.ParseURL(e.cfg.RedisURL)
	if err != nil {
		return fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(redisOpts)
	defer rdb.Close()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: ping: %w", err)
	}

	registry := obs.NewRegistry()
	handler := web.NewHandler(web.Deps{
		Logger:   logger,
		Registry: registry,
		Ready: map[string]web.Pinger{
			"postgres": web.PingFunc(pool.Ping),
			"redis":    web.PingFunc(func(ctx context.Context) error { return rdb.Ping(ctx).Err() }),
		},
	})

	srv := &http.Server{
		Addr:              e.cfg.HTTPAddr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", e.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http: listen %s: %w", e.cfg.HTTPAddr, err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("fairdraw serving", slog.String("addr", ln.Addr().String()), slog.String("version", version))

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		return fmt.Errorf("http: %w", err)
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Error("http shutdown", slog.Any("error", err))
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("http server", slog.Any("error", err))
	}
	logger.Info("stopped")
	return nil
}

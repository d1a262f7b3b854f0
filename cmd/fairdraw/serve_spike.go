package main

import (
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/telegram"
)

// sendPacing builds the Redis send limiter shared by every replica and the pacing that puts
// every Bot API message on it (replies first, bulk notifications after; late replies go to
// a durable job). The same limiter paces the notify worker.
func (e *env) sendPacing(pool *pgxpool.Pool, rdb *redis.Client, reg prometheus.Registerer, logger *slog.Logger) (*notify.RedisLimiter, *telegram.Pacing, error) {
	limiter, err := notify.NewRedisLimiter(notify.LimiterConfig{
		Redis: rdb, Prefix: "fairdraw:", Global: e.cfg.SendRateGlobal, PerChat: e.cfg.SendRatePerChat, Logger: logger,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("notify: limiter: %w", err)
	}
	replies, err := telegram.NewReplyQueue(pool)
	if err != nil {
		return nil, nil, err
	}
	return limiter, &telegram.Pacing{Limiter: limiter, Deferrer: replies, Registry: reg, Logger: logger}, nil
}

// addPacingWorkers registers the worker that sends replies deferred by pacing.
func addPacingWorkers(workers *river.Workers, pacing *telegram.Pacing, logger *slog.Logger) {
	river.AddWorker(workers, &telegram.ReplyWorker{Pacing: pacing, Logger: logger})
}

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/bot"
	"github.com/fairdraw/fairdraw/internal/config"
	"github.com/fairdraw/fairdraw/internal/notify/sender"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/web"
)

// sendPacing builds the Redis send limiter shared by every replica and the pacing that puts
// every Bot API message on it (replies first, bulk notifications after; late replies go to
// a durable job). The same limiter paces the notify worker.
func (e *env) sendPacing(pool *pgxpool.Pool, rdb *redis.Client, prefix string, reg prometheus.Registerer, logger *slog.Logger) (*sender.RedisLimiter, *telegram.Pacing, error) {
	limiter, err := sender.NewRedisLimiter(sender.LimiterConfig{
		Redis: rdb, Prefix: prefix, Global: e.cfg.SendRateGlobal, PerChat: e.cfg.SendRatePerChat, Logger: logger,
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
	queue, _ := pacing.Deferrer.(*telegram.ReplyQueue)
	river.AddWorker(workers, &telegram.ReplyWorker{Pacing: pacing, Queue: queue, Logger: logger})
}

// enablePaymentIntake makes the bot record Stars payments and book them in batches (see
// bot.PaymentIntake); the returned intake runs with the rest of intake.
func enablePaymentIntake(b *bot.Bot) *bot.PaymentIntake { return b.EnablePaymentIntake() }

// telegramIntake is how updates arrive: the webhook kept registered (setWebhook until
// Telegram accepts it, then checked with getWebhookInfo), or long polling. run runs it until
// its context ends; ready is /readyz's "telegram" check, failing until intake works.
func (e *env) telegramIntake(b *bot.Bot, pool *pgxpool.Pool, logger *slog.Logger) (run func(context.Context), ready web.Pinger) {
	if e.cfg.TelegramMode == config.ModeWebhook {
		k := &bot.WebhookKeeper{Bot: b, URL: e.cfg.PublicURL + "/webhooks/telegram", Secret: e.cfg.TelegramWebhookSecret, Logger: logger}
		return k.Run, web.PingFunc(k.Ready)
	}
	poller := &bot.Poller{Bot: b, Pool: pool, APIURL: e.cfg.TelegramAPIURL, Token: e.cfg.BotToken, HTTP: &http.Client{}, Logger: logger}
	return func(ctx context.Context) { _ = poller.Run(ctx) }, web.PingFunc(poller.Ready)
}

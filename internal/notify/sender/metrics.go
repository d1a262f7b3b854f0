package sender

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fairdraw/fairdraw/internal/notify"
)

// Metrics are the sending counters exported on /metrics.
type Metrics struct {
	Sent, Throttled, Failed, Blocked, Skipped, DeadLetters prometheus.Counter
}

// NewMetrics creates the counters and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	c := func(name, help string) prometheus.Counter {
		ctr := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "fairdraw", Subsystem: "notify", Name: name, Help: help})
		if reg != nil {
			reg.MustRegister(ctr)
		}
		return ctr
	}
	return &Metrics{
		Sent:        c("sent_total", "Messages delivered to Telegram."),
		Throttled:   c("throttled_total", "Sends answered 429 and postponed by retry_after."),
		Failed:      c("failed_total", "Sends that failed for another reason than 429 or a blocked user."),
		Blocked:     c("blocked_users_total", "Users found to have blocked the bot."),
		Skipped:     c("skipped_blocked_total", "Messages not sent because the user blocked the bot."),
		DeadLetters: c("dead_letters_total", "Messages given up: refused by Telegram or out of attempts."),
	}
}

// QueueCollector reports the backlog of the notify queue at scrape time, from River's table:
// how many messages wait (available, scheduled or retryable) and how long the oldest message
// that is due has been waiting. A growing age with a steady depth means sending is stuck.
type QueueCollector struct {
	pool    *pgxpool.Pool
	now     func() time.Time
	logger  *slog.Logger
	timeout time.Duration
	depth   *prometheus.Desc
	age     *prometheus.Desc
}

// NewQueueCollector returns a collector on pool; now defaults to time.Now and logger (where
// failed scrapes are logged) to discarding.
func NewQueueCollector(pool *pgxpool.Pool, now func() time.Time, logger *slog.Logger) *QueueCollector {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &QueueCollector{
		pool: pool, now: now, logger: logger, timeout: 5 * time.Second,
		depth: prometheus.NewDesc("fairdraw_notify_queue_depth", "Messages waiting in the notify queue (available, scheduled or retryable).", nil, nil),
		age:   prometheus.NewDesc("fairdraw_notify_oldest_job_age_seconds", "How long the oldest due message has waited to be sent (0 when none).", nil, nil),
	}
}

// RegisterQueueCollector creates a QueueCollector and registers it with reg.
func RegisterQueueCollector(reg prometheus.Registerer, pool *pgxpool.Pool, now func() time.Time, logger *slog.Logger) (*QueueCollector, error) {
	c := NewQueueCollector(pool, now, logger)
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("notify: register queue metrics: %w", err)
	}
	return c, nil
}

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.age
}

// queueStats counts waiting jobs and finds the oldest due one, through River's fetch index.
const queueStats = `SELECT
	(SELECT count(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable') AND queue = $1),
	(SELECT min(scheduled_at) FROM river_job WHERE state = 'available' AND queue = $1)`

// Collect implements prometheus.Collector. When the database cannot be read, the metrics are
// left out of the scrape (and the error logged) rather than reported as zero.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	depth, age, err := c.Stats(context.Background())
	if err != nil {
		c.logger.Error("collect notify queue metrics", slog.Any("error", err))
		return
	}
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(depth))
	ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, age.Seconds())
}

// Stats returns the queue depth and the age of the oldest available job (0 if none).
func (c *QueueCollector) Stats(ctx context.Context) (depth int64, age time.Duration, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var oldest *time.Time
	if err := c.pool.QueryRow(ctx, queueStats, notify.QueueName).Scan(&depth, &oldest); err != nil {
		return 0, 0, fmt.Errorf("notify: queue stats: %w", err)
	}
	if oldest != nil {
		age = max(c.now().Sub(*oldest), 0)
	}
	return depth, age, nil
}

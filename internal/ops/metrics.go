package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// Names of the self-checks recorded in ops_checks.
const (
	CheckLedger       = "ledger"
	CheckStarsReserve = "stars_reserve"
)

// record stores the latest result of a self-check, so every replica reports it on /metrics.
func record(ctx context.Context, pool *pgxpool.Pool, name string, ok bool, figures map[string]int64, at time.Time) error {
	raw, err := json.Marshal(figures)
	if err != nil {
		return fmt.Errorf("ops: record %s: %w", name, err)
	}
	if err := dbq.New().RecordOpsCheck(ctx, pool, dbq.RecordOpsCheckParams{Name: name, Ok: ok, Figures: raw, CheckedAt: at}); err != nil {
		return fmt.Errorf("ops: record %s: %w", name, err)
	}
	return nil
}

// Collector reports, at scrape time and from the database, what an operator watches: entries
// and payments (counted from their tables, so every replica reports the same totals; graph them
// with max, not sum), payouts by state, every job queue's depth and oldest due job, and the
// latest ledger check and Stars reserve figures.
type Collector struct {
	pool   *pgxpool.Pool
	now    func() time.Time
	logger *slog.Logger
	entries, payments, payouts, payoutAmount, queueDepth, queueAge,
	ledgerOK, ledgerProblems, ledgerAt, reserve, reserveAt *prometheus.Desc
}

// NewCollector returns a Collector on pool; now defaults to time.Now.
func NewCollector(pool *pgxpool.Pool, now func() time.Time, logger *slog.Logger) *Collector {
	if now == nil {
		now = time.Now
	}
	d := prometheus.NewDesc
	return &Collector{
		pool: pool, now: now, logger: logger,
		entries:        d("fairdraw_entries_total", "Entries ever made, by currency.", []string{"currency"}, nil),
		payments:       d("fairdraw_payments_total", "Entry payments ever received, by provider, currency and status (entered, refund_pending, refunded).", []string{"provider", "currency", "status"}, nil),
		payouts:        d("fairdraw_payouts", "Ruble payouts by state (new, pending, succeeded, canceled, review).", []string{"state"}, nil),
		payoutAmount:   d("fairdraw_payouts_kopecks", "Sum of ruble payouts by state, in kopecks.", []string{"state"}, nil),
		queueDepth:     d("fairdraw_jobs_queue_depth", "Jobs waiting (available, scheduled or retryable), by queue.", []string{"queue"}, nil),
		queueAge:       d("fairdraw_jobs_oldest_age_seconds", "How long the oldest due job of the queue has waited (0 when none).", []string{"queue"}, nil),
		ledgerOK:       d("fairdraw_ledger_check_ok", "1 when the latest ledger check found every balance equal to its postings, 0 when not.", nil, nil),
		ledgerProblems: d("fairdraw_ledger_check_problems", "Problems the latest ledger check found.", nil, nil),
		ledgerAt:       d("fairdraw_ledger_check_timestamp_seconds", "When the latest ledger check ran (Unix time).", nil, nil),
		reserve:        d("fairdraw_stars_reserve", "Stars reserve at the latest check, whole Stars: balance, immature, owed, available (balance minus owed), threshold.", []string{"figure"}, nil),
		reserveAt:      d("fairdraw_stars_reserve_timestamp_seconds", "When the Stars reserve was last checked (Unix time).", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.entries, c.payments, c.payouts, c.payoutAmount, c.queueDepth, c.queueAge,
		c.ledgerOK, c.ledgerProblems, c.ledgerAt, c.reserve, c.reserveAt} {
		ch <- d
	}
}

// known label values are always reported, at zero when nothing has them yet, so dashboards and
// alerts have a series from the first scrape.
var (
	knownCurrencies = []string{ledger.XTR, ledger.RUB}
	knownPayouts    = []string{"new", "pending", "succeeded", "canceled", "review"}
	knownQueues     = []string{"default", "notify"}
)

// Collect implements prometheus.Collector. A part that cannot be read is left out of the scrape
// (and logged) rather than reported as zero.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	q := dbq.New()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	fail := func(what string, err error) {
		c.logger.Error("collect ops metrics", slog.String("part", what), slog.Any("error", err))
	}

	if rows, err := q.EntriesByCurrency(ctx, c.pool); err != nil {
		fail("entries", err)
	} else {
		n := map[string]int64{}
		for _, r := range rows {
			n[r.Currency] = r.N
		}
		for _, cur := range knownCurrencies {
			ch <- prometheus.MustNewConstMetric(c.entries, prometheus.CounterValue, float64(n[cur]), cur)
		}
	}
	if rows, err := q.PaymentsByOutcome(ctx, c.pool); err != nil {
		fail("payments", err)
	} else {
		seen := map[[3]string]bool{}
		for _, r := range rows {
			seen[[3]string{r.Provider, r.Currency, r.Status}] = true
			ch <- prometheus.MustNewConstMetric(c.payments, prometheus.CounterValue, float64(r.N), r.Provider, r.Currency, r.Status)
		}
		for _, k := range [][3]string{{raffle.ProviderTelegram, ledger.XTR, raffle.PaymentEntered}, {raffle.ProviderYooKassa, ledger.RUB, raffle.PaymentEntered}} {
			if !seen[k] {
				ch <- prometheus.MustNewConstMetric(c.payments, prometheus.CounterValue, 0, k[0], k[1], k[2])
			}
		}
	}
	if rows, err := q.PayoutsByState(ctx, c.pool); err != nil {
		fail("payouts", err)
	} else {
		n, sum := map[string]int64{}, map[string]int64{}
		for _, r := range rows {
			n[r.Status], sum[r.Status] = r.N, r.Amount
		}
		for _, s := range knownPayouts {
			gauge(c.payouts, float64(n[s]), s)
			gauge(c.payoutAmount, float64(sum[s]), s)
		}
	}
	c.collectQueues(ctx, gauge, fail)
	checks, err := q.OpsChecks(ctx, c.pool)
	if err != nil {
		fail("checks", err)
		return
	}
	for _, chk := range checks {
		var fig map[string]int64
		_ = json.Unmarshal(chk.Figures, &fig)
		at := float64(chk.CheckedAt.Unix())
		switch chk.Name {
		case CheckLedger:
			ok := 0.0
			if chk.Ok {
				ok = 1
			}
			gauge(c.ledgerOK, ok)
			gauge(c.ledgerProblems, float64(fig["problems"]))
			gauge(c.ledgerAt, at)
		case CheckStarsReserve:
			for _, f := range []string{"balance", "immature", "owed", "available", "threshold"} {
				gauge(c.reserve, float64(fig[f]), f)
			}
			gauge(c.reserveAt, at)
		}
	}
}

func (c *Collector) collectQueues(ctx context.Context, gauge func(*prometheus.Desc, float64, ...string), fail func(string, error)) {
	// River's own table; its fetch index covers (state, queue, priority, scheduled_at).
	rows, err := c.pool.Query(ctx, `
		SELECT queue,
		       count(*) FILTER (WHERE state IN ('available', 'scheduled', 'retryable')),
		       min(scheduled_at) FILTER (WHERE state = 'available')
		FROM river_job WHERE state IN ('available', 'scheduled', 'retryable') GROUP BY queue`)
	if err != nil {
		fail("queues", err)
		return
	}
	defer rows.Close()
	type stat struct {
		depth int64
		age   float64
	}
	stats := map[string]stat{}
	for rows.Next() {
		var queue string
		var depth int64
		var oldest *time.Time
		if err := rows.Scan(&queue, &depth, &oldest); err != nil {
			fail("queues", err)
			return
		}
		s := stat{depth: depth}
		if oldest != nil {
			s.age = max(c.now().Sub(*oldest).Seconds(), 0)
		}
		stats[queue] = s
	}
	if err := rows.Err(); err != nil {
		fail("queues", err)
		return
	}
	for _, q := range knownQueues {
		if _, ok := stats[q]; !ok {
			stats[q] = stat{}
		}
	}
	for q, s := range stats {
		gauge(c.queueDepth, float64(s.depth), q)
		gauge(c.queueAge, s.age, q)
	}
}

package main

import (
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/alert"
	"github.com/fairdraw/fairdraw/internal/prize"
)

// serveGifts builds the Stars redemptions (gifts and Premium paid from the bot's reserve), adds
// their workers and periodic jobs (the hourly retry of waiting claims, the daily reconciliation
// with getStarTransactions) before River starts. It runs even when Stars entries are off:
// balances won earlier, and draws created with a gift prize, still need it.
func (e *env) serveGifts(pool *pgxpool.Pool, jobs *river.Client[pgx.Tx], api *telego.Bot, alerter *alert.Alerter, workers *river.Workers, logger *slog.Logger) *prize.Service {
	svc := prize.New(prize.Config{Pool: pool, Jobs: jobs, API: api, Logger: logger, Alerter: alerter})
	svc.Register(workers)
	river.AddWorker(workers, &prize.ReconcileWorker{Pool: pool, API: api, Alerter: alerter, Logger: logger})
	jobs.PeriodicJobs().AddMany(svc.PeriodicJobs())
	jobs.PeriodicJobs().Add(prize.ReconcilePeriodicJob())
	return svc
}

package main

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/fairdraw/fairdraw/internal/admin"
	"github.com/fairdraw/fairdraw/internal/alert"
	"github.com/fairdraw/fairdraw/internal/announce"
	"github.com/fairdraw/fairdraw/internal/bot"
	"github.com/fairdraw/fairdraw/internal/bot/flood"
	"github.com/fairdraw/fairdraw/internal/config"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/fairness/drand"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
	"github.com/fairdraw/fairdraw/internal/fairness/source"
	"github.com/fairdraw/fairdraw/internal/faults"
	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/notify/sender"
	"github.com/fairdraw/fairdraw/internal/obs"
	"github.com/fairdraw/fairdraw/internal/ops"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/stars"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/settings"
	"github.com/fairdraw/fairdraw/internal/telegram"
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
	return e.serveWith(ctx, serveHooks{})
}

// serveWith is serve's wiring, shared with sandbox (which passes hooks; serve passes none): one
// bot, one set of workers and one HTTP server built from e.cfg, run until ctx ends or a signal.
func (e *env) serveWith(ctx context.Context, hooks serveHooks) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	logger, flush, err := obs.InitSentry(obs.SentryOptions{DSN: e.cfg.SentryDSN, Release: version, Environment: e.cfg.SentryEnvironment}, e.logger)
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
	// Many send workers talk to one host: keep enough idle connections to reuse them.
	tgTransport := http.DefaultTransport.(*http.Transport).Clone()
	tgTransport.MaxIdleConnsPerHost = 64
	limiter, pacing, err := e.sendPacing(pool, rdb, hooks.redisPrefix(), registry, logger)
	if err != nil {
		return err
	}
	tgClient := &http.Client{Transport: faults.WrapTransport("telegram", tgTransport)}
	api, err := telegram.NewPacedBot(e.cfg.BotToken, e.cfg.TelegramAPIURL, tgClient, logger, pacing)
	if err != nil {
		return err
	}

	// Jobs: one River client works the draw, refund, send and ops queues.
	jobTimeout, rescueAfter := faults.JobTimes(10 * time.Minute)
	workers := river.NewWorkers()
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:  logger,
		Workers: workers,
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: 10},
			// Paid broadcast (up to 1000/s) needs many sends in flight, fetched often; 30/s needs few.
			notify.QueueName: sender.QueueConfig(e.cfg.AllowPaidBroadcast, e.cfg.SendRateGlobal),
		},
		// Jobs time out after River's default minute; one still "running" after ten minutes
		// belonged to a process that died, and is retried (every job here is idempotent).
		JobTimeout: jobTimeout, RescueStuckJobsAfter: rescueAfter,
		ErrorHandler: &ops.JobErrorHandler{Logger: logger},
	})
	if err != nil {
		return fmt.Errorf("river: %w", err)
	}
	// Alerts: one message per admin, queued in the transaction of what needs a person.
	alerter := alert.New(alert.Config{Pool: pool, Jobs: jobs, AdminIDs: e.cfg.AdminIDs})
	// Settings the admins change in the panel; the environment gives their defaults.
	operatorSettings := settings.New(pool, settings.Defaults{
		MaxEntriesPerDay: e.cfg.MaxEntriesPerDay, DigestInterval: e.cfg.JoinDigestInterval,
		ReserveThreshold: e.cfg.StarsReserveThreshold,
	}, nil)
	draws := raffle.New(raffle.Config{
		Pool: pool, Jobs: jobs, Logger: logger, MaxEntriesPerDay: e.cfg.MaxEntriesPerDay,
		PublicURL: e.cfg.PublicURL, Alerter: alerter, DigestInterval: e.cfg.JoinDigestInterval,
		Limits: operatorSettings.Limits(), ChannelID: e.cfg.ChannelID,
	})
	sources, err := e.sources(logger, hooks)
	if err != nil {
		return err
	}
	refunders := map[string]raffle.Refunder{raffle.ProviderTelegram: stars.Refunder{Bot: api}}
	// Rubles: entries by YooKassa payments, refunds, winner payouts.
	var rub *rubles.Service
	if e.cfg.Accepts(config.CurrencyRUB) {
		if rub, err = e.rubles(ctx, api, pool, jobs, draws, alerter, logger, hooks); err != nil {
			return err
		}
		refunders[raffle.ProviderYooKassa] = rub
	}
	reserve := &ops.StarsReserve{Pool: pool, Stars: api, Threshold: operatorSettings.ReserveThreshold}

	// Workers and periodic jobs: each package registers its own, before River starts.
	periodic := jobs.PeriodicJobs()
	(&raffle.Workers{Service: draws, Logger: logger, Sources: sources, Refunders: refunders}).Register(workers)
	if rub != nil {
		rub.Register(workers)
		periodic.AddMany(rubles.PeriodicJobs(0))
	}
	prizes := e.serveGifts(pool, jobs, api, alerter, workers, logger)
	ops.Workers{Pool: pool, Reserve: reserve, Alerter: alerter, Logger: logger}.Register(workers)
	periodic.AddMany(ops.PeriodicJobs())
	river.AddWorker(workers, &announce.Worker{Pool: pool})
	river.AddWorker(workers, sender.NewWorker(sender.WorkerConfig{
		Pool: pool, Sender: telegram.NewSender(api), Logger: logger, Limiter: limiter,
		PaidBroadcast: e.cfg.AllowPaidBroadcast, Metrics: sender.NewMetrics(registry),
	}))
	addPacingWorkers(workers, pacing, logger)
	if _, err := sender.RegisterQueueCollector(registry, pool, time.Now, logger); err != nil {
		return fmt.Errorf("notify: metrics: %w", err)
	}

	// The panel needs only the API, so it is built before the bot that routes /admin to it.
	panel := admin.New(admin.Config{
		API: api, Pool: pool, Draws: draws, Jobs: jobs, Dialogs: admin.NewDialogStore(rdb, hooks.redisPrefix(), 0),
		Settings: operatorSettings, Reserve: reserve, Currencies: e.cfg.Currencies, AdminIDs: e.cfg.AdminIDs, Logger: logger,
		Rubles: rub,
		Prizes: prizes,
	})
	botCfg := bot.Config{
		API: api, Pool: pool, Draws: draws, Logger: logger, Currencies: e.cfg.Currencies,
		AdminIDs: e.cfg.AdminIDs, PublicURL: e.cfg.PublicURL, Registry: registry, Prizes: prizes, Admin: panel,
		Guard:       flood.New(flood.Config{Redis: rdb, Prefix: hooks.redisPrefix(), Logger: logger}),
		PreCheckout: telegram.NewPreCheckoutAnswerer(e.cfg.BotToken, e.cfg.TelegramAPIURL, tgClient),
	}
	if rub != nil {
		botCfg.Rubles = rub // a nil *rubles.Service would be a non-nil Rubles
	}
	b := bot.New(botCfg)
	payments := enablePaymentIntake(b)

	deps := web.Deps{
		Logger:   logger,
		Registry: registry,
		Ready: map[string]web.Pinger{
			"postgres": web.PingFunc(pool.Ping),
			"redis":    web.PingFunc(func(ctx context.Context) error { return rdb.Ping(ctx).Err() }),
		},
		Public: web.NewPublic(draws, logger, e.siteOptions(draws)...).WithKeys(hooks.keys),
	}
	stopOps, err := e.serveOps(ctx, &deps, registry, pool, logger)
	if err != nil {
		return err
	}
	defer stopOps()
	if e.cfg.TelegramMode == config.ModeWebhook {
		deps.TelegramWebhook = b.WebhookHandler(e.cfg.TelegramWebhookSecret)
	}
	runIntake, intakeReady := e.telegramIntake(b, pool, logger)
	deps.Ready["telegram"] = intakeReady
	if rub != nil {
		deps.YooKassaWebhook = rub.WebhookHandler()
		deps.PayoutWidget = rub.CardPayoutHandler()
	}
	srv := &http.Server{
		Addr:              e.cfg.HTTPAddr,
		Handler:           hooks.handler(web.NewHandler(deps)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", e.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("http: listen %s: %w", e.cfg.HTTPAddr, err)
	}

	// Start: workers first, then intake.
	if err := jobs.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("river: start: %w", err)
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	intakeCtx, stopIntake := context.WithCancel(ctx)
	var intake sync.WaitGroup
	intake.Go(func() { payments.Run(intakeCtx) })
	if err := b.RegisterCommands(ctx); err != nil {
		logger.Warn("register bot commands", slog.Any("error", err))
	}
	if _, err := setMiniAppButton(ctx, api, e.cfg.PublicURL); err != nil {
		logger.Warn("set mini app menu button", slog.Any("error", err))
	}
	intake.Go(func() { runIntake(intakeCtx) })
	hooks.started(ln.Addr())
	logger.Info("fairdraw serving", slog.String("addr", ln.Addr().String()), slog.String("version", version),
		slog.String("telegram_mode", e.cfg.TelegramMode), slog.Any("currencies", e.cfg.Currencies))

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopIntake()
		intake.Wait()
		stopRiver(jobs, logger)
		return fmt.Errorf("http: %w", err)
	}
	logger.Info("shutting down")
	// 1. Intake: no new updates or webhooks.
	stopIntake()
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Error("http shutdown", slog.Any("error", err))
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("http server", slog.Any("error", err))
	}
	intake.Wait()
	// 2. Workers: running jobs finish (or are resumed by the next start).
	stopRiver(jobs, logger)
	// 3. Pools close by defer.
	logger.Info("stopped")
	return nil
}

// rubles builds the ruble side. YooKassa sends the payer back to the bot after paying, so the
// bot's username is asked from Telegram; without it the public site is the way back.
func (e *env) rubles(ctx context.Context, api *telego.Bot, pool *pgxpool.Pool, jobs *river.Client[pgx.Tx], draws *raffle.Service, alerter *alert.Alerter, logger *slog.Logger, hooks serveHooks) (*rubles.Service, error) {
	ykc, err := yookassa.New(yookassa.Config{
		BaseURL: e.cfg.YooKassaAPIURL, ShopID: e.cfg.YooKassaShopID, SecretKey: e.cfg.YooKassaSecretKey,
		PayoutAgentID: e.cfg.YooKassaPayoutAgentID, PayoutSecretKey: e.cfg.YooKassaPayoutSecretKey, Logger: logger,
		HTTPClient: faultClient("yookassa"),
	})
	if err != nil {
		return nil, fmt.Errorf("yookassa: %w", err)
	}
	returnURL := e.cfg.PublicURL + "/"
	meCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if hooks.returnURL != "" {
		// The sandbox's payers go back to its chat page.
		returnURL = hooks.returnURL
	} else if me, err := api.GetMe(meCtx); err == nil && me.Username != "" {
		returnURL = "https://t.me/" + me.Username
	} else {
		logger.Warn("bot username unknown; payers return to the public site", slog.Any("error", err))
	}
	trusted := yookassa.TrustedIPsFromPrefixes(e.cfg.YooKassaTrustedIPs)
	svc, err := rubles.New(rubles.Config{
		Pool: pool, Jobs: jobs, Draws: draws, YooKassa: ykc, Logger: logger, ReturnURL: returnURL,
		TrustedIPs: &trusted, TrustedProxies: yookassa.TrustedIPsFromPrefixes(e.cfg.TrustedProxies),
		PublicURL: e.cfg.PublicURL, PayoutGatewayID: e.cfg.YooKassaPayoutAgentID, LinkSecret: e.cfg.YooKassaPayoutSecretKey,
		Alerter: alerter, Receipt: receiptConfig(e.cfg),
	})
	if err != nil {
		return nil, fmt.Errorf("rubles: %w", err)
	}
	return svc, nil
}

func stopRiver(jobs *river.Client[pgx.Tx], logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := jobs.Stop(ctx); err != nil {
		logger.Error("river stop", slog.Any("error", err))
	}
}

// sources builds the randomness sources that are configured. A draw whose source is missing
// waits (and alerts the admins) rather than using another.
func (e *env) sources(logger *slog.Logger, hooks serveHooks) (map[string]raffle.Source, error) {
	out := map[string]raffle.Source{
		raffle.SourceDrand: source.Drand{Client: &drand.Client{URL: e.cfg.DrandURL, HTTPClient: faultClient("drand")}},
	}
	key, err := e.randomOrgKey()
	if err != nil {
		return nil, err
	}
	if hooks.keys.RandomOrg != nil {
		key = hooks.keys.RandomOrg
	}
	if e.cfg.RandomOrgAPIKey == "" {
		logger.Warn("RANDOM_ORG_API_KEY is not set: draws with source randomorg will wait")
		return out, nil
	}
	client, err := randomorg.New(randomorg.Config{URL: e.cfg.RandomOrgAPIURL, APIKey: e.cfg.RandomOrgAPIKey, Logger: logger, HTTPClient: faultClient("randomorg")})
	if err != nil {
		return nil, fmt.Errorf("random.org: %w", err)
	}
	out[raffle.SourceRandomOrg] = source.RandomOrg{Client: client, Key: key}
	return out, nil
}

// randomOrgKey is the pinned Random.org key, or the one in RANDOM_ORG_PUBLIC_KEY.
func (e *env) randomOrgKey() (*rsa.PublicKey, error) {
	if e.cfg.RandomOrgPublicKey == "" {
		return randomorg.PublicKey(), nil
	}
	pem, err := os.ReadFile(e.cfg.RandomOrgPublicKey)
	if err != nil {
		return nil, fmt.Errorf("RANDOM_ORG_PUBLIC_KEY: %w", err)
	}
	key, err := randomorg.LoadPublicKey(pem)
	if err != nil {
		return nil, fmt.Errorf("RANDOM_ORG_PUBLIC_KEY: %w", err)
	}
	return key, nil
}

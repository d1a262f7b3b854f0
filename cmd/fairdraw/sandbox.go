package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/fairdraw/fairdraw/internal/config"
	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/sandbox"
)

// serveHooks are the few places where sandbox changes serve's wiring; serve passes the zero
// value, which keeps every production default.
type serveHooks struct {
	// prefix is the Redis key prefix; default "fairdraw:".
	prefix string
	// keys, when set, replace the Random.org key that draws are checked with and that the
	// public pages verify proofs with.
	keys fairness.Keys
	// returnURL, when set, is where YooKassa sends a payer back, instead of the bot's chat.
	returnURL string
	// wrap, when set, wraps the HTTP handler (the sandbox adds /sandbox and its banner).
	wrap func(http.Handler) http.Handler
	// onStart, when set, is called once the HTTP server listens.
	onStart func(net.Addr)
}

func (h serveHooks) redisPrefix() string { return cmp.Or(h.prefix, "fairdraw:") }

func (h serveHooks) handler(next http.Handler) http.Handler {
	if h.wrap == nil {
		return next
	}
	return h.wrap(next)
}

func (h serveHooks) started(addr net.Addr) {
	if h.onStart != nil {
		h.onStart(addr)
	}
}

// sandboxAddr is where the sandbox listens when HTTP_ADDR is not set: this machine only, since
// the chat lets whoever opens it act as any user and as the admin.
const sandboxAddr = "127.0.0.1:8080"

// sandboxOptions are the sandbox's own data and what a test needs to watch it.
type sandboxOptions struct {
	database    string
	redisPrefix string
	reset       bool
	// ready, when set, is called with the stand-ins and the base URL once the sandbox serves.
	ready func(f *sandbox.Fakes, baseURL string)
}

// sandbox runs `fairdraw sandbox [--reset]`.
func (e *env) sandbox(ctx context.Context, args []string) error {
	fs := e.flags("sandbox")
	reset := fs.Bool("reset", false, "start clean: drop the sandbox's database and Redis keys first")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: sandbox: unexpected %q", errUsage, fs.Arg(0))
	}
	return e.runSandbox(ctx, sandboxOptions{database: sandbox.DefaultDatabase, redisPrefix: sandbox.DefaultRedisPrefix, reset: *reset})
}

// outsideWorld are the variables the sandbox replaces with its stand-ins' values; an operator's
// real ones are ignored (and named, so nobody wonders whether a real bot was used).
var outsideWorld = []string{
	"BOT_TOKEN", "TELEGRAM_API_URL", "TELEGRAM_MODE", "TELEGRAM_WEBHOOK_SECRET", "PUBLIC_URL", "ADMIN_IDS",
	"CURRENCIES", "YOOKASSA_API_URL", "YOOKASSA_SHOP_ID", "YOOKASSA_SECRET_KEY", "YOOKASSA_PAYOUT_AGENT_ID",
	"YOOKASSA_PAYOUT_SECRET_KEY", "YOOKASSA_TRUSTED_IPS", "TRUSTED_PROXIES", "RANDOM_ORG_API_KEY",
	"RANDOM_ORG_API_URL", "RANDOM_ORG_PUBLIC_KEY", "DRAND_URL", "SENTRY_DSN", "ALLOW_PAID_BROADCAST",
}

func (e *env) runSandbox(ctx context.Context, opts sandboxOptions) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	addr := cmp.Or(e.getenv("HTTP_ADDR"), sandboxAddr)
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR: %w", err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	publicURL := "http://" + net.JoinHostPort(host, port)

	// Redis first: it creates nothing, so a sandbox that cannot start leaves no database behind.
	redisURL, err := sandbox.PrepareRedis(ctx, e.getenv("REDIS_URL"), opts.redisPrefix, opts.reset)
	if err != nil {
		return err
	}
	dbURL, err := sandbox.PrepareDatabase(ctx, e.getenv("DATABASE_URL"), opts.database, opts.reset)
	if err != nil {
		return err
	}
	var ignored []string
	for _, name := range outsideWorld {
		if e.getenv(name) != "" {
			ignored = append(ignored, name)
		}
	}
	if len(ignored) > 0 {
		e.logger.Warn("sandbox ignores these variables and uses its stand-ins instead", slog.Any("ignored", ignored))
		fmt.Fprintf(e.stdout, "fairdraw sandbox: ignoring %s: the sandbox talks only to its stand-ins, never to a real bot, shop or key\n",
			strings.Join(ignored, ", "))
	}

	fakes, err := sandbox.StartFakes(publicURL, e.logger)
	if err != nil {
		return err
	}
	defer fakes.Close()
	vars := fakes.Env(publicURL)
	vars["DATABASE_URL"], vars["REDIS_URL"], vars["HTTP_ADDR"] = dbURL, redisURL, addr
	getenv := func(name string) string {
		if v, ok := vars[name]; ok {
			return v
		}
		return e.getenv(name)
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("sandbox: configuration: %w", err)
	}
	se := &env{cfg: cfg, getenv: getenv, stdout: io.Discard, stderr: e.stderr, logger: e.logger}
	if err := se.migrate(ctx, nil); err != nil {
		return err
	}
	if err := se.seedSandbox(ctx); err != nil {
		return err
	}

	chatCtx, stopChat := context.WithCancel(ctx)
	defer stopChat()
	chat := sandbox.NewChat(chatCtx, fakes, e.logger)
	defer chat.Wait()
	hooks := serveHooks{
		prefix: opts.redisPrefix, keys: fakes.Keys(), returnURL: publicURL + "/sandbox", wrap: chat.Handler,
		onStart: func(net.Addr) {
			fmt.Fprintf(e.stdout, "fairdraw sandbox: open %s/sandbox in your browser (Ctrl+C stops it)\n", publicURL)
			if opts.ready != nil {
				opts.ready(fakes, publicURL)
			}
		},
	}
	err = se.serveWith(ctx, hooks)
	stopChat()
	if err != nil && strings.Contains(err.Error(), "address already in use") {
		return fmt.Errorf("%w\nSomething else listens on %s: stop it, or choose another address, e.g. HTTP_ADDR=127.0.0.1:8081", err, addr)
	}
	return err
}

// sandboxDraws are the draws a fresh sandbox opens, one per currency, so that a person can play
// at once; the admin panel creates more.
var sandboxDraws = [][]string{
	{"create", "--currency", config.CurrencyXTR, "--fee", "10", "--min", "2", "--winners", "1",
		"--commission-bp", "1000", "--deadline", "2h", "--title", "Песочница ⭐"},
	{"create", "--currency", config.CurrencyRUB, "--fee", "10000", "--min", "1", "--winners", "1",
		"--commission-bp", "1000", "--deadline", "2h", "--title", "Песочница ₽"},
}

// seedSandbox opens the sandbox's first draws, through the same code as `fairdraw raffle
// create`, when the database has none.
func (e *env) seedSandbox(ctx context.Context) error {
	var out bytes.Buffer
	list := *e
	list.stdout = &out
	if err := list.raffle(ctx, []string{"list"}); err != nil {
		return err
	}
	var draws []json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &draws); err != nil {
		return fmt.Errorf("sandbox: read draws: %w", err)
	}
	if len(draws) > 0 {
		return nil
	}
	for _, args := range sandboxDraws {
		if err := e.raffle(ctx, slices.Clone(args)); err != nil {
			return fmt.Errorf("sandbox: open a first draw: %w", err)
		}
	}
	return nil
}

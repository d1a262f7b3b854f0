package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fairdraw/fairdraw/internal/config"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/obs"
)

const usage = `usage: fairdraw <command> [arguments]

commands:
  sandbox [--reset]          try the whole bot in the browser against stand-ins, no keys needed
  serve                      run the bot, the HTTP server and the workers (applies migrations)
  migrate                    apply database migrations and exit
  config                     print the effective configuration, secrets masked
  ledger check               re-derive every balance from the postings; exit 1 on any mismatch
  ledger reconcile           compare the ledger's Stars movements with Telegram's; exit 1 on a difference
  raffle create [flags]      create a draw and print it as JSON (see: fairdraw raffle create -h)
  raffle show ID             print one draw as JSON
  raffle list                print every draw as a JSON array
  raffle draw ID             draw now, whatever the deadline
  raffle cancel ID           cancel and refund every entry
  proof ID                   print a drawn draw's proof as JSON
  verify FILE                check a proof (or a bare Random.org result or drand beacon) offline
  audit --since TIME         print the audit log as JSON lines
  backup [--dir D]           write a checksummed pg_dump into D (default ./backups) and apply retention
  restore FILE               restore a backup into an empty database, then run the ledger check
  version                    print the version and build details

Configuration comes from the environment; see the README.
`

// exit codes
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// errUsage marks an error that is the caller's mistake: usage is printed and the exit code is 2.
var errUsage = errors.New("usage")

// run is the whole program: main only calls it with the process's arguments, environment and
// streams, and tests call it the same way.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "version" {
		// Needs no configuration: it must answer even when the environment is wrong.
		fmt.Fprintln(stdout, versionLine())
		return exitOK
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "fairdraw: configuration:\n%v\n", err)
		return exitFail
	}
	logger := obs.NewLogger(stderr, cfg.LogLevel)
	e := &env{cfg: cfg, getenv: getenv, stdout: stdout, stderr: stderr, logger: logger}

	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		err = e.serve(ctx, rest)
	case "sandbox":
		err = e.sandbox(ctx, rest)
	case "migrate":
		err = e.migrate(ctx, rest)
	case "config":
		err = e.printConfig(rest)
	case "ledger":
		err = e.ledger(ctx, rest)
	case "raffle":
		err = e.raffle(ctx, rest)
	case "proof":
		err = e.proof(ctx, rest)
	case "verify":
		err = e.verify(rest)
	case "audit":
		err = e.audit(ctx, rest)
	case "backup":
		err = e.backup(ctx, rest)
	case "restore":
		err = e.restore(ctx, rest)
	default:
		err = fmt.Errorf("%w: unknown command %q", errUsage, cmd)
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "fairdraw: %v\n\n%s", err, usage)
		return exitUsage
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errFailed):
		// The command already said what failed.
		return exitFail
	default:
		fmt.Fprintf(stderr, "fairdraw: %v\n", err)
		return exitFail
	}
}

// errFailed is returned by commands that printed their own failure (ledger check, verify).
var errFailed = errors.New("failed")

// env is what every command gets: the configuration and the process's streams.
type env struct {
	cfg            config.Config
	getenv         func(string) string
	stdout, stderr io.Writer
	logger         *slog.Logger
}

// flags returns a flag set that reports bad flags as usage errors instead of exiting.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %s: %v", errUsage, fs.Name(), err)
	}
	return nil
}

// openDB opens the database pool for commands that need it, and refuses a database that lacks
// this binary's migrations (the operator is told to run `fairdraw migrate`).
func (e *env) openDB(ctx context.Context) (*pgxpool.Pool, error) {
	pool, err := e.openRawDB(ctx)
	if err != nil {
		return nil, err
	}
	if err := db.CheckMigrated(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

// openRawDB opens the database pool without looking at its schema (migrate, restore).
func (e *env) openRawDB(ctx context.Context) (*pgxpool.Pool, error) {
	if err := e.cfg.RequireDatabase(); err != nil {
		return nil, err
	}
	return db.Open(ctx, e.cfg.DatabaseURL)
}

func (e *env) migrate(ctx context.Context, args []string) error {
	if err := parseFlags(e.flags("migrate"), args); err != nil {
		return err
	}
	pool, err := e.openRawDB(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	return db.Migrate(ctx, pool, e.logger)
}

func (e *env) printConfig(args []string) error {
	if err := parseFlags(e.flags("config"), args); err != nil {
		return err
	}
	return e.cfg.Dump(e.stdout, e.getenv)
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/fairdraw/fairdraw/internal/alert"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// draws opens the database and a draw service whose jobs are picked up by `fairdraw serve`.
func (e *env) draws(ctx context.Context) (*raffle.Service, *pgxpool.Pool, error) {
	pool, err := e.openDB(ctx)
	if err != nil {
		return nil, nil, err
	}
	// An insert-only River client: the workers run in serve.
	jobs, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		pool.Close()
		return nil, nil, fmt.Errorf("river: %w", err)
	}
	return raffle.New(raffle.Config{
		Alerter: alert.New(alert.Config{Pool: pool, Jobs: jobs, AdminIDs: e.cfg.AdminIDs}),
		Pool:    pool, Jobs: jobs, Logger: e.logger, MaxEntriesPerDay: e.cfg.MaxEntriesPerDay,
		PublicURL: e.cfg.PublicURL, DigestInterval: e.cfg.JoinDigestInterval,
	}), pool, nil
}

func (e *env) raffle(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: raffle takes create, show, list, draw or cancel", errUsage)
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "create":
		return e.raffleCreate(ctx, rest)
	case "list":
		if err := parseFlags(e.flags("raffle list"), rest); err != nil {
			return err
		}
		svc, pool, err := e.draws(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		list, err := svc.List(ctx)
		if err != nil {
			return err
		}
		return writeJSON(e.stdout, list)
	case "show", "draw", "cancel":
		id, err := oneID("raffle "+sub, rest)
		if err != nil {
			return err
		}
		svc, pool, err := e.draws(ctx)
		if err != nil {
			return err
		}
		defer pool.Close()
		switch sub {
		case "draw":
			err = svc.ForceDraw(ctx, id, "cli")
		case "cancel":
			err = svc.Cancel(ctx, id, "cli")
		}
		if err != nil {
			return err
		}
		d, err := svc.Get(ctx, id)
		if err != nil {
			return err
		}
		return writeJSON(e.stdout, d)
	default:
		return fmt.Errorf("%w: unknown raffle subcommand %q", errUsage, sub)
	}
}

func oneID(name string, args []string) (int64, error) {
	if len(args) != 1 {
		return 0, fmt.Errorf("%w: %s takes one draw id", errUsage, name)
	}
	id, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: %s: %q is not a draw id", errUsage, name, args[0])
	}
	return id, nil
}

func (e *env) raffleCreate(ctx context.Context, args []string) error {
	fs := e.flags("raffle create")
	currency := fs.String("currency", "", "XTR (Stars) or RUB (rubles)")
	fee := fs.Int64("fee", 0, "entry fee in minor units: Stars, or kopecks")
	minP := fs.Int("min", 0, "minimum participants")
	maxP := fs.Int("max", 0, "maximum participants (0: none)")
	winners := fs.Int("winners", raffle.DefaultWinners, "number of winners")
	bp := fs.Int("commission-bp", 0, "commission in basis points (100 = 1%)")
	deadline := fs.String("deadline", "24h", "a duration from now (24h) or an RFC 3339 time, at most a year ahead")
	mode := fs.String("mode", raffle.DefaultMode, "deadline or instant")
	source := fs.String("source", raffle.DefaultSource, "randomorg or drand")
	title := fs.String("title", "", "title shown to users (default: Розыгрыш)")
	perUser := fs.Int("max-per-user", raffle.DefaultMaxEntriesPerUser, "entries one user may buy in this draw")
	prizeMode := fs.String("prize", raffle.DefaultPrize, "how a Stars draw pays its winners: balance, gift (the most valuable Telegram gift the prize covers) or premium")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: raffle create: unexpected %q", errUsage, fs.Arg(0))
	}
	now := time.Now()
	when, err := parseDeadline(*deadline, now)
	if err != nil {
		return fmt.Errorf("%w: raffle create: --deadline: %v", errUsage, err)
	}
	if *title == "" {
		*title = "Розыгрыш"
	}
	// Every flag is given a value (its default or the typed one), so Validate sees what was
	// typed: --winners 0 is refused, not read as "the default".
	p := raffle.Params{
		Title: *title, Currency: *currency, Fee: *fee, Min: *minP, Max: *maxP, Winners: *winners,
		CommissionBP: *bp, Deadline: when, Mode: *mode, Source: *source, MaxEntriesPerUser: *perUser, Prize: *prizeMode,
	}
	// The flags first: a mistake in them is reported as such, before what the environment lacks.
	if err := p.Validate(now); err != nil {
		return fmt.Errorf("%w: raffle create: %s", errUsage, flagProblems(err))
	}
	if *source == raffle.SourceRandomOrg && e.cfg.RandomOrgAPIKey == "" {
		return fmt.Errorf("%w: raffle create: --source randomorg needs RANDOM_ORG_API_KEY (or use --source drand)", errUsage)
	}
	if !e.cfg.Accepts(*currency) {
		return fmt.Errorf("%w: raffle create: --currency %s is not in CURRENCIES", errUsage, *currency)
	}
	svc, pool, err := e.draws(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	d, err := svc.Create(ctx, p, "cli")
	if errors.Is(err, raffle.ErrInvalid) {
		return fmt.Errorf("%w: raffle create: %s", errUsage, flagProblems(err))
	}
	if err != nil {
		return err
	}
	return writeJSON(e.stdout, d)
}

// flagProblems names each invalid field of a draw by its flag: "--max: ...; --winners: ...".
func flagProblems(err error) string {
	bad, ok := errors.AsType[raffle.InvalidParams](err)
	if !ok {
		return err.Error()
	}
	parts := make([]string, len(bad))
	for i, f := range bad {
		parts[i] = "--" + f.Error()
	}
	return strings.Join(parts, "; ")
}

func parseDeadline(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, errors.New("must be in the future")
		}
		return now.Add(d).UTC().Truncate(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a duration like 24h nor an RFC 3339 time", s)
	}
	return t, nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (e *env) proof(ctx context.Context, args []string) error {
	id, err := oneID("proof", args)
	if err != nil {
		return err
	}
	svc, pool, err := e.draws(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	p, err := svc.Proof(ctx, id)
	if err != nil {
		return err
	}
	b, err := fairness.MarshalProof(p)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(append(b, '\n'))
	return err
}

// verify checks a proof, a bare Random.org result or a bare drand beacon offline.
func (e *env) verify(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%w: verify takes one file (- for standard input)", errUsage)
	}
	var data []byte
	var err error
	if args[0] == "-" {
		data, err = io.ReadAll(io.LimitReader(os.Stdin, 16<<20))
	} else {
		data, err = os.ReadFile(args[0])
	}
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	keys := fairness.DefaultKeys()
	if keys.RandomOrg, err = e.randomOrgKey(); err != nil {
		return err
	}
	report, err := fairness.VerifyFile(data, keys)
	fmt.Fprint(e.stdout, report.String())
	if err != nil {
		fmt.Fprintf(e.stderr, "verify: FAILED: %v\n", err)
		return errFailed
	}
	return nil
}

func (e *env) audit(ctx context.Context, args []string) error {
	fs := e.flags("audit")
	since := fs.String("since", "", "RFC 3339 time or a duration back from now (24h)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	from := time.Time{}
	if *since != "" {
		if d, err := time.ParseDuration(*since); err == nil {
			from = time.Now().Add(-d)
		} else if t, err := time.Parse(time.RFC3339, *since); err == nil {
			from = t
		} else {
			return fmt.Errorf("%w: audit: --since %q is neither RFC 3339 nor a duration", errUsage, *since)
		}
	}
	pool, err := e.openDB(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	rows, err := dbq.New().AuditSince(ctx, pool, from)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	enc := json.NewEncoder(e.stdout)
	for _, r := range rows {
		line := map[string]any{"id": r.ID, "at": r.At.UTC(), "actor": r.Actor, "action": r.Action, "subject": r.Subject}
		if r.RaffleID.Valid {
			line["raffle_id"] = r.RaffleID.Int64
		}
		if r.Before != nil {
			line["before"] = json.RawMessage(r.Before)
		}
		if r.After != nil {
			line["after"] = json.RawMessage(r.After)
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}

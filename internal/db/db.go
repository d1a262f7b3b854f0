// Package db owns fairdraw's PostgreSQL: the connection pool, the embedded migrations (ours via
// goose, River's via rivermigrate) and the transaction helper every money path goes through.
//
// Queries live in queries/*.sql and are compiled by sqlc into package sqlc (generated code is
// committed; regenerate with `sqlc generate` in this folder). Every generated method takes a DBTX,
// so the same query runs on the pool or inside the caller's transaction.
package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fairdraw/fairdraw/internal/faults"
)

// Open connects a pool to url and checks the connection.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("db: parse DATABASE_URL: %w", err)
	}
	// pgxpool's default is max(4, CPUs): too few for serve, where the poller holds a connection,
	// River's producers and leader poll, and up to ~40 workers and handlers run transactions.
	// A pool_max_conns in DATABASE_URL wins.
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 40
	}
	// Crash points around commits, in binaries built with -tags faults only (nil otherwise).
	if t := faults.Tracer(); t != nil {
		cfg.ConnConfig.Tracer = t
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: connect: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: ping: %w", err)
	}
	return pool, nil
}

// Beginner is what InTx needs: a pool, or a connection.
type Beginner interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// InTx runs fn in a READ COMMITTED transaction and commits it. When the commit or fn fails
// with a serialization failure or a deadlock (SQLSTATE 40001, 40P01) the whole transaction is
// retried, up to five times, so fn must be safe to call more than once: it must do all its
// work through tx. Any other error rolls back and is returned as is.
func InTx(ctx context.Context, db Beginner, fn func(tx pgx.Tx) error) error {
	const attempts = 5
	var err error
	for i := range attempts {
		err = inTxOnce(ctx, db, fn)
		if err == nil || !IsRetryable(err) {
			return err
		}
		// Back off a little, more each time, so competing transactions spread out.
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(i+1) * 5 * time.Millisecond):
		}
	}
	return err
}

func inTxOnce(ctx context.Context, db Beginner, fn func(tx pgx.Tx) error) (err error) {
	tx, err := db.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// IsRetryable reports whether err is a serialization failure or a deadlock, after which the
// whole transaction may be run again.
func IsRetryable(err error) bool {
	code := ErrorCode(err)
	return code == "40001" || code == "40P01"
}

// ErrorCode returns the SQLSTATE of err, or "" when err did not come from PostgreSQL.
func ErrorCode(err error) string {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pgErr.Code
	}
	return ""
}

// IsUniqueViolation reports whether err is a unique violation of the named constraint ("" for any).
func IsUniqueViolation(err error, constraint string) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pgErr.Code == "23505" && (constraint == "" || pgErr.ConstraintName == constraint)
}

package db

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotMigrated is returned by CheckMigrated when the database lacks some of this binary's
// migrations. Its text tells the operator what to do.
var ErrNotMigrated = errors.New("run `fairdraw migrate` first")

// CheckMigrated reports whether every migration embedded in this binary has been applied to the
// database. Commands other than serve and migrate call it, so that an operator pointing them at a
// fresh or older database reads "run `fairdraw migrate` first" instead of a missing relation.
func CheckMigrated(ctx context.Context, pool *pgxpool.Pool) error {
	want, err := embeddedVersions()
	if err != nil {
		return err
	}
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('goose_db_version') IS NOT NULL`).Scan(&exists); err != nil {
		return fmt.Errorf("db: schema check: %w", err)
	}
	if !exists {
		return fmt.Errorf("db: the database has no fairdraw tables: %w", ErrNotMigrated)
	}
	// goose appends a row per apply and rollback; a version counts when its latest row applied it.
	rows, err := pool.Query(ctx, `
		SELECT version_id FROM (
			SELECT DISTINCT ON (version_id) version_id, is_applied FROM goose_db_version ORDER BY version_id, id DESC
		) v WHERE is_applied`)
	if err != nil {
		return fmt.Errorf("db: schema check: %w", err)
	}
	var applied []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("db: schema check: %w", err)
		}
		applied = append(applied, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("db: schema check: %w", err)
	}
	var missing []string
	for _, v := range want {
		if !slices.Contains(applied, v) {
			missing = append(missing, fmt.Sprintf("%05d", v))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("db: migration(s) %s not applied: %w", strings.Join(missing, ", "), ErrNotMigrated)
	}
	return nil
}

// embeddedVersions are the version numbers of the embedded migration files (00001_x.sql -> 1).
func embeddedVersions() ([]int64, error) {
	names, err := fs.Glob(MigrationsFS(), "*.sql")
	if err != nil {
		return nil, fmt.Errorf("db: migrations: %w", err)
	}
	var out []int64
	for _, n := range names {
		num, _, ok := strings.Cut(n, "_")
		if !ok {
			continue
		}
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, v)
	}
	return out, nil
}

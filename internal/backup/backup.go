// Package backup writes and restores fairdraw's database backups: pg_dump custom-format files,
// each with a SHA-256 checksum file beside it, kept by a retention policy.
//
// A backup is fairdraw-YYYYMMDDTHHMMSSZ.dump plus fairdraw-YYYYMMDDTHHMMSSZ.dump.sha256 in the
// format of sha256sum (so `sha256sum -c` checks it by hand). The dump is written under a
// temporary name, read back with pg_restore --list, synced, and only then renamed, so a file with
// the final name is always a whole, readable dump. Restore refuses a file whose checksum does not
// match and a database that is not empty: a restore never mixes two histories of money.
package backup

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrChecksum is returned by Restore and Verify when a dump does not match its checksum file.
var ErrChecksum = errors.New("backup: checksum mismatch")

// ErrNotEmpty is returned by Restore when the target database already has tables.
var ErrNotEmpty = errors.New("backup: target database is not empty")

const (
	filePrefix = "fairdraw-"
	fileSuffix = ".dump"
	sumSuffix  = ".sha256"
	stampFmt   = "20060102T150405Z"
)

var nameRE = regexp.MustCompile(`^fairdraw-(\d{8}T\d{6}Z)\.dump$`)

// Tools names the PostgreSQL client programs; empty fields mean "pg_dump" and "pg_restore" on PATH.
type Tools struct {
	PGDump    string
	PGRestore string
}

func (t Tools) dump() string    { return cmpOr(t.PGDump, "pg_dump") }
func (t Tools) restore() string { return cmpOr(t.PGRestore, "pg_restore") }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// File is one written backup.
type File struct {
	Path   string // the .dump file
	SHA256 string // hex
	Size   int64
	Taken  time.Time
}

// Dump runs pg_dump on databaseURL into dir (created if missing) and returns the new file.
// now names the file (UTC, to the second); a file of that name already there is an error, never
// overwritten.
func Dump(ctx context.Context, tools Tools, databaseURL, dir string, now time.Time) (File, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return File{}, fmt.Errorf("backup: %w", err)
	}
	taken := now.UTC().Truncate(time.Second)
	name := filePrefix + taken.Format(stampFmt) + fileSuffix
	final := filepath.Join(dir, name)
	if _, err := os.Stat(final); err == nil {
		return File{}, fmt.Errorf("backup: %s already exists", final)
	}
	tmp := final + ".partial"
	defer os.Remove(tmp) // after a successful rename this is a no-op

	conn, env, err := libpqTarget(databaseURL)
	if err != nil {
		return File{}, err
	}
	// --no-owner/--no-privileges keep the file restorable by any role; the data is what matters.
	cmd := exec.CommandContext(ctx, tools.dump(), "--format=custom", "--no-owner", "--no-privileges",
		"--file="+tmp, "--dbname="+conn)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return File{}, fmt.Errorf("backup: pg_dump: %w: %s", err, strings.TrimSpace(string(out)))
	}
	// Read the archive's table of contents back: a truncated or corrupt file fails here.
	list := exec.CommandContext(ctx, tools.restore(), "--list", tmp)
	if out, err := list.CombinedOutput(); err != nil {
		return File{}, fmt.Errorf("backup: the new dump does not read back: %w: %s", err, strings.TrimSpace(string(out)))
	}
	sum, size, err := hashAndSync(tmp)
	if err != nil {
		return File{}, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return File{}, fmt.Errorf("backup: %w", err)
	}
	if err := writeFileSync(final+sumSuffix, []byte(sum+"  "+name+"\n")); err != nil {
		return File{}, err
	}
	if err := syncDir(dir); err != nil {
		return File{}, err
	}
	return File{Path: final, SHA256: sum, Size: size, Taken: taken}, nil
}

// Verify checks path against path.sha256 and returns the checksum.
func Verify(path string) (string, error) {
	raw, err := os.ReadFile(path + sumSuffix)
	if err != nil {
		return "", fmt.Errorf("backup: checksum file: %w", err)
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return "", fmt.Errorf("backup: checksum file %s is empty", path+sumSuffix)
	}
	got, _, err := hashFile(path)
	if err != nil {
		return "", err
	}
	if !strings.EqualFold(fields[0], got) {
		return "", fmt.Errorf("%w: %s has %s, %s says %s", ErrChecksum, filepath.Base(path), got, filepath.Base(path)+sumSuffix, fields[0])
	}
	return got, nil
}

// RestoreOptions tune Restore.
type RestoreOptions struct {
	// SkipChecksum restores a file that has no .sha256 beside it (a dump taken by hand).
	// A checksum file that is present is always checked.
	SkipChecksum bool
}

// Restore loads the dump at path into the empty database at databaseURL in one transaction:
// either everything is restored or nothing is. The caller runs the ledger check afterwards.
func Restore(ctx context.Context, tools Tools, databaseURL, path string, o RestoreOptions) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := os.Stat(path + sumSuffix); err == nil || !o.SkipChecksum {
		if _, err := Verify(path); err != nil {
			return err
		}
	}
	if err := requireEmpty(ctx, databaseURL); err != nil {
		return err
	}
	conn, env, err := libpqTarget(databaseURL)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, tools.restore(), "--exit-on-error", "--single-transaction", "--no-owner",
		"--no-privileges", "--dbname="+conn, path)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("backup: pg_restore: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// requireEmpty fails unless the database has no tables, views or sequences of its own.
func requireEmpty(ctx context.Context, databaseURL string) error {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("backup: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var n int
	var names []string
	err = conn.QueryRow(ctx, `
		SELECT count(*), coalesce((array_agg(n.nspname || '.' || c.relname ORDER BY c.relname))[1:3], '{}')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%'
		  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')`).Scan(&n, &names)
	if err != nil {
		return fmt.Errorf("backup: inspect target: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%w: it has %d relation(s) (%s, ...); create a new empty database and point DATABASE_URL at it",
			ErrNotEmpty, n, strings.Join(names, ", "))
	}
	return nil
}

// Policy is how many backups are kept. Every backup younger than Recent is kept; of older ones,
// the newest of each UTC day is kept for Days days after that; the rest are deleted.
type Policy struct {
	Recent time.Duration
	Days   int
}

// DefaultPolicy: the last two days in full (4 a day at the 6-hourly schedule), then one a day
// for 14 days.
var DefaultPolicy = Policy{Recent: 48 * time.Hour, Days: 14}

// Prune deletes the backups in dir that policy does not keep and returns their paths. Only files
// named like fairdraw backups are considered; partial files older than a day (a dump killed
// mid-way) are removed too. The newest backup is never deleted, however old.
func Prune(dir string, now time.Time, p Policy) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("backup: prune: %w", err)
	}
	type dump struct {
		name  string
		taken time.Time
	}
	var dumps []dump
	var removed []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		if strings.HasPrefix(name, filePrefix) && strings.HasSuffix(name, ".partial") {
			if info, err := e.Info(); err == nil && now.Sub(info.ModTime()) > 24*time.Hour {
				if err := os.Remove(filepath.Join(dir, name)); err == nil {
					removed = append(removed, filepath.Join(dir, name))
				}
			}
			continue
		}
		m := nameRE.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		taken, err := time.Parse(stampFmt, m[1])
		if err != nil {
			continue
		}
		dumps = append(dumps, dump{name, taken})
	}
	// Newest first: the first one seen of each day is that day's keeper.
	slices.SortFunc(dumps, func(a, b dump) int { return b.taken.Compare(a.taken) })
	now = now.UTC()
	dailyFrom := now.Add(-p.Recent)
	oldestDay := dailyFrom.AddDate(0, 0, -p.Days)
	seenDay := map[string]bool{}
	for i, d := range dumps {
		// A day that has a recent backup needs no older one of the same day.
		day := d.taken.Format("2006-01-02")
		keep := i == 0 || !d.taken.Before(dailyFrom) || (d.taken.After(oldestDay) && !seenDay[day])
		seenDay[day] = true
		if keep {
			continue
		}
		for _, f := range []string{d.name, d.name + sumSuffix} {
			path := filepath.Join(dir, f)
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return removed, fmt.Errorf("backup: prune: %w", err)
			}
		}
		removed = append(removed, filepath.Join(dir, d.name))
	}
	return removed, nil
}

// libpqTarget turns a pgx DATABASE_URL into a connection string libpq's tools accept, without the
// password (returned as PGPASSWORD, so it never shows in the process list) and without pgx's own
// parameters (pool_max_conns and the like), which libpq rejects.
func libpqTarget(databaseURL string) (string, []string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, errors.New("backup: DATABASE_URL is not a postgres URL")
	}
	var env []string
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	q := u.Query()
	for k := range q {
		switch {
		case strings.HasPrefix(k, "pool_"), k == "statement_cache_capacity", k == "description_cache_capacity",
			k == "default_query_exec_mode", k == "prefer_simple_protocol":
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), env, nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return "", 0, fmt.Errorf("backup: read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func hashAndSync(path string) (string, int64, error) {
	sum, n, err := hashFile(path)
	if err != nil {
		return "", 0, err
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return "", 0, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return "", 0, fmt.Errorf("backup: sync: %w", err)
	}
	return sum, n, nil
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := io.Copy(f, bytes.NewReader(data)); err != nil {
		f.Close()
		return fmt.Errorf("backup: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("backup: sync %s: %w", path, err)
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("backup: sync %s: %w", dir, err)
	}
	return nil
}

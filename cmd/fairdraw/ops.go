package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/fairdraw/fairdraw/internal/backup"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/ledger"
)

// backup writes one checksummed dump and applies the retention policy. The compose backup
// service runs it every 6 hours; run by hand it is the same.
func (e *env) backup(ctx context.Context, args []string) error {
	fs := e.flags("backup")
	dir := fs.String("dir", "backups", "folder the dumps are written to")
	recent := fs.Duration("keep-recent", backup.DefaultPolicy.Recent, "keep every backup younger than this")
	days := fs.Int("keep-days", backup.DefaultPolicy.Days, "after that, keep the newest backup of each day for this many days")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: backup takes no arguments, got %q", errUsage, fs.Args())
	}
	if *recent < 0 || *days < 0 {
		return fmt.Errorf("%w: backup: --keep-recent and --keep-days must not be negative", errUsage)
	}
	if err := e.cfg.RequireDatabase(); err != nil {
		return err
	}
	f, err := backup.Dump(ctx, backup.Tools{}, e.cfg.DatabaseURL, *dir, time.Now())
	if err != nil {
		return err
	}
	e.logger.Info("backup written", slog.String("file", f.Path), slog.Int64("bytes", f.Size), slog.String("sha256", f.SHA256))
	fmt.Fprintf(e.stdout, "%s  %s\n", f.SHA256, f.Path)
	removed, err := backup.Prune(*dir, time.Now(), backup.Policy{Recent: *recent, Days: *days})
	for _, r := range removed {
		e.logger.Info("old backup removed", slog.String("file", r))
	}
	return err
}

// restore loads a backup into the empty database at DATABASE_URL, brings its schema up to this
// binary's, and runs the ledger check: exit 0 only when the restored money adds up.
func (e *env) restore(ctx context.Context, args []string) error {
	fs := e.flags("restore")
	skip := fs.Bool("skip-checksum", false, "restore a dump that has no .sha256 file beside it (taken by hand)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: restore takes one backup file", errUsage)
	}
	if err := e.cfg.RequireDatabase(); err != nil {
		return err
	}
	file := fs.Arg(0)
	if err := backup.Restore(ctx, backup.Tools{}, e.cfg.DatabaseURL, file, backup.RestoreOptions{SkipChecksum: *skip}); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "restore: %s loaded\n", file)
	pool, err := e.openRawDB(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	// A dump taken by an older fairdraw gets this binary's migrations, as serve would apply them.
	if err := db.Migrate(ctx, pool, e.logger); err != nil {
		return err
	}
	problems, err := ledger.Check(ctx, pool)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		fmt.Fprintf(e.stderr, "ledger check: %d problem(s):\n", len(problems))
		for _, p := range problems {
			fmt.Fprintf(e.stderr, "  %s\n", p)
		}
		return errFailed
	}
	fmt.Fprintln(e.stdout, "ledger check: ok")
	return nil
}

func versionLine() string {
	line := fmt.Sprintf("fairdraw %s %s %s/%s", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return line
	}
	var rev, at, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+modified"
			}
		}
	}
	if rev != "" {
		line += fmt.Sprintf(" commit %s%s", rev, modified)
	}
	if at != "" {
		line += " " + at
	}
	return line
}

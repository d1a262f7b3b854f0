package backup

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestPruneKeepsTheSchedule: 6-hourly backups over 20 days; the last 48 hours stay in full,
// then the newest of each day for 14 days, and nothing else. Files that are not backups stay.
func TestPruneKeepsTheSchedule(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	var all []string
	for at := now.AddDate(0, 0, -20); !at.After(now); at = at.Add(6 * time.Hour) {
		name := "fairdraw-" + at.Format(stampFmt) + ".dump"
		all = append(all, name)
		for _, f := range []string{name, name + ".sha256"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, f := range []string{"notes.txt", "fairdraw-latest.dump"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Prune(dir, now, DefaultPolicy); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*"))
	var dumps []string
	for _, p := range left {
		name := filepath.Base(p)
		if nameRE.MatchString(name) {
			dumps = append(dumps, name)
			if _, err := os.Stat(p + ".sha256"); err != nil {
				t.Errorf("%s kept without its checksum", name)
			}
		} else if strings.HasSuffix(name, ".dump.sha256") && nameRE.MatchString(strings.TrimSuffix(name, ".sha256")) {
			if _, err := os.Stat(strings.TrimSuffix(p, ".sha256")); err != nil {
				t.Errorf("checksum %s left without its dump", name)
			}
		}
	}
	var want []string
	for _, name := range all {
		at, _ := time.Parse(stampFmt, strings.TrimSuffix(strings.TrimPrefix(name, "fairdraw-"), ".dump"))
		switch {
		case !at.Before(now.Add(-48 * time.Hour)):
			want = append(want, name) // recent: all of them
		case at.After(now.Add(-48*time.Hour).AddDate(0, 0, -14)) && at.Hour() == 21:
			want = append(want, name) // daily: the day's newest (the series runs 03, 09, 15, 21)
		}
	}
	slices.Sort(dumps)
	if diff := cmp.Diff(want, dumps); diff != "" {
		t.Fatalf("kept (-want +got):\n%s", diff)
	}
	for _, f := range []string{"notes.txt", "fairdraw-latest.dump"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s was not a backup and must stay: %v", f, err)
		}
	}
}

// TestPruneNeverDeletesTheLastBackup: a server that stopped backing up a month ago still has its
// newest backup.
func TestPruneNeverDeletesTheLastBackup(t *testing.T) {
	dir := t.TempDir()
	now := time.Date(2026, 12, 4, 15, 0, 0, 0, time.UTC)
	name := "fairdraw-" + now.AddDate(0, -1, 0).Format(stampFmt) + ".dump"
	if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	removed, err := Prune(dir, now, DefaultPolicy)
	if err != nil || len(removed) != 0 {
		t.Fatalf("removed %v, %v", removed, err)
	}
}

func TestLibpqTarget(t *testing.T) {
	for _, tc := range []struct {
		name, in, conn string
		env            []string
	}{
		{"plain", "postgres://u@h:5432/db", "postgres://u@h:5432/db", nil},
		{"password moves to the environment", "postgres://u:s3cret@h/db?sslmode=disable", "postgres://u@h/db?sslmode=disable", []string{"PGPASSWORD=s3cret"}},
		{"pgx parameters dropped", "postgresql://u@h/db?pool_max_conns=5&sslmode=require", "postgresql://u@h/db?sslmode=require", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, env, err := libpqTarget(tc.in)
			if err != nil || conn != tc.conn || !cmp.Equal(env, tc.env) {
				t.Fatalf("got %q %v %v", conn, env, err)
			}
		})
	}
	if _, _, err := libpqTarget("mysql://x"); err == nil {
		t.Fatal("a mysql URL was accepted")
	}
}

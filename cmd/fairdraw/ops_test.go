package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fairdraw/fairdraw/internal/config"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
)

// TestVersionNeedsNoConfiguration: `fairdraw version` answers even with a broken environment.
func TestVersionNeedsNoConfiguration(t *testing.T) {
	code, out, errOut := runCmd(t, t.Context(), map[string]string{"DATABASE_URL": "mysql://x"}, "version")
	if code != 0 || !strings.HasPrefix(out, "fairdraw dev go1.") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
	}
}

// TestCommandsOnAnUnmigratedDatabase: every command that reads data says to run
// `fairdraw migrate` instead of failing on a missing relation; migrate then fixes it.
func TestCommandsOnAnUnmigratedDatabase(t *testing.T) {
	env := map[string]string{"DATABASE_URL": dbtest.NewEmptyDB(t)}
	for _, args := range [][]string{
		{"ledger", "check"}, {"raffle", "list"}, {"raffle", "show", "1"}, {"raffle", "cancel", "1"},
		{"raffle", "create", "--currency", "XTR", "--fee", "10", "--min", "2", "--source", "drand"}, {"proof", "1"}, {"audit", "--since", "1h"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, _, errOut := runCmd(t, t.Context(), env, args...)
			if code != exitFail || !strings.Contains(errOut, "run `fairdraw migrate` first") || strings.Contains(errOut, "does not exist") {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
		})
	}
	if code, _, errOut := runCmd(t, t.Context(), env, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	if code, out, errOut := runCmd(t, t.Context(), env, "raffle", "list"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("after migrate: %d %q %q", code, out, errOut)
	}
}

// TestBackupAndRestoreCommands: backup writes a dump and its checksum; restore loads it into an
// empty database and runs the ledger check; bad uses get a clear answer.
func TestBackupAndRestoreCommands(t *testing.T) {
	_, url := dbtest.NewDBWithURL(t)
	env := map[string]string{"DATABASE_URL": url}
	if code, _, errOut := runCmd(t, t.Context(), env, "raffle", "create", "--currency", "XTR", "--fee", "10", "--min", "2", "--source", "drand", "--title", "Копия"); code != 0 {
		t.Fatalf("raffle create: %s", errOut)
	}
	dir := t.TempDir()
	code, out, errOut := runCmd(t, t.Context(), env, "backup", "--dir", dir)
	if code != 0 {
		t.Fatalf("backup: %d %s", code, errOut)
	}
	fields := strings.Fields(out)
	if len(fields) != 2 || len(fields[0]) != 64 {
		t.Fatalf("backup printed %q", out)
	}
	file := fields[1]
	sum, err := os.ReadFile(file + ".sha256")
	if err != nil || !strings.HasPrefix(string(sum), fields[0]+"  "+filepath.Base(file)) {
		t.Fatalf("checksum file %q %v", sum, err)
	}

	target := map[string]string{"DATABASE_URL": dbtest.NewEmptyDB(t)}
	code, out, errOut = runCmd(t, t.Context(), target, "restore", file)
	if code != 0 || !strings.Contains(out, "ledger check: ok") {
		t.Fatalf("restore: %d %q %q", code, out, errOut)
	}
	if code, out, _ := runCmd(t, t.Context(), target, "raffle", "list"); code != 0 || !strings.Contains(out, "Копия") {
		t.Fatalf("restored draws: %q", out)
	}
	// Again into the same, now full, database: refused, nothing touched.
	code, _, errOut = runCmd(t, t.Context(), target, "restore", file)
	if code != exitFail || !strings.Contains(errOut, "not empty") {
		t.Fatalf("restore over data: %d %q", code, errOut)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"restore without a file", []string{"restore"}},
		{"restore with two files", []string{"restore", file, file}},
		{"backup with an argument", []string{"backup", "extra"}},
		{"backup with a negative retention", []string{"backup", "--keep-days", "-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, _, errOut := runCmd(t, t.Context(), env, tc.args...); code != exitUsage {
				t.Fatalf("exit %d %q", code, errOut)
			}
		})
	}
	code, _, errOut = runCmd(t, t.Context(), target, "restore", filepath.Join(dir, "missing.dump"))
	if code != exitFail || !strings.Contains(errOut, "no such file") {
		t.Fatalf("missing file: %d %q", code, errOut)
	}
}

// TestMetricsOnTheirOwnAddress: with METRICS_ADDR, /metrics is served there and not beside the
// public pages.
func TestMetricsOnTheirOwnAddress(t *testing.T) {
	_, url := dbtest.NewDBWithURL(t)
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	env := map[string]string{
		"DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:6379", "HTTP_ADDR": addr, "METRICS_ADDR": metricsAddr,
		"BOT_TOKEN": "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "CURRENCIES": "XTR", "TELEGRAM_API_URL": "http://127.0.0.1:1",
	}
	startServe(t, env, io.Discard)
	for _, tc := range []struct {
		url  string
		code int
	}{{"http://" + metricsAddr + "/metrics", 200}, {"http://" + addr + "/metrics", 404}} {
		resp, err := http.Get(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || (tc.code == 200 && !strings.Contains(string(body), "fairdraw_")) {
			t.Fatalf("GET %s = %d", tc.url, resp.StatusCode)
		}
	}
}

// TestReceiptConfiguration: YOOKASSA_RECEIPTS, YOOKASSA_VAT_CODE and YOOKASSA_TAX_SYSTEM_CODE
// become the receipt of every ruble payment; bad values are refused by name.
func TestReceiptConfiguration(t *testing.T) {
	load := func(env map[string]string) (config.Config, error) {
		return config.Load(func(k string) string { return env[k] })
	}
	cfg, err := load(map[string]string{"YOOKASSA_RECEIPTS": "true", "YOOKASSA_VAT_CODE": "4", "YOOKASSA_TAX_SYSTEM_CODE": "2"})
	if err != nil {
		t.Fatal(err)
	}
	if r := receiptConfig(cfg); r == nil || r.VATCode != 4 || r.TaxSystemCode != 2 {
		t.Fatalf("receipt %+v", r)
	}
	if cfg, err := load(nil); err != nil || receiptConfig(cfg) != nil {
		t.Fatalf("receipts on by default: %v", err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"VAT code out of range", map[string]string{"YOOKASSA_VAT_CODE": "13"}, "YOOKASSA_VAT_CODE: not a YooKassa VAT code 1..12"},
		{"tax system out of range", map[string]string{"YOOKASSA_TAX_SYSTEM_CODE": "7"}, "YOOKASSA_TAX_SYSTEM_CODE: not a tax system code 1..6"},
		{"not a boolean", map[string]string{"YOOKASSA_RECEIPTS": "yes please"}, "YOOKASSA_RECEIPTS: not true or false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := load(tc.env); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// runCmd runs the binary's run function with env and returns exit code, stdout and stderr.
func runCmd(t testing.TB, ctx context.Context, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(ctx, args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"unknown command", []string{"frobnicate"}},
		{"bad flag", []string{"migrate", "--nope"}},
		{"ledger without check", []string{"ledger"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, t.Context(), nil, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, "usage: fairdraw") {
				t.Fatalf("exit %d, stderr %q; want 2 with usage", code, stderr)
			}
		})
	}
}

func TestBadConfigurationExit1(t *testing.T) {
	code, _, stderr := runCmd(t, t.Context(), map[string]string{"DATABASE_URL": "mysql://x"}, "migrate")
	if code != exitFail || !strings.Contains(stderr, "DATABASE_URL: not a postgres URL") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestConfigMasksSecrets(t *testing.T) {
	code, out, _ := runCmd(t, t.Context(), map[string]string{"BOT_TOKEN": "123:topsecret", "ADMIN_IDS": "42"}, "config")
	if code != 0 || strings.Contains(out, "topsecret") || !strings.Contains(out, "BOT_TOKEN=***") || !strings.Contains(out, "ADMIN_IDS=42") {
		t.Fatalf("exit %d, out:\n%s", code, out)
	}
}

func TestMigrateThenLedgerCheckOnEmptyDatabase(t *testing.T) {
	_, url := dbtest.NewDBWithURL(t)
	// A database cloned from the template is already migrated; migrate must be a no-op then.
	env := map[string]string{"DATABASE_URL": url}
	for _, args := range [][]string{{"migrate"}, {"migrate"}, {"ledger", "check"}} {
		code, out, stderr := runCmd(t, t.Context(), env, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, code, out, stderr)
		}
	}
}

func TestServeAnswersHealthAndShutsDown(t *testing.T) {
	_, url := dbtest.NewDBWithURL(t)
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string {
			return map[string]string{
				"DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:6379", "HTTP_ADDR": addr,
				"BOT_TOKEN": "123456:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "CURRENCIES": "XTR",
				"TELEGRAM_API_URL": "http://127.0.0.1:1", // never reached by health checks
			}[k]
		}, &bytes.Buffer{}, &stderr)
	}()
	base := "http://" + addr
	waitFor(t, base+"/healthz", done)
	for _, path := range []string{"/healthz", "/metrics"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
	}
	// Telegram cannot be reached, so no update can arrive: not ready, naming why.
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready map[string]string
	err = json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable || ready["telegram"] != "unavailable" || ready["postgres"] != "ok" || ready["redis"] != "ok" {
		t.Fatalf("GET /readyz = %d %v (%v), want 503 with telegram unavailable", resp.StatusCode, ready, err)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d: %s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
	if !strings.Contains(stderr.String(), `"msg":"stopped"`) {
		t.Fatalf("no clean stop in log:\n%s", stderr.String())
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitFor polls url until it answers, failing if the server exits first.
func waitFor(t testing.TB, url string, done <-chan int) {
	t.Helper()
	for range 300 {
		select {
		case code := <-done:
			t.Fatalf("serve exited early with %d", code)
		default:
		}
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal(fmt.Sprintf("%s never answered", url))
}

// startServe runs `fairdraw serve` in this process with env until the test ends (then stops it
// and waits up to 30 s), and returns once HTTP_ADDR answers /healthz. stderr gets its log.
func startServe(t testing.TB, env map[string]string, stderr io.Writer) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, io.Discard, stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
	})
	waitFor(t, "http://"+env["HTTP_ADDR"]+"/healthz", done)
}

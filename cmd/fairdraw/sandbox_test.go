package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/config"
	"github.com/fairdraw/fairdraw/internal/obs"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/sandbox"
)

// runningSandbox is a sandbox serving on a free port with a database and Redis prefix of this
// test's own.
type runningSandbox struct {
	base  string
	fakes *sandbox.Fakes
	// env runs other commands (ledger check, raffle show) against the sandbox's database.
	env map[string]string
	log *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startSandbox runs `fairdraw sandbox` as a person would, except for the names of its database
// and Redis prefix (so that tests run side by side), until the test ends.
func startSandbox(t *testing.T) *runningSandbox {
	t.Helper()
	suffix := fmt.Sprintf("%d", time.Now().UnixNano())
	name := "fairdraw_t_sandbox_" + suffix
	serverURL := "postgres://postgres@127.0.0.1:5432/postgres?pool_max_conns=12"
	env := map[string]string{
		"DATABASE_URL": serverURL, "REDIS_URL": "redis://127.0.0.1:6379", "HTTP_ADDR": freeAddr(t), "LOG_LEVEL": "warn",
		// A real token in the environment is ignored, and said to be.
		"BOT_TOKEN": "123456789:REAL-TOKEN-THAT-MUST-NOT-BE-USED",
	}
	logBuf := &syncBuffer{}
	ready := make(chan *runningSandbox, 1)
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	e := newTestEnv(t, env, logBuf)
	prefix := "fairdraw_t_sandbox_" + suffix + ":"
	go func() {
		done <- e.runSandbox(ctx, sandboxOptions{database: name, redisPrefix: prefix, reset: true,
			ready: func(f *sandbox.Fakes, base string) { ready <- &runningSandbox{base: base, fakes: f} }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sandbox: %v", err)
			}
		case <-time.After(40 * time.Second):
			t.Error("sandbox did not stop")
		}
		if _, err := sandbox.PrepareRedis(context.Background(), "", prefix, true); err != nil {
			t.Errorf("clean the test's Redis keys: %v", err)
		}
		conn, err := pgx.Connect(context.Background(), "postgres://postgres@127.0.0.1:5432/postgres")
		if err == nil {
			_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			_ = conn.Close(context.Background())
		}
		if t.Failed() {
			t.Logf("sandbox log:\n%s", logBuf.String())
		}
	})
	var sb *runningSandbox
	select {
	case sb = <-ready:
	case err := <-done:
		t.Fatalf("sandbox exited early: %v\n%s", err, logBuf.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("sandbox did not start\n%s", logBuf.String())
	}
	if !strings.Contains(logBuf.String(), "BOT_TOKEN") {
		t.Fatalf("the ignored BOT_TOKEN is not named in the log:\n%s", logBuf.String())
	}
	sb.log = logBuf
	u, _ := url.Parse(serverURL)
	u.Path = "/" + name
	sb.env = map[string]string{"DATABASE_URL": u.String(), "LOG_LEVEL": "warn"}
	return sb
}

// newTestEnv is what run builds for a command, from vars.
func newTestEnv(t *testing.T, vars map[string]string, stderr io.Writer) *env {
	t.Helper()
	getenv := func(k string) string { return vars[k] }
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	return &env{cfg: cfg, getenv: getenv, stdout: io.Discard, stderr: stderr, logger: obs.NewLogger(stderr, cfg.LogLevel)}
}

// post sends one chat action and decodes the answer.
func (sb *runningSandbox) post(t *testing.T, path string, body any) (int, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(sb.base+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", path, err)
	}
	return resp.StatusCode, out
}

func (sb *runningSandbox) draws(t *testing.T) []raffle.Draw {
	t.Helper()
	code, out, errOut := runCmd(t, t.Context(), sb.env, "raffle", "list")
	if code != 0 {
		t.Fatalf("raffle list: %s", errOut)
	}
	var list []raffle.Draw
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	return list
}

// drawOf is the sandbox's first draw in currency.
func (sb *runningSandbox) drawOf(t *testing.T, currency string) raffle.Draw {
	t.Helper()
	for _, d := range sb.draws(t) {
		if d.Currency == currency {
			return d
		}
	}
	t.Fatalf("the sandbox opened no %s draw", currency)
	return raffle.Draw{}
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

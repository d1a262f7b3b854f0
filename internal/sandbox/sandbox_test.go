package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestUnreachableServicesSayWhatToRun(t *testing.T) {
	addr := closedPort(t)
	_, pgErr := PrepareDatabase(t.Context(), "postgres://postgres@"+addr+"/postgres", "fairdraw_t_never", false)
	_, redisErr := PrepareRedis(t.Context(), "redis://"+addr, "fairdraw_t_never:", false)
	for _, tc := range []struct {
		name    string
		err     error
		service string
	}{{"postgres", pgErr, "PostgreSQL"}, {"redis", redisErr, "Redis"}} {
		t.Run(tc.name, func(t *testing.T) {
			ue, ok := errors.AsType[*UnreachableError](tc.err)
			if !ok {
				t.Fatalf("error %v is not an UnreachableError", tc.err)
			}
			msg := ue.Error()
			for _, want := range []string{tc.service + " is not reachable at " + addr, "pg_ctlcluster", "redis-server", "docker compose run --rm --service-ports fairdraw sandbox"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
		})
	}
}

func TestPrepareDatabaseCreatesAndResets(t *testing.T) {
	name := fmt.Sprintf("fairdraw_t_sandbox_prep_%d", time.Now().UnixNano())
	server := "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	t.Cleanup(func() { dropDatabase(name) })
	url, err := PrepareDatabase(t.Context(), server, name, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := "postgres://postgres@127.0.0.1:5432/" + name + "?sslmode=disable"; url != want {
		t.Fatalf("url %q, want %q", url, want)
	}
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(t.Context(), "CREATE TABLE kept (x int)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(t.Context())
	// Again without reset: the data stays.
	if _, err := PrepareDatabase(t.Context(), server, name, false); err != nil {
		t.Fatal(err)
	}
	if !tableExists(t, url, "kept") {
		t.Fatal("a second start lost the sandbox's data")
	}
	// --reset: a clean database, even with a connection open to it.
	open, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close(context.Background())
	if _, err := PrepareDatabase(t.Context(), server, name, true); err != nil {
		t.Fatal(err)
	}
	if tableExists(t, url, "kept") {
		t.Fatal("reset kept the old data")
	}
	if _, err := PrepareDatabase(t.Context(), "mysql://x", name, false); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("a non-postgres URL: %v", err)
	}
}

func tableExists(t *testing.T, url, table string) bool {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var ok bool
	if err := conn.QueryRow(t.Context(), "SELECT to_regclass($1) IS NOT NULL", table).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func dropDatabase(name string) {
	conn, err := pgx.Connect(context.Background(), LocalDatabaseURL)
	if err != nil {
		return
	}
	defer conn.Close(context.Background())
	_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

func TestPrepareRedisResetsOnlyItsPrefix(t *testing.T) {
	prefix := fmt.Sprintf("fairdraw_t_sandbox_%d:", time.Now().UnixNano())
	other := prefix[:len(prefix)-1] + "_other:"
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	defer rdb.Del(context.Background(), other+"k")
	for i := range 700 {
		rdb.Set(t.Context(), fmt.Sprintf("%sk%d", prefix, i), 1, time.Hour)
	}
	rdb.Set(t.Context(), other+"k", 1, time.Hour)
	if _, err := PrepareRedis(t.Context(), "", prefix, false); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.Exists(t.Context(), prefix+"k0").Result(); n != 1 {
		t.Fatal("a start without reset deleted keys")
	}
	if _, err := PrepareRedis(t.Context(), "", prefix, true); err != nil {
		t.Fatal(err)
	}
	if keys, _ := rdb.Keys(t.Context(), prefix+"*").Result(); len(keys) != 0 {
		t.Fatalf("%d keys left under the prefix", len(keys))
	}
	if n, _ := rdb.Exists(t.Context(), other+"k").Result(); n != 1 {
		t.Fatal("reset deleted another prefix's key")
	}
}

func TestBannerOnHTMLOnly(t *testing.T) {
	h := WithBanner(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Length", "40")
			io.WriteString(w, `<html><body class="x"><h1>Draw</h1></body></html>`)
		case "/sniffed":
			io.WriteString(w, `<!doctype html><p>no body tag`)
		case "/json":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTeapot)
			io.WriteString(w, `{"body":"<body>"}`)
		}
	}))
	for _, tc := range []struct {
		path, want string
		status     int
	}{
		{"/page", `<html><body class="x">` + bannerHTML + `<h1>Draw</h1></body></html>`, 200},
		{"/sniffed", bannerHTML + `<!doctype html><p>no body tag`, 200},
		{"/json", `{"body":"<body>"}`, http.StatusTeapot},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			if diff := cmp.Diff(tc.want, rec.Body.String()); diff != "" {
				t.Fatalf("body (-want +got):\n%s", diff)
			}
			if cl := rec.Header().Get("Content-Length"); cl != "" && cl != fmt.Sprint(rec.Body.Len()) {
				t.Fatalf("Content-Length %s for %d bytes", cl, rec.Body.Len())
			}
		})
	}
}

func TestSplitTextAsTelegramApps(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want []int
	}{
		{"short", "привет", []int{6}},
		{"exactly 4096", strings.Repeat("ж", 4096), []int{4096}},
		{"4097", strings.Repeat("ж", 4097), []int{4096, 1}},
		{"two and a bit", strings.Repeat("a", 9000), []int{4096, 4096, 808}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, p := range splitText(tc.in, maxMessageRunes) {
				got = append(got, len([]rune(p)))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestChatShowsInvoicesAndCheckoutLinks: the chat turns the stand-in YooKassa's payment page
// into the sandbox's own, and gives an invoice without a keyboard the Pay button apps show.
func TestChatShowsInvoicesAndCheckoutLinks(t *testing.T) {
	f, err := StartFakes("http://127.0.0.1:1", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	c := NewChat(ctx, f, slog.New(slog.DiscardHandler))
	defer c.Wait()
	ykPage := strings.TrimSuffix(f.YooKassa.URL(), "/v3") + "/checkout/payments/v2/contract?orderId=abc"
	data := "pay:xtr:1"
	m := telegramtest.Message{MessageID: 7, From: &telegramtest.User{ID: telegramtest.BotID, IsBot: true}, Date: 1,
		Invoice:     &telegramtest.Invoice{Title: "Участие", Description: "d", Currency: "XTR", TotalAmount: 10},
		ReplyMarkup: &telegramtest.InlineKeyboardMarkup{InlineKeyboard: [][]telegramtest.InlineKeyboardButton{{{Text: "YooKassa", URL: ykPage}, {Text: "again", CallbackData: &data}}, {{Text: "site", URL: "https://example.org/raffles/1"}}}},
	}
	got := c.view(m).Buttons
	want := [][]Button{
		{{Text: "Pay ⭐ 10", Pay: true}},
		{{Text: "YooKassa", URL: "/sandbox/checkout?orderId=abc"}, {Text: "again", Data: data}},
		{{Text: "site", URL: "https://example.org/raffles/1"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("buttons (-want +got):\n%s", diff)
	}
}

package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/fairness/drand"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// TestMain drops the shared test database and checks for leaked goroutines (dbtest.Main).
func TestMain(m *testing.M) { dbtest.Main(m) }

// fakeDraws stands in for raffle.Service: the public pages only read.
type fakeDraws struct {
	mu          sync.Mutex
	draws       map[int64]raffle.Draw
	proofs      map[int64]fairness.Proof
	proofCalls  int
	timeline    []raffle.TimelinePoint
	userEntries map[int64][]raffle.UserEntry
}

func (f *fakeDraws) Get(_ context.Context, id int64) (raffle.Draw, error) {
	d, ok := f.draws[id]
	if !ok {
		return raffle.Draw{}, raffle.ErrNotFound
	}
	return d, nil
}

func (f *fakeDraws) Proof(ctx context.Context, id int64) (fairness.Proof, error) {
	if _, err := f.Get(ctx, id); err != nil {
		return fairness.Proof{}, err
	}
	f.mu.Lock()
	f.proofCalls++
	f.mu.Unlock()
	p, ok := f.proofs[id]
	if !ok {
		return fairness.Proof{}, raffle.ErrNotDrawn
	}
	return p, nil
}

func (f *fakeDraws) OpenDraws(_ context.Context, limit int) ([]raffle.Draw, error) {
	var out []raffle.Draw
	for _, d := range f.draws {
		if d.Status == raffle.StatusOpen {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b raffle.Draw) int { return int(a.ID - b.ID) })
	return out[:min(limit, len(out))], nil
}

func (f *fakeDraws) FinishedPage(_ context.Context, page, size int) ([]raffle.Draw, int, error) {
	var out []raffle.Draw
	for _, d := range f.draws {
		if d.Status != raffle.StatusOpen && d.Status != raffle.StatusDraft {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b raffle.Draw) int { return int(b.ID - a.ID) })
	from := min((page-1)*size, len(out))
	return out[from:min(from+size, len(out))], len(out), nil
}

func (f *fakeDraws) Timeline(context.Context, int64, int) ([]raffle.TimelinePoint, error) {
	return f.timeline, nil
}

func (f *fakeDraws) UserEntries(_ context.Context, id int64) ([]raffle.UserEntry, error) {
	return f.userEntries[id], nil
}

// realBeacon is a real drand quicknet beacon from the project's test vectors.
func realBeacon(t testing.TB) drand.Beacon {
	t.Helper()
	var v struct {
		Quicknet struct {
			Beacons []struct {
				Round     uint64 `json:"round"`
				Signature string `json:"signature"`
			} `json:"beacons"`
		} `json:"quicknet"`
	}
	b, err := os.ReadFile("../fairness/drand/drandtest/testdata/beacons.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	last := v.Quicknet.Beacons[len(v.Quicknet.Beacons)-1]
	sig, err := hex.DecodeString(last.Signature)
	if err != nil {
		t.Fatal(err)
	}
	return drand.Beacon{Round: last.Round, Signature: sig, Randomness: drand.Randomness(sig)}
}

// codes returns n distinct well-formed entry codes.
func codes(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("C%03X-%04d", i/10000, i%10000)
	}
	return out
}

// drawnDraw returns a drawn draw with a real, valid drand proof over n entries.
func drawnDraw(t testing.TB, id int64, title string, n int) (raffle.Draw, fairness.Proof) {
	t.Helper()
	b := realBeacon(t)
	chain := drand.Quicknet()
	closed := chain.TimeOfRound(b.Round).Add(-time.Second)
	rules := fairness.DrawRules{ID: id, Title: title, Currency: "XTR", Fee: 10, Min: 2, Winners: 3, CommissionBP: 1000,
		CloseMode: fairness.CloseModeDeadline, Deadline: closed}
	p, err := fairness.NewDrandProof(rules, codes(n), closed, chain.Hash, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := fairness.VerifyProof(p, fairness.DefaultKeys()); err != nil {
		t.Fatalf("test proof does not verify: %v", err)
	}
	d := raffle.Draw{ID: id, Title: title, Status: raffle.StatusSettled, Currency: "XTR", Fee: 10, Min: 2, WinnersCount: 3,
		CommissionBP: 1000, Deadline: closed, CloseMode: raffle.ModeDeadline, Source: raffle.SourceDrand, Entries: n,
		Pool: 10 * int64(n), ListHash: p.ListHash, DrandRound: b.Round, ClosedAt: &closed}
	for i, w := range p.Winners {
		d.Winners = append(d.Winners, raffle.Winner{Position: i + 1, TelegramID: int64(100 + i), EntryCode: w.EntryCode, Prize: w.Prize})
	}
	return d, p
}

func newFake(t testing.TB) *fakeDraws {
	drawn, proof := drawnDraw(t, 3, "Лето", 40)
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	return &fakeDraws{
		draws: map[int64]raffle.Draw{
			3: drawn,
			7: {ID: 7, Title: "Весна <b>", Status: raffle.StatusOpen, Currency: "XTR", Fee: 10, Min: 2, WinnersCount: 1,
				CommissionBP: 500, Deadline: now.Add(50 * time.Hour), Entries: 4, Pool: 40, Source: raffle.SourceRandomOrg},
			8:  {ID: 8, Title: "<script>alert(1)</script>", Status: raffle.StatusOpen, Currency: "RUB", Fee: 10000, Min: 2, WinnersCount: 1, Deadline: now.Add(time.Hour)},
			9:  {ID: 9, Title: "draft", Status: raffle.StatusDraft},
			10: {ID: 10, Title: "Осень", Status: raffle.StatusRefunded, Currency: "XTR", Fee: 5, Min: 10, WinnersCount: 1, Deadline: now.Add(-time.Hour), Entries: 1, Pool: 5},
		},
		proofs:   map[int64]fairness.Proof{3: proof},
		timeline: []raffle.TimelinePoint{{At: now.Add(-2 * time.Hour), Entries: 1}, {At: now.Add(-time.Hour), Entries: 40}},
	}
}

var testNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func newTestHandler(t testing.TB, draws *fakeDraws) http.Handler {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector())
	pub := NewPublic(draws, logger, WithClock(func() time.Time { return testNow }), WithPublicURL("https://draws.example"),
		WithMiniApp(testBotToken, draws))
	return NewHandler(Deps{Logger: logger, Registry: reg, Public: pub,
		Ready: map[string]Pinger{"postgres": PingFunc(func(context.Context) error { return nil })}})
}

func get(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestRoutes(t *testing.T) {
	draws := newFake(t)
	h := newTestHandler(t, draws)
	down := errors.New("down")
	for _, tc := range []struct {
		name, path, lang string
		code             int
		contains         []string
		location         string
	}{
		{name: "health", path: "/healthz", code: 200, contains: []string{`"ok"`}},
		{name: "metrics are not public", path: "/metrics", code: 404},
		{name: "index in Russian by default", path: "/", code: 200, contains: []string{"Весна &lt;b&gt;", "Идёт приём участников", "Прошедшие розыгрыши", "Лето", `lang="ru"`}},
		{name: "index in English", path: "/", lang: "en-GB,en;q=0.9,ru;q=0.5", code: 200, contains: []string{"Taking entries", "Past draws", `lang="en"`, "Русский"}},
		{name: "Russian preferred over English", path: "/", lang: "ru-RU,ru;q=0.9,en;q=0.8", code: 200, contains: []string{"Идёт приём"}},
		{name: "open draw: fee, commission, prize now, countdown", path: "/", code: 200, contains: []string{"5%", "38 ⭐", "2 d 02:00:00", `data-deadline="2026-12-06T14:00:00Z"`}},
		{name: "draw page", path: "/raffles/3", code: 200, contains: []string{"Розыгрыш #3 «Лето»", "Сервер проверил доказательство", "verify-run", "entries-chart", `property="og:title"`, `href="https://draws.example/raffles/3"`}},
		{name: "script title is text", path: "/raffles/8", code: 200, contains: []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}},
		{name: "refunded draw has no proof", path: "/raffles/10", code: 200, contains: []string{"Доказательство появится"}},
		{name: "draft is not public", path: "/raffles/9", code: 404, contains: []string{"Такого розыгрыша нет"}},
		{name: "unknown draw", path: "/raffles/99", code: 404},
		{name: "bad id", path: "/raffles/abc", code: 404},
		{name: "zero id", path: "/raffles/0", code: 404},
		{name: "leading zero redirects", path: "/raffles/03", code: 301, location: "/raffles/3"},
		{name: "plus sign redirects", path: "/raffles/+3", code: 301, location: "/raffles/3"},
		{name: "proof of a non-canonical id redirects", path: "/raffles/003/proof.json", code: 301, location: "/raffles/3/proof.json"},
		{name: "no proof yet", path: "/raffles/7/proof.json", code: 404, contains: []string{"no result yet"}},
		{name: "proof", path: "/raffles/3/proof.json", code: 200, contains: []string{`"list_hash"`, `"drand"`}},
		{name: "rules", path: "/rules", code: 200, contains: []string{"Правила розыгрышей", "Random.org"}},
		{name: "verify page", path: "/verify", code: 200, contains: []string{"verify-file", "verifier-sha256", "/verifier.html"}},
		{name: "bad page number", path: "/?page=abc", code: 301, location: "/"},
		{name: "page past the end", path: "/?page=9", code: 302, location: "/?page=1"},
		{name: "live counters", path: "/live.json", code: 200, contains: []string{`"id":7`, `"entries":4`}},
		{name: "mini app page", path: "/app", code: 200, contains: []string{"app-labels", "app.js"}},
		{name: "unknown route", path: "/admin", code: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec *httptest.ResponseRecorder
			if tc.lang != "" {
				rec = get(t, h, tc.path, "Accept-Language", tc.lang)
			} else {
				rec = get(t, h, tc.path)
			}
			if rec.Code != tc.code {
				t.Fatalf("GET %s = %d, want %d: %s", tc.path, rec.Code, tc.code, rec.Body.String())
			}
			for _, s := range tc.contains {
				if !strings.Contains(rec.Body.String(), s) {
					t.Errorf("GET %s lacks %q:\n%s", tc.path, s, rec.Body.String())
				}
			}
			if tc.location != "" && rec.Header().Get("Location") != tc.location {
				t.Errorf("GET %s redirects to %q, want %q", tc.path, rec.Header().Get("Location"), tc.location)
			}
		})
	}
	t.Run("not ready", func(t *testing.T) {
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		h := NewHandler(Deps{Logger: logger, Ready: map[string]Pinger{"postgres": PingFunc(func(context.Context) error { return down })}})
		if rec := get(t, h, "/readyz"); rec.Code != 503 || !strings.Contains(rec.Body.String(), `"postgres":"unavailable"`) {
			t.Fatalf("readyz = %d %s", rec.Code, rec.Body.String())
		}
	})
}

func TestSecurityHeadersOnEveryPublicPage(t *testing.T) {
	h := newTestHandler(t, newFake(t))
	for _, path := range []string{"/", "/raffles/3", "/raffles/3/check?code=x", "/raffles/3/proof.json", "/rules", "/verify", "/verifier.html", "/live.json", "/app", "/static/site.css", "/raffles/99"} {
		rec := get(t, h, path)
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "'wasm-unsafe-eval'") ||
			!strings.Contains(csp, "frame-ancestors 'self' https://web.telegram.org") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, rec.Header())
		}
	}
	// Pages carry no inline script: every <script> either has a src or is a data block.
	for _, path := range []string{"/", "/raffles/3", "/verify", "/app"} {
		body := get(t, h, path).Body.String()
		for _, tag := range strings.Split(body, "<script")[1:] {
			tag = tag[:strings.Index(tag, ">")]
			if !strings.Contains(tag, "src=") && !strings.Contains(tag, `type="application/json"`) {
				t.Errorf("%s: inline script <script%s>", path, tag)
			}
		}
	}
}

func TestOfflineVerifierAllowsExactlyItsInlineScripts(t *testing.T) {
	h := newTestHandler(t, newFake(t))
	rec := get(t, h, "/verifier.html")
	body, csp := rec.Body.String(), rec.Header().Get("Content-Security-Policy")
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Disposition"), "fairdraw-verifier.html") {
		t.Fatalf("GET /verifier.html = %d %v", rec.Code, rec.Header())
	}
	n := 0
	for _, part := range strings.Split(body, "<script>")[1:] {
		script := part[:strings.Index(part, "</script>")]
		if !strings.Contains(csp, cspHash(script)) {
			t.Errorf("inline script of %d bytes is not allowed by the CSP %q", len(script), csp)
		}
		n++
	}
	style := body[strings.Index(body, "<style>")+len("<style>") : strings.Index(body, "</style>")]
	if !strings.Contains(csp, "style-src "+cspHash(style)) {
		t.Errorf("the inline style is not allowed by the CSP %q", csp)
	}
	if n != 2 || !strings.Contains(csp, "connect-src 'none'") {
		t.Fatalf("%d inline scripts, CSP %q", n, csp)
	}
}

func TestProofIsBuiltOnceAndServedWithStrongValidators(t *testing.T) {
	draws := newFake(t)
	h := newTestHandler(t, draws)
	first := get(t, h, "/raffles/3/proof.json")
	etag := first.Header().Get("ETag")
	if first.Code != 200 || !strings.HasPrefix(etag, `"`) || !strings.Contains(first.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("proof.json = %d %v", first.Code, first.Header())
	}
	want, _ := fairness.MarshalProof(draws.proofs[3])
	if first.Body.String() != string(want) {
		t.Fatal("proof.json is not MarshalProof's bytes")
	}
	again := get(t, h, "/raffles/3/proof.json", "If-None-Match", etag)
	if again.Code != http.StatusNotModified {
		t.Fatalf("revalidation = %d", again.Code)
	}
	get(t, h, "/raffles/3")
	page := get(t, h, "/raffles/3")
	if page.Header().Get("ETag") == "" || get(t, h, "/raffles/3", "If-None-Match", page.Header().Get("ETag")).Code != http.StatusNotModified {
		t.Fatalf("draw page has no working ETag: %v", page.Header())
	}
	if draws.proofCalls != 1 {
		t.Fatalf("proof assembled %d times, want once", draws.proofCalls)
	}
}

func TestStaticFilesGzippedAndVersioned(t *testing.T) {
	h := newTestHandler(t, newFake(t))
	assets, err := loadAssets()
	if err != nil {
		t.Fatal(err)
	}
	plain := get(t, h, assets.Wasm)
	if plain.Code != 200 || plain.Header().Get("Content-Type") != "application/wasm" ||
		!strings.Contains(plain.Header().Get("Cache-Control"), "immutable") || plain.Body.Len() != len(assets.files["verifier.wasm"].body) {
		t.Fatalf("verifier.wasm: %d %v %d bytes", plain.Code, plain.Header(), plain.Body.Len())
	}
	gz := get(t, h, assets.Wasm, "Accept-Encoding", "gzip, deflate, br")
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || gz.Header().Get("Content-Encoding") != "gzip" || !bytes.Equal(unzipped, plain.Body.Bytes()) || gz.Body.Len() >= plain.Body.Len()/2 {
		t.Fatalf("gzipped verifier: %v %v, %d bytes", err, gz.Header(), gz.Body.Len())
	}
	if gz.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Fatal("gzipped and plain bodies share an ETag")
	}
	if rec := get(t, h, "/static/site.css?v=stale"); strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("a stale version is cached for a year: %v", rec.Header())
	}
	if rec := get(t, h, "/static/nope.js"); rec.Code != 404 {
		t.Fatalf("unknown static file: %d", rec.Code)
	}
}

func TestLanguageSwitch(t *testing.T) {
	h := newTestHandler(t, newFake(t))
	rec := get(t, h, "/raffles/3?lang=en")
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/raffles/3" {
		t.Fatalf("switch = %d to %q", rec.Code, rec.Header().Get("Location"))
	}
	cookie := rec.Result().Cookies()[0]
	page := get(t, h, "/raffles/3", "Cookie", cookie.Name+"="+cookie.Value, "Accept-Language", "ru")
	if !strings.Contains(page.Body.String(), "Draw #3 “Лето”") || !strings.Contains(page.Body.String(), `href="/raffles/3?lang=ru"`) {
		t.Fatalf("after switching to English:\n%s", page.Body.String())
	}
}

func TestSelfCheck(t *testing.T) {
	draws := newFake(t)
	h := newTestHandler(t, draws)
	proof := draws.proofs[3]
	winner := proof.Winners[0]
	loser := ""
	for i, c := range proof.Entries {
		if !slices.ContainsFunc(proof.Winners, func(w fairness.Winner) bool { return w.Index == i }) {
			loser = c
			break
		}
	}
	for _, tc := range []struct {
		name, path string
		code       int
		want       string
	}{
		{"winner", "/raffles/3/check?code=" + winner.EntryCode, 200, fmt.Sprintf("под номером %d", winner.Index)},
		{"winner wins", "/raffles/3/check?code=" + winner.EntryCode, 200, "Этот код выиграл"},
		{"lower case without hyphen", "/raffles/3/check?code=" + url.QueryEscape(strings.ToLower(strings.ReplaceAll(loser, "-", ""))), 200, "Этот код не выиграл"},
		{"made-up code", "/raffles/3/check?code=ZZZZ-9999", 200, "Код ZZZZ-9999 не найден"},
		{"garbage", "/raffles/3/check?code=" + url.QueryEscape("<b>x</b>"), 200, "ABCD-1234"},
		{"open draw", "/raffles/7/check?code=ABCD-1234", 200, "фиксируется при закрытии"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.path)
			if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.want) {
				t.Fatalf("GET %s = %d, want %q in\n%s", tc.path, rec.Code, tc.want, rec.Body.String())
			}
		})
	}
	t.Run("visitors behind the operator's proxy are limited one by one", func(t *testing.T) {
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		proxy := yookassa.TrustedIPsFromPrefixes([]netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")})
		h := NewHandler(Deps{Logger: logger, Public: NewPublic(newFake(t), logger, WithTrustedProxies(proxy))})
		check := func(forwardedFor, remote string) int {
			req := httptest.NewRequest(http.MethodGet, "/raffles/3/check?code=ZZZZ-9999", nil)
			req.RemoteAddr = remote + ":4000"
			req.Header.Set("X-Forwarded-For", forwardedFor)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			return rec.Code
		}
		for range 20 {
			check("203.0.113.5", "10.0.0.1")
		}
		if check("203.0.113.5", "10.0.0.1") != http.StatusTooManyRequests || check("203.0.113.6", "10.0.0.1") != http.StatusOK {
			t.Fatal("forwarded visitors share one limit")
		}
		// From anyone but the proxy, X-Forwarded-For is ignored: it cannot dodge the limit.
		for range 20 {
			check("198.51.100.1", "192.0.2.9")
		}
		if check("198.51.100.2", "192.0.2.9") != http.StatusTooManyRequests {
			t.Fatal("a forged X-Forwarded-For escaped the limit")
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		h := newTestHandler(t, newFake(t))
		var last *httptest.ResponseRecorder
		for range 21 {
			last = get(t, h, "/raffles/3/check?code=ZZZZ-9999")
		}
		if last.Code != http.StatusTooManyRequests || !strings.Contains(last.Body.String(), "Слишком много проверок") {
			t.Fatalf("21st check = %d", last.Code)
		}
	})
}

func TestPanicIsAnInternalError(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := NewHandler(Deps{Logger: logger, TelegramWebhook: http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks/telegram", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("panic answered %d", rec.Code)
	}
}

func TestLRUKeepsItsBudget(t *testing.T) {
	c := newLRU[string](10)
	c.put(1, "a", 4)
	c.put(2, "b", 4)
	c.get(1) // 2 is now the least recently used
	c.put(3, "c", 4)
	if _, ok := c.get(2); ok {
		t.Fatal("least recently used value kept past the budget")
	}
	for _, id := range []int64{1, 3} {
		if _, ok := c.get(id); !ok {
			t.Fatalf("value %d dropped", id)
		}
	}
	c.put(4, "huge", 11)
	if _, ok := c.get(4); ok || c.total != 8 {
		t.Fatalf("a value over the whole budget was kept (total %d)", c.total)
	}
}

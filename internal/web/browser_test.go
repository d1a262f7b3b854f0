package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/fairness/drand/drandtest"
	"github.com/fairdraw/fairdraw/internal/fairness/verifier"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
)

// browser starts headless Chromium (Debian's chromium; .ci/run installs it) for one test.
func browser(t testing.TB) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("the browser tests need chromium (apt-get install chromium; .ci/run installs it): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// tab opens a new tab with Accept-Language lang and a deadline; a JavaScript dialog (alert)
// fails the test: no page may run injected script.
func tab(t *testing.T, browserCtx context.Context, lang string) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancel() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*cdppage.EventJavascriptDialogOpening); ok {
			t.Errorf("page opened a JavaScript dialog: %q", d.Message)
			go func() {
				_, _ = chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{Accept: false})
			}()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Accept-Language": lang}}); err != nil {
		t.Fatal(err)
	}
	return ctx
}

func run(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %.60s: %v", expr, err)
	}
	return v
}

// checks reads the verifier's outcome: the summary and each check's status by name.
func checks(t *testing.T, ctx context.Context) (valid, failed string, status map[string]string) {
	t.Helper()
	run(t, ctx, chromedp.WaitVisible(chromedp.CSS("#verify-result")))
	list := eval[[]map[string]string](t, ctx, `(() => { const r = document.getElementById("verify-result"); const f = document.getElementById("verify-failed");
			return [{valid: r.dataset.valid, failed: f ? f.dataset.check : ""}].concat(
			  [...document.querySelectorAll("#verify-checks li")].map(li => ({name: li.dataset.check, status: li.dataset.status}))) })()`)
	status = map[string]string{}
	for _, c := range list[1:] {
		status[c["name"]] = c["status"]
	}
	return list[0]["valid"], list[0]["failed"], status
}

func TestBrowser(t *testing.T) {
	draws := newFake(t)
	// Draws 20-23: the real proof of draw 3 with one thing changed, served as those draws' proofs.
	for id, change := range map[int64]func(*fairness.Proof){
		20: func(p *fairness.Proof) { p.Entries[5] = "ZZZZ-0005" },
		21: func(p *fairness.Proof) {
			for i, c := range p.Entries {
				if c != p.Winners[0].EntryCode && p.Winners[1].Index != i && p.Winners[2].Index != i {
					p.Winners[0].Index, p.Winners[0].EntryCode = i, c
					return
				}
			}
		},
		22: func(p *fairness.Proof) {
			s := []byte(p.Drand.Signature)
			s[20] = map[bool]byte{true: '0', false: '1'}[s[20] != '0']
			p.Drand.Signature = string(s)
		},
	} {
		d, p := drawnDraw(t, 3, "Лето", 40)
		change(&p)
		d.ID = id
		draws.draws[id], draws.proofs[id] = d, p
	}
	draws.userEntries = map[int64][]raffle.UserEntry{}
	srv := httptest.NewServer(newTestHandler(t, draws))
	defer srv.Close()
	bctx := browser(t)

	t.Run("a real drawn proof verifies in the page, every check passed", func(t *testing.T) {
		ctx := tab(t, bctx, "ru")
		run(t, ctx, chromedp.Navigate(srv.URL+"/raffles/3"), chromedp.Click(chromedp.CSS("#verify-run")))
		valid, _, status := checks(t, ctx)
		want := verifier.Names(fairness.KindProof, fairness.SourceDrand)
		if valid != "true" || len(status) != len(want) {
			t.Fatalf("valid=%s checks=%v", valid, status)
		}
		for _, name := range want {
			if status[name] != verifier.Pass {
				t.Errorf("check %s: %s", name, status[name])
			}
		}
	})

	t.Run("a proof drawn by the service on PostgreSQL verifies in the page", func(t *testing.T) {
		rt := raffletest.Setup(t, raffletest.Options{NoStart: true})
		beacons, err := drandtest.Recorded()
		if err != nil {
			t.Fatal(err)
		}
		target := beacons[len(beacons)-1]
		closeAt := rt.Drand.Chain().TimeOfRound(target.Round).Add(-time.Second)
		rt.Clock.Set(closeAt)
		d, err := rt.Svc.Create(t.Context(), raffle.Params{Title: "Зима", Currency: "XTR", Fee: 7, Min: 3, Winners: 2,
			CommissionBP: 500, Deadline: closeAt.Add(time.Hour), Source: raffle.SourceDrand}, "cli")
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			rt.Pay(t, d, int64(300+i), fmt.Sprintf("browser-%d", i))
		}
		if err := rt.Svc.ForceDraw(t.Context(), d.ID, "cli"); err != nil {
			t.Fatal(err)
		}
		rt.Clock.Set(rt.Drand.Chain().TimeOfRound(target.Round).Add(time.Second))
		rt.Start()
		rt.WaitStatus(t, d.ID, raffle.StatusSettled)
		rt.Stop()
		logger := slog.New(slog.NewTextHandler(io.Discard, nil))
		real := httptest.NewServer(NewHandler(Deps{Logger: logger, Public: NewPublic(rt.Svc, logger)}))
		defer real.Close()
		ctx := tab(t, bctx, "ru")
		run(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/raffles/%d", real.URL, d.ID)), chromedp.Click(chromedp.CSS("#verify-run")))
		valid, failed, status := checks(t, ctx)
		if valid != "true" || len(status) != len(verifier.Names(fairness.KindProof, fairness.SourceDrand)) {
			t.Fatalf("valid=%s failed=%s checks=%v", valid, failed, status)
		}
	})

	tampered := tab(t, bctx, "en")
	for _, tc := range []struct {
		name   string
		id     int64
		failed string
	}{
		{"a changed entry code fails the list hash", 20, fairness.CheckListHash},
		{"a changed winner fails the winners check", 21, fairness.CheckWinners},
		{"a changed signature byte fails the signature", 22, fairness.CheckSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tampered // one tab for the three: the compiled verifier stays in the browser's cache
			run(t, ctx, chromedp.Navigate(fmt.Sprintf("%s/raffles/%d", srv.URL, tc.id)), chromedp.Click(chromedp.CSS("#verify-run")))
			valid, failed, status := checks(t, ctx)
			if valid != "false" || failed != tc.failed || status[tc.failed] != verifier.Fail {
				t.Fatalf("valid=%s failed=%s checks=%v", valid, failed, status)
			}
			shown := text(t, ctx, "#verify-result")
			if !strings.Contains(shown, "NOT valid") || !strings.Contains(shown, tc.failed) {
				t.Fatalf("summary %q", shown)
			}
		})
	}

	t.Run("the browser verifier and fairdraw verify agree on every vector", func(t *testing.T) {
		ctx := tab(t, bctx, "en")
		run(t, ctx, chromedp.Navigate(srv.URL+"/verify"), chromedp.Click(chromedp.CSS("#verify-run")),
			chromedp.WaitVisible(chromedp.CSS("#verify-result"))) // no file chosen: loads the verifier, reports the error
		for _, v := range vectors(t, draws) {
			arg, _ := json.Marshal(string(v.data))
			got := eval[string](t, ctx, "fairdrawVerify("+string(arg)+")")
			var res verifier.Result
			if err := json.Unmarshal([]byte(got), &res); err != nil {
				t.Fatalf("%s: %v: %s", v.name, err, got)
			}
			rep, err := fairness.VerifyFile(v.data, fairness.DefaultKeys())
			if res.Valid != (err == nil) || res.Text != rep.String() {
				t.Errorf("%s: browser valid=%v text:\n%s\nfairdraw verify err=%v text:\n%s", v.name, res.Valid, res.Text, err, rep.String())
			}
			// Inside a JSON file a newline after the random object is white space, not part of the
			// signed value: that vector is about raw bytes and is checked in package randomorg.
			if res.Valid != v.valid && !strings.HasSuffix(v.name, "trailing_newline") {
				t.Errorf("%s: valid=%v, the vector says %v", v.name, res.Valid, v.valid)
			}
		}
	})

	t.Run("the offline file verifies a saved proof.json from disk", func(t *testing.T) {
		dir := t.TempDir()
		save := func(path, name string) string {
			rec := get(t, newTestHandler(t, draws), path)
			f := filepath.Join(dir, name)
			if err := os.WriteFile(f, rec.Body.Bytes(), 0o600); err != nil {
				t.Fatal(err)
			}
			return f
		}
		html, proof, bad := save("/verifier.html", "fairdraw-verifier.html"), save("/raffles/3/proof.json", "proof.json"), save("/raffles/22/proof.json", "bad.json")
		ctx := tab(t, bctx, "ru")
		run(t, ctx, chromedp.Navigate("file://"+html))
		for _, tc := range []struct{ file, valid string }{{proof, "true"}, {bad, "false"}} {
			// The same page checks one file after another: the verifier is loaded once.
			run(t, ctx, chromedp.SetUploadFiles(chromedp.CSS("#verify-file"), []string{tc.file}),
				chromedp.Click(chromedp.CSS("#verify-run")), chromedp.WaitVisible(chromedp.CSS(`#verify-result[data-valid="`+tc.valid+`"]`)))
			if valid, failed, _ := checks(t, ctx); valid != tc.valid {
				t.Fatalf("%s: valid=%s failed=%s: %s", tc.file, valid, failed, text(t, ctx, "#verify-output"))
			}
		}
	})

	t.Run("self-check finds a code and not a made-up one", func(t *testing.T) {
		ctx := tab(t, bctx, "ru")
		code := draws.proofs[3].Entries[7]
		run(t, ctx, chromedp.Navigate(srv.URL+"/raffles/3"),
			chromedp.SendKeys(chromedp.CSS(`input[name="code"]`), strings.ToLower(code)), chromedp.Submit(chromedp.CSS(`input[name="code"]`)),
			chromedp.WaitVisible(chromedp.CSS("#check-result")))
		found := text(t, ctx, "#check-result")
		run(t, ctx, chromedp.SetValue(chromedp.CSS(`input[name="code"]`), "QQQQ-7777"), chromedp.Submit(chromedp.CSS(`input[name="code"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#check-result.bad`)))
		missing := text(t, ctx, "#check-result")
		if !strings.Contains(found, code) || !strings.Contains(found, "под номером 7") {
			t.Errorf("found: %q", found)
		}
		if !strings.Contains(missing, "QQQQ-7777 не найден") {
			t.Errorf("made-up code: %q", missing)
		}
	})

	t.Run("the Mini App shows the signed user's draws and refuses a forged initData", func(t *testing.T) {
		draws.userEntries[42] = []raffle.UserEntry{{Draw: draws.draws[3], Code: draws.proofs[3].Entries[1], Prize: -1}}
		valid := signInitData(testBotToken, userFields(42, testNow.Add(-time.Minute)))
		forged := strings.Replace(valid, "%3A42%2C", "%3A43%2C", 1)
		ctx := tab(t, bctx, "ru")
		run(t, ctx, chromedp.Navigate(srv.URL+"/app#tgWebAppData="+url.QueryEscape(valid)+"&tgWebAppVersion=8.0"),
			chromedp.WaitVisible(chromedp.CSS(`#app-status[data-user="ok"]`)))
		shown := text(t, ctx, "#app-root")
		if !strings.Contains(shown, "Анна") || !strings.Contains(shown, draws.proofs[3].Entries[1]) || !strings.Contains(shown, "Лето") {
			t.Errorf("valid initData shows %q", shown)
		}
		ctx = tab(t, bctx, "ru")
		run(t, ctx, chromedp.Navigate(srv.URL+"/app#tgWebAppData="+url.QueryEscape(forged)),
			chromedp.WaitVisible(chromedp.CSS(`#app-status[data-refused="401"]`)))
		if shown := text(t, ctx, "#app-root"); strings.Contains(shown, draws.proofs[3].Entries[1]) || !strings.Contains(shown, "не прошли проверку") {
			t.Errorf("forged initData shows %q", shown)
		}
	})

	t.Run("the site in Russian and English", func(t *testing.T) {
		ctx := tab(t, bctx, "ru-RU,ru")
		run(t, ctx, chromedp.Navigate(srv.URL+"/"))
		ru := text(t, ctx, "h1")
		run(t, ctx, chromedp.Click(chromedp.CSS("#lang-switch")), chromedp.WaitReady(chromedp.CSS(`html[lang="en"]`)))
		en := text(t, ctx, "h1")
		if ru != "Розыгрыши призов" || en != "Prize draws" {
			t.Fatalf("ru %q, en %q", ru, en)
		}
		ctx = tab(t, bctx, "en-US,en;q=0.9")
		run(t, ctx, chromedp.Navigate(srv.URL+"/raffles/3"))
		if en = text(t, ctx, "h1"); en != "Draw #3 “Лето”" {
			t.Fatalf("English draw page: %q", en)
		}
	})

	t.Run("a draw titled <script> renders as text", func(t *testing.T) {
		ctx := tab(t, bctx, "ru")
		run(t, ctx, chromedp.Navigate(srv.URL+"/raffles/8"))
		if h1 := text(t, ctx, "h1"); !strings.Contains(h1, "<script>alert(1)</script>") {
			t.Fatalf("h1 %q", h1)
		}
		run(t, ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#open-draws")))
	})
}

type vector struct {
	name  string
	data  []byte
	valid bool
}

// vectors are every verifiable file in the project's testdata: the RANDOM.ORG signed results
// and drand beacons (bare, valid and not) and full proofs (valid and tampered).
func vectors(t *testing.T, draws *fakeDraws) []vector {
	t.Helper()
	var ro struct {
		Vectors []struct {
			Name          string `json:"name"`
			RandomRaw     string `json:"random_raw"`
			Signature     string `json:"signature_b64"`
			ExpectedValid bool   `json:"expected_valid"`
		} `json:"vectors"`
	}
	var dr struct {
		Quicknet struct {
			Beacons []struct {
				Round     uint64 `json:"round"`
				Signature string `json:"signature"`
			} `json:"beacons"`
		} `json:"quicknet"`
	}
	for path, v := range map[string]any{"../fairness/randomorg/testdata/signed-results.json": &ro, "../fairness/drand/drandtest/testdata/beacons.json": &dr} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	var out []vector
	for _, v := range ro.Vectors {
		out = append(out, vector{v.Name, []byte(`{"random":` + v.RandomRaw + `,"signature":"` + v.Signature + `"}`), v.ExpectedValid})
	}
	for _, b := range dr.Quicknet.Beacons {
		out = append(out, vector{fmt.Sprintf("drand round %d", b.Round), []byte(fmt.Sprintf(`{"round":%d,"signature":"%s"}`, b.Round, b.Signature)), true})
		out = append(out, vector{fmt.Sprintf("drand round %d as %d", b.Round, b.Round+1), []byte(fmt.Sprintf(`{"round":%d,"signature":"%s"}`, b.Round+1, b.Signature)), false})
	}
	for id, valid := range map[int64]bool{3: true, 20: false, 21: false, 22: false} {
		b, err := fairness.MarshalProof(draws.proofs[id])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, vector{fmt.Sprintf("proof of draw %d", id), b, valid})
	}
	// The selection-rule reference vector is no proof file: both verifiers must say so alike.
	sel, err := os.ReadFile("../fairness/testdata/selection-rule-example.json")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, vector{"selection-rule-example.json", sel, false})
	out = append(out, vector{"not JSON", []byte("{"), false}, vector{"empty object", []byte("{}"), false})
	return out
}

// BenchmarkBrowser measures the public site in headless Chromium on this machine: a draw
// page's first contentful paint and weight without the verifier (it is loaded only when
// asked for), the time from "check" to the verifier being ready (fetch, compile, start), and
// the time the verifier takes for a 100,000-entry proof.
// go test -run '^$' -bench BenchmarkBrowser -benchtime 5x ./internal/web
func BenchmarkBrowser(b *testing.B) {
	draws := newFake(b)
	d, p := drawnDraw(b, 50, "big", 100000)
	draws.draws[50], draws.proofs[50] = d, p
	srv := httptest.NewServer(newTestHandler(b, draws))
	defer srv.Close()
	bctx := browser(b)
	newTab := func(b *testing.B) context.Context {
		ctx, cancel := chromedp.NewContext(bctx)
		b.Cleanup(cancel)
		if err := chromedp.Do(ctx); err != nil {
			b.Fatal(err)
		}
		return ctx
	}
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("first-paint-draw-page", func(b *testing.B) {
		var fcp, bytes float64
		for range b.N {
			ctx := newTab(b)
			must(chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/raffles/3")))
			v, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`new Promise(r => setTimeout(() => {
				const p = performance.getEntriesByName("first-contentful-paint")[0];
				const n = performance.getEntriesByType("navigation")[0];
				const res = performance.getEntriesByType("resource").reduce((s, e) => s + e.encodedBodySize, 0);
				r([p ? p.startTime : -1, n.encodedBodySize + res]);
			}, 200))`, chromedp.EvalAwaitPromise))
			must(err)
			fcp, bytes = fcp+v[0], bytes+v[1]
		}
		b.ReportMetric(fcp/float64(b.N), "fcp-ms")
		b.ReportMetric(bytes/float64(b.N)/1024, "page-KiB")
	})
	b.Run("verifier-load", func(b *testing.B) {
		var ms float64
		for range b.N {
			ctx := newTab(b)
			must(chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/verify")))
			v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`new Promise((resolve, reject) => {
				const t0 = performance.now();
				document.getElementById("verify-run").click();
				const poll = () => typeof fairdrawVerify === "function" ? resolve(performance.now() - t0) : setTimeout(poll, 5);
				poll();
			})`, chromedp.EvalAwaitPromise))
			must(err)
			ms += v
		}
		b.ReportMetric(ms/float64(b.N), "ready-ms")
		b.ReportMetric(float64(len(newTestAssets(b).files["verifier.wasm"].body))/1e6, "wasm-MB")
	})
	b.Run("verify-100k-entries", func(b *testing.B) {
		ctx := newTab(b)
		must(chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/verify"), chromedp.Click(chromedp.CSS("#verify-run")),
			chromedp.WaitVisible(chromedp.CSS("#verify-result"))))
		_, err := chromedp.Run(ctx, chromedp.Evaluate[any](`fetch("/raffles/50/proof.json").then(r => r.text()).then(t => { window.bigProof = t; return t.length })`, chromedp.EvalAwaitPromise))
		must(err)
		b.ResetTimer()
		var ms float64
		for range b.N {
			v, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`(() => { const t0 = performance.now(); const r = JSON.parse(fairdrawVerify(window.bigProof)); return [performance.now() - t0, r.valid]; })()`))
			must(err)
			if v[1] != true {
				b.Fatalf("100k proof not valid in the browser: %v", v)
			}
			ms += v[0].(float64)
		}
		b.ReportMetric(ms/float64(b.N), "verify-ms")
	})
}

func newTestAssets(b *testing.B) *Assets {
	a, err := loadAssets()
	if err != nil {
		b.Fatal(err)
	}
	return a
}

package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

//go:embed templates/*.html
var templates embed.FS

// Draws is what the public pages read: bounded pages and one draw at a time, never the whole
// history.
type Draws interface {
	Get(ctx context.Context, id int64) (raffle.Draw, error)
	Proof(ctx context.Context, id int64) (fairness.Proof, error)
	OpenDraws(ctx context.Context, limit int) ([]raffle.Draw, error)
	FinishedPage(ctx context.Context, page, size int) ([]raffle.Draw, int, error)
	Timeline(ctx context.Context, id int64, buckets int) ([]raffle.TimelinePoint, error)
}

// Page sizes and bounds of the public site.
const (
	openLimit    = 50  // open draws listed on /
	finishedPage = 20  // past draws per page of /
	entriesPage  = 500 // entry codes per page of a draw
	chartBuckets = 48  // points of the entries-over-time chart
	// proofCacheEntries bounds the proofs kept in memory by their total entries (about 50 bytes
	// each: some 100 MB); timelineCacheSize is how many closed draws' charts are kept.
	proofCacheEntries = 2_000_000
	timelineCacheSize = 1024
)

// Public serves the public site: GET / (open and past draws), GET /raffles/{id} (a draw, its
// winners, chart, self-check and proof), GET /raffles/{id}/proof.json (the exact bytes
// `fairdraw verify` checks), GET /rules, GET /verify and GET /verifier.html (the browser
// verifier, online and as one offline file), GET /live.json (open draws' counters).
type Public struct {
	draws     Draws
	logger    *slog.Logger
	tmpl      *template.Template
	assets    *Assets
	proofs    *lru[*cachedProof]
	timelines *lru[[]raffle.TimelinePoint]
	checks    *rateLimiter
	now       func() time.Time
	publicURL string
	offline   *offlinePage
	miniApp   *miniApp
	proxies   yookassa.TrustedIPs
	keys      fairness.Keys // what the pages verify proofs with (WithKeys)
}

// PublicOption configures Public.
type PublicOption func(*Public)

// WithPublicURL sets the site's public base URL (PUBLIC_URL), used for canonical links and
// Open Graph tags; without it those are left out.
func WithPublicURL(u string) PublicOption {
	return func(p *Public) { p.publicURL = strings.TrimRight(u, "/") }
}

// WithTrustedProxies names the operator's reverse proxies (TRUSTED_PROXIES), whose
// X-Forwarded-For is believed when rate limiting per visitor.
func WithTrustedProxies(proxies yookassa.TrustedIPs) PublicOption {
	return func(p *Public) { p.proxies = proxies }
}

// WithClock injects the clock (countdowns, rate limits). Default time.Now.
func WithClock(now func() time.Time) PublicOption { return func(p *Public) { p.now = now } }

// NewPublic returns the public site. It panics only if the embedded templates or static
// files are broken, which the package's tests catch.
func NewPublic(draws Draws, logger *slog.Logger, opts ...PublicOption) *Public {
	assets, err := loadAssets()
	if err != nil {
		panic(err)
	}
	p := &Public{draws: draws, logger: logger, assets: assets, now: time.Now, proofs: newLRU[*cachedProof](proofCacheEntries),
		timelines: newLRU[[]raffle.TimelinePoint](timelineCacheSize), keys: fairness.DefaultKeys()}
	for _, o := range opts {
		o(p)
	}
	p.checks = newRateLimiter(p.now, 20, time.Minute, 10000)
	p.tmpl = template.Must(template.New("").Funcs(templateFuncs()).ParseFS(templates, "templates/*.html"))
	p.offline = newOfflinePage(assets, p.tmpl)
	return p
}

func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"t":      func(l, key string, args ...any) string { return i18n.T(l, key, args...) },
		"money":  func(l string, amount int64, cur string) string { return i18n.Money(l, amount, cur) },
		"when":   func(l string, t time.Time) string { return i18n.FormatTime(l, t) },
		"status": func(l, s string) string { return i18n.T(l, "status."+s) },
		"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"pct":    func(bp int) string { return strconv.FormatFloat(float64(bp)/100, 'f', -1, 64) },
		"deref":  func(p *int) int { return *p },
		"add":    func(a, b int) int { return a + b },
		"sub":    func(a, b int) int { return a - b },
		"pageURL": func(n int) string {
			if n <= 1 {
				return "/"
			}
			return "/?page=" + strconv.Itoa(n)
		},
		"sum": func(xs []int64) int64 {
			var s int64
			for _, x := range xs {
				s += x
			}
			return s
		},
		"left":     countdown,
		"prizeNow": prizeNow,
	}
}

// prizeNow is what the winners would share if the draw closed now: the pool less commission.
func prizeNow(l string, d raffle.Draw) string {
	pool, err := fairness.Pool(d.Fee, d.Entries)
	if err != nil {
		return "—"
	}
	commission, _, err := fairness.Split(pool, d.CommissionBP, max(d.WinnersCount, 1))
	if err != nil {
		return "—"
	}
	return i18n.Money(l, pool-commission, d.Currency)
}

// countdown renders the time left before deadline as [D d ]HH:MM:SS (site.js keeps it ticking).
func countdown(now, deadline time.Time) string {
	left := max(deadline.Sub(now), 0)
	s := int64(left / time.Second)
	d, h, m := s/86400, s%86400/3600, s%3600/60
	out := fmt.Sprintf("%02d:%02d:%02d", h, m, s%60)
	if d > 0 {
		out = strconv.FormatInt(d, 10) + " d " + out
	}
	return out
}

// page is what the layout needs; Body is the page's own data.
type page struct {
	L, Title, Desc, URL string
	OtherLang, LangHref string
	Assets              *Assets
	Body                any
}

func (p *Public) newPage(r *http.Request, l, title, desc string, body any) page {
	other := i18n.EN
	if l == i18n.EN {
		other = i18n.RU
	}
	q := r.URL.Query()
	q.Set("lang", other)
	pg := page{L: l, Title: title, Desc: desc, OtherLang: other, LangHref: r.URL.Path + "?" + q.Encode(), Assets: p.assets, Body: body}
	if p.publicURL != "" {
		pg.URL = p.publicURL + r.URL.Path
	}
	return pg
}

// Index serves GET /: the open draws and one page of past draws.
func (p *Public) Index(w http.ResponseWriter, r *http.Request) {
	l, ok := p.language(w, r)
	if !ok {
		return
	}
	pageNo := 1
	if s := r.URL.Query().Get("page"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || strconv.Itoa(n) != s {
			http.Redirect(w, r, "/", http.StatusMovedPermanently)
			return
		}
		pageNo = n
	}
	open, err := p.draws.OpenDraws(r.Context(), openLimit)
	if err != nil {
		p.fail(w, r, l, err)
		return
	}
	finished, total, err := p.draws.FinishedPage(r.Context(), pageNo, finishedPage)
	if err != nil {
		p.fail(w, r, l, err)
		return
	}
	pages := max((total+finishedPage-1)/finishedPage, 1)
	if pageNo > pages {
		http.Redirect(w, r, "/?page="+strconv.Itoa(pages), http.StatusFound)
		return
	}
	body := struct {
		Open, Finished []raffle.Draw
		Page, Pages    int
		Now            time.Time
	}{open, finished, pageNo, pages, p.now()}
	title := i18n.T(l, "web.site_title")
	p.render(w, r, http.StatusOK, "index.html", p.newPage(r, l, title, i18n.T(l, "web.footer"), body))
}

// drawID reads the {id} of a draw route. A number written another way (/raffles/01,
// /raffles/+1) is redirected to its one canonical URL; anything else is a 404.
func (p *Public) drawID(w http.ResponseWriter, r *http.Request, l string) (int64, bool) {
	raw := r.PathValue("id")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		p.notFound(w, r, l)
		return 0, false
	}
	if canon := strconv.FormatInt(id, 10); canon != raw {
		u := *r.URL
		u.Path = strings.Replace(r.URL.Path, "/raffles/"+raw, "/raffles/"+canon, 1)
		u.RawPath = ""
		http.Redirect(w, r, u.RequestURI(), http.StatusMovedPermanently)
		return 0, false
	}
	return id, true
}

// drawBody is the draw page's data.
type drawBody struct {
	Draw         raffle.Draw
	Proof        *fairness.Proof
	Verified     bool
	Chart        template.HTML
	Check        *checkResult
	Code         string
	Now          time.Time
	Verifier     verifierBox
	EntriesShown []string
	EntriesFrom  int
	EntriesTo    int
	EntriesMore  bool
	EntriesPrev  int
	EntriesNext  int
}

// verifierBox is the data of the "verifier" template.
type verifierBox struct {
	L         string
	Assets    *Assets
	ProofURL  string
	FileInput bool
	Labels    map[string]string
}

func (p *Public) verifierBox(l, proofURL string, fileInput bool) verifierBox {
	return verifierBox{L: l, Assets: p.assets, ProofURL: proofURL, FileInput: fileInput, Labels: verifierLabels(l)}
}

// verifierLabels are the texts verify.js shows, in l.
func verifierLabels(l string) map[string]string {
	m := map[string]string{
		"valid": i18n.T(l, "web.verify_valid"), "invalid": i18n.T(l, "web.verify_invalid"),
		"error": i18n.T(l, "web.verify_error"), "loading": i18n.T(l, "web.verify_loading"),
		"running": i18n.T(l, "web.verify_running"), "ms": i18n.T(l, "web.verify_time"),
		"no_file":     i18n.T(l, "web.verify_file"),
		"status.pass": i18n.T(l, "web.check_pass"), "status.fail": i18n.T(l, "web.check_fail"),
		"status.not_run": i18n.T(l, "web.check_not_run"),
	}
	for _, c := range []string{fairness.CheckFormat, fairness.CheckListHash, fairness.CheckSignature, fairness.CheckParams,
		fairness.CheckUserData, fairness.CheckTicket, fairness.CheckPregenerated, fairness.CheckHashedAPIKey,
		fairness.CheckVerificationURL, fairness.CheckRound, fairness.CheckWinners, fairness.CheckPrizes} {
		m["check."+c] = i18n.T(l, "web.check."+c)
	}
	return m
}

// Page serves GET /raffles/{id}.
func (p *Public) Page(w http.ResponseWriter, r *http.Request) { p.drawPage(w, r, false) }

// Check serves GET /raffles/{id}/check?code=...: the draw page with the entrant self-check
// answered (listed at position i, won or not). Rate limited per client address.
func (p *Public) Check(w http.ResponseWriter, r *http.Request) { p.drawPage(w, r, true) }

func (p *Public) drawPage(w http.ResponseWriter, r *http.Request, check bool) {
	l, ok := p.language(w, r)
	if !ok {
		return
	}
	id, ok := p.drawID(w, r, l)
	if !ok {
		return
	}
	d, err := p.draws.Get(r.Context(), id)
	if errors.Is(err, raffle.ErrNotFound) || (err == nil && d.Status == raffle.StatusDraft) {
		p.notFound(w, r, l)
		return
	}
	if err != nil {
		p.fail(w, r, l, err)
		return
	}
	body := drawBody{Draw: d, Now: p.now(), Verifier: p.verifierBox(l, "/raffles/"+strconv.FormatInt(id, 10)+"/proof.json", false)}
	var cp *cachedProof
	if hasProof(d.Status) {
		cp, err = p.proof(r.Context(), d)
		if err != nil && !errors.Is(err, raffle.ErrNotDrawn) {
			p.fail(w, r, l, err)
			return
		}
		if cp != nil {
			body.Proof, body.Verified = &cp.proof, cp.verified
			p.entriesPage(r, &body)
		}
	}
	if d.Entries > 0 {
		points, err := p.timeline(r.Context(), d)
		if err != nil {
			p.fail(w, r, l, err)
			return
		}
		body.Chart = chartSVG(l, points)
	}
	code := http.StatusOK
	if check {
		body.Code = r.URL.Query().Get("code")
		if !p.checks.Allow(p.clientIP(r)) {
			code = http.StatusTooManyRequests
			w.Header().Set("Retry-After", "60")
			body.Check = &checkResult{Class: "bad", Lines: []string{i18n.T(l, "web.selfcheck_limited")}}
		} else {
			body.Check = selfCheck(l, d, cp, body.Code)
		}
	}
	title := i18n.T(l, "web.draw_heading", "id", d.ID, "title", d.Title)
	desc := i18n.T(l, "web.og_done", "pool", i18n.Money(l, d.Pool, d.Currency), "winners", d.WinnersCount)
	if d.Status == raffle.StatusOpen {
		desc = i18n.T(l, "web.og_open", "fee", i18n.Money(l, d.Fee, d.Currency), "entries", d.Entries, "prize", prizeNow(l, d))
	}
	p.render(w, r, code, "draw.html", p.newPage(r, l, title, desc, body))
}

// hasProof reports whether a draw in status has (or is about to have) a proof.
func hasProof(status string) bool {
	return status == raffle.StatusDrawn || status == raffle.StatusSettled
}

func (p *Public) entriesPage(r *http.Request, b *drawBody) {
	entries := b.Proof.Entries
	from := 0
	if s := r.URL.Query().Get("entries"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(entries) {
			from = n - n%entriesPage
		}
	}
	to := min(from+entriesPage, len(entries))
	b.EntriesShown, b.EntriesFrom, b.EntriesTo = entries[from:to], from, max(to-1, 0)
	b.EntriesMore = len(entries) > entriesPage
	b.EntriesPrev = max(from-entriesPage, 0)
	if from == 0 {
		b.EntriesPrev = 0
	}
	b.EntriesNext = to
	if to >= len(entries) {
		b.EntriesNext = 0
	}
}

// ProofJSON serves GET /raffles/{id}/proof.json: the exact bytes `fairdraw verify` checks.
// A drawn draw's proof never changes, so it is built once and served with a strong ETag and
// immutable caching.
func (p *Public) ProofJSON(w http.ResponseWriter, r *http.Request) {
	l := p.lang(r)
	id, ok := p.drawID(w, r, l)
	if !ok {
		return
	}
	d, err := p.draws.Get(r.Context(), id)
	switch {
	case errors.Is(err, raffle.ErrNotFound) || (err == nil && d.Status == raffle.StatusDraft):
		http.NotFound(w, r)
		return
	case err != nil:
		p.logger.Error("proof json", slog.Int64("draw", id), slog.Any("error", err))
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	var cp *cachedProof
	if hasProof(d.Status) {
		cp, err = p.proof(r.Context(), d)
	}
	switch {
	case cp == nil && (err == nil || errors.Is(err, raffle.ErrNotDrawn)):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "this draw has no result yet"})
		return
	case err != nil:
		p.logger.Error("proof json", slog.Int64("draw", id), slog.Any("error", err))
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Disposition", "inline; filename=\"proof-"+strconv.FormatInt(id, 10)+".json\"")
	h.Set("ETag", cp.etag)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Access-Control-Allow-Origin", "*")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(cp.json))
}

// proof returns the cached proof of a drawn draw, building and re-verifying it on first use.
func (p *Public) proof(ctx context.Context, d raffle.Draw) (*cachedProof, error) {
	if cp, ok := p.proofs.get(d.ID); ok {
		return cp, nil
	}
	proof, err := p.draws.Proof(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	b, err := fairness.MarshalProof(proof)
	if err != nil {
		return nil, fmt.Errorf("web: proof %d: %w", d.ID, err)
	}
	sum := sha256.Sum256(b)
	cp := &cachedProof{proof: proof, json: b, etag: `"` + hex.EncodeToString(sum[:]) + `"`}
	if err := fairness.VerifyProof(proof, p.keys); err != nil {
		p.logger.Warn("published proof does not verify", slog.Int64("draw", d.ID), slog.Any("error", err))
	} else {
		cp.verified = true
	}
	p.proofs.put(d.ID, cp, len(proof.Entries))
	return cp, nil
}

// timeline returns a draw's entries over time; once entries are closed it cannot change and
// is kept.
func (p *Public) timeline(ctx context.Context, d raffle.Draw) ([]raffle.TimelinePoint, error) {
	if points, ok := p.timelines.get(d.ID); ok {
		return points, nil
	}
	points, err := p.draws.Timeline(ctx, d.ID, chartBuckets)
	if err != nil {
		return nil, err
	}
	if d.Status != raffle.StatusOpen && d.Status != raffle.StatusDraft {
		p.timelines.put(d.ID, points, 1)
	}
	return points, nil
}

// Rules serves GET /rules.
func (p *Public) Rules(w http.ResponseWriter, r *http.Request) {
	l, ok := p.language(w, r)
	if !ok {
		return
	}
	proofURL := p.publicURL + "/"
	if p.publicURL == "" {
		proofURL = "/"
	}
	var paras []string
	for _, s := range strings.Split(i18n.T(l, "rules.text", "proof_url", proofURL), "\n") {
		if s = strings.TrimSpace(s); s != "" {
			paras = append(paras, s)
		}
	}
	title := i18n.T(l, "web.rules_title")
	p.render(w, r, http.StatusOK, "rules.html", p.newPage(r, l, title, i18n.T(l, "web.footer"), struct{ Paragraphs []string }{paras}))
}

// Verify serves GET /verify: the browser verifier for a proof file of the visitor's.
func (p *Public) Verify(w http.ResponseWriter, r *http.Request) {
	l, ok := p.language(w, r)
	if !ok {
		return
	}
	title := i18n.T(l, "web.verify_title")
	body := struct{ Verifier verifierBox }{p.verifierBox(l, "", true)}
	p.render(w, r, http.StatusOK, "verify.html", p.newPage(r, l, title, i18n.T(l, "web.verify_intro"), body))
}

// Offline serves GET /verifier.html, the single-file offline verifier.
func (p *Public) Offline(w http.ResponseWriter, r *http.Request) {
	p.offline.ServeHTTP(w, r, p.lang(r))
}

// Live serves GET /live.json: entries and the prize now of every open draw, for site.js.
func (p *Public) Live(w http.ResponseWriter, r *http.Request) {
	l := p.lang(r)
	open, err := p.draws.OpenDraws(r.Context(), openLimit)
	if err != nil {
		p.logger.Error("live counters", slog.Any("error", err))
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	type item struct {
		ID      int64  `json:"id"`
		Entries int    `json:"entries"`
		Prize   string `json:"prize"`
	}
	out := struct {
		Draws []item `json:"draws"`
	}{Draws: []item{}}
	for _, d := range open {
		out.Draws = append(out.Draws, item{ID: d.ID, Entries: d.Entries, Prize: prizeNow(l, d)})
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Vary", "Accept-Language, Cookie")
	writeJSON(w, http.StatusOK, out)
}

// render executes a page into a buffer (so a template error never sends half a page), then
// serves it with a strong ETag: an unchanged page costs a 304.
func (p *Public) render(w http.ResponseWriter, r *http.Request, code int, name string, data page) {
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		p.logger.Error("render page", slog.String("page", name), slog.Any("error", err))
		http.Error(w, i18n.T(data.L, "web.unavailable"), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Vary", "Accept-Language, Cookie")
	h.Set("Content-Language", data.L)
	if code != http.StatusOK {
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(code)
		_, _ = w.Write(buf.Bytes())
		return
	}
	sum := sha256.Sum256(buf.Bytes())
	h.Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(buf.Bytes()))
}

func (p *Public) notFound(w http.ResponseWriter, r *http.Request, l string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(i18n.T(l, "web.not_found") + "\n"))
}

func (p *Public) fail(w http.ResponseWriter, r *http.Request, l string, err error) {
	p.logger.Error("public page", slog.String("path", r.URL.Path), slog.Any("error", err))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(i18n.T(l, "web.unavailable") + "\n"))
}

// langCookie remembers the language a visitor chose with the switch.
const langCookie = "lang"

// language picks the page language; a ?lang= switch is remembered in a cookie and redirected
// to the same URL without it, so each page keeps one URL. False after that redirect.
func (p *Public) language(w http.ResponseWriter, r *http.Request) (string, bool) {
	q := r.URL.Query()
	if v := q.Get("lang"); q.Has("lang") {
		l := i18n.RU
		if v == i18n.EN {
			l = i18n.EN
		}
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true})
		q.Del("lang")
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return "", false
	}
	return p.lang(r), true
}

// lang is the language of r: the switch's cookie, else the first of English or Russian in
// Accept-Language by preference, else Russian.
func (p *Public) lang(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == i18n.EN || c.Value == i18n.RU) {
		return c.Value
	}
	return acceptLanguage(r.Header.Get("Accept-Language"))
}

func acceptLanguage(h string) string {
	best, bestQ := i18n.RU, -1.0
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		qv := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				qv = f
			}
		}
		base, _, _ := strings.Cut(strings.ToLower(tag), "-")
		if (base == i18n.EN || base == i18n.RU) && qv > 0 && qv > bestQ {
			best, bestQ = base, qv
		}
	}
	return best
}

package web

import (
	"bytes"
	"container/list"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// cachedProof is a drawn draw's proof as published: it never changes once drawn.
type cachedProof struct {
	proof    fairness.Proof
	json     []byte
	etag     string
	verified bool
}

// lru keeps the most recently used values of finished draws (a drawn draw's proof, a closed
// draw's entries over time), which never change, so a popular draw's entries are loaded and its
// proof verified once, not on every request. Each value has a cost (a proof costs its number of
// entries) and the least recently used go when the total passes the budget, so memory stays
// bounded whatever the draws' sizes.
type lru[V any] struct {
	mu     sync.Mutex
	budget int
	total  int
	order  *list.List // of int64, front = most recent
	items  map[int64]*list.Element
	data   map[int64]lruItem[V]
}

type lruItem[V any] struct {
	v    V
	cost int
}

func newLRU[V any](budget int) *lru[V] {
	return &lru[V]{budget: budget, order: list.New(), items: map[int64]*list.Element{}, data: map[int64]lruItem[V]{}}
}

func (c *lru[V]) get(id int64) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[id]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(e)
	return c.data[id].v, true
}

// put keeps v at cost (at least 1); a value costing more than the whole budget is not kept.
func (c *lru[V]) put(id int64, v V, cost int) {
	cost = max(cost, 1)
	if cost > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[id]; ok {
		c.order.Remove(e)
		c.total -= c.data[id].cost
	}
	c.items[id] = c.order.PushFront(id)
	c.data[id] = lruItem[V]{v: v, cost: cost}
	c.total += cost
	for c.total > c.budget {
		old := c.order.Remove(c.order.Back()).(int64)
		c.total -= c.data[old].cost
		delete(c.items, old)
		delete(c.data, old)
	}
}

// rateLimiter allows each key n events per window (fixed windows), remembering at most
// maxKeys keys; past that it forgets every window that has ended.
type rateLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	n       int
	window  time.Duration
	maxKeys int
	seen    map[string]*rateWindow
}

type rateWindow struct {
	start time.Time
	count int
}

func newRateLimiter(now func() time.Time, n int, window time.Duration, maxKeys int) *rateLimiter {
	return &rateLimiter{now: now, n: n, window: window, maxKeys: maxKeys, seen: map[string]*rateWindow{}}
}

// Allow counts one event of key and reports whether it is within the limit.
func (l *rateLimiter) Allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w, ok := l.seen[key]
	if !ok || now.Sub(w.start) >= l.window {
		if !ok && len(l.seen) >= l.maxKeys {
			for k, old := range l.seen {
				if now.Sub(old.start) >= l.window {
					delete(l.seen, k)
				}
			}
			if len(l.seen) >= l.maxKeys {
				return false // under a flood of addresses, refuse rather than grow without bound
			}
		}
		w = &rateWindow{start: now}
		l.seen[key] = w
	}
	w.count++
	return w.count <= l.n
}

// clientIP is the address the request came from: the peer, or behind the operator's reverse
// proxies (TRUSTED_PROXIES) the client they forwarded for (yookassa.ClientIP's rules: headers
// from anyone else are ignored).
func (p *Public) clientIP(r *http.Request) string {
	return yookassa.ClientIP(r, p.proxies).String()
}

// checkResult is the answer of the entrant self-check.
type checkResult struct {
	Class string
	Lines []string
}

var codeRe = regexp.MustCompile(`^[0-9A-Z]{4}-[0-9A-Z]{4}$`)

// normalizeCode accepts what people type: any case, spaces, with or without the hyphen.
func normalizeCode(s string) (string, bool) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(s) == 8 && !strings.Contains(s, "-") {
		s = s[:4] + "-" + s[4:]
	}
	return s, codeRe.MatchString(s)
}

// selfCheck finds code in the draw's frozen list: its position, and whether it won.
func selfCheck(l string, d raffle.Draw, cp *cachedProof, raw string) *checkResult {
	code, ok := normalizeCode(raw)
	if !ok {
		return &checkResult{Class: "bad", Lines: []string{i18n.T(l, "web.selfcheck_bad")}}
	}
	if cp == nil {
		return &checkResult{Class: "muted", Lines: []string{i18n.T(l, "web.selfcheck_open")}}
	}
	for i, c := range cp.proof.Entries {
		if c != code {
			continue
		}
		lines := []string{i18n.T(l, "web.selfcheck_found", "code", code, "pos", i)}
		for _, w := range cp.proof.Winners {
			if w.Index == i {
				lines = append(lines, i18n.T(l, "web.selfcheck_won", "prize", i18n.Money(l, w.Prize, d.Currency)))
				return &checkResult{Class: "ok", Lines: lines}
			}
		}
		return &checkResult{Class: "ok", Lines: append(lines, i18n.T(l, "web.selfcheck_lost"))}
	}
	return &checkResult{Class: "bad", Lines: []string{i18n.T(l, "web.selfcheck_missing", "code", code)}}
}

// chartSVG draws the running total of entries over time as an inline SVG (no script, no
// style attribute: presentation attributes only, so the CSP needs nothing extra). Every text
// in it is escaped.
func chartSVG(l string, points []raffle.TimelinePoint) template.HTML {
	if len(points) == 0 {
		return ""
	}
	const w, h, pad = 600.0, 200.0, 30.0
	first, last := points[0].At, points[len(points)-1].At
	span := last.Sub(first).Seconds()
	top := float64(points[len(points)-1].Entries)
	x := func(t time.Time) float64 {
		if span <= 0 {
			return w - pad
		}
		return pad + (w-2*pad)*t.Sub(first).Seconds()/span
	}
	y := func(n int) float64 { return h - pad - (h-2*pad)*float64(n)/max(top, 1) }
	var b bytes.Buffer
	esc := template.HTMLEscapeString
	label := i18n.T(l, "web.chart_label", "from", i18n.FormatTime(l, first), "to", i18n.FormatTime(l, last), "entries", int(top))
	fmt.Fprintf(&b, `<svg class="chart" id="entries-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s"><title>%s</title>`, w, h, esc(label), esc(label))
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#999"/>`, pad, h-pad, w-pad, h-pad)
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#999"/>`, pad, pad, pad, h-pad)
	b.WriteString(`<polyline fill="none" stroke="#2a6" stroke-width="2" points="`)
	fmt.Fprintf(&b, "%.1f,%.1f ", x(first), y(0))
	for _, p := range points {
		fmt.Fprintf(&b, "%.1f,%.1f ", x(p.At), y(p.Entries))
	}
	b.WriteString(`"/>`)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12" fill="#555">%d</text>`, pad+4, pad+4, int(top))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12" fill="#555">%s</text>`, pad, h-8, esc(i18n.FormatTime(l, first)))
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-size="12" fill="#555" text-anchor="end">%s</text>`, w-pad, h-8, esc(i18n.FormatTime(l, last)))
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every interpolated text above went through esc
}

// offlinePage is GET /verifier.html: the verifier as one self-contained file (WebAssembly
// inline as base64, scripts and style inline, allowed by hash) that works saved to disk and
// opened offline with a downloaded proof.json. Built once per language, on first request.
type offlinePage struct {
	assets *Assets
	tmpl   *template.Template
	once   [2]sync.Once
	pages  [2][]byte
	err    [2]error
	// csp allows exactly the page's inline scripts and style.
	csp string
}

func newOfflinePage(assets *Assets, tmpl *template.Template) *offlinePage {
	css, execJS, verifyJS := assets.files["site.css"].body, assets.files["wasm_exec.js"].body, assets.files["verify.js"].body
	return &offlinePage{assets: assets, tmpl: tmpl,
		csp: offlineCSP([]string{cspHash(string(execJS)), cspHash(string(verifyJS))}, cspHash(string(css)))}
}

func (o *offlinePage) ServeHTTP(w http.ResponseWriter, r *http.Request, l string) {
	i := 0
	if l == i18n.EN {
		i = 1
	}
	o.once[i].Do(func() { o.pages[i], o.err[i] = o.build(l) })
	if o.err[i] != nil {
		http.Error(w, "temporarily unavailable", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", o.csp)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="fairdraw-verifier.html"`)
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set("Vary", "Accept-Language, Cookie")
	_, _ = w.Write(o.pages[i])
}

func (o *offlinePage) build(l string) ([]byte, error) {
	css := string(o.assets.files["site.css"].body)
	execJS := string(o.assets.files["wasm_exec.js"].body)
	verifyJS := string(o.assets.files["verify.js"].body)
	data := map[string]any{
		"L": l, "CSS": template.CSS(css), "ExecJS": template.JS(execJS), "VerifyJS": template.JS(verifyJS),
		"Labels": verifierLabels(l), "WasmSHA256": o.assets.WasmSHA256, "WasmSize": o.assets.WasmSize,
		// Base64's alphabet (A-Z a-z 0-9 + / =) has no character HTML gives a meaning to.
		"WasmBase64": template.HTML(base64.StdEncoding.EncodeToString(o.assets.files["verifier.wasm"].body)),
	}
	var b bytes.Buffer
	if err := o.tmpl.ExecuteTemplate(&b, "offline.html", data); err != nil {
		return nil, fmt.Errorf("web: offline verifier: %w", err)
	}
	return b.Bytes(), nil
}

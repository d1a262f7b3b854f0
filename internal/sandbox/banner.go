package sandbox

import (
	"bytes"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// bannerHTML is shown at the top of every HTML page the sandbox serves, its own and the real
// public pages, so that nobody takes a sandbox draw for a real one.
const bannerHTML = `<div id="sandbox-banner" role="note" style="position:sticky;top:0;z-index:1000;` +
	`background:#fff3cd;color:#5c4400;border-bottom:2px solid #e0b000;padding:6px 12px;` +
	`font:14px/1.4 system-ui,sans-serif;text-align:center">` +
	`<b>Песочница fairdraw</b>: Telegram, ЮKassa, Random.org и drand здесь подменены, ` +
	`деньги ненастоящие. · <b>fairdraw sandbox</b>: stand-ins for every outside service, ` +
	`no real money.</div>`

var bodyTag = regexp.MustCompile(`(?i)<body[^>]*>`)

// WithBanner serves next with the sandbox banner inserted after the <body> tag of every HTML
// answer (at the start when there is none). Other answers pass through untouched.
func WithBanner(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bw := &bannerWriter{ResponseWriter: w}
		next.ServeHTTP(bw, r)
		bw.finish()
	})
}

type bannerWriter struct {
	http.ResponseWriter
	status  int
	decided bool
	html    bool
	buf     bytes.Buffer
}

func (b *bannerWriter) WriteHeader(status int) {
	if b.decided {
		return
	}
	b.decided = true
	b.status = status
	b.html = strings.HasPrefix(b.Header().Get("Content-Type"), "text/html")
	if !b.html {
		b.ResponseWriter.WriteHeader(status)
	}
}

func (b *bannerWriter) Write(p []byte) (int, error) {
	if !b.decided {
		if b.Header().Get("Content-Type") == "" {
			b.Header().Set("Content-Type", http.DetectContentType(p))
		}
		b.WriteHeader(http.StatusOK)
	}
	if b.html {
		return b.buf.Write(p)
	}
	return b.ResponseWriter.Write(p)
}

// Flush passes through for streams (server-sent events are never HTML).
func (b *bannerWriter) Flush() {
	if f, ok := b.ResponseWriter.(http.Flusher); ok && !b.html {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection (write deadlines of streams).
func (b *bannerWriter) Unwrap() http.ResponseWriter { return b.ResponseWriter }

func (b *bannerWriter) finish() {
	if !b.html {
		return
	}
	page := b.buf.Bytes()
	if loc := bodyTag.FindIndex(page); loc != nil {
		page = append(page[:loc[1]:loc[1]], append([]byte(bannerHTML), page[loc[1]:]...)...)
	} else {
		page = append([]byte(bannerHTML), page...)
	}
	b.Header().Del("Content-Length")
	b.Header().Set("Content-Length", strconv.Itoa(len(page)))
	b.ResponseWriter.WriteHeader(b.status)
	_, _ = b.ResponseWriter.Write(page)
}

package web

import (
	"net/http"
	"strings"
)

// Content-Security-Policy of the public pages. No inline script runs (scripts come from this
// site only; the offline verifier allows its own inline scripts by hash), WebAssembly may be
// compiled ('wasm-unsafe-eval', nothing else eval-like), and only this site and Telegram's web
// client may frame a page: the Mini App runs inside web.telegram.org.
const (
	frameAncestors = "frame-ancestors 'self' https://web.telegram.org"
	publicCSP      = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; form-action 'self'; base-uri 'none'; " + frameAncestors
)

// offlineCSP is the policy of the single-file verifier: its inline scripts and style by hash,
// and no network at all.
func offlineCSP(scripts []string, style string) string {
	return "default-src 'none'; script-src " + strings.Join(scripts, " ") + " 'wasm-unsafe-eval'; style-src " + style +
		"; img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'; " + frameAncestors
}

// secure sets the security headers every public response carries, with csp as its policy.
func secure(csp string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		next.ServeHTTP(w, r)
	})
}

package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded static file with its strong validator.
type asset struct {
	body        []byte
	sha256      string // lowercase hex of body
	contentType string
}

// Assets are the site's static files: CSS, scripts and the browser verifier. URLs carry
// ?v=<hash> so a browser may keep a file for a year; the hash changes when the file does.
type Assets struct {
	files map[string]asset

	CSS, SiteJS, VerifyJS, AppJS, WasmExec, Wasm string // versioned URLs
	// WasmSHA256 is the SHA-256 (hex) of verifier.wasm as served: what a sceptic compares
	// with their own rebuild.
	WasmSHA256 string
	// WasmSize is verifier.wasm's size for people ("6.4 MB").
	WasmSize string
}

func loadAssets() (*Assets, error) {
	a := &Assets{files: map[string]asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		a.files[path.Base(p)] = asset{body: b, sha256: hex.EncodeToString(sum[:]), contentType: contentType(p)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	url := func(name string) string {
		f, ok := a.files[name]
		if !ok {
			err = fmt.Errorf("web: static file %s missing", name)
			return ""
		}
		return "/static/" + name + "?v=" + f.sha256[:16]
	}
	a.CSS, a.SiteJS, a.VerifyJS, a.AppJS = url("site.css"), url("site.js"), url("verify.js"), url("app.js")
	a.WasmExec, a.Wasm = url("wasm_exec.js"), url("verifier.wasm")
	if err != nil {
		return nil, err
	}
	w := a.files["verifier.wasm"]
	a.WasmSHA256 = w.sha256
	a.WasmSize = fmt.Sprintf("%.1f MB", float64(len(w.body))/1e6)
	return a, nil
}

func contentType(p string) string {
	switch path.Ext(p) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".wasm":
		return "application/wasm"
	}
	return "text/plain; charset=utf-8"
}

// ServeHTTP serves GET /static/{name} with a strong ETag; a request naming the current
// version (?v=) may be cached for a year.
func (a *Assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := a.files[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("ETag", `"`+f.sha256+`"`)
	if v := r.URL.Query().Get("v"); v != "" && strings.HasPrefix(f.sha256, v) {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// cspHash is the CSP source expression allowing an inline element with exactly content.
func cspHash(content string) string {
	sum := sha256.Sum256([]byte(content))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

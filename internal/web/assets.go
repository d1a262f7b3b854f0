package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded static file with its strong validator.
type asset struct {
	body        []byte
	sha256      string // lowercase hex of body
	contentType string
	// gz is body gzipped, made on the first request that accepts it (the verifier shrinks from
	// 6.7 to 1.8 MB).
	gzOnce *sync.Once
	gz     *[]byte
}

func (a asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression) // the level is valid
		_, _ = zw.Write(a.body)                                // writes to memory do not fail
		_ = zw.Close()
		*a.gz = b.Bytes()
	})
	return *a.gz
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
		a.files[path.Base(p)] = asset{body: b, sha256: hex.EncodeToString(sum[:]), contentType: contentType(p), gzOnce: &sync.Once{}, gz: new([]byte)}
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
	h.Set("Vary", "Accept-Encoding")
	body, etag := f.body, `"`+f.sha256+`"`
	if acceptsGzip(r) {
		body, etag = f.gzipped(), `"`+f.sha256+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	if v := r.URL.Query().Get("v"); v != "" && strings.HasPrefix(f.sha256, v) {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(params, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// cspHash is the CSP source expression allowing an inline element with exactly content.
func cspHash(content string) string {
	sum := sha256.Sum256([]byte(content))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/fairdraw/fairdraw/internal/web/wasmbuild"
)

// TestVerifierBuildIsCurrent rebuilds the browser verifier from this source, the way
// `go generate ./internal/web` does, and fails when the committed static/verifier.wasm
// differs: the page would be running other code than `fairdraw verify`. It also checks that
// wasm_exec.js is the toolchain's own.
func TestVerifierBuildIsCurrent(t *testing.T) {
	pinned, err := os.ReadFile(filepath.Join("static", wasmbuild.VersionFile))
	if err != nil {
		t.Fatal(err)
	}
	if v := strings.TrimSpace(string(pinned)); v != runtime.Version() {
		t.Fatalf("static/verifier.wasm was built with %s, this toolchain is %s: the bytes cannot be compared. "+
			"Run the tests with %s, or run `go generate ./internal/web` and commit the result if the project moves to %s.",
			v, runtime.Version(), v, runtime.Version())
	}
	out := filepath.Join(t.TempDir(), wasmbuild.WasmFile)
	if err := wasmbuild.Build(t.Context(), wasmbuild.GoBin(), out); err != nil {
		t.Fatal(err)
	}
	built, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("static", wasmbuild.WasmFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, committed) {
		b, c := sha256.Sum256(built), sha256.Sum256(committed)
		t.Fatalf("static/verifier.wasm is stale (committed sha256 %s, this source builds %s): run `go generate ./internal/web` and commit",
			hex.EncodeToString(c[:]), hex.EncodeToString(b[:]))
	}
	js, err := wasmbuild.ExecJS()
	if err != nil {
		t.Fatal(err)
	}
	committedJS, err := os.ReadFile(filepath.Join("static", wasmbuild.ExecJSFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(js, committedJS) {
		t.Fatal("static/wasm_exec.js is not this toolchain's lib/wasm/wasm_exec.js: run `go generate ./internal/web` and commit")
	}
}

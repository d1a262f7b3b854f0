// Package wasmbuild builds the browser verifier (cmd/verifier-wasm) the one way it is
// built: by `go generate ./internal/web` into internal/web/static, and by the test that
// fails when the committed build is stale. Same source, same Go version, same flags, same
// bytes: -trimpath drops local paths, -buildvcs=false keeps the commit out of the binary
// (so committing the build does not change it), and nothing else in the environment
// (GOFLAGS, GOWASM, CGO) is let in.
package wasmbuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Package is the verifier's import path.
const Package = "github.com/fairdraw/fairdraw/cmd/verifier-wasm"

// Files in the static directory.
const (
	WasmFile    = "verifier.wasm"
	ExecJSFile  = "wasm_exec.js"        // the Go toolchain's own JavaScript support file
	VersionFile = "verifier.go-version" // the Go version that built WasmFile
)

// Args are the arguments of `go` that build the verifier to out. The README's rebuild
// instructions spell out the same command.
func Args(out string) []string {
	return []string{"build", "-trimpath", "-buildvcs=false", "-o", out, Package}
}

// Env is the environment of the build: the caller's, with the target set and every
// variable that could change the output cleared.
func Env() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GOOS", "GOARCH", "GOFLAGS", "GOWASM", "CGO_ENABLED", "GOEXPERIMENT", "GOTOOLCHAIN":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local")
}

// Build compiles the verifier to out with the go command at goBin (usually
// filepath.Join(runtime.GOROOT(), "bin", "go")).
func Build(ctx context.Context, goBin, out string) error {
	cmd := exec.CommandContext(ctx, goBin, Args(out)...)
	cmd.Env = Env()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("wasmbuild: go build: %w: %s", err, stderr.String())
	}
	return nil
}

// GoBin is the go command of the running toolchain.
func GoBin() string { return filepath.Join(runtime.GOROOT(), "bin", "go") }

// ExecJS returns wasm_exec.js of the running toolchain.
func ExecJS() ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(runtime.GOROOT(), "lib", "wasm", ExecJSFile))
	if err != nil {
		return nil, fmt.Errorf("wasmbuild: %w", err)
	}
	return b, nil
}

// Generate writes the verifier, wasm_exec.js and the Go version into dir.
func Generate(ctx context.Context, dir string) error {
	if err := Build(ctx, GoBin(), filepath.Join(dir, WasmFile)); err != nil {
		return err
	}
	js, err := ExecJS()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, ExecJSFile), js, 0o644); err != nil {
		return fmt.Errorf("wasmbuild: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, VersionFile), []byte(runtime.Version()+"\n"), 0o644); err != nil {
		return fmt.Errorf("wasmbuild: %w", err)
	}
	return nil
}

package web

// The browser verifier: cmd/verifier-wasm compiled to WebAssembly, with the toolchain's
// wasm_exec.js and the Go version that built it. Committed; TestVerifierBuildIsCurrent
// fails when it is stale.
//go:generate go run ./wasmbuild/generate static

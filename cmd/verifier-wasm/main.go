//go:build js && wasm

// Command verifier-wasm is `fairdraw verify` for a web browser: the same Go code
// (fairness.VerifyFile with the pinned RANDOM.ORG key and the drand quicknet chain key),
// compiled with GOOS=js GOARCH=wasm. It registers one JavaScript function,
//
//	fairdrawVerify(text string) string
//
// which takes the text of a proof.json (or a bare RANDOM.ORG result or drand beacon) and
// returns a JSON report (see verifier.Result). It never touches the network: everything it
// trusts is compiled in, so the page that runs it needs nothing from the operator's server
// once it is loaded. Build it with `go generate ./internal/web` (reproducible: -trimpath,
// -buildvcs=false, the Go version pinned in internal/web/static/verifier.go-version).
package main

import (
	"syscall/js"

	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/fairness/verifier"
)

func main() {
	keys := fairness.DefaultKeys()
	js.Global().Set("fairdrawVerify", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) != 1 || args[0].Type() != js.TypeString {
			return string(verifier.Encode(verifier.Run([]byte{}, keys)))
		}
		return string(verifier.Encode(verifier.Run([]byte(args[0].String()), keys)))
	}))
	js.Global().Call("dispatchEvent", js.Global().Get("Event").New("fairdraw-verifier-ready"))
	select {}
}

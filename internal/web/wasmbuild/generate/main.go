// Command generate rebuilds internal/web/static's browser verifier; `go generate
// ./internal/web` runs it. See package wasmbuild.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/fairdraw/fairdraw/internal/web/wasmbuild"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: generate STATIC_DIR")
		os.Exit(2)
	}
	if err := wasmbuild.Generate(context.Background(), os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

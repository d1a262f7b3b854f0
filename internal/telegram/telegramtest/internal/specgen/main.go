// Command specgen writes the compact Bot API spec that telegramtest embeds.
//
// It reads the full machine-readable spec (shared/vectors/telegram/
// botapi-10.1.json, Bot API 10.1) and keeps the methods the fake serves, the
// types their parameters use and the result types the fake emits. Run it from
// internal/telegram/telegramtest with
//
//	go generate ./...
//
// (see the go:generate line in spec.go), or by hand:
//
//	go run ./internal/specgen -src ../../../../shared/vectors/telegram/botapi-10.1.json -dst testdata/botapi-10.1.min.json
//
// When a method is added to the fake, add it to the list in botspec.Generate
// and regenerate;
// TestSpecExtractIsFresh fails while the embedded file is stale.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest/internal/botspec"
)

func main() {
	src := flag.String("src", "../../../../shared/vectors/telegram/botapi-10.1.json", "full Bot API spec")
	dst := flag.String("dst", "testdata/botapi-10.1.min.json", "compact spec to write")
	flag.Parse()
	if err := run(*src, *dst); err != nil {
		fmt.Fprintln(os.Stderr, "specgen:", err)
		os.Exit(1)
	}
}

func run(src, dst string) error {
	full, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	out, err := botspec.Generate(full)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, out, 0o644)
}

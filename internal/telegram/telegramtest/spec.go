package telegramtest

import (
	_ "embed"
	"fmt"

	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest/internal/botspec"
)

// The compact Bot API 10.1 spec: the methods the fake serves and the types
// they use, cut from shared/vectors/telegram/botapi-10.1.json (see
// testdata/SOURCE.md). Regenerate after changing botspec.Methods or
// botspec.ResultTypes:
//
//go:generate go run ./internal/specgen -src ../../../../shared/vectors/telegram/botapi-10.1.json -dst testdata/botapi-10.1.min.json
//go:embed testdata/botapi-10.1.min.json
var specJSON []byte

func loadSpec() (*botspec.Spec, error) {
	s, err := botspec.Parse(specJSON)
	if err != nil {
		return nil, fmt.Errorf("load embedded spec: %w", err)
	}
	return s, nil
}

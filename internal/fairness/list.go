package fairness

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// CanonicalList returns the committed form of an entrant list: the entry
// codes in entry order, each followed by a single "\n" (LF), as UTF-8 with
// no header, no BOM and nothing else. ["a","b"] becomes "a\nb\n". The codes
// should satisfy ValidateCodes, otherwise two different lists could share
// one canonical form.
func CanonicalList(codes []string) []byte {
	size := 0
	for _, c := range codes {
		size += len(c) + 1
	}
	b := make([]byte, 0, size)
	for _, c := range codes {
		b = append(b, c...)
		b = append(b, '\n')
	}
	return b
}

// ListHash returns the lowercase hex SHA-256 of CanonicalList(codes): the
// commitment published when a draw closes.
func ListHash(codes []string) string {
	sum := sha256.Sum256(CanonicalList(codes))
	return hex.EncodeToString(sum[:])
}

// ValidateCodes checks that codes can be committed unambiguously: at least
// one code, each non-empty valid UTF-8 without CR or LF, and no duplicates.
func ValidateCodes(codes []string) error {
	if len(codes) == 0 {
		return errors.New("fairness: empty entrant list")
	}
	seen := make(map[string]int, len(codes))
	for i, c := range codes {
		switch {
		case c == "":
			return fmt.Errorf("fairness: entry %d: empty code", i)
		case strings.ContainsAny(c, "\r\n"):
			return fmt.Errorf("fairness: entry %d: code contains a line break", i)
		case !utf8.ValidString(c):
			return fmt.Errorf("fairness: entry %d: code is not valid UTF-8", i)
		}
		if j, ok := seen[c]; ok {
			return fmt.Errorf("fairness: entries %d and %d share code %q", j, i, c)
		}
		seen[c] = i
	}
	return nil
}

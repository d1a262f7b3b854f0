package main

import (
	"strings"
	"testing"
	"time"
)

// TestRaffleCreateRefusesBadFlags: each mistake in raffle create's flags is refused with a usage
// error naming the flag, before any database is opened (the environment has none) and before
// what the environment lacks (no RANDOM_ORG_API_KEY here, and the default source needs it).
func TestRaffleCreateRefusesBadFlags(t *testing.T) {
	t.Parallel()
	good := []string{"--currency", "XTR", "--fee", "10", "--min", "3"}
	for _, tc := range []struct {
		name string
		args []string
		want string // in stderr, after "raffle create: "
	}{
		{"a maximum past 32 bits", []string{"--max", "4294967297"}, "--max: 0 (none) or between min and 1000000, got 4294967297"},
		{"entries per user past 32 bits", []string{"--max-per-user", "99999999999"}, "--max-per-user: between 1 and 1000000, got 99999999999"},
		{"no entries per user", []string{"--max-per-user", "0"}, "--max-per-user: between 1 and 1000000, got 0"},
		{"no winners", []string{"--winners", "0"}, "--winners: between 1 and min, got 0"},
		{"a minimum past 32 bits", []string{"--min", "4294967299", "--winners", "1"}, "--min: between 1 and 1000000, got 4294967299"},
		{"winners past 32 bits", []string{"--winners", "4294967297"}, "--winners: between 1 and min, got 4294967297"},
		{"a commission past 32 bits", []string{"--commission-bp", "4294967297"}, "--commission-bp: between 0 and 10000, got 4294967297"},
		{"a negative commission", []string{"--commission-bp", "-1"}, "--commission-bp: between 0 and 10000, got -1"},
		{"a fee past the Stars limit", []string{"--fee", "99999999999"}, "--fee: between 1 and 100000 Stars, got 99999999999"},
		{"a ruble fee past the limit", []string{"--currency", "RUB", "--fee", "99999999999"}, "--fee: between 100 and 10000000 kopecks"},
		{"a deadline 100000 hours away", []string{"--deadline", "100000h"}, "--deadline: at most 365 days ahead"},
		{"a deadline past", []string{"--deadline", "2020-01-01T00:00:00Z"}, "--deadline: must be in the future"},
		{"a title with a line break", []string{"--title", "Весна\nи лето"}, "--title: control character U+000A"},
		{"a title with NUL", []string{"--title", "Весна\x00"}, "--title: control character U+0000"},
		{"a title with a right-to-left override left open", []string{"--title", "Приз \u202eотьлет"}, "--title: direction control U+202E not closed"},
		{"a title with an isolate left open", []string{"--title", "Приз \u2067عربي"}, "--title: direction control U+2067 not closed"},
		{"a title closing what was never opened", []string{"--title", "Приз\u2069"}, "--title: unbalanced direction control U+2069"},
		{"a title of invalid UTF-8", []string{"--title", "Приз \xff\xfe"}, "--title: not valid UTF-8"},
		{"a title too long", []string{"--title", strings.Repeat("я", 101)}, "--title: at most 100 characters, got 101"},
		{"two mistakes", []string{"--winners", "0", "--max", "4294967297"}, "--max: 0 (none) or between min and 1000000, got 4294967297; --winners: between 1 and min, got 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Later flags win, so the case's flags override the good ones.
			args := append([]string{"raffle", "create"}, append(append([]string{}, good...), tc.args...)...)
			code, out, stderr := runCmd(t, t.Context(), nil, args...)
			if code != exitUsage || out != "" || !strings.Contains(stderr, "raffle create: "+tc.want) {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant exit 2 with %q", code, out, stderr, tc.want)
			}
			if strings.Contains(stderr, "RANDOM_ORG_API_KEY") {
				t.Fatalf("a bad flag reported as the missing key:\n%s", stderr)
			}
		})
	}
}

// TestParseDeadline: a duration counts from now; a time is taken as written.
func TestParseDeadline(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 7, 1, 9, 0, 0, 500, time.UTC)
	for in, want := range map[string]time.Time{
		"24h":                  now.Add(24 * time.Hour).Truncate(time.Second),
		"2026-08-01T18:00:00Z": time.Date(2026, 8, 1, 18, 0, 0, 0, time.UTC),
	} {
		if got, err := parseDeadline(in, now); err != nil || !got.Equal(want) {
			t.Errorf("parseDeadline(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0s", "-1h", "soon"} {
		if _, err := parseDeadline(in, now); err == nil {
			t.Errorf("parseDeadline(%q) took it", in)
		}
	}
}

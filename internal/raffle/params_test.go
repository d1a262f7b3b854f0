package raffle_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/raffle"
)

// TestValidate checks Params as a person typed them, without a database: each limit is refused
// with the field named, and nothing near 2^32 passes (the columns are 32-bit).
func TestValidate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	good := func() raffle.Params {
		return raffle.Params{Title: "Весна", Currency: "XTR", Fee: 10, Min: 3, Winners: 1, Deadline: now.Add(24 * time.Hour),
			Mode: raffle.ModeDeadline, Source: raffle.SourceDrand, MaxEntriesPerUser: 1, Prize: raffle.PrizeBalance}
	}
	for _, tc := range []struct {
		name string
		mod  func(*raffle.Params)
		want string // "" for valid; else the problems, as in the error
	}{
		{"good", func(*raffle.Params) {}, ""},
		{"the limits themselves", func(p *raffle.Params) {
			p.Min, p.Max, p.Winners, p.MaxEntriesPerUser = raffle.MaxParticipants, raffle.MaxParticipants, raffle.MaxParticipants, raffle.MaxParticipants
			p.Fee, p.CommissionBP, p.Deadline = raffle.MaxFeeXTR, raffle.MaxCommissionBP, now.Add(raffle.MaxDeadlineAhead)
			p.Title = strings.Repeat("я", raffle.MaxTitleLen)
		}, ""},
		{"ruble limits", func(p *raffle.Params) { p.Currency, p.Fee = "RUB", raffle.MaxFeeRUB }, ""},
		{"a maximum past 32 bits", func(p *raffle.Params) { p.Max = 4294967297 }, "max: 0 (none) or between min and 1000000, got 4294967297"},
		{"entries per user past 32 bits", func(p *raffle.Params) { p.MaxEntriesPerUser = 99999999999 }, "max-per-user: between 1 and 1000000, got 99999999999"},
		{"no entries per user", func(p *raffle.Params) { p.MaxEntriesPerUser = 0 }, "max-per-user: between 1 and 1000000, got 0"},
		{"no winners", func(p *raffle.Params) { p.Winners = 0 }, "winners: between 1 and min, got 0"},
		{"more winners than the minimum", func(p *raffle.Params) { p.Winners = 4 }, "winners: between 1 and min, got 4"},
		{"a minimum past 32 bits", func(p *raffle.Params) { p.Min = 4294967299 }, "min: between 1 and 1000000, got 4294967299"},
		{"no minimum", func(p *raffle.Params) { p.Min, p.Winners = 0, 0 }, "min: between 1 and 1000000, got 0; winners: between 1 and min, got 0"},
		{"a maximum below the minimum", func(p *raffle.Params) { p.Max = 2 }, "max: 0 (none) or between min and 1000000, got 2"},
		{"a negative maximum", func(p *raffle.Params) { p.Max = -1 }, "max: 0 (none) or between min and 1000000, got -1"},
		{"a commission past 32 bits", func(p *raffle.Params) { p.CommissionBP = 4294967297 }, "commission-bp: between 0 and 10000, got 4294967297"},
		{"a negative commission", func(p *raffle.Params) { p.CommissionBP = -1 }, "commission-bp: between 0 and 10000, got -1"},
		{"no fee", func(p *raffle.Params) { p.Fee = 0 }, "fee: between 1 and 100000 Stars, got 0"},
		{"a Stars fee past the limit", func(p *raffle.Params) { p.Fee = 99999999999 }, "fee: between 1 and 100000 Stars, got 99999999999"},
		{"a ruble fee under a ruble", func(p *raffle.Params) { p.Currency, p.Fee = "RUB", 99 }, "fee: between 100 and 10000000 kopecks (1 to 100000 rubles), got 99"},
		{"a ruble fee past the limit", func(p *raffle.Params) { p.Currency, p.Fee = "RUB", raffle.MaxFeeRUB+1 }, "fee: between 100 and 10000000 kopecks (1 to 100000 rubles), got 10000001"},
		{"a currency", func(p *raffle.Params) { p.Currency = "USD" }, "currency: XTR or RUB"},
		{"a deadline now", func(p *raffle.Params) { p.Deadline = now }, "deadline: must be in the future"},
		{"a deadline 100000 hours away", func(p *raffle.Params) { p.Deadline = now.Add(100_000 * time.Hour) }, "deadline: at most 365 days ahead"},
		{"a deadline a second past a year", func(p *raffle.Params) { p.Deadline = now.Add(raffle.MaxDeadlineAhead + time.Second) }, "deadline: at most 365 days ahead"},
		{"a mode", func(p *raffle.Params) { p.Mode = "" }, "mode: deadline or instant"},
		{"a source", func(p *raffle.Params) { p.Source = "dice" }, "source: randomorg or drand"},
		{"a prize", func(p *raffle.Params) { p.Prize = "" }, "prize: balance, gift or premium"},
		{"a gift for rubles", func(p *raffle.Params) { p.Currency, p.Fee, p.Prize = "RUB", 1000, raffle.PrizeGift }, "prize: gift and premium are for Stars draws only"},
		{"a title of spaces", func(p *raffle.Params) { p.Title = "  " }, "title: required"},
		{"a title too long", func(p *raffle.Params) { p.Title = strings.Repeat("я", 101) }, "title: at most 100 characters, got 101"},
		{"a title of invalid UTF-8", func(p *raffle.Params) { p.Title = "Приз \xff" }, "title: not valid UTF-8"},
		{"a title with a line break", func(p *raffle.Params) { p.Title = "Весна\nлето" }, "title: control character U+000A"},
		{"a title with a tab", func(p *raffle.Params) { p.Title = "Весна\tлето" }, "title: control character U+0009"},
		{"a title with NUL", func(p *raffle.Params) { p.Title = "Весна\x00" }, "title: control character U+0000"},
		{"a title with a line separator", func(p *raffle.Params) { p.Title = "Весна\u2028лето" }, "title: control character U+2028"},
		{"a title with an override left open", func(p *raffle.Params) { p.Title = "Приз \u202eзифрп" }, "title: direction control U+202E not closed"},
		{"a title with an isolate left open", func(p *raffle.Params) { p.Title = "Приз \u2067عربي" }, "title: direction control U+2067 not closed"},
		{"a title closing an override never opened", func(p *raffle.Params) { p.Title = "Приз\u202c" }, "title: unbalanced direction control U+202C"},
		{"a title closing an isolate with PDF", func(p *raffle.Params) { p.Title = "\u2067عربي\u202c" }, "title: unbalanced direction control U+202C"},
		{"a title with a closed override and isolate", func(p *raffle.Params) { p.Title = "Приз \u202eабв\u202c и \u2067عربي\u2069" }, ""},
		{"a title with emoji, joiners and marks", func(p *raffle.Params) { p.Title = "👩‍👩‍👧 Приз\u200f ✨️" }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := good()
			tc.mod(&p)
			err := p.Validate(now)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, raffle.ErrInvalid) || err.Error() != "raffle: invalid: "+tc.want {
				t.Fatalf("err = %v\nwant raffle: invalid: %s", err, tc.want)
			}
			bad, ok := errors.AsType[raffle.InvalidParams](err)
			if !ok || len(bad) == 0 || !strings.HasPrefix(tc.want, bad[0].Field+": ") {
				t.Fatalf("fields %+v do not start with the first field of %q", bad, tc.want)
			}
		})
	}
}

// TestZeroFieldsTakeDefaults: a program leaving the optional fields zero gets the defaults;
// Validate, which sees the fields as given, refuses them.
func TestZeroFieldsTakeDefaults(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	p := raffle.Params{Title: " Весна ", Currency: "XTR", Fee: 10, Min: 2, Deadline: now.Add(time.Hour)}
	if err := raffle.WithDefaults(p).Validate(now); err != nil {
		t.Fatalf("with defaults: %v", err)
	}
	got := raffle.WithDefaults(p)
	if got.Title != "Весна" || got.Winners != raffle.DefaultWinners || got.Mode != raffle.DefaultMode || got.Source != raffle.DefaultSource ||
		got.MaxEntriesPerUser != raffle.DefaultMaxEntriesPerUser || got.Prize != raffle.DefaultPrize {
		t.Fatalf("defaults: %+v", got)
	}
	err := p.Validate(now)
	for _, field := range []string{"winners", "mode", "source", "max-per-user", "prize"} {
		if err == nil || !strings.Contains(err.Error(), field+":") {
			t.Errorf("zero %s taken as given: %v", field, err)
		}
	}
}

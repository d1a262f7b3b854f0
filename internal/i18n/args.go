package i18n

import (
	"strconv"
	"time"
)

// Arg is one named argument of a text that is rendered later, possibly in another process, in
// the recipient's language: a queued notification stores its Args as JSON. Exactly one of the
// fields is meant to be set; constructors below build each kind.
type Arg struct {
	Text     string     `json:"s,omitempty"` // shown as is
	Key      string     `json:"k,omitempty"` // another text, translated
	Amount   *int64     `json:"a,omitempty"` // money in minor units, with Currency
	Currency string     `json:"c,omitempty"`
	Count    *int64     `json:"n,omitempty"` // a counted noun, with Noun
	Noun     string     `json:"u,omitempty"`
	Time     *time.Time `json:"t,omitempty"` // a moment
}

// S is a literal argument.
func S(s string) Arg { return Arg{Text: s} }

// I is a literal integer argument.
func I(n int64) Arg { return Arg{Text: strconv.FormatInt(n, 10)} }

// K is an argument that is itself a text key, translated at render time.
func K(key string) Arg { return Arg{Key: key} }

// M is a money argument in minor units.
func M(amount int64, currency string) Arg { return Arg{Amount: &amount, Currency: currency} }

// N is a counted noun ("5 участников").
func N(n int64, noun string) Arg { return Arg{Count: &n, Noun: noun} }

// At is a moment, shown in Moscow time for Russian and UTC for English.
func At(t time.Time) Arg { return Arg{Time: &t} }

// String renders the argument in lang.
func (a Arg) String(lang string) string {
	switch {
	case a.Key != "":
		return T(lang, a.Key)
	case a.Amount != nil:
		return Money(lang, *a.Amount, a.Currency)
	case a.Count != nil:
		return Plural(lang, *a.Count, a.Noun)
	case a.Time != nil:
		return FormatTime(lang, *a.Time)
	default:
		return a.Text
	}
}

var moscow = time.FixedZone("МСК", 3*60*60)

// FormatTime shows t as people in lang expect it.
func FormatTime(lang string, t time.Time) string {
	if Lang(lang) == EN {
		return t.UTC().Format("Jan 2, 2006 15:04 UTC")
	}
	return t.In(moscow).Format("02.01.2006 15:04 МСК")
}

// Render fills key in lang from typed args.
func Render(lang, key string, args map[string]Arg) string {
	pairs := make([]any, 0, 2*len(args))
	for name, a := range args {
		pairs = append(pairs, name, a.String(lang))
	}
	return T(lang, key, pairs...)
}

package raffle

import (
	"cmp"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fairdraw/fairdraw/internal/ledger"
)

// Limits of a draw's parameters. Params.Validate enforces them for every caller, the command
// line and the admin dialog alike; the dialog also quotes them in its questions. Every count is
// bounded well inside the database's 32-bit columns, so no value is ever stored truncated.
const (
	MaxTitleLen     = 100        // characters
	MaxFeeXTR       = 100_000    // Stars
	MinFeeRUB       = 100        // kopecks: 1 ruble
	MaxFeeRUB       = 100_000_00 // kopecks: 100 000 rubles
	MaxParticipants = 1_000_000  // bounds min, max, winners and entries per user
	MaxCommissionBP = 10_000     // 100 %
	// MaxDeadlineAhead is how far in the future a deadline may be.
	MaxDeadlineAhead = 365 * 24 * time.Hour
)

// Defaults of the optional fields of Params.
const (
	DefaultWinners           = 1
	DefaultMode              = ModeDeadline
	DefaultSource            = SourceRandomOrg
	DefaultMaxEntriesPerUser = 1
	DefaultPrize             = PrizeBalance
)

// Params are what a new draw needs. Create fills a zero Winners, Mode, Source,
// MaxEntriesPerUser and Prize with the defaults above; a caller that takes the values from a
// person (the command line) fills them itself and calls Validate, so that a typed 0 is
// refused rather than read as "the default".
type Params struct {
	Title    string // 1..MaxTitleLen characters of printable UTF-8
	Currency string // XTR or RUB
	Fee      int64  // minor units: 1..MaxFeeXTR Stars, MinFeeRUB..MaxFeeRUB kopecks
	Min      int    // minimum participants, 1..MaxParticipants
	Max      int    // 0: no maximum; else Min..MaxParticipants
	// Winners is k, the number of winners: 1..Min. Default 1.
	Winners      int
	CommissionBP int       // 0..MaxCommissionBP
	Deadline     time.Time // in the future, at most MaxDeadlineAhead away
	// Mode is deadline (draw at the deadline) or instant (draw once Min is reached). Default deadline.
	Mode string
	// Source is randomorg or drand. Default randomorg.
	Source string
	// MaxEntriesPerUser is 1..MaxParticipants. Default 1.
	MaxEntriesPerUser int
	// CreatedBy is the admin's Telegram id, 0 when created from the command line.
	CreatedBy int64
	// Prize is how a Stars draw pays its winners: PrizeBalance (default), PrizeGift or PrizePremium.
	Prize string
}

// withDefaults fills the zero optional fields and trims the title.
func (p Params) withDefaults() Params {
	p.Title = strings.TrimSpace(p.Title)
	p.Winners = cmp.Or(p.Winners, DefaultWinners)
	p.Mode = cmp.Or(p.Mode, DefaultMode)
	p.Source = cmp.Or(p.Source, DefaultSource)
	p.MaxEntriesPerUser = cmp.Or(p.MaxEntriesPerUser, DefaultMaxEntriesPerUser)
	p.Prize = cmp.Or(p.Prize, DefaultPrize)
	return p
}

// Names of the fields of Params in a FieldError: the command line's flags.
const (
	FieldTitle             = "title"
	FieldCurrency          = "currency"
	FieldFee               = "fee"
	FieldMin               = "min"
	FieldMax               = "max"
	FieldWinners           = "winners"
	FieldCommissionBP      = "commission-bp"
	FieldDeadline          = "deadline"
	FieldMode              = "mode"
	FieldSource            = "source"
	FieldMaxEntriesPerUser = "max-per-user"
	FieldPrize             = "prize"
)

// FieldError is what is wrong with one field of Params. Field is one of the Field constants;
// Problem is English, for the command line and logs (the admin dialog shows its own
// translated text for the field).
type FieldError struct {
	Field   string
	Problem string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Problem }

// InvalidParams lists every problem of a Params, in field order; errors.Is(err, ErrInvalid)
// holds for it.
type InvalidParams []FieldError

func (e InvalidParams) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Error()
	}
	return "raffle: invalid: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e InvalidParams) Is(target error) bool { return target == ErrInvalid }

// Validate checks p as given, defaults not applied, against now: nil, or InvalidParams naming
// every field that is wrong.
func (p Params) Validate(now time.Time) error {
	var bad InvalidParams
	add := func(field, problem string, args ...any) {
		bad = append(bad, FieldError{Field: field, Problem: fmt.Sprintf(problem, args...)})
	}
	if problem := TitleProblem(p.Title); problem != "" {
		add(FieldTitle, "%s", problem)
	}
	if p.Currency != ledger.XTR && p.Currency != ledger.RUB {
		add(FieldCurrency, "XTR or RUB")
	}
	if p.Currency == "RUB" {
		if p.Fee < MinFeeRUB || p.Fee > MaxFeeRUB {
			add(FieldFee, "between %d and %d kopecks (1 to 100000 rubles), got %d", MinFeeRUB, MaxFeeRUB, p.Fee)
		}
	} else if p.Fee < 1 || p.Fee > MaxFeeXTR {
		add(FieldFee, "between 1 and %d Stars, got %d", MaxFeeXTR, p.Fee)
	}
	if p.Min < 1 || p.Min > MaxParticipants {
		add(FieldMin, "between 1 and %d, got %d", MaxParticipants, p.Min)
	}
	if p.Max != 0 && (p.Max < p.Min || p.Max > MaxParticipants) {
		add(FieldMax, "0 (none) or between min and %d, got %d", MaxParticipants, p.Max)
	}
	if p.Winners < 1 || p.Winners > p.Min {
		add(FieldWinners, "between 1 and min, got %d", p.Winners)
	}
	if p.CommissionBP < 0 || p.CommissionBP > MaxCommissionBP {
		add(FieldCommissionBP, "between 0 and %d, got %d", MaxCommissionBP, p.CommissionBP)
	}
	switch {
	case !p.Deadline.After(now):
		add(FieldDeadline, "must be in the future")
	case p.Deadline.After(now.Add(MaxDeadlineAhead)):
		add(FieldDeadline, "at most %d days ahead", MaxDeadlineAhead/(24*time.Hour))
	}
	if p.Mode != ModeDeadline && p.Mode != ModeInstant {
		add(FieldMode, "deadline or instant")
	}
	if p.Source != SourceRandomOrg && p.Source != SourceDrand {
		add(FieldSource, "randomorg or drand")
	}
	if p.MaxEntriesPerUser < 1 || p.MaxEntriesPerUser > MaxParticipants {
		add(FieldMaxEntriesPerUser, "between 1 and %d, got %d", MaxParticipants, p.MaxEntriesPerUser)
	}
	switch p.Prize {
	case PrizeBalance:
	case PrizeGift, PrizePremium:
		if p.Currency != ledger.XTR {
			add(FieldPrize, "gift and premium are for Stars draws only")
		}
	default:
		add(FieldPrize, "balance, gift or premium")
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}

// TitleProblem says what is wrong with a draw's title, "" when nothing is. A title is shown in
// every chat and on the public pages, so it must be valid UTF-8 of 1 to MaxTitleLen characters
// (spaces around it aside), without control characters (line breaks, NUL) and without a
// direction override or isolate left open (U+202A..U+202E, U+2066..U+2069), which would turn
// round the text that follows it wherever the title is shown.
func TitleProblem(title string) string {
	if !utf8.ValidString(title) {
		return "not valid UTF-8"
	}
	title = strings.TrimSpace(title)
	switch n := utf8.RuneCountInString(title); {
	case n == 0:
		return "required"
	case n > MaxTitleLen:
		return fmt.Sprintf("at most %d characters, got %d", MaxTitleLen, n)
	}
	var open []rune // the direction controls not yet closed, innermost last
	for _, r := range title {
		switch {
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return fmt.Sprintf("control character %U", r)
		case r >= '\u202A' && r <= '\u202E' && r != '\u202C', r >= '\u2066' && r <= '\u2068':
			open = append(open, r)
		case r == '\u202C' || r == '\u2069': // PDF closes an embedding or override, PDI an isolate
			isolate := r == '\u2069'
			if len(open) == 0 || (open[len(open)-1] >= '\u2066') != isolate {
				return fmt.Sprintf("unbalanced direction control %U", r)
			}
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		return fmt.Sprintf("direction control %U not closed", open[len(open)-1])
	}
	return ""
}

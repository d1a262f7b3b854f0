// Package ledger is fairdraw's double-entry book of every Star and kopeck.
//
// Money moves only by Post: a Transaction of signed postings (positive adds to an account's
// balance) that sum to zero per currency, recorded inside the caller's database transaction so
// that the money move, the domain change and the job it triggers commit together or not at all.
// PostgreSQL enforces the invariants itself (see migrations/00001_ledger.sql); the checks here
// only give callers clear errors before the database would refuse.
//
// Accounts are named by code and created on first use; the last segment of a code is its
// currency. Only ext:* clearing accounts (the outside world) may go negative.
package ledger

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Currencies.
const (
	XTR = "XTR" // Telegram Stars, whole Stars
	RUB = "RUB" // rubles, in kopecks
)

// Domain errors.
var (
	// ErrInsufficientFunds means a non-ext account would go below zero. Nothing was written.
	ErrInsufficientFunds = errors.New("ledger: insufficient funds")
	// ErrIdempotencyConflict means the key was already used for a different request.
	ErrIdempotencyConflict = errors.New("ledger: idempotency key reused with a different request")
	// ErrInvalid means the transaction is malformed (unbalanced, empty, unknown currency...).
	ErrInvalid = errors.New("ledger: invalid transaction")
)

// Posting adds Amount (minor units, signed, non-zero) to the balance of Account.
type Posting struct {
	Account string
	Amount  int64
}

// Transaction is one business event that moves money.
type Transaction struct {
	// Key makes the event idempotent: posting the same Key again with the same Kind and postings
	// returns the first result; with anything else it is ErrIdempotencyConflict.
	Key string
	// Kind classifies the event (entry, refund, prize, commission, payout, ...).
	Kind string
	// Memo is free text for people reading the book; it is not part of the idempotent request.
	Memo     string
	Postings []Posting
}

// Result says what Post did.
type Result struct {
	// ID is the ledger transaction's id (the original one on a replay).
	ID int64
	// Replay is true when Key had already been posted with the same request; nothing was written.
	Replay bool
}

// Account codes. Every account of fairdraw is named by one of these.

// UserAccount holds a user's spendable balance (winnings not yet withdrawn).
func UserAccount(telegramID int64, currency string) string {
	return "user:" + strconv.FormatInt(telegramID, 10) + ":" + currency
}

// UserHeldAccount holds money a user asked to withdraw while the payout is in flight.
func UserHeldAccount(telegramID int64, currency string) string {
	return "user:" + strconv.FormatInt(telegramID, 10) + ":held:" + currency
}

// PoolAccount holds a draw's entry fees until settlement or refund.
func PoolAccount(drawID int64, currency string) string {
	return "draw:" + strconv.FormatInt(drawID, 10) + ":pool:" + currency
}

// CommissionAccount collects the platform's commission.
func CommissionAccount(currency string) string { return "platform:commission:" + currency }

// RefundsAccount holds money that arrived but must go back to its payer.
func RefundsAccount(currency string) string { return "platform:refunds:" + currency }

// Clearing accounts stand for the outside world: money received from or sent to a provider.
const (
	TelegramClearing = "ext:telegram:XTR"
	YooKassaClearing = "ext:yookassa:RUB"
)

// CurrencyOf returns the currency an account code is in.
func CurrencyOf(code string) (string, error) {
	i := strings.LastIndexByte(code, ':')
	if i <= 0 {
		return "", fmt.Errorf("%w: account %q has no currency", ErrInvalid, code)
	}
	switch cur := code[i+1:]; cur {
	case XTR, RUB:
		return cur, nil
	default:
		return "", fmt.Errorf("%w: account %q: unknown currency %q", ErrInvalid, code, cur)
	}
}

// Transfer is the common two-posting transaction: amount moves from one account to another.
func Transfer(key, kind, from, to string, amount int64) Transaction {
	return Transaction{Key: key, Kind: kind, Postings: []Posting{{from, -amount}, {to, amount}}}
}

// normalize validates t and returns its postings merged per account, sorted by code, with each
// account's currency, and the request hash that identifies the request for idempotency.
func normalize(t Transaction) (postings []Posting, currencies []string, hash []byte, err error) {
	if strings.TrimSpace(t.Key) == "" {
		return nil, nil, nil, fmt.Errorf("%w: empty idempotency key", ErrInvalid)
	}
	if strings.TrimSpace(t.Kind) == "" {
		return nil, nil, nil, fmt.Errorf("%w: empty kind", ErrInvalid)
	}
	merged := map[string]int64{}
	for _, p := range t.Postings {
		if p.Amount == 0 {
			return nil, nil, nil, fmt.Errorf("%w: zero posting to %s", ErrInvalid, p.Account)
		}
		sum, ok := addChecked(merged[p.Account], p.Amount)
		if !ok {
			return nil, nil, nil, fmt.Errorf("%w: amount overflow on %s", ErrInvalid, p.Account)
		}
		merged[p.Account] = sum
	}
	totals := map[string]int64{}
	for code, amt := range merged {
		if amt == 0 {
			continue
		}
		cur, err := CurrencyOf(code)
		if err != nil {
			return nil, nil, nil, err
		}
		sum, ok := addChecked(totals[cur], amt)
		if !ok {
			return nil, nil, nil, fmt.Errorf("%w: amount overflow in %s", ErrInvalid, cur)
		}
		totals[cur] = sum
		postings = append(postings, Posting{code, amt})
	}
	if len(postings) < 2 {
		return nil, nil, nil, fmt.Errorf("%w: fewer than two postings", ErrInvalid)
	}
	for cur, sum := range totals {
		if sum != 0 {
			return nil, nil, nil, fmt.Errorf("%w: postings in %s sum to %d, not zero", ErrInvalid, cur, sum)
		}
	}
	slices.SortFunc(postings, func(a, b Posting) int { return strings.Compare(a.Account, b.Account) })
	h := sha256.New()
	fmt.Fprintf(h, "kind=%s\n", t.Kind)
	for _, p := range postings {
		cur, _ := CurrencyOf(p.Account)
		currencies = append(currencies, cur)
		fmt.Fprintf(h, "%s=%d\n", p.Account, p.Amount)
	}
	return postings, currencies, h.Sum(nil), nil
}

func addChecked(a, b int64) (int64, bool) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, false
	}
	return s, true
}

package yookassa

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// ErrInvalidAmount is wrapped by every error about a malformed or out-of-range money value.
var ErrInvalidAmount = errors.New("invalid amount")

// CurrencyRUB is the only currency fairdraw sends; Amount accepts any ISO 4217 code the API
// returns.
const CurrencyRUB = "RUB"

// maxAmountLen bounds the strings ParseAmount looks at: int64 holds at most
// 92233720368547758.07 in minor units, 17 digits before the point plus ".NN".
const maxAmountLen = 17 + 3

// ParseAmount converts YooKassa's decimal string into minor units (kopecks for RUB).
//
// Only the form the API documents is accepted: «Всегда дробное значение. Разделитель дробной
// части — точка, разделитель тысяч отсутствует», i.e. ^(0|[1-9][0-9]*)\.[0-9]{2}$. Signs,
// exponents, spaces, commas, leading zeros, missing or extra decimals and values that do not fit
// int64 are rejected with an error wrapping ErrInvalidAmount.
//
// "0.00" parses to 0: the API itself sends it (for example refunded_amount before any refund).
// Whether zero is acceptable is the caller's decision; the request types of this package reject
// zero and negative amounts before anything is sent.
func ParseAmount(s string) (int64, error) {
	n := len(s)
	if n < 4 || n > maxAmountLen {
		return 0, fmt.Errorf("%w: %q: want digits, a point and two decimals", ErrInvalidAmount, truncate(s))
	}
	intPart, frac := s[:n-3], s[n-2:]
	if s[n-3] != '.' {
		return 0, fmt.Errorf("%w: %q: want exactly two decimals after a point", ErrInvalidAmount, truncate(s))
	}
	if len(intPart) > 1 && intPart[0] == '0' {
		return 0, fmt.Errorf("%w: %q: leading zero", ErrInvalidAmount, s)
	}
	var v int64
	for i := 0; i < len(intPart); i++ {
		c := intPart[i]
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: %q: unexpected %q", ErrInvalidAmount, s, c)
		}
		d := int64(c - '0')
		if v > (math.MaxInt64/100-d)/10 {
			return 0, fmt.Errorf("%w: %q: too large", ErrInvalidAmount, s)
		}
		v = v*10 + d
	}
	for i := 0; i < 2; i++ {
		if frac[i] < '0' || frac[i] > '9' {
			return 0, fmt.Errorf("%w: %q: unexpected %q", ErrInvalidAmount, s, frac[i])
		}
	}
	cents := int64(frac[0]-'0')*10 + int64(frac[1]-'0')
	// The loop keeps v <= MaxInt64/100, so v*100 fits; the cents may still tip it over.
	if v > (math.MaxInt64-cents)/100 {
		return 0, fmt.Errorf("%w: %q: too large", ErrInvalidAmount, s)
	}
	return v*100 + cents, nil
}

// FormatAmount renders minor units the way the API expects: 10000 -> "100.00", 1 -> "0.01".
// A negative value gets a leading minus sign; it is useful in logs only, the API never takes one
// and ParseAmount rejects it.
func FormatAmount(kopecks int64) string {
	sign := ""
	u := uint64(kopecks)
	if kopecks < 0 {
		sign = "-"
		u = uint64(-(kopecks + 1)) + 1 // safe for math.MinInt64
	}
	frac := u % 100
	buf := make([]byte, 0, 24)
	buf = append(buf, sign...)
	buf = strconv.AppendUint(buf, u/100, 10)
	buf = append(buf, '.', byte('0'+frac/10), byte('0'+frac%10))
	return string(buf)
}

// Amount is YooKassa's MonetaryAmount: {"value":"100.00","currency":"RUB"}. Value is in minor
// units and never travels as a float.
type Amount struct {
	Value    int64  // minor units (kopecks)
	Currency string // ISO 4217, e.g. "RUB"
}

// RUB returns an Amount in rubles from kopecks.
func RUB(kopecks int64) Amount { return Amount{Value: kopecks, Currency: CurrencyRUB} }

// String renders "100.00 RUB" for logs and messages.
func (a Amount) String() string { return FormatAmount(a.Value) + " " + a.Currency }

type wireAmount struct {
	Value    json.RawMessage `json:"value"`
	Currency json.RawMessage `json:"currency"`
}

// MarshalJSON writes {"value":"100.00","currency":"RUB"}. It fails for a negative value or a
// currency that is not three upper-case letters, so a bad amount never reaches the API.
func (a Amount) MarshalJSON() ([]byte, error) {
	if a.Value < 0 {
		return nil, fmt.Errorf("%w: negative value %d", ErrInvalidAmount, a.Value)
	}
	if !validCurrency(a.Currency) {
		return nil, fmt.Errorf("%w: currency %q", ErrInvalidAmount, a.Currency)
	}
	buf := make([]byte, 0, 48)
	buf = append(buf, `{"value":"`...)
	buf = append(buf, FormatAmount(a.Value)...)
	buf = append(buf, `","currency":"`...)
	buf = append(buf, a.Currency...)
	buf = append(buf, `"}`...)
	return buf, nil
}

// UnmarshalJSON reads {"value":"100.00","currency":"RUB"}. Both fields are required, the value
// must be a JSON string in ParseAmount's strict form (a JSON number is rejected) and the
// currency three upper-case letters.
func (a *Amount) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("null")) {
		return fmt.Errorf("%w: null", ErrInvalidAmount)
	}
	var w wireAmount
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidAmount, err)
	}
	if len(w.Value) == 0 || w.Value[0] != '"' {
		return fmt.Errorf("%w: value must be a JSON string", ErrInvalidAmount)
	}
	var value, currency string
	if err := json.Unmarshal(w.Value, &value); err != nil {
		return fmt.Errorf("%w: value: %v", ErrInvalidAmount, err)
	}
	if len(w.Currency) == 0 || w.Currency[0] != '"' {
		return fmt.Errorf("%w: currency must be a JSON string", ErrInvalidAmount)
	}
	if err := json.Unmarshal(w.Currency, &currency); err != nil {
		return fmt.Errorf("%w: currency: %v", ErrInvalidAmount, err)
	}
	v, err := ParseAmount(value)
	if err != nil {
		return err
	}
	if !validCurrency(currency) {
		return fmt.Errorf("%w: currency %q", ErrInvalidAmount, truncate(currency))
	}
	*a = Amount{Value: v, Currency: currency}
	return nil
}

func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

// truncate keeps error messages short when the input is hostile.
func truncate(s string) string {
	const max = 32
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// Balance is a MonetaryAmount that may be negative: a payout gateway's balance («Баланс
// тестового шлюза всегда отрицательный или нулевой»). It is only ever read from the API.
type Balance struct {
	Value    int64 // minor units; negative when the gateway owes
	Currency string
}

// String renders "-100.00 RUB".
func (b Balance) String() string { return FormatAmount(b.Value) + " " + b.Currency }

// UnmarshalJSON accepts Amount's strict form with an optional leading minus sign.
func (b *Balance) UnmarshalJSON(data []byte) error {
	var w struct {
		Value    *string `json:"value"`
		Currency *string `json:"currency"`
	}
	if err := json.Unmarshal(data, &w); err != nil {
		return fmt.Errorf("%w: balance: %v", ErrInvalidAmount, err)
	}
	if w.Value == nil || w.Currency == nil {
		return fmt.Errorf("%w: balance needs value and currency", ErrInvalidAmount)
	}
	s, neg := *w.Value, false
	if len(s) > 1 && s[0] == '-' {
		s, neg = s[1:], true
	}
	v, err := ParseAmount(s)
	if err != nil {
		return err
	}
	if !validCurrency(*w.Currency) {
		return fmt.Errorf("%w: currency %q", ErrInvalidAmount, truncate(*w.Currency))
	}
	if neg {
		v = -v
	}
	*b = Balance{Value: v, Currency: *w.Currency}
	return nil
}

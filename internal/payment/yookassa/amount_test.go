package yookassa_test

import (
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

func TestParseAmount(t *testing.T) {
	ok := []struct {
		name string
		in   string
		want int64
	}{
		{"hundred", "100.00", 10000},
		{"one kopeck", "0.01", 1},
		{"zero is syntactically valid", "0.00", 0},
		{"odd kopecks", "9.99", 999},
		{"trailing zero kopecks", "12.30", 1230},
		{"int64 max", "92233720368547758.07", math.MaxInt64},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			got, err := yookassa.ParseAmount(tc.in)
			if err != nil {
				t.Fatalf("ParseAmount(%q): %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("ParseAmount(%q) = %d, want %d", tc.in, got, tc.want)
			}
		})
	}

	bad := []struct{ name, in string }{
		{"no decimals", "100"},
		{"one decimal", "100.0"},
		{"three decimals", "100.000"},
		{"negative", "-1.00"},
		{"plus sign", "+1.00"},
		{"exponent", "1e2"},
		{"exponent with decimals", "1.00e2"},
		{"leading space", " 1.00"},
		{"trailing space", "1.00 "},
		{"leading zero", "01.00"},
		{"comma", "1,00"},
		{"empty", ""},
		{"just a point", "."},
		{"no integer part", ".50"},
		{"thousands separator", "1 000.00"},
		{"int64 max plus one kopeck", "92233720368547758.08"},
		{"huge overflow", "99999999999999999999.00"},
		{"very long", "1000000000000000000000000000000000000000.00"},
		{"letters", "1a.00"},
		{"letters in kopecks", "1.0a"},
		{"hex", "0x1.00"},
		{"nan", "NaN"},
		{"unicode digit", "١.00"},
		{"double point", "1..00"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			got, err := yookassa.ParseAmount(tc.in)
			if err == nil {
				t.Fatalf("ParseAmount(%q) = %d, want an error", tc.in, got)
			}
			if !errors.Is(err, yookassa.ErrInvalidAmount) {
				t.Fatalf("ParseAmount(%q) error %v does not wrap ErrInvalidAmount", tc.in, err)
			}
		})
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		name string
		in   int64
		want string
	}{
		{"zero", 0, "0.00"},
		{"one kopeck", 1, "0.01"},
		{"ten kopecks", 10, "0.10"},
		{"hundred", 10000, "100.00"},
		{"odd", 999, "9.99"},
		{"max", math.MaxInt64, "92233720368547758.07"},
		{"negative for logs", -150, "-1.50"},
		{"min", math.MinInt64, "-92233720368547758.08"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := yookassa.FormatAmount(tc.in); got != tc.want {
				t.Fatalf("FormatAmount(%d) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestAmountRoundTrip(t *testing.T) {
	for _, k := range []int64{0, 1, 99, 100, 12345, 500_000_00, math.MaxInt64} {
		got, err := yookassa.ParseAmount(yookassa.FormatAmount(k))
		if err != nil || got != k {
			t.Fatalf("ParseAmount(FormatAmount(%d)) = %d, %v", k, got, err)
		}
	}
}

func TestAmountJSON(t *testing.T) {
	b, err := json.Marshal(yookassa.RUB(10000))
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if got, want := string(b), `{"value":"100.00","currency":"RUB"}`; got != want {
		t.Fatalf("Marshal = %s, want %s", got, want)
	}

	var a yookassa.Amount
	if err := json.Unmarshal([]byte(`{"currency":"RUB","value":"9.64"}`), &a); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if diff := cmp.Diff(yookassa.Amount{Value: 964, Currency: "RUB"}, a); diff != "" {
		t.Fatalf("Unmarshal (-want +got):\n%s", diff)
	}

	badJSON := []struct{ name, in string }{
		{"number value", `{"value":100.00,"currency":"RUB"}`},
		{"integer value", `{"value":100,"currency":"RUB"}`},
		{"float string without decimals", `{"value":"100","currency":"RUB"}`},
		{"missing value", `{"currency":"RUB"}`},
		{"missing currency", `{"value":"1.00"}`},
		{"lower-case currency", `{"value":"1.00","currency":"rub"}`},
		{"numeric currency", `{"value":"1.00","currency":643}`},
		{"null", `null`},
		{"array", `["1.00","RUB"]`},
		{"negative", `{"value":"-1.00","currency":"RUB"}`},
	}
	for _, tc := range badJSON {
		t.Run(tc.name, func(t *testing.T) {
			var a yookassa.Amount
			if err := json.Unmarshal([]byte(tc.in), &a); err == nil {
				t.Fatalf("Unmarshal(%s) = %+v, want an error", tc.in, a)
			}
		})
	}

	badMarshal := []struct {
		name string
		in   yookassa.Amount
	}{
		{"negative", yookassa.Amount{Value: -1, Currency: "RUB"}},
		{"no currency", yookassa.Amount{Value: 1}},
		{"bad currency", yookassa.Amount{Value: 1, Currency: "rubles"}},
	}
	for _, tc := range badMarshal {
		t.Run("marshal "+tc.name, func(t *testing.T) {
			if b, err := json.Marshal(tc.in); err == nil {
				t.Fatalf("Marshal(%+v) = %s, want an error", tc.in, b)
			}
		})
	}
}

func TestBalanceJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want yookassa.Balance
	}{
		{"positive", `{"value":"1000.00","currency":"RUB"}`, yookassa.Balance{Value: 100000, Currency: "RUB"}},
		{"negative test gateway", `{"value":"-25.50","currency":"RUB"}`, yookassa.Balance{Value: -2550, Currency: "RUB"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b yookassa.Balance
			if err := json.Unmarshal([]byte(tc.in), &b); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if diff := cmp.Diff(tc.want, b); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, in := range []string{`{"value":-1,"currency":"RUB"}`, `{"value":"--1.00","currency":"RUB"}`, `{"value":"-","currency":"RUB"}`} {
		var b yookassa.Balance
		if err := json.Unmarshal([]byte(in), &b); err == nil {
			t.Fatalf("Unmarshal(%s) = %+v, want an error", in, b)
		}
	}
}

func BenchmarkParseAmount(b *testing.B) {
	inputs := []string{"100.00", "0.01", "92233720368547758.07", "12345.67"}
	for i := 0; b.Loop(); i++ {
		if _, err := yookassa.ParseAmount(inputs[i%len(inputs)]); err != nil {
			b.Fatal(err)
		}
	}
}

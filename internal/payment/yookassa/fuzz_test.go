package yookassa_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// FuzzParseNotification: a body from anywhere on the internet is either refused with
// ErrInvalidNotification or yields a notification whose parts agree with each other, so the
// handler never re-fetches an object named by something it did not check.
func FuzzParseNotification(f *testing.F) {
	files, err := filepath.Glob("testdata/notification_*.json")
	if err != nil || len(files) == 0 {
		f.Fatalf("seed notifications: %v (%d files)", err, len(files))
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"type":"notification","event":"refund.succeeded","object":{"id":"r-1","status":"succeeded","payment_id":"p-1"}}`))
	f.Add([]byte(`{"type":"notification","event":"payout.canceled","object":{"id":"po-1","status":"canceled"}}`))
	f.Add([]byte(`{"type":"notification","event":"payment.succeeded","object":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := yookassa.ParseNotification(body)
		if err != nil {
			if !errors.Is(err, yookassa.ErrInvalidNotification) {
				t.Fatalf("error %v does not wrap ErrInvalidNotification", err)
			}
			if n != nil {
				t.Fatalf("notification %+v returned with an error", n)
			}
			return
		}
		if string(n.Event) != n.ObjectType+"."+n.Status || n.Event.ObjectType() != n.ObjectType {
			t.Fatalf("event %q, object type %q, status %q disagree", n.Event, n.ObjectType, n.Status)
		}
		if !plausibleID(n.ObjectID) {
			t.Fatalf("object id %q accepted", n.ObjectID)
		}
		if (n.ObjectType == "refund") != (n.PaymentID != "") || (n.PaymentID != "" && !plausibleID(n.PaymentID)) {
			t.Fatalf("payment id %q for a %s", n.PaymentID, n.ObjectType)
		}
	})
}

func plausibleID(s string) bool {
	return s != "" && len(s) <= 50 && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == ""
}

// FuzzParseAmount: a string is refused, or it is the exact text FormatAmount writes for the
// value it parses to; no two spellings name one amount and no amount is negative.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"100.00", "0.01", "0.00", "92233720368547758.07", "92233720368547758.08",
		"1.0", "01.00", "-1.00", "1e2", "1,00", " 1.00", "1.001", "１.00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := yookassa.ParseAmount(s)
		if err != nil {
			if !errors.Is(err, yookassa.ErrInvalidAmount) {
				t.Fatalf("ParseAmount(%q) error %v does not wrap ErrInvalidAmount", s, err)
			}
			return
		}
		if v < 0 {
			t.Fatalf("ParseAmount(%q) = %d", s, v)
		}
		if got := yookassa.FormatAmount(v); got != s {
			t.Fatalf("ParseAmount(%q) = %d, which formats as %q", s, v, got)
		}
	})
}

// FuzzAmountJSON: an amount object from YooKassa either fails to decode or re-encodes to an
// equal amount, so what we store is what the API said, to the kopeck.
func FuzzAmountJSON(f *testing.F) {
	for _, s := range []string{`{"value":"100.00","currency":"RUB"}`, `{"value":100,"currency":"RUB"}`,
		`{"value":"1.00","currency":"rub"}`, `{"value":"1.00"}`, `null`, `{"value":"0.10","currency":"RUB","x":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var a yookassa.Amount
		if err := json.Unmarshal(data, &a); err != nil {
			return
		}
		out, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("decoded %+v from %q but cannot encode it: %v", a, data, err)
		}
		var back yookassa.Amount
		if err := json.Unmarshal(out, &back); err != nil || back != a {
			t.Fatalf("%q -> %+v -> %s -> %+v, %v", data, a, out, back, err)
		}
	})
}

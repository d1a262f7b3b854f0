package fairness_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fairdraw/fairdraw/internal/fairness"
)

func TestCanonicalListAndHash(t *testing.T) {
	v := loadSelectionVector(t)
	if got := fairness.ListHash(v.Entrants); got != v.ListSHA256 {
		t.Fatalf("ListHash = %s, want %s", got, v.ListSHA256)
	}
	tests := []struct {
		name  string
		codes []string
		want  string
	}{
		{"two codes", []string{"a", "b"}, "a\nb\n"},
		{"one code", []string{"X7K2"}, "X7K2\n"},
		{"none", nil, ""},
		{"non-ASCII kept as UTF-8", []string{"ёж"}, "ёж\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, string(fairness.CanonicalList(tt.codes))); diff != "" {
				t.Fatalf("CanonicalList (-want +got):\n%s", diff)
			}
		})
	}
	// sha256("") for the empty list.
	if got := fairness.ListHash(nil); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Fatalf("ListHash(nil) = %s", got)
	}
}

func TestValidateCodes(t *testing.T) {
	tests := []struct {
		name    string
		codes   []string
		wantErr bool
	}{
		{"fine", []string{"a", "b"}, false},
		{"empty list", nil, true},
		{"empty code", []string{"a", ""}, true},
		{"LF", []string{"a\nb"}, true},
		{"CR", []string{"a\rb"}, true},
		{"duplicate", []string{"a", "b", "a"}, true},
		{"invalid UTF-8", []string{"\xff"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fairness.ValidateCodes(tt.codes)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ValidateCodes = %v, wantErr %t", err, tt.wantErr)
			}
		})
	}
}

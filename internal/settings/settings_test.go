package settings_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/fairdraw/fairdraw/internal/settings"
)

// TestValidateSettings: the ranges of each setting.
func TestValidateSettings(t *testing.T) {
	for _, tc := range []struct {
		name, key, value string
		ok               bool
	}{
		{"commission zero", settings.KeyCommissionXTR, "0", true},
		{"commission all", settings.KeyCommissionRUB, "10000", true},
		{"commission over all", settings.KeyCommissionRUB, "10001", false},
		{"commission negative", settings.KeyCommissionXTR, "-1", false},
		{"limit zero", settings.KeyMaxEntriesPerDay, "0", false},
		{"limit", settings.KeyMaxEntriesPerDay, "20", true},
		{"digest under a minute", settings.KeyDigestInterval, "59", false},
		{"digest a week", settings.KeyDigestInterval, "604800", true},
		{"threshold", settings.KeyReserveThreshold, "3000", true},
		{"threshold not a number", settings.KeyReserveThreshold, "3k", false},
		{"announcement", settings.KeyAnnouncement, "Привет", true},
		{"empty announcement", settings.KeyAnnouncement, "  ", false},
		{"too long announcement", settings.KeyAnnouncement, strings.Repeat("я", 3501), false},
		{"unknown key", "colour", "red", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := settings.Validate(tc.key, tc.value)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, settings.ErrBad)) {
				t.Fatalf("Validate(%s, %q) = %v", tc.key, tc.value, err)
			}
		})
	}
}

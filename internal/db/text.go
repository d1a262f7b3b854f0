package db

import "strings"

// StorableText is s as PostgreSQL text can hold it: valid UTF-8 without NUL characters, each
// bad byte and each NUL shown as U+FFFD. Text from users (names, forged button data) may have
// both, and one unstorable string must not make an update fail for ever.
func StorableText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// NoNULEscapes rewrites, in place, every JSON escape \u0000 in data to \ufffd: jsonb refuses
// the first, and a string decoded from it could not be stored as text. It walks the escapes,
// so an escaped backslash followed by "u0000" is left alone. data is returned for chaining.
func NoNULEscapes(data []byte) []byte {
	for i := 0; i+1 < len(data); i++ {
		if data[i] != '\\' {
			continue
		}
		if data[i+1] == 'u' && i+6 <= len(data) && string(data[i+2:i+6]) == "0000" {
			copy(data[i+2:i+6], "fffd")
		}
		i++ // skip the escaped character
	}
	return data
}

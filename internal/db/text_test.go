package db

import "testing"

func TestStorableText(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "adm:draw:1", "adm:draw:1"},
		{"NUL", "adm:\x00", "adm:\uFFFD"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := StorableText(tc.in); got != tc.want {
				t.Fatalf("StorableText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestNoNULEscapes(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"NUL escape", `{"s":"a\u0000b"}`, `{"s":"a\ufffdb"}`},
		{"escaped backslash then u0000 stays", `{"s":"a\\u0000b"}`, `{"s":"a\\u0000b"}`},
		{"backslash then NUL", `["\\\u0000"]`, `["\\\ufffd"]`},
		{"other escapes", `"\n\u0001"`, `"\n\u0001"`},
		{"cut short", `"\u000`, `"\u000`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(NoNULEscapes([]byte(tc.in))); got != tc.want {
				t.Fatalf("NoNULEscapes(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

package stars

import (
	"errors"
	"testing"
)

// FuzzParsePayload: any string either is refused with ErrBadPayload or is exactly the payload
// fairdraw would have issued for what it names, so a payload can be accepted in one spelling only.
func FuzzParsePayload(f *testing.F) {
	for _, s := range []string{"fd1:1:2:3", "fd1:42:1111111:50", "fd1:9223372036854775807:1:1",
		"fd1:01:2:3", "fd1:+1:2:3", "fd1:1:2:3:4", "fd2:1:2:3", "", "fd1:-0:1:1", "fd1:1:2:3\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePayload(s)
		if err != nil {
			if !errors.Is(err, ErrBadPayload) {
				t.Fatalf("ParsePayload(%q) error %v does not wrap ErrBadPayload", s, err)
			}
			if p != (Payload{}) {
				t.Fatalf("ParsePayload(%q) returned %+v with an error", s, p)
			}
			return
		}
		if p.DrawID <= 0 || p.UserID <= 0 || p.Amount <= 0 {
			t.Fatalf("ParsePayload(%q) = %+v: non-positive field accepted", s, p)
		}
		if p.String() != s {
			t.Fatalf("ParsePayload(%q) accepted a spelling fairdraw never issues (canonical %q)", s, p.String())
		}
	})
}

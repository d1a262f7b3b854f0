package stars

import (
	"errors"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPayloadRoundTrip(t *testing.T) {
	p := Payload{DrawID: 42, UserID: 1111111, Amount: 50}
	got, err := ParsePayload(p.String())
	if err != nil || got != p {
		t.Fatalf("ParsePayload(%q) = %+v, %v", p.String(), got, err)
	}
	if len(Payload{DrawID: 1<<63 - 1, UserID: 1<<63 - 1, Amount: 1<<63 - 1}.String()) > 128 {
		t.Fatal("largest payload exceeds Telegram's 128 bytes")
	}
}

func TestParsePayloadRejects(t *testing.T) {
	for name, s := range map[string]string{
		"empty": "", "other version": "fd2:1:2:3", "missing part": "fd1:1:2", "extra part": "fd1:1:2:3:4",
		"not a number": "fd1:x:2:3", "zero draw": "fd1:0:2:3", "negative amount": "fd1:1:2:-3", "spaces": "fd1: 1:2:3",
		"foreign": "draw:42:entry:1111111:v1",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParsePayload(s); !errors.Is(err, ErrBadPayload) {
				t.Fatalf("ParsePayload(%q) err = %v", s, err)
			}
		})
	}
}

package randomorg_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
)

// baseRandom is a Release 4 shaped object matching baseRequest.
const baseRandom = `{"method":"generateSignedIntegers","hashedApiKey":"KEY","n":3,"min":0,"max":9,"replacement":false,"base":10,"pregeneratedRandomization":null,"data":[4,7,2],"license":{"type":"developer","text":"t","infoUrl":null},"licenseData":null,"userData":{"draw":7,"n":10,"list":"ab"},"ticketData":{"ticketId":"T1","previousTicketId":null,"nextTicketId":null},"completionTime":"2026-01-02 03:04:05Z","serialNumber":42}`

func baseRequest() randomorg.Request {
	return randomorg.Request{N: 3, Min: 0, Max: 9, Replacement: false,
		UserData: json.RawMessage(`{"draw":7,"n":10,"list":"ab"}`), TicketID: "T1"}
}

func TestParseRandom(t *testing.T) {
	o, err := randomorg.ParseRandom(json.RawMessage(baseRandom))
	if err != nil {
		t.Fatalf("ParseRandom: %v", err)
	}
	if diff := cmp.Diff([]int{4, 7, 2}, o.Data); diff != "" {
		t.Fatalf("Data (-want +got):\n%s", diff)
	}
	at, err := o.CompletedAt()
	if err != nil || !at.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Fatalf("CompletedAt = %v, %v", at, err)
	}
	if o.SerialNumber != 42 || o.TicketData == nil || o.TicketData.TicketID != "T1" {
		t.Fatalf("parsed serial %d ticket %+v", o.SerialNumber, o.TicketData)
	}
	if err := o.Check(baseRequest(), "KEY"); err != nil {
		t.Fatalf("Check on the matching request: %v", err)
	}
	if _, err := randomorg.ParseRandom(json.RawMessage(`{"n":`)); err == nil {
		t.Fatalf("ParseRandom(truncated) = nil error")
	}
}

func TestCheckBindings(t *testing.T) {
	tests := []struct {
		name    string
		random  string // replaces baseRandom when set
		req     func(*randomorg.Request)
		key     string
		wantErr error
	}{
		{name: "all match", wantErr: nil},
		{name: "userData member order and spacing do not matter",
			req: func(r *randomorg.Request) { r.UserData = json.RawMessage(`{ "list":"ab", "n":10, "draw":7 }`) }},
		{name: "method", random: replace(baseRandom, `"generateSignedIntegers"`, `"generateIntegers"`), wantErr: randomorg.ErrParams},
		{name: "n", req: func(r *randomorg.Request) { r.N = 2 }, wantErr: randomorg.ErrParams},
		{name: "min", req: func(r *randomorg.Request) { r.Min = 1 }, wantErr: randomorg.ErrParams},
		{name: "max", req: func(r *randomorg.Request) { r.Max = 10 }, wantErr: randomorg.ErrParams},
		{name: "replacement", req: func(r *randomorg.Request) { r.Replacement = true }, wantErr: randomorg.ErrParams},
		{name: "replacement absent means true", random: replace(baseRandom, `"replacement":false,`, ``), wantErr: randomorg.ErrParams},
		{name: "base 16", random: replace(baseRandom, `"base":10`, `"base":16`), wantErr: randomorg.ErrParams},
		{name: "data out of range", random: replace(baseRandom, `[4,7,2]`, `[4,7,12]`), wantErr: randomorg.ErrParams},
		{name: "data repeats", random: replace(baseRandom, `[4,7,2]`, `[4,7,4]`), wantErr: randomorg.ErrParams},
		{name: "data short", random: replace(baseRandom, `[4,7,2]`, `[4,7]`), wantErr: randomorg.ErrParams},
		{name: "userData draw", req: func(r *randomorg.Request) { r.UserData = json.RawMessage(`{"draw":8,"n":10,"list":"ab"}`) }, wantErr: randomorg.ErrUserData},
		{name: "userData string id", req: func(r *randomorg.Request) { r.UserData = json.RawMessage(`{"draw":"7","n":10,"list":"ab"}`) }, wantErr: randomorg.ErrUserData},
		{name: "userData null vs object", req: func(r *randomorg.Request) { r.UserData = nil }, wantErr: randomorg.ErrUserData},
		{name: "ticket differs", req: func(r *randomorg.Request) { r.TicketID = "T2" }, wantErr: randomorg.ErrTicket},
		{name: "ticket missing", random: replace(baseRandom, `{"ticketId":"T1","previousTicketId":null,"nextTicketId":null}`, `null`), wantErr: randomorg.ErrTicket},
		{name: "ticket unexpected", req: func(r *randomorg.Request) { r.TicketID = "" }, wantErr: randomorg.ErrTicket},
		{name: "pregenerated date", random: replace(baseRandom, `"pregeneratedRandomization":null`, `"pregeneratedRandomization":{"date":"2020-01-01"}`), wantErr: randomorg.ErrPregenerated},
		{name: "pregenerated absent is fine", random: replace(baseRandom, `"pregeneratedRandomization":null,`, ``)},
		{name: "hashed key", key: "OTHER", wantErr: randomorg.ErrHashedAPIKey},
		{name: "hashed key not given", key: "-", wantErr: randomorg.ErrHashedAPIKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := baseRandom
			if tt.random != "" {
				raw = tt.random
			}
			req := baseRequest()
			if tt.req != nil {
				tt.req(&req)
			}
			key := "KEY"
			switch tt.key {
			case "":
			case "-":
				key = ""
			default:
				key = tt.key
			}
			o, err := randomorg.ParseRandom(json.RawMessage(raw))
			if err != nil {
				t.Fatalf("ParseRandom: %v", err)
			}
			err = o.Check(req, key)
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Check = %v, want nil", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Check = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// replace replaces the only occurrence of old in s; it panics if there is none,
// so that a typo in a test case cannot silently test nothing.
func replace(s, old, new string) string {
	if !strings.Contains(s, old) {
		panic("replace: " + old + " not found")
	}
	return strings.Replace(s, old, new, 1)
}

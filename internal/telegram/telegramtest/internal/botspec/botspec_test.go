package botspec

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// spec is a small hand-written spec in the source format.
const spec = `{
  "version": "Bot API test",
  "methods": {
    "sendInvoice": {"name": "sendInvoice", "returns": ["Message"], "fields": [
      {"name": "chat_id", "types": ["Integer", "String"], "required": true, "description": ""},
      {"name": "prices", "types": ["Array of LabeledPrice"], "required": true, "description": ""},
      {"name": "need_name", "types": ["Boolean"], "required": false, "description": ""}
    ]}
  },
  "types": {
    "Message": {"name": "Message", "fields": [{"name": "message_id", "types": ["Integer"], "required": true, "description": ""}]},
    "LabeledPrice": {"name": "LabeledPrice", "fields": [
      {"name": "label", "types": ["String"], "required": true, "description": ""},
      {"name": "amount", "types": ["Integer"], "required": true, "description": ""}
    ]},
    "ChatMember": {"name": "ChatMember", "subtypes": ["ChatMemberMember", "ChatMemberBanned"]},
    "ChatMemberMember": {"name": "ChatMemberMember", "fields": [
      {"name": "status", "types": ["String"], "required": true, "description": "The member's status in the chat, always \"member\""}
    ]},
    "ChatMemberBanned": {"name": "ChatMemberBanned", "fields": [
      {"name": "status", "types": ["String"], "required": true, "description": "The member's status in the chat, always \"kicked\""},
      {"name": "until_date", "types": ["Integer"], "required": true, "description": ""}
    ]},
    "Unused": {"name": "Unused", "fields": []}
  }
}`

func parse(t *testing.T) *Spec {
	t.Helper()
	s, err := Parse([]byte(spec))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return s
}

func TestCheck(t *testing.T) {
	s := parse(t)
	tests := []struct {
		name  string
		types []string
		value string
		want  string // "" for valid
	}{
		{"integer", []string{"Integer"}, `42`, ""},
		{"float is not an integer", []string{"Integer"}, `4.2`, "x: must be Integer, got Float"},
		{"integer or string takes a string", []string{"Integer", "String"}, `"@channel"`, ""},
		{"integer or string refuses a boolean", []string{"Integer", "String"}, `true`, "x: must be Integer or String, got Boolean"},
		{"array of objects", []string{"Array of LabeledPrice"}, `[{"label":"Entry","amount":50}]`, ""},
		{"field of the wrong type", []string{"Array of LabeledPrice"}, `[{"label":"Entry","amount":"50"}]`, "x[0].amount: must be Integer, got String"},
		{"missing field", []string{"Array of LabeledPrice"}, `[{"amount":50}]`, "x[0].label: is required in LabeledPrice"},
		{"unknown field", []string{"LabeledPrice"}, `{"label":"Entry","amount":50,"currency":"XTR"}`, "x.currency: is not a field of LabeledPrice"},
		{"union member by discriminator", []string{"ChatMember"}, `{"status":"kicked","until_date":0}`, ""},
		{"union member with a wrong discriminator", []string{"ChatMember"}, `{"status":"left"}`, `x: matches no kind of ChatMember (first: x.status: must be "member" in ChatMemberMember)`},
		{"type outside the extract is opaque", []string{"WebAppInfo"}, `{"url":"https://example.org"}`, ""},
		{"true", []string{"True"}, `false`, "x: must be True, got Boolean"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Decode([]byte(tc.value))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			got := ""
			if err := s.Check("x", tc.types, v); err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("Check = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFromForm(t *testing.T) {
	s := parse(t)
	tests := []struct {
		name  string
		types []string
		raw   string
		want  any
		err   string
	}{
		{"integer first", []string{"Integer", "String"}, "42", mustDecode(t, "42"), ""},
		{"string when not a number", []string{"Integer", "String"}, "@channel", "@channel", ""},
		{"boolean", []string{"Boolean"}, "true", true, ""},
		{"not a boolean", []string{"Boolean"}, "yes", nil, `x: must be Boolean, got "yes"`},
		{"JSON-serialized array", []string{"Array of LabeledPrice"}, `[{"label":"Entry","amount":50}]`, mustDecode(t, `[{"label":"Entry","amount":50}]`), ""},
		{"broken JSON", []string{"Array of LabeledPrice"}, `[{`, nil, "x: can't parse Array of LabeledPrice JSON: unexpected EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.FromForm("x", tc.types, tc.raw)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.err {
				t.Fatalf("error = %q, want %q", gotErr, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("value (-want +got):\n%s", diff)
			}
		})
	}
}

func mustDecode(t *testing.T, s string) any {
	t.Helper()
	v, err := Decode([]byte(s))
	if err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func TestExtractKeepsWhatTheMethodsUse(t *testing.T) {
	out, err := Extract(parse(t), []string{"sendInvoice"}, []string{"Message", "ChatMember", "ChatMemberMember", "ChatMemberBanned"})
	if err != nil {
		t.Fatalf("extract: %v", err)
	}
	got, err := Parse(out)
	if err != nil {
		t.Fatalf("parse extract: %v", err)
	}
	if diff := cmp.Diff([]string{"sendInvoice"}, got.MethodNames()); diff != "" {
		t.Fatalf("methods (-want +got):\n%s", diff)
	}
	for _, name := range []string{"LabeledPrice", "Message", "ChatMemberBanned"} {
		if got.Types[name] == nil {
			t.Fatalf("extract lacks %s", name)
		}
	}
	if got.Types["Unused"] != nil {
		t.Fatalf("extract keeps a type nothing uses")
	}
	if c := got.Types["ChatMemberBanned"].Field("status").Const; c != "kicked" {
		t.Fatalf("discriminator = %q, want kicked", c)
	}
	if _, err := Extract(parse(t), []string{"sendGift"}, nil); err == nil {
		t.Fatalf("extracting an unknown method succeeded")
	}
}

package randomorg

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// FormURL is RANDOM.ORG's signature verification form.
const FormURL = "https://api.random.org/signatures/form"

// MaxVerificationURLLen is the longest verification link the official
// clients produce (2,046 characters); longer links may be refused, and a
// POST to FormURL with fields format=json, random, signature is the
// alternative.
const MaxVerificationURLLen = 2046

// VerificationURL returns the link to RANDOM.ORG's verification form for a
// signed result, built like the official clients' createUrl: random is the
// standard base64 of the stored raw bytes (never a re-encoded object), and in
// both values '=', '+' and '/' are percent-encoded. The result may be longer
// than MaxVerificationURLLen.
func VerificationURL(random json.RawMessage, sig string) string {
	return FormURL + "?format=json&random=" + formEscape(base64.StdEncoding.EncodeToString(random)) +
		"&signature=" + formEscape(sig)
}

func formEscape(s string) string {
	return strings.NewReplacer("=", "%3D", "+", "%2B", "/", "%2F").Replace(s)
}

// Package verifier turns fairness.VerifyFile into a report a web page can show: every check
// of the file's kind by name, each passed, failed or not run. It is what the WebAssembly
// verifier (cmd/verifier-wasm) returns to the browser, and it is plain Go so the server
// and its tests produce the very same report.
package verifier

import (
	"encoding/json"

	"github.com/fairdraw/fairdraw/internal/fairness"
)

// Check statuses.
const (
	Pass   = "pass"
	Fail   = "fail"
	NotRun = "not_run" // an earlier check failed, so this one was not reached
)

// Check is one named check and its outcome.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	// Reason says why a failed check failed.
	Reason string `json:"reason,omitempty"`
}

// Result is the verifier's answer.
type Result struct {
	Valid bool `json:"valid"`
	// Kind is fairness.KindProof, KindRandomOrg or KindDrand; empty when unreadable.
	Kind   string  `json:"kind"`
	Checks []Check `json:"checks"`
	// Text is exactly what `fairdraw verify` prints on standard output for the same file.
	Text string `json:"text"`
	// Draw, Entries and Winners summarise a full proof for the page.
	Draw    *fairness.DrawRules `json:"draw,omitempty"`
	Entries int                 `json:"entries"`
	Winners []fairness.Winner   `json:"winners,omitempty"`
}

// Names returns the checks fairness.VerifyProof runs for a proof of source, in order (see
// the fairness.Check constants); for a bare RANDOM.ORG result or drand beacon (kind) it is
// format and signature.
func Names(kind, source string) []string {
	switch {
	case kind == fairness.KindProof && source == fairness.SourceRandomOrg:
		return []string{fairness.CheckFormat, fairness.CheckListHash, fairness.CheckSignature, fairness.CheckParams,
			fairness.CheckUserData, fairness.CheckTicket, fairness.CheckPregenerated, fairness.CheckHashedAPIKey,
			fairness.CheckVerificationURL, fairness.CheckWinners, fairness.CheckPrizes}
	case kind == fairness.KindProof && source == fairness.SourceDrand:
		return []string{fairness.CheckFormat, fairness.CheckListHash, fairness.CheckSignature, fairness.CheckParams,
			fairness.CheckRound, fairness.CheckWinners, fairness.CheckPrizes}
	case kind == fairness.KindRandomOrg || kind == fairness.KindDrand:
		return []string{fairness.CheckFormat, fairness.CheckSignature}
	}
	return []string{fairness.CheckFormat}
}

// Run verifies data against keys and lists every check of its kind.
func Run(data []byte, keys fairness.Keys) Result {
	rep, _ := fairness.VerifyFile(data, keys)
	res := Result{Kind: rep.Kind, Valid: rep.Failed == nil, Text: rep.String()}
	source := ""
	if rep.Proof != nil {
		source = rep.Proof.Source
		d := rep.Proof.Draw
		res.Draw, res.Entries, res.Winners = &d, len(rep.Proof.Entries), rep.Proof.Winners
	}
	passed := map[string]bool{}
	for _, n := range rep.Passed {
		passed[n] = true
	}
	reached := true
	for _, name := range Names(rep.Kind, source) {
		c := Check{Name: name, Status: NotRun}
		switch {
		case passed[name]:
			c.Status = Pass
		case rep.Failed != nil && rep.Failed.Check == name:
			c.Status, c.Reason = Fail, rep.Failed.Reason
			reached = false
		case reached && rep.Failed == nil:
			// Every check of the kind passed; Names and fairness disagree, which a test catches.
			c.Status = Pass
		}
		res.Checks = append(res.Checks, c)
	}
	if rep.Failed != nil && !passed[rep.Failed.Check] && !containsCheck(res.Checks, rep.Failed.Check) {
		res.Checks = append(res.Checks, Check{Name: rep.Failed.Check, Status: Fail, Reason: rep.Failed.Reason})
	}
	return res
}

func containsCheck(cs []Check, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}

// Encode returns r as JSON.
func Encode(r Result) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		// Result holds only strings, numbers and fairness types that always marshal.
		return []byte(`{"valid":false,"checks":[{"name":"format","status":"fail","reason":"report could not be encoded"}]}`)
	}
	return b
}

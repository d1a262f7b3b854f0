package fairness

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/fairdraw/fairdraw/internal/fairness/drand"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
)

// Kinds of file VerifyFile understands.
const (
	KindProof     = "proof"     // a full fairdraw proof
	KindRandomOrg = "randomorg" // a bare RANDOM.ORG result {"random":{...},"signature":"..."}
	KindDrand     = "drand"     // a bare drand beacon {"round":R,"signature":"hex"}
)

// Report is what VerifyFile found, for people (String) and for programs.
type Report struct {
	Kind string
	// Passed lists the checks that passed, in order.
	Passed []string
	// Failed is the first failed check, nil if everything passed.
	Failed *CheckError

	// Full proofs.
	Proof *Proof

	// Bare RANDOM.ORG results (and RANDOM.ORG proofs).
	Method         string
	SerialNumber   int64
	CompletionTime string
	Data           json.RawMessage
	UserData       json.RawMessage
	TicketID       string
	HashedAPIKey   string

	// Bare drand beacons (and drand proofs).
	Round      uint64
	Randomness string
}

// VerifyFile checks the contents of a file: a full proof (all checks), a
// bare RANDOM.ORG result {"random":{...},"signature":"..."} or a whole
// JSON-RPC response carrying one (signature only; method, serial number and
// data are reported), or a bare drand beacon {"round":R,"signature":"hex"}
// (BLS signature, and "randomness" if present; the randomness is reported).
// The random object is verified as the exact bytes in data. The error is a
// *CheckError ("format" when the file is none of these).
func VerifyFile(data []byte, keys Keys) (Report, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return fail(Report{}, CheckFormat, fmt.Sprintf("not a JSON object: %v", err))
	}
	if res, ok := top["result"]; ok && top["random"] == nil {
		var inner map[string]json.RawMessage
		if json.Unmarshal(res, &inner) == nil && inner["random"] != nil {
			top = inner
		}
	}
	switch {
	case top["version"] != nil:
		return verifyProofFile(data, keys)
	case top["random"] != nil:
		return verifyRandomOrgFile(top, keys)
	case top["round"] != nil && top["signature"] != nil:
		return verifyBeaconFile(data, keys)
	}
	return fail(Report{}, CheckFormat, "neither a proof, a RANDOM.ORG result nor a drand beacon")
}

func fail(r Report, check, reason string) (Report, error) {
	r.Failed = &CheckError{Check: check, Reason: reason}
	return r, r.Failed
}

func verifyProofFile(data []byte, keys Keys) (Report, error) {
	r := Report{Kind: KindProof}
	p, err := ParseProof(data)
	if err != nil {
		return fail(r, CheckFormat, err.Error())
	}
	r.Proof = &p
	if ev := p.RandomOrg; ev != nil {
		r.TicketID, r.HashedAPIKey = ev.TicketID, ev.HashedAPIKey
		if o, err := randomorg.ParseRandom(ev.Random); err == nil {
			r.fillRandom(o)
		}
	}
	if ev := p.Drand; ev != nil {
		r.Round, r.Randomness = ev.Round, ev.Randomness
	}
	passed, cerr := verifyProof(p, keys)
	r.Passed = passed
	if cerr != nil {
		r.Failed = cerr
		return r, cerr
	}
	return r, nil
}

func (r *Report) fillRandom(o randomorg.RandomObject) {
	r.Method, r.SerialNumber, r.CompletionTime = o.Method, o.SerialNumber, o.CompletionTime
	r.Data, r.UserData = o.RawData, o.UserData
	if o.TicketData != nil {
		r.TicketID = o.TicketData.TicketID
	}
	if r.HashedAPIKey == "" {
		r.HashedAPIKey = o.HashedAPIKey
	}
}

func verifyRandomOrgFile(top map[string]json.RawMessage, keys Keys) (Report, error) {
	r := Report{Kind: KindRandomOrg}
	raw := top["random"]
	var sig string
	if err := json.Unmarshal(top["signature"], &sig); err != nil || sig == "" {
		return fail(r, CheckFormat, "no signature string next to random")
	}
	o, err := randomorg.ParseRandom(raw)
	if err != nil {
		return fail(r, CheckFormat, err.Error())
	}
	r.fillRandom(o)
	r.Passed = []string{CheckFormat}
	if err := randomorg.VerifySignature(keys.RandomOrg, raw, sig); err != nil {
		return fail(r, CheckSignature, withReformatHint(err, keys, &RandomOrgEvidence{Random: raw, Signature: sig}).Error())
	}
	r.Passed = append(r.Passed, CheckSignature)
	return r, nil
}

func verifyBeaconFile(data []byte, keys Keys) (Report, error) {
	r := Report{Kind: KindDrand}
	var b drand.Beacon
	if err := json.Unmarshal(data, &b); err != nil {
		return fail(r, CheckFormat, err.Error())
	}
	r.Round, r.Randomness = b.Round, hex.EncodeToString(b.Randomness[:])
	r.Passed = []string{CheckFormat}
	pk, err := keys.Drand.Key()
	if err != nil {
		return fail(r, CheckSignature, err.Error())
	}
	if err := b.Verify(pk); err != nil {
		return fail(r, CheckSignature, err.Error())
	}
	r.Passed = append(r.Passed, CheckSignature)
	return r, nil
}

// String renders the report for a terminal.
func (r Report) String() string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	switch r.Kind {
	case KindProof:
		p := r.Proof
		if p == nil {
			line("fairdraw proof (unreadable)")
			break
		}
		line("fairdraw proof, draw %d %q (%s)", p.Draw.ID, p.Draw.Title, p.Draw.Currency)
		line("rules: fee %d, min %d, max %d, winners %d, commission %d bp, close %s, deadline %s",
			p.Draw.Fee, p.Draw.Min, p.Draw.Max, p.Draw.Winners, p.Draw.CommissionBP, p.Draw.CloseMode,
			p.Draw.Deadline.UTC().Format("2006-01-02T15:04:05Z07:00"))
		line("entries: %d, list sha256 %s", len(p.Entries), p.ListHash)
		switch p.Source {
		case SourceRandomOrg:
			line("source: RANDOM.ORG, serial %d, completed %s, ticket %s", r.SerialNumber, r.CompletionTime, r.TicketID)
			if p.RandomOrg != nil && p.RandomOrg.VerificationURL != "" {
				line("RANDOM.ORG form: %s", p.RandomOrg.VerificationURL)
			}
		case SourceDrand:
			line("source: drand quicknet, round %d, randomness %s", r.Round, r.Randomness)
		}
		line("pool %d, commission %d", p.Pool, p.Commission)
		for i, w := range p.Winners {
			line("winner %d: entry #%d %s, prize %d", i+1, w.Index, w.EntryCode, w.Prize)
		}
	case KindRandomOrg:
		line("RANDOM.ORG signed result: method %s, serial %d, completed %s", r.Method, r.SerialNumber, r.CompletionTime)
		line("data: %s", r.Data)
		if len(r.UserData) > 0 && string(r.UserData) != "null" {
			line("userData: %s", r.UserData)
		}
		if r.TicketID != "" {
			line("ticket: %s", r.TicketID)
		}
	case KindDrand:
		line("drand quicknet beacon: round %d", r.Round)
		line("randomness: %s", r.Randomness)
	}
	if len(r.Passed) > 0 {
		line("checks passed: %s", strings.Join(r.Passed, ", "))
	}
	if r.Failed != nil {
		line("INVALID: check %s failed: %s", r.Failed.Check, r.Failed.Reason)
	} else {
		line("VALID")
	}
	return b.String()
}

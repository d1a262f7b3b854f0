package fairness

import (
	"bytes"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/fairdraw/fairdraw/internal/fairness/drand"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
)

// Check names, as reported in CheckError.Check. VerifyProof runs them in
// this order and stops at the first failure:
//
//	RANDOM.ORG proofs: format, list_hash, signature, params, user_data,
//	  ticket, pregenerated, hashed_api_key, verification_url, winners, prizes
//	drand proofs:      format, list_hash, signature, params, round, winners, prizes
const (
	CheckFormat          = "format"           // version, source, evidence present and parseable
	CheckListHash        = "list_hash"        // codes well-formed; list hash = SHA-256 of the canonical list
	CheckSignature       = "signature"        // RSA (RANDOM.ORG) or BLS (drand) signature
	CheckParams          = "params"           // draw rules consistent; signed method/n/min/max/replacement/base/data
	CheckUserData        = "user_data"        // signed userData = {"draw":id,"n":N,"list":hash}
	CheckTicket          = "ticket"           // signed ticketData.ticketId = announced ticket
	CheckPregenerated    = "pregenerated"     // signed pregeneratedRandomization is null
	CheckHashedAPIKey    = "hashed_api_key"   // signed hashedApiKey = operator's published hash
	CheckVerificationURL = "verification_url" // the form link, if given, is for this result
	CheckRound           = "round"            // drand round = first round after closed_at
	CheckWinners         = "winners"          // winners[i] = entries[data[i]] / seed selection
	CheckPrizes          = "prizes"           // pool, commission and prizes by Split
)

// CheckError names the first check a proof failed.
type CheckError struct {
	Check  string
	Reason string
}

func (e *CheckError) Error() string {
	return "fairness: check " + e.Check + " failed: " + e.Reason
}

// Keys are the trust anchors of verification.
type Keys struct {
	// RandomOrg is RANDOM.ORG's signing key (randomorg.PublicKey() unless
	// RANDOM_ORG_PUBLIC_KEY overrides it).
	RandomOrg *rsa.PublicKey
	// Drand is the drand chain, with its public key (drand.Quicknet()).
	Drand drand.Chain
}

// DefaultKeys returns the pinned RANDOM.ORG key and the quicknet chain.
func DefaultKeys() Keys {
	return Keys{RandomOrg: randomorg.PublicKey(), Drand: drand.Quicknet()}
}

// VerifyProof re-checks a proof offline against keys. It returns nil or a
// *CheckError naming the first failed check (see the Check constants for
// the order).
func VerifyProof(p Proof, keys Keys) error {
	_, err := verifyProof(p, keys)
	if err != nil {
		return err
	}
	return nil
}

type step struct {
	name string
	run  func() error
}

// verifyProof runs the checks in order and returns the names of those that
// passed and the first failure, if any.
func verifyProof(p Proof, keys Keys) ([]string, *CheckError) {
	steps, ferr := proofSteps(p, keys)
	if ferr != nil {
		return nil, ferr
	}
	passed := []string{CheckFormat}
	for _, s := range steps {
		if err := s.run(); err != nil {
			return passed, &CheckError{Check: s.name, Reason: err.Error()}
		}
		passed = append(passed, s.name)
	}
	return passed, nil
}

func proofSteps(p Proof, keys Keys) ([]step, *CheckError) {
	formatErr := func(format string, args ...any) *CheckError {
		return &CheckError{Check: CheckFormat, Reason: fmt.Sprintf(format, args...)}
	}
	if p.Version != ProofVersion {
		return nil, formatErr("proof version %d, this verifier knows %d", p.Version, ProofVersion)
	}
	listHash := step{CheckListHash, func() error {
		if err := ValidateCodes(p.Entries); err != nil {
			return err
		}
		if got := ListHash(p.Entries); got != p.ListHash {
			return fmt.Errorf("entries hash to %s, proof says %s", got, p.ListHash)
		}
		return nil
	}}
	n, k := len(p.Entries), p.Draw.Winners
	rules := func() error {
		switch {
		case k < 1:
			return fmt.Errorf("%d winners", k)
		case k > n:
			return fmt.Errorf("%d winners for %d entries", k, n)
		case n < p.Draw.Min:
			return fmt.Errorf("%d entries, below the minimum %d", n, p.Draw.Min)
		case p.Draw.Max > 0 && n > p.Draw.Max:
			return fmt.Errorf("%d entries, above the maximum %d", n, p.Draw.Max)
		}
		return nil
	}
	prizes := step{CheckPrizes, func() error { return checkPrizes(p) }}

	switch p.Source {
	case SourceRandomOrg:
		if p.RandomOrg == nil || p.Drand != nil {
			return nil, formatErr("source %q needs exactly the randomorg evidence", p.Source)
		}
		return randomOrgSteps(p, keys, listHash, rules, prizes), nil
	case SourceDrand:
		if p.Drand == nil || p.RandomOrg != nil {
			return nil, formatErr("source %q needs exactly the drand evidence", p.Source)
		}
		return drandSteps(p, keys, listHash, rules, prizes), nil
	default:
		return nil, formatErr("unknown source %q", p.Source)
	}
}

func randomOrgSteps(p Proof, keys Keys, listHash step, rules func() error, prizes step) []step {
	ev := p.RandomOrg
	n := len(p.Entries)
	want := RandomOrgRequest(p.Draw.ID, n, p.Draw.Winners, p.ListHash, ev.TicketID)
	var obj randomorg.RandomObject
	return []step{
		listHash,
		{CheckSignature, func() error {
			if err := randomorg.VerifySignature(keys.RandomOrg, ev.Random, ev.Signature); err != nil {
				return withReformatHint(err, keys, ev)
			}
			var err error
			obj, err = randomorg.ParseRandom(ev.Random)
			return err
		}},
		{CheckParams, func() error {
			if err := rules(); err != nil {
				return err
			}
			return obj.CheckParams(want)
		}},
		{CheckUserData, func() error { return obj.CheckUserData(want) }},
		{CheckTicket, func() error {
			if ev.TicketID == "" {
				return errors.New("proof names no ticket")
			}
			return obj.CheckTicket(want)
		}},
		{CheckPregenerated, func() error { return obj.CheckPregenerated() }},
		{CheckHashedAPIKey, func() error { return obj.CheckHashedAPIKey(ev.HashedAPIKey) }},
		{CheckVerificationURL, func() error {
			if ev.VerificationURL != "" && ev.VerificationURL != randomorg.VerificationURL(ev.Random, ev.Signature) {
				return errors.New("verification_url is not the form link for this random object and signature")
			}
			return nil
		}},
		{CheckWinners, func() error { return checkWinners(p, obj.Data) }},
		prizes,
	}
}

// withReformatHint explains the common way a genuine proof stops verifying:
// someone re-indented the JSON, which changes the signed bytes.
func withReformatHint(err error, keys Keys, ev *RandomOrgEvidence) error {
	var buf bytes.Buffer
	if json.Compact(&buf, ev.Random) == nil && !bytes.Equal(buf.Bytes(), ev.Random) &&
		randomorg.VerifySignature(keys.RandomOrg, buf.Bytes(), ev.Signature) == nil {
		return fmt.Errorf("%w (the random object was re-formatted after signing: the signature is over the compact bytes RANDOM.ORG sent; use the original proof file)", err)
	}
	return err
}

func drandSteps(p Proof, keys Keys, listHash step, rules func() error, prizes step) []step {
	ev := p.Drand
	var randomness [32]byte
	return []step{
		listHash,
		{CheckSignature, func() error {
			if ev.ChainHash != keys.Drand.Hash {
				return fmt.Errorf("chain %s is not the trusted chain %s", ev.ChainHash, keys.Drand.Hash)
			}
			pk, err := keys.Drand.Key()
			if err != nil {
				return err
			}
			sig, err := hex.DecodeString(ev.Signature)
			if err != nil {
				return fmt.Errorf("signature is not hex: %w", err)
			}
			if err := drand.VerifyBeacon(ev.Round, sig, pk); err != nil {
				return err
			}
			randomness = drand.Randomness(sig)
			if got := hex.EncodeToString(randomness[:]); got != ev.Randomness {
				return fmt.Errorf("randomness %s is not sha256(signature) = %s", ev.Randomness, got)
			}
			return nil
		}},
		{CheckParams, rules},
		{CheckRound, func() error {
			if p.ClosedAt.IsZero() {
				return errors.New("proof has no closed_at")
			}
			if want := keys.Drand.FirstRoundAfter(p.ClosedAt); ev.Round != want {
				return fmt.Errorf("round %d, but the first round after %s is %d", ev.Round, p.ClosedAt.Format("2006-01-02T15:04:05.999999999Z07:00"), want)
			}
			return nil
		}},
		{CheckWinners, func() error {
			seed, err := DrandSeed(strconv.FormatInt(p.Draw.ID, 10), p.ListHash, randomness[:])
			if err != nil {
				return err
			}
			if got := hex.EncodeToString(seed); got != ev.Seed {
				return fmt.Errorf("seed %s, derived %s", ev.Seed, got)
			}
			idx, err := SelectFromSeed(seed, len(p.Entries), p.Draw.Winners)
			if err != nil {
				return err
			}
			return checkWinners(p, idx)
		}},
		prizes,
	}
}

// checkWinners compares the published winners with the derived indices.
func checkWinners(p Proof, idx []int) error {
	if len(p.Winners) != len(idx) {
		return fmt.Errorf("%d winners published, %d drawn", len(p.Winners), len(idx))
	}
	for i, w := range p.Winners {
		e := idx[i]
		if e < 0 || e >= len(p.Entries) {
			return fmt.Errorf("winner %d: drawn index %d outside the list", i, e)
		}
		if w.Index != e || w.EntryCode != p.Entries[e] {
			return fmt.Errorf("winner %d is #%d %q, the draw gives #%d %q", i, w.Index, w.EntryCode, e, p.Entries[e])
		}
	}
	return nil
}

// checkPrizes re-derives pool, commission and prizes.
func checkPrizes(p Proof) error {
	pool, err := Pool(p.Draw.Fee, len(p.Entries))
	if err != nil {
		return err
	}
	if p.Pool != pool {
		return fmt.Errorf("pool %d, but fee %d x %d entries = %d", p.Pool, p.Draw.Fee, len(p.Entries), pool)
	}
	commission, prizes, err := Split(pool, p.Draw.CommissionBP, p.Draw.Winners)
	if err != nil {
		return err
	}
	if p.Commission != commission {
		return fmt.Errorf("commission %d, but %d bp of %d is %d", p.Commission, p.Draw.CommissionBP, pool, commission)
	}
	if !slices.Equal(p.Prizes, prizes) {
		return fmt.Errorf("prizes %v, the rule gives %v", p.Prizes, prizes)
	}
	for i, w := range p.Winners {
		if w.Prize != prizes[i] {
			return fmt.Errorf("winner %d prize %d, the rule gives %d", i, w.Prize, prizes[i])
		}
	}
	return nil
}

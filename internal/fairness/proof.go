package fairness

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"time"

	"github.com/fairdraw/fairdraw/internal/fairness/drand"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
)

// ProofVersion is the version of the proof format this package writes and
// verifies.
const ProofVersion = 1

// Randomness sources.
const (
	SourceRandomOrg = "randomorg"
	SourceDrand     = "drand"
)

// Close modes (design §2).
const (
	CloseModeDeadline = "deadline"
	CloseModeInstant  = "instant"
)

// DrawRules are the published rules of a draw, as they stood when it opened.
// Amounts are minor units (whole Stars, kopecks).
type DrawRules struct {
	ID       int64  `json:"id"`
	Title    string `json:"title"`
	Currency string `json:"currency"` // "XTR" or "RUB"
	Fee      int64  `json:"fee"`
	Min      int    `json:"min"`
	// Max is the maximum number of entries; 0 means no maximum.
	Max int `json:"max"`
	// Winners is k, the number of winners.
	Winners      int       `json:"winners"`
	CommissionBP int       `json:"commission_bp"`
	CloseMode    string    `json:"close_mode"` // CloseModeDeadline or CloseModeInstant
	Deadline     time.Time `json:"deadline"`
}

// Proof is everything needed to re-check a draw offline. Its JSON member
// names are stable; new members only come with a new Version.
type Proof struct {
	// Version is ProofVersion.
	Version int       `json:"version"`
	Draw    DrawRules `json:"draw"`
	// ClosedAt is when the entrant list was frozen; the drand round is the
	// first one strictly after it.
	ClosedAt time.Time `json:"closed_at"`
	// Entries are the public entry codes in entry order.
	Entries []string `json:"entries"`
	// ListHash is ListHash(Entries), lowercase hex.
	ListHash string `json:"list_hash"`
	// Source is SourceRandomOrg or SourceDrand; exactly the matching
	// evidence member is set.
	Source    string             `json:"source"`
	RandomOrg *RandomOrgEvidence `json:"randomorg,omitempty"`
	Drand     *DrandEvidence     `json:"drand,omitempty"`
	// Winners are in draw order: the first gets the rounding remainder.
	Winners    []Winner `json:"winners"`
	Pool       int64    `json:"pool"`
	Commission int64    `json:"commission"`
	Prizes     []int64  `json:"prizes"`
}

// RandomOrgEvidence is a RANDOM.ORG signed result and what binds it.
type RandomOrgEvidence struct {
	// Random is result.random, byte for byte as RANDOM.ORG sent it: the
	// signed bytes. Encode proofs with MarshalProof to keep it so.
	Random json.RawMessage `json:"random"`
	// Signature is result.signature, standard base64.
	Signature string `json:"signature"`
	// TicketID is the ticket announced when the draw opened.
	TicketID string `json:"ticket_id"`
	// HashedAPIKey is base64(SHA-512(operator's API key)).
	HashedAPIKey string `json:"hashed_api_key"`
	// VerificationURL links to RANDOM.ORG's own verification form.
	VerificationURL string `json:"verification_url,omitempty"`
}

// DrandEvidence is a drand quicknet beacon and the seed derived from it.
type DrandEvidence struct {
	ChainHash  string `json:"chain_hash"`
	Round      uint64 `json:"round"`
	Signature  string `json:"signature"`  // hex
	Randomness string `json:"randomness"` // hex, sha256(signature)
	Seed       string `json:"seed"`       // hex, DrandSeed(draw id, list hash, randomness)
}

// Winner is one winning entry.
type Winner struct {
	// Index is the entry's 0-based position in Entries.
	Index     int    `json:"index"`
	EntryCode string `json:"entry_code"`
	Prize     int64  `json:"prize"`
}

// UserData is the userData a draw sends to RANDOM.ORG, so that the signed
// result names the draw, the entrant count and the list commitment:
// {"draw":<id>,"n":N,"list":"<sha256 hex>"} (compact, ASCII).
func UserData(drawID int64, n int, listHash string) json.RawMessage {
	return json.RawMessage(`{"draw":` + strconv.FormatInt(drawID, 10) +
		`,"n":` + strconv.Itoa(n) + `,"list":"` + listHash + `"}`)
}

// RandomOrgRequest is the generateSignedIntegers request for a draw with n
// entries and k winners: n=k, min=0, max=n-1, no replacement, bound to the
// draw by UserData and to the announced ticket.
func RandomOrgRequest(drawID int64, n, k int, listHash, ticketID string) randomorg.Request {
	return randomorg.Request{
		N:           k,
		Min:         0,
		Max:         n - 1,
		Replacement: false,
		UserData:    UserData(drawID, n, listHash),
		TicketID:    ticketID,
	}
}

// Pool returns fee*entries, failing on overflow or negative input.
func Pool(fee int64, entries int) (int64, error) {
	if fee < 0 || entries < 0 {
		return 0, errors.New("fairness: pool: negative fee or entry count")
	}
	hi, lo := bits.Mul64(uint64(fee), uint64(entries))
	if hi != 0 || lo > 1<<63-1 {
		return 0, errors.New("fairness: pool: overflow")
	}
	return int64(lo), nil
}

// NewRandomOrgProof assembles the proof of a draw decided by a RANDOM.ORG
// result (winners entries[data[i]], prizes by Split). It does not verify
// anything: run randomorg.CheckResult before and VerifyProof after.
func NewRandomOrgProof(rules DrawRules, entries []string, closedAt time.Time, res *randomorg.SignedResult, ticketID, hashedAPIKey string) (Proof, error) {
	if res == nil {
		return Proof{}, errors.New("fairness: randomorg proof: nil result")
	}
	o, err := randomorg.ParseRandom(res.Random)
	if err != nil {
		return Proof{}, err
	}
	p := newProof(rules, entries, closedAt, SourceRandomOrg)
	p.RandomOrg = &RandomOrgEvidence{
		Random:          append(json.RawMessage(nil), res.Random...),
		Signature:       res.Signature,
		TicketID:        ticketID,
		HashedAPIKey:    hashedAPIKey,
		VerificationURL: randomorg.VerificationURL(res.Random, res.Signature),
	}
	return p, p.award(o.Data)
}

// NewDrandProof assembles the proof of a draw decided by drand beacon b
// (already verified by the caller): the seed is DrandSeed(decimal draw id,
// list hash, b.Randomness) and winners come from SelectFromSeed.
func NewDrandProof(rules DrawRules, entries []string, closedAt time.Time, chainHash string, b drand.Beacon) (Proof, error) {
	p := newProof(rules, entries, closedAt, SourceDrand)
	seed, err := DrandSeed(strconv.FormatInt(rules.ID, 10), p.ListHash, b.Randomness[:])
	if err != nil {
		return Proof{}, err
	}
	p.Drand = &DrandEvidence{
		ChainHash:  chainHash,
		Round:      b.Round,
		Signature:  hex.EncodeToString(b.Signature),
		Randomness: hex.EncodeToString(b.Randomness[:]),
		Seed:       hex.EncodeToString(seed),
	}
	idx, err := SelectFromSeed(seed, len(entries), rules.Winners)
	if err != nil {
		return Proof{}, err
	}
	return p, p.award(idx)
}

func newProof(rules DrawRules, entries []string, closedAt time.Time, source string) Proof {
	return Proof{
		Version:  ProofVersion,
		Draw:     rules,
		ClosedAt: closedAt.UTC(),
		Entries:  append([]string(nil), entries...),
		ListHash: ListHash(entries),
		Source:   source,
	}
}

// award fills winners and amounts from winner indices.
func (p *Proof) award(idx []int) error {
	if err := ValidateCodes(p.Entries); err != nil {
		return err
	}
	pool, err := Pool(p.Draw.Fee, len(p.Entries))
	if err != nil {
		return err
	}
	commission, prizes, err := Split(pool, p.Draw.CommissionBP, p.Draw.Winners)
	if err != nil {
		return err
	}
	if len(idx) != len(prizes) {
		return fmt.Errorf("fairness: %d winner indices for %d winners", len(idx), len(prizes))
	}
	p.Winners = make([]Winner, len(idx))
	for i, e := range idx {
		if e < 0 || e >= len(p.Entries) {
			return fmt.Errorf("fairness: winner index %d outside %d entries", e, len(p.Entries))
		}
		p.Winners[i] = Winner{Index: e, EntryCode: p.Entries[e], Prize: prizes[i]}
	}
	p.Pool, p.Commission, p.Prizes = pool, commission, prizes
	return nil
}

// rawPlaceholder stands in for the raw random object while the rest of a
// proof is indented; see MarshalProof.
const rawPlaceholder = `"\u0000fairdraw-random\u0000"`

// MarshalProof encodes p as indented JSON for people, with "<", ">" and "&"
// left as they are and randomorg.random inserted byte for byte (encoding/json
// would re-indent and HTML-escape it, which breaks the signature). Use it,
// not json.Marshal, to publish a proof.
func MarshalProof(p Proof) ([]byte, error) {
	var raw json.RawMessage
	if p.RandomOrg != nil {
		raw = p.RandomOrg.Random
		if !json.Valid(raw) {
			return nil, errors.New("fairness: marshal proof: random is not valid JSON")
		}
		ev := *p.RandomOrg
		ev.Random = json.RawMessage(rawPlaceholder)
		p.RandomOrg = &ev
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("fairness: marshal proof: %w", err)
	}
	out := buf.Bytes()
	if raw == nil {
		return out, nil
	}
	// Escaped quotes inside other strings can never form this key-value
	// sequence, so the first match is the member itself.
	marker := []byte(`"random": ` + rawPlaceholder)
	i := bytes.Index(out, marker)
	if i < 0 {
		return nil, errors.New("fairness: marshal proof: random placeholder not found")
	}
	var res bytes.Buffer
	res.Grow(len(out) + len(raw))
	res.Write(out[:i])
	res.WriteString(`"random": `)
	res.Write(raw)
	res.Write(out[i+len(marker):])
	return res.Bytes(), nil
}

// ParseProof decodes a proof; randomorg.random keeps the exact bytes found
// in data.
func ParseProof(data []byte) (Proof, error) {
	var p Proof
	if err := json.Unmarshal(data, &p); err != nil {
		return Proof{}, fmt.Errorf("fairness: parse proof: %w", err)
	}
	return p, nil
}

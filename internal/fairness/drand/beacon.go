package drand

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cloudflare/circl/sign/bls"
)

// Errors reported by this package; test them with errors.Is.
var (
	// ErrBadSignature means a beacon's BLS signature does not verify for its
	// round under the chain key, or its randomness is not sha256(signature).
	ErrBadSignature = errors.New("drand: bad beacon signature")
	// ErrNotYet means the requested round has not been published yet.
	ErrNotYet = errors.New("drand: round not yet available")
	// ErrUnavailable means the relay failed (5xx or network); retry later.
	ErrUnavailable = errors.New("drand: relay unavailable")
)

// SignatureSize is the size of a quicknet signature (compressed G1 point).
const SignatureSize = 48

// Message returns the message signed for round: sha256(uint64 big-endian round).
func Message(round uint64) [32]byte {
	var rb [8]byte
	binary.BigEndian.PutUint64(rb[:], round)
	return sha256.Sum256(rb[:])
}

// VerifyBeacon checks that sig is the quicknet signature of round under pk.
// The error wraps ErrBadSignature when the signature is wrong.
func VerifyBeacon(round uint64, sig []byte, pk *PublicKey) error {
	if pk == nil {
		return errors.New("drand: verify beacon: nil public key")
	}
	if len(sig) != SignatureSize {
		return fmt.Errorf("%w: round %d: signature is %d bytes, want %d", ErrBadSignature, round, len(sig), SignatureSize)
	}
	msg := Message(round)
	if !bls.Verify(&pk.k, msg[:], sig) {
		return fmt.Errorf("%w: round %d", ErrBadSignature, round)
	}
	return nil
}

// Randomness returns the randomness of a beacon: sha256(signature).
func Randomness(sig []byte) [32]byte { return sha256.Sum256(sig) }

// Beacon is one verified (or to-be-verified) quicknet beacon.
type Beacon struct {
	Round      uint64
	Signature  []byte
	Randomness [32]byte
}

// Verify checks the signature of b and that b.Randomness is sha256 of it.
func (b Beacon) Verify(pk *PublicKey) error {
	if err := VerifyBeacon(b.Round, b.Signature, pk); err != nil {
		return err
	}
	if b.Randomness != Randomness(b.Signature) {
		return fmt.Errorf("%w: round %d: randomness is not sha256(signature)", ErrBadSignature, b.Round)
	}
	return nil
}

// beaconJSON is the drand HTTP API shape of a beacon
// (GET /{chainhash}/public/{round}); quicknet beacons carry no
// previous_signature.
type beaconJSON struct {
	Round      uint64 `json:"round"`
	Randomness string `json:"randomness,omitempty"`
	Signature  string `json:"signature"`
}

// MarshalJSON encodes b in the drand HTTP API shape
// {"round":R,"randomness":"hex","signature":"hex"}.
func (b Beacon) MarshalJSON() ([]byte, error) {
	return json.Marshal(beaconJSON{
		Round:      b.Round,
		Randomness: hex.EncodeToString(b.Randomness[:]),
		Signature:  hex.EncodeToString(b.Signature),
	})
}

// UnmarshalJSON decodes the drand HTTP API shape. "randomness" may be absent
// (a bare {"round":R,"signature":"hex"}); it is then derived from the
// signature. A present randomness is kept as given so that Verify can check it.
func (b *Beacon) UnmarshalJSON(data []byte) error {
	var j beaconJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("drand: decode beacon: %w", err)
	}
	sig, err := hex.DecodeString(j.Signature)
	if err != nil {
		return fmt.Errorf("drand: decode beacon signature: %w", err)
	}
	out := Beacon{Round: j.Round, Signature: sig, Randomness: Randomness(sig)}
	if j.Randomness != "" {
		r, err := hex.DecodeString(j.Randomness)
		if err != nil || len(r) != len(out.Randomness) {
			return fmt.Errorf("drand: decode beacon randomness: want %d hex bytes", len(out.Randomness))
		}
		copy(out.Randomness[:], r)
	}
	*b = out
	return nil
}

package drand

import (
	"encoding/hex"
	"fmt"
	"time"

	"github.com/cloudflare/circl/sign/bls"
)

// Quicknet chain parameters, from the chain's /info document
// (drand/drand common/chain/info_test.go, drand-client lib/defaults.ts).
const (
	QuicknetChainHash    = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
	QuicknetPublicKeyHex = "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"
	QuicknetGenesisUnix  = 1692803367
	QuicknetPeriod       = 3 * time.Second
	QuicknetScheme       = "bls-unchained-g1-rfc9380"
)

// Chain describes a drand chain of the quicknet scheme
// (bls-unchained-g1-rfc9380). Only that scheme is supported.
type Chain struct {
	// Hash is the lowercase hex chain hash used in HTTP paths.
	Hash string
	// PublicKey is the group key, a 96-byte compressed G2 point.
	PublicKey []byte
	// Genesis is the time of round 1.
	Genesis time.Time
	// Period is the time between rounds.
	Period time.Duration
	// Scheme is the drand scheme id; it must be QuicknetScheme.
	Scheme string
}

// Quicknet returns the parameters of the drand quicknet chain.
func Quicknet() Chain {
	pk, err := hex.DecodeString(QuicknetPublicKeyHex)
	if err != nil {
		// The constant is valid hex; this is unreachable.
		panic("drand: bad quicknet public key constant: " + err.Error())
	}
	return Chain{
		Hash:      QuicknetChainHash,
		PublicKey: pk,
		Genesis:   time.Unix(QuicknetGenesisUnix, 0).UTC(),
		Period:    QuicknetPeriod,
		Scheme:    QuicknetScheme,
	}
}

// RoundAt returns the latest round whose time is at or before t, following
// drand's CurrentRound: floor((t-genesis)/period)+1. It returns 0 before
// genesis.
func (c Chain) RoundAt(t time.Time) uint64 {
	if t.Before(c.Genesis) || c.Period <= 0 {
		return 0
	}
	return uint64(t.Sub(c.Genesis)/c.Period) + 1
}

// FirstRoundAfter returns the first round whose time is strictly after t.
// A draw that closes at t uses this round: its beacon cannot have been known
// to anyone at close time. (When t falls exactly on a round boundary the
// round produced at t is skipped on purpose: it may already be public.)
func (c Chain) FirstRoundAfter(t time.Time) uint64 {
	return c.RoundAt(t) + 1
}

// TimeOfRound returns the time at which round r is produced:
// genesis + (r-1)*period. Round 0 maps to genesis.
func (c Chain) TimeOfRound(r uint64) time.Time {
	if r == 0 {
		return c.Genesis
	}
	return c.Genesis.Add(time.Duration(r-1) * c.Period)
}

// Key parses the chain's public key.
func (c Chain) Key() (*PublicKey, error) {
	if c.Scheme != QuicknetScheme {
		return nil, fmt.Errorf("drand: unsupported scheme %q", c.Scheme)
	}
	return ParsePublicKey(c.PublicKey)
}

// RoundAt is Quicknet().RoundAt(t).
func RoundAt(t time.Time) uint64 { return Quicknet().RoundAt(t) }

// FirstRoundAfter is Quicknet().FirstRoundAfter(t).
func FirstRoundAfter(t time.Time) uint64 { return Quicknet().FirstRoundAfter(t) }

// PublicKey is a drand group public key on G2 (quicknet scheme).
type PublicKey struct {
	k bls.PublicKey[bls.KeyG2SigG1]
}

// ParsePublicKey parses a 96-byte compressed G2 public key.
func ParsePublicKey(b []byte) (*PublicKey, error) {
	var pk PublicKey
	if err := pk.k.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("drand: parse public key: %w", err)
	}
	if !pk.k.Validate() {
		return nil, fmt.Errorf("drand: public key is not a valid G2 point")
	}
	return &pk, nil
}

// Package drand verifies beacons of the drand quicknet chain (League of
// Entropy) and fetches them over drand's HTTP API.
//
// fairdraw uses drand as a public randomness source that nobody, the
// operator included, can predict or re-roll: the round is fixed when a draw
// closes (the first round strictly after the close time, see
// [Chain.FirstRoundAfter]), and the beacon for that round is a BLS signature
// by the League of Entropy that anyone can check offline.
//
// Contract:
//   - quicknet uses the scheme "bls-unchained-g1-rfc9380": the public key is a
//     96-byte compressed G2 point, the signature a 48-byte compressed G1 point,
//     the signed message is sha256(uint64 big-endian round), and the
//     hash-to-curve DST is BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_ (the one
//     circl's sign/bls uses for [bls.KeyG2SigG1]).
//   - the randomness of a round is sha256(signature) ([Randomness]).
//   - [VerifyBeacon] and [Client.Beacon] never return a beacon whose signature
//     does not verify; failures wrap [ErrBadSignature].
//   - a round that is not published yet is reported as [ErrNotYet]; relay
//     outages (5xx, network) as [ErrUnavailable]. Callers wait and retry; there
//     is no fallback to another source.
//
// Chain facts (hash, key, genesis, period) come from drand/drand
// common/chain/info_test.go and were checked against real beacons; see
// shared research fairness.md §5.
package drand

// Package fairness holds fairdraw's rules for choosing winners so that
// anyone can check a draw after the fact: the entrant-list commitment, the
// prize arithmetic, the unbiased selection from a random seed, and the
// published proof with its offline verifier.
//
// Why it exists: entrants pay, so "the bot picked someone" is not enough. A
// proof (see [Proof]) lets any entrant re-derive the winners from public
// inputs (the frozen entrant list, a RANDOM.ORG signed result bound to the
// draw and to a ticket announced in advance, or a drand quicknet beacon for
// a round fixed at close) and re-check every amount.
//
// Contract, in short (docs/fairness.md has the long form for users):
//   - The list commitment is SHA-256 over [CanonicalList]: every entry code in
//     entry order, each followed by "\n". Codes are non-empty, unique and
//     contain no CR or LF.
//   - RANDOM.ORG: generateSignedIntegers(n=k, min=0, max=N-1,
//     replacement=false) with userData {"draw":<id>,"n":N,"list":"<hex>"}
//     ([UserData]); winner i is entries[data[i]].
//   - drand: seed = [DrandSeed](draw id, list hash, randomness of the round
//     first after close); winners by [SelectFromSeed].
//   - Prizes: [Split] (commission rounded down, remainder to the first winner).
//   - [VerifyProof] runs a fixed list of checks and names the first that
//     fails with a *[CheckError]; [VerifyFile] also accepts a bare RANDOM.ORG
//     result or a bare drand beacon.
//
// This package knows nothing of Telegram, HTTP routing or SQL; the clients
// for the two sources live in the randomorg and drand subpackages.
package fairness

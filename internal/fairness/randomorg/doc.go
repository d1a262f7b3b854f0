// Package randomorg talks to the RANDOM.ORG JSON-RPC API (Release 4) signed
// methods and verifies its signatures offline.
//
// Why: a RANDOM.ORG signed result proves that RANDOM.ORG produced a given
// set of integers for given parameters. fairdraw binds that result to a draw
// (userData carries the draw id, the entrant count and the SHA-256 of the
// entrant list) and to a ticket published in advance (so the draw cannot be
// silently re-rolled), and checks the signature locally with a pinned key
// before accepting anything.
//
// Contract:
//   - The signed bytes are the exact bytes of result.random as received. They
//     are kept as a json.RawMessage and never re-encoded: re-serialising (key
//     order, spaces, "\/", a trailing newline) breaks the signature.
//   - The signature is RSASSA-PKCS1-v1_5 with SHA-512 under RANDOM.ORG's
//     4096-bit key; the real key is embedded ([PublicKey]).
//   - [CheckResult] checks the signature first, then every binding, in this
//     order: params (method, n, min, max, replacement, base 10, data), userData,
//     ticket, pregeneratedRandomization == null, hashedApiKey. A bad signature
//     is never accepted (ErrBadSignature).
//   - [Client] honours the server's advisoryDelay before its next request,
//     retries transient failures (HTTP 5xx/429, network, JSON-RPC -32603 and
//     -32000..-32099) with capped exponential backoff under the caller's
//     context, and returns RANDOM.ORG errors as *[RPCError] without retrying.
//
// Facts and their sources are in shared research fairness.md §1-§4.
package randomorg

// Package drandtest is an in-process fake of a drand HTTP relay for tests.
//
// It serves real, recorded quicknet beacons (testdata/beacons.json, copied
// from the shared vectors) at GET /{chainhash}/public/{round} and
// /{chainhash}/public/latest, the chain document at GET /{chainhash}/info,
// answers 425 Too Early for rounds after its "latest" round (as a relay does
// for rounds not yet produced), and can be told to fail with a 5xx status or
// to serve a corrupted signature. Rounds that were never recorded and are not
// in the future answer 500 with a message, so a test that asks for them fails
// loudly instead of waiting.
package drandtest

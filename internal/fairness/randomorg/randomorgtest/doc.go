// Package randomorgtest is an in-process fake of the RANDOM.ORG JSON-RPC
// Release 4 endpoint for tests.
//
// It implements createTickets, generateSignedIntegers and getTicket with the
// real wire shapes: results are signed (RSASSA-PKCS1-v1_5, SHA-512) over the
// compact random object in the API's member order, exactly like RANDOM.ORG,
// but with a committed test-only RSA-4096 key (testkey-rsa4096.pem) that no
// production code trusts; build verifiers with [Server.PublicKey].
// Tickets are single-use (422 on reuse) and getTicket, which takes no API key,
// returns the result that consumed a ticket.
//
// Knobs: fail the next calls with an HTTP status or a JSON-RPC error, lose
// the next responses after processing them (as a dropped connection would),
// set advisoryDelay, corrupt signatures, force the integers returned, and
// count calls per method.
//
// Error bodies are JSON-RPC error objects sent with HTTP 200, as RANDOM.ORG
// does. The codes and the JSON-RPC messages come from the Release 4
// error-codes page and the official clients; the wording of RANDOM.ORG's own
// messages (400, 420-422) could not be confirmed and is modelled, so tests
// must compare codes, not messages.
package randomorgtest

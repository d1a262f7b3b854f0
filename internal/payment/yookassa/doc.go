// Package yookassa is fairdraw's client of YooKassa API v3 (https://api.yookassa.ru/v3): ruble
// entry payments, refunds, payouts to winners, and the pieces of webhook handling that do not
// depend on fairdraw's HTTP layer. It knows nothing about the database or Telegram.
//
// It is a small typed client rather than an SDK because none of the Go SDKs can be pointed at a
// local fake, covers payouts, or retries with the same Idempotence-Key (research/yookassa.md §8).
// Facts come from research/yookassa.md and YooKassa's OpenAPI spec.
//
// # Money
//
// Amounts are int64 minor units (kopecks) everywhere. On the wire they are strings,
// {"value":"100.00","currency":"RUB"}; ParseAmount and Amount accept only that strict form and
// never floats or JSON numbers.
//
// # Credentials
//
// Payments and refunds are authenticated with the shop's id and secret key; payouts, SBP banks
// and /me with the payout gateway's id and secret key (HTTP Basic both). A Client holds both
// pairs and picks the right one per method.
//
// # Idempotence and retries
//
// Every POST method takes the Idempotence-Key explicitly. The caller derives it from its own
// record (e.g. "payout-42-1") and stores it before calling, so that a crash between the call and
// storing the answer can be recovered by calling again with the same key and the same request:
// YooKassa then returns the original object instead of charging or paying twice. Inside one call
// the client repeats requests answered 202 (processing), 429 (rate limit), 5xx (outcome unknown)
// or lost in transport with the same key and byte-identical body, waiting Retry-After when given
// and a capped exponential backoff otherwise, for as long as ctx allows. Other 4xx answers are
// returned at once as *APIError and must not be repeated with the same key.
//
// YooKassa honours a key for 24 hours only (IdempotenceWindow); after that the same request
// creates a new object. Before re-sending anything older than that, look it up: GetPayment /
// GetRefund / GetPayout by stored id, ListRefunds by payment id, FindPayoutsByMetadata by the
// caller's own id put into the payout's metadata (the API searches payouts of the last 3
// months), and only send a new request with a new key if nothing was found.
//
// # Notifications
//
// YooKassa does not sign notifications. A handler should check the sender with ClientIP and
// TrustedIPs (DefaultTrustedIPList holds YooKassa's published ranges), read the body with
// ParseNotification only to learn which object changed, re-fetch that object with the API and
// act on the fetched status, and answer 200 quickly; anything else makes YooKassa deliver again
// for 24 hours. Deliveries may be duplicated or out of order.
//
// The fake in package yookassatest implements the same API for tests.
package yookassa

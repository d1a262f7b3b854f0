// Package yookassatest is an in-process fake of YooKassa API v3 for tests: payments, refunds,
// payouts, SBP participants and gateway settings, with the behaviour fairdraw depends on taken
// from research/yookassa.md and YooKassa's OpenAPI spec:
//
//   - HTTP Basic auth per credential pair: the shop pair for /payments and /refunds, the payout
//     gateway pair for /payouts, /sbp_banks and /me (where the shop pair gets shop settings);
//     anything else is 401 with YooKassa's error body.
//   - Idempotence-Key required on POST (400 without it); a repeat with the same key within 24
//     hours of the fake's clock replays the first answer; the same key with a different body is
//     400 "Idempotence key duplicated"; after 24 hours (Advance) the key is forgotten.
//   - Strict request validation: amounts as "123.45" strings, spec field limits, and unknown
//     fields rejected so a misspelt field fails in tests.
//   - Payments are created pending with a confirmation_url; Succeed and Cancel move them and
//     send notifications (payment.succeeded, payment.waiting_for_capture, payment.canceled) to
//     Options.WebhookURL, retried on non-200 and optionally duplicated (NotifyCopies), from a
//     chosen local address or with a chosen X-Forwarded-For.
//   - Refunds of succeeded payments up to the amount left, succeeded at once or pending until
//     SucceedRefund / CancelRefund.
//   - Payouts with YooKassa's documented YooMoney test wallets (one per outcome), a payout
//     balance that payouts reserve (insufficient_funds when short), per-method limits, SBP and
//     card payouts pending until SucceedPayout / CancelPayout, and SetPayoutOutcome to script
//     any destination.
//   - FailNext to inject 429 (with Retry-After), 202 and 5xx answers; unknown ids are 404 with
//     YooKassa's error body; Calls records every request for assertions.
//
// Where YooKassa's behaviour is not documented the fake makes a choice and says so in the
// comment of the option or method concerned. Close stops the notifier goroutine and the server.
package yookassatest

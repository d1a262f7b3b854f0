// Package telegram wires fairdraw to the Telegram Bot API through telego.
//
// Why a wrapper at all: the client must use the standard net/http stack (so
// the same *http.Client, timeouts and test servers work everywhere), it must
// never write the bot token to logs or errors (telego puts the token in the
// request URL, and net/http errors repeat the URL), and the rest of fairdraw
// needs to tell a few Telegram answers apart without parsing strings:
//
//   - [IsBlocked]: 403 "bot was blocked by the user" or "user is
//     deactivated": stop writing to that user.
//   - [RetryAfter]: 429 flood control: wait the given time, then retry.
//   - [IsChargeAlreadyRefunded]: a repeated refundStarPayment: the refund
//     already happened, treat it as done.
//
// The fake server in telegramtest is how this package (and the bot) is
// tested; its doc lists the Telegram behaviours it reproduces.
package telegram

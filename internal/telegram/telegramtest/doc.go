// Package telegramtest is a fake Telegram Bot API server for tests, driven
// by a real client (telego) over HTTP.
//
// Why: fairdraw takes money through Telegram Stars, and the parts that matter
// (the 10-second pre-checkout deadline, refunds that can be repeated, 403 for
// users who blocked the bot, 429 with retry_after, 409 when two pollers
// overlap) cannot be exercised against the real service. The fake behaves
// like the real server where fairdraw depends on it, and is strict where a
// bug would otherwise hide:
//
//   - Every request is checked against the Bot API 10.1 spec embedded from
//     testdata (method, required parameters, types down to nested objects
//     such as InlineKeyboardMarkup and LabeledPrice). A request that breaks
//     it gets 400 "Bad Request: ..." and is recorded; tests assert that
//     [Server.Violations] is empty. Unlike Telegram, unknown parameters are
//     rejected, so a misspelt name fails a test. Every result and update the
//     fake emits is checked against the spec too.
//   - Error bodies are byte-for-byte Telegram's: ok, error_code,
//     description, parameters, in that order.
//   - Users are simulated: [Server.SendText], [Server.PressButton],
//     [Server.PayInvoice], [Server.BlockUser]; what a user sees is in
//     [Server.Messages].
//   - Updates reach the bot by real long polling (getUpdates with offset,
//     limit, timeout) or by webhook (POSTs with the
//     X-Telegram-Bot-Api-Secret-Token header, retried until accepted).
//   - Time comes from [Config.Now], so tests step over deadlines with a
//     [Clock] instead of sleeping.
//
// Where the real server's wording of an error is not known from a primary
// source, the fake uses Telegram's style ("Bad Request: ...", upper-case
// MTProto codes); testdata/SOURCE.md lists which texts are verified, and
// code under test should only depend on those.
//
// Contract: [NewServer] starts the server and closes it when the test ends;
// Close ends long polls, webhook delivery and waiting payments, so no
// goroutine outlives it.
package telegramtest

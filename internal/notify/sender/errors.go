package sender

import (
	"errors"
	"fmt"
	"time"
)

// Errors a Sender returns so the worker can act on them.
var (
	// ErrBlocked means the recipient cannot be written to any more (blocked the bot, deleted
	// their account, never started it, removed the bot from the group): the user is marked
	// unreachable and nothing more is sent to them until they come back.
	ErrBlocked = errors.New("notify: recipient blocked the bot")
	// ErrUndeliverable means Telegram refused this message for a reason a retry cannot fix
	// (400 Bad Request: chat not found, text too long, a bad button). The message goes to the
	// dead letters at once instead of being retried for weeks.
	ErrUndeliverable = errors.New("notify: message refused")
)

// RetryAfterError means the chat may not be written to for After: Telegram said so with a 429
// (Err is its error), or the limiter found the chat busy for longer than it sleeps.
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("notify: rate limited, retry after %s: %v", e.After, e.Err)
	}
	return fmt.Sprintf("notify: rate limited, retry after %s", e.After)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }

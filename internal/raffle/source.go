package raffle

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Source is where a draw's randomness comes from. Implementations verify what they receive
// (signatures, bindings) before returning it: an Outcome is trusted as is.
type Source interface {
	// Ticket creates the public ticket the draw will be bound to, when the source has tickets.
	Ticket(ctx context.Context) (string, error)
	// Draw picks in.K distinct winner indices in [0, in.N).
	Draw(ctx context.Context, in DrawInput) (Outcome, error)
}

// DrawInput is everything a source binds its result to.
type DrawInput struct {
	DrawID     int64
	N, K       int
	ListHash   string
	TicketID   string
	ClosedAt   time.Time
	DrandRound uint64
}

// Outcome is verified randomness and the winner indices it gives, with the evidence to keep.
type Outcome struct {
	Indices []int
	// Random.org evidence: the random object as received, its signature, the ticket, the hashed key.
	RandomRaw    []byte
	Signature    string
	TicketID     string
	HashedAPIKey string
	// drand evidence.
	DrandRound uint64
	DrandSig   []byte
}

// NotYetError means the randomness does not exist yet (a future drand round); try at Until.
type NotYetError struct{ Until time.Time }

func (e *NotYetError) Error() string {
	return fmt.Sprintf("raffle: randomness not available until %s", e.Until)
}

// ErrBadEvidence means the source answered with something that does not verify (a bad
// signature, a result bound to something else). It is never accepted; admins are alerted.
var ErrBadEvidence = errors.New("raffle: randomness failed verification")

// Refunder returns a payment's money through its provider.
type Refunder interface {
	// Refund asks the provider to return the payment in full. It is called again until it
	// reports Done, so it must be idempotent (same payment, same provider request).
	Refund(ctx context.Context, p RefundRequest) (RefundState, error)
}

// RefundRequest is a payment to return.
type RefundRequest struct {
	PaymentID  int64
	ExternalID string
	UserID     int64
	Currency   string
	Amount     int64
	// Key is an idempotency key derived from the payment, for the provider.
	Key string
}

// RefundState is where a provider refund stands.
type RefundState struct {
	Done bool
	// Ref is the provider's id of the refund, kept with the payment.
	Ref string
	// RetryAfter says when to look again while not Done.
	RetryAfter time.Duration
}

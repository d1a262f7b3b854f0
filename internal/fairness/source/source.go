// Package source adapts the randomness services a draw can use (Random.org, drand) to
// raffle.Source: each result is verified here (signatures, bindings to the draw) before the
// draw sees it.
package source

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/fairness/drand"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// RandomOrg draws with Random.org's signed integers, bound to the draw by userData and to the
// ticket published when the draw opened. Every result is checked against the pinned key and the
// request before it is used.
type RandomOrg struct {
	Client *randomorg.Client
	Key    *rsa.PublicKey
}

// Ticket creates a ticket.
func (r RandomOrg) Ticket(ctx context.Context) (string, error) { return r.Client.CreateTicket(ctx) }

// Draw asks for k distinct integers in [0, n-1]. If the ticket was already used (a crash after
// Random.org answered and before the result was recorded), the result that used it is fetched
// with getTicket: the same checks then prove it is this draw's result.
func (r RandomOrg) Draw(ctx context.Context, in raffle.DrawInput) (raffle.Outcome, error) {
	req := fairness.RandomOrgRequest(in.DrawID, in.N, in.K, in.ListHash, in.TicketID)
	res, err := r.Client.GenerateSignedIntegers(ctx, req)
	if rpcErr, ok := errors.AsType[*randomorg.RPCError](err); ok && rpcErr.Code == randomorg.CodeTicketUsed && in.TicketID != "" {
		t, terr := r.Client.GetTicket(ctx, in.TicketID)
		if terr != nil {
			return raffle.Outcome{}, fmt.Errorf("source: ticket %s was used; fetching its result: %w", in.TicketID, terr)
		}
		if t.Result == nil {
			return raffle.Outcome{}, fmt.Errorf("%w: ticket %s was used but shows no result", raffle.ErrBadEvidence, in.TicketID)
		}
		res, err = t.Result, nil
	}
	if err != nil {
		return raffle.Outcome{}, fmt.Errorf("source: random.org: %w", err)
	}
	if err := randomorg.CheckResult(res, req, r.Key, r.Client.HashedAPIKey()); err != nil {
		return raffle.Outcome{}, fmt.Errorf("%w: %w", raffle.ErrBadEvidence, err)
	}
	return raffle.Outcome{
		Indices: res.Data, RandomRaw: res.Random, Signature: res.Signature,
		TicketID: in.TicketID, HashedAPIKey: r.Client.HashedAPIKey(),
	}, nil
}

// Drand draws with the drand quicknet beacon of the round fixed at close: the beacon's BLS
// signature is verified, its randomness seeds the published selection rule.
type Drand struct {
	Client *drand.Client
	// Now is the clock; defaults to time.Now.
	Now func() time.Time
}

// Ticket: drand has none; the round fixed at close plays its part.
func (Drand) Ticket(context.Context) (string, error) { return "", nil }

// Draw fetches and verifies the round's beacon and selects the winners from it.
func (d Drand) Draw(ctx context.Context, in raffle.DrawInput) (raffle.Outcome, error) {
	now := time.Now
	if d.Now != nil {
		now = d.Now
	}
	chain := d.Client.Chain
	if chain.Hash == "" {
		chain = drand.Quicknet()
	}
	if at := chain.TimeOfRound(in.DrandRound); now().Before(at) {
		return raffle.Outcome{}, &raffle.NotYetError{Until: at}
	}
	b, err := d.Client.Beacon(ctx, in.DrandRound)
	switch {
	case errors.Is(err, drand.ErrNotYet):
		return raffle.Outcome{}, &raffle.NotYetError{Until: now().Add(chain.Period)}
	case errors.Is(err, drand.ErrBadSignature):
		return raffle.Outcome{}, fmt.Errorf("%w: %w", raffle.ErrBadEvidence, err)
	case err != nil:
		return raffle.Outcome{}, fmt.Errorf("source: drand: %w", err)
	}
	seed, err := fairness.DrandSeed(strconv.FormatInt(in.DrawID, 10), in.ListHash, b.Randomness[:])
	if err != nil {
		return raffle.Outcome{}, fmt.Errorf("source: drand seed: %w", err)
	}
	idx, err := fairness.SelectFromSeed(seed, in.N, in.K)
	if err != nil {
		return raffle.Outcome{}, fmt.Errorf("source: drand selection: %w", err)
	}
	return raffle.Outcome{Indices: idx, DrandRound: b.Round, DrandSig: b.Signature}, nil
}

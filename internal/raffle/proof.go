package raffle

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/fairness/drand"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
)

// ErrNotDrawn means the draw has no result yet, so no proof.
var ErrNotDrawn = errors.New("raffle: not drawn yet")

// Proof assembles the public proof of a drawn draw from what was recorded: the rules, the
// frozen entry codes, the randomness exactly as received, and the winners with the prize
// arithmetic. It re-derives the winners from the evidence; the recorded winners must agree.
func (s *Service) Proof(ctx context.Context, id int64) (fairness.Proof, error) {
	d, err := s.Get(ctx, id)
	if err != nil {
		return fairness.Proof{}, err
	}
	res, err := q.GetDrawResult(ctx, s.pool, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return fairness.Proof{}, fmt.Errorf("%w: draw %d is %s", ErrNotDrawn, id, d.Status)
	}
	if err != nil {
		return fairness.Proof{}, fmt.Errorf("raffle: result of %d: %w", id, err)
	}
	codes, err := q.RaffleEntryCodes(ctx, s.pool, id)
	if err != nil {
		return fairness.Proof{}, fmt.Errorf("raffle: entry codes: %w", err)
	}
	rules := fairness.DrawRules{
		ID: d.ID, Title: d.Title, Currency: d.Currency, Fee: d.Fee, Min: d.Min, Winners: d.WinnersCount,
		CommissionBP: d.CommissionBP, CloseMode: d.CloseMode, Deadline: d.Deadline,
	}
	if d.Max != nil {
		rules.Max = *d.Max
	}
	var closedAt = d.Deadline
	if d.ClosedAt != nil {
		closedAt = *d.ClosedAt
	}
	var p fairness.Proof
	switch res.Source {
	case SourceRandomOrg:
		obj, err := randomorg.ParseRandom(res.RandomRaw)
		if err != nil {
			return fairness.Proof{}, fmt.Errorf("raffle: stored random object: %w", err)
		}
		p, err = fairness.NewRandomOrgProof(rules, codes, closedAt,
			&randomorg.SignedResult{Random: res.RandomRaw, Signature: res.Signature, RandomObject: obj}, res.TicketID, res.HashedApiKey)
		if err != nil {
			return fairness.Proof{}, fmt.Errorf("raffle: proof: %w", err)
		}
	case SourceDrand:
		b := drand.Beacon{Round: uint64(res.DrandRound.Int64), Signature: res.DrandSig, Randomness: drand.Randomness(res.DrandSig)}
		p, err = fairness.NewDrandProof(rules, codes, closedAt, drand.Quicknet().Hash, b)
		if err != nil {
			return fairness.Proof{}, fmt.Errorf("raffle: proof: %w", err)
		}
	default:
		return fairness.Proof{}, fmt.Errorf("raffle: unknown source %q", res.Source)
	}
	if len(p.Winners) != len(d.Winners) {
		return fairness.Proof{}, fmt.Errorf("raffle: draw %d: proof gives %d winners, %d recorded", id, len(p.Winners), len(d.Winners))
	}
	for i, w := range p.Winners {
		if w.EntryCode != d.Winners[i].EntryCode || w.Prize != d.Winners[i].Prize {
			return fairness.Proof{}, fmt.Errorf("raffle: draw %d: proof winner %d (%s, %d) differs from recorded (%s, %d)",
				id, i+1, w.EntryCode, w.Prize, d.Winners[i].EntryCode, d.Winners[i].Prize)
		}
	}
	return p, nil
}

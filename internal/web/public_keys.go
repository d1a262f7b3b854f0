package web

import "github.com/fairdraw/fairdraw/internal/fairness"

// WithKeys makes the draw pages check proofs against keys instead of the pinned ones; a zero
// field keeps its pinned key. The sandbox passes its stand-in Random.org's key, so that its
// draws show as verified exactly where a real draw would.
func (p *Public) WithKeys(keys fairness.Keys) *Public {
	if keys.RandomOrg != nil {
		p.keys.RandomOrg = keys.RandomOrg
	}
	if keys.Drand.Hash != "" {
		p.keys.Drand = keys.Drand
	}
	return p
}

package raffle

import "context"

// DrawNow runs the draw step alone, as the draw job would, for crash tests.
func (s *Service) DrawNow(ctx context.Context, id int64, sources map[string]Source) error {
	return s.draw(ctx, id, sources)
}

// SettleNow runs the settle step alone.
func (s *Service) SettleNow(ctx context.Context, id int64) error { return s.settle(ctx, id) }

// WithDefaults is Params.withDefaults, for tests without a database.
func WithDefaults(p Params) Params { return p.withDefaults() }

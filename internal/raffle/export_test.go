package raffle

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// DrawNow runs the draw step alone, as the draw job would, for crash tests.
func (s *Service) DrawNow(ctx context.Context, id int64, sources map[string]Source) error {
	return s.draw(ctx, id, sources)
}

// SettleNow runs the settle step alone.
func (s *Service) SettleNow(ctx context.Context, id int64) error { return s.settle(ctx, id) }

// WithDefaults is Params.withDefaults, for tests without a database.
func WithDefaults(p Params) Params { return p.withDefaults() }

// CreateTx is Create inside tx, for tests that roll it back.
func (s *Service) CreateTx(ctx context.Context, tx pgx.Tx, p Params, actor string) (Draw, error) {
	return s.create(ctx, tx, s.now(), p, actor)
}

// Package moderation bans and unbans users: a ban refunds the user's entries in open draws
// and is audited, all in one transaction, whoever asks for it (the admin panel today).
package moderation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

var q = dbq.New()

// Service bans and unbans users.
type Service struct {
	pool  *pgxpool.Pool
	draws *raffle.Service
	now   func() time.Time
}

// New returns a Service; draws refunds a banned user's entries; now nil means time.Now.
func New(pool *pgxpool.Pool, draws *raffle.Service, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{pool: pool, draws: draws, now: now}
}

// User is a user as moderation sees them.
type User = dbq.User

// Banned lists up to limit banned users.
func (s *Service) Banned(ctx context.Context, limit int32) ([]User, error) {
	users, err := q.BannedUsers(ctx, s.pool, limit)
	if err != nil {
		return nil, fmt.Errorf("moderation: banned users: %w", err)
	}
	return users, nil
}

// User returns the user with Telegram id id; ok is false for a user never seen.
func (s *Service) User(ctx context.Context, id int64) (User, bool, error) {
	u, err := q.GetUser(ctx, s.pool, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, false, nil
	}
	if err != nil {
		return User{}, false, fmt.Errorf("moderation: user: %w", err)
	}
	return u, true, nil
}

// OpenEntries counts a user's entries in open draws: those a ban refunds.
func (s *Service) OpenEntries(ctx context.Context, userID int64) (int, error) {
	draws, err := q.UserOpenRaffles(ctx, s.pool, userID)
	if err != nil {
		return 0, fmt.Errorf("moderation: user's draws: %w", err)
	}
	n := 0
	for _, id := range draws {
		es, err := q.UserEntriesInRaffle(ctx, s.pool, dbq.UserEntriesInRaffleParams{RaffleID: id, TelegramID: userID})
		if err != nil {
			return 0, fmt.Errorf("moderation: user's entries: %w", err)
		}
		n += len(es)
	}
	return n, nil
}

// Ban bans userID and refunds their paid entries in open draws, in one transaction with the
// user.ban audit row (and an entry.refund row per entry). A user never seen before is banned
// too, so a known bad account can be stopped before it pays. Banning again updates the reason.
func (s *Service) Ban(ctx context.Context, userID int64, reason, actor string) ([]raffle.RefundedEntry, error) {
	var refunded []raffle.RefundedEntry
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		if err := q.EnsureUser(ctx, tx, dbq.EnsureUserParams{TelegramID: userID, FirstSeenAt: now}); err != nil {
			return fmt.Errorf("moderation: ensure user: %w", err)
		}
		u, err := q.LockUser(ctx, tx, userID)
		if err != nil {
			return fmt.Errorf("moderation: lock user: %w", err)
		}
		if _, err := q.SetUserBan(ctx, tx, dbq.SetUserBanParams{BannedAt: &now, Reason: reason, TelegramID: userID}); err != nil {
			return fmt.Errorf("moderation: ban: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{At: now, Actor: actor, Action: "user.ban", Subject: fmt.Sprintf("user:%d", userID),
			Before: banState(u), After: map[string]any{"banned": true, "reason": reason}}); err != nil {
			return err
		}
		refunded, err = s.draws.RefundUserEntries(ctx, tx, userID, raffle.RefuseBanned, actor)
		return err
	})
	if err != nil {
		return nil, err
	}
	return refunded, nil
}

// Unban lifts userID's ban; they may enter again. Entries refunded by the ban stay refunded.
// It reports false when the user was not banned (nothing changed, nothing audited).
func (s *Service) Unban(ctx context.Context, userID int64, actor string) (bool, error) {
	changed := false
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		u, err := q.LockUser(ctx, tx, userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("moderation: lock user: %w", err)
		}
		if u.BannedAt == nil {
			return nil
		}
		if _, err := q.SetUserBan(ctx, tx, dbq.SetUserBanParams{BannedAt: nil, Reason: "", TelegramID: userID}); err != nil {
			return fmt.Errorf("moderation: unban: %w", err)
		}
		changed = true
		return audit.Record(ctx, tx, audit.Entry{At: s.now(), Actor: actor, Action: "user.unban", Subject: fmt.Sprintf("user:%d", userID),
			Before: banState(u), After: map[string]any{"banned": false}})
	})
	return changed, err
}

func banState(u dbq.User) map[string]any {
	if u.BannedAt == nil {
		return map[string]any{"banned": false}
	}
	return map[string]any{"banned": true, "banned_at": u.BannedAt, "reason": u.BanReason}
}

package raffle

import (
	"context"
	"fmt"
	"time"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
)

// The public site's reads: bounded pages whatever the history, so GET / costs the same with
// ten draws or ten thousand.

// OpenDraws returns up to limit draws taking entries, soonest deadline first.
func (s *Service) OpenDraws(ctx context.Context, limit int) ([]Draw, error) {
	rows, err := q.SiteOpenRaffles(ctx, s.pool, int32(limit))
	if err != nil {
		return nil, fmt.Errorf("raffle: open draws: %w", err)
	}
	out := make([]Draw, 0, len(rows))
	for _, r := range rows {
		out = append(out, fromRow(r))
	}
	return out, nil
}

// FinishedPage returns page (from 1) of size draws that are no longer open (drawing, drawn,
// settled, cancelled, refunded), newest first, with their winners, and how many there are.
func (s *Service) FinishedPage(ctx context.Context, page, size int) ([]Draw, int, error) {
	total, err := q.SiteCountFinishedRaffles(ctx, s.pool)
	if err != nil {
		return nil, 0, fmt.Errorf("raffle: count finished: %w", err)
	}
	rows, err := q.SiteFinishedRaffles(ctx, s.pool, dbq.SiteFinishedRafflesParams{Lim: int32(size), Off: int32((page - 1) * size)})
	if err != nil {
		return nil, 0, fmt.Errorf("raffle: finished page: %w", err)
	}
	out := make([]Draw, 0, len(rows))
	ids := make([]int64, 0, len(rows))
	at := make(map[int64]int, len(rows))
	for _, r := range rows {
		at[r.ID] = len(out)
		out = append(out, fromRow(r))
		ids = append(ids, r.ID)
	}
	// One query for the page's winners, not one per draw.
	ws, err := q.SiteWinnersOf(ctx, s.pool, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("raffle: winners of a page: %w", err)
	}
	for _, w := range ws {
		d := &out[at[w.RaffleID]]
		d.Winners = append(d.Winners, Winner{Position: int(w.Position), TelegramID: w.TelegramID, EntryCode: w.EntryCode, Prize: w.Prize})
	}
	return out, int(total), nil
}

// TimelinePoint is the number of entries a draw had at a time.
type TimelinePoint struct {
	At      time.Time
	Entries int
}

// Timeline returns how a draw's entries grew: at most buckets points, each the running total at
// the last entry of an equal slice of time between the first entry and the last. Empty when the
// draw has no entries.
func (s *Service) Timeline(ctx context.Context, id int64, buckets int) ([]TimelinePoint, error) {
	rows, err := q.SiteEntryTimeline(ctx, s.pool, dbq.SiteEntryTimelineParams{RaffleID: id, Buckets: int32(buckets)})
	if err != nil {
		return nil, fmt.Errorf("raffle: timeline of %d: %w", id, err)
	}
	out := make([]TimelinePoint, 0, len(rows))
	total := 0
	for _, r := range rows {
		total += int(r.Entries)
		out = append(out, TimelinePoint{At: r.LastAt.UTC(), Entries: total})
	}
	return out, nil
}

// UserEntry is one entry of a user, for "my draws".
type UserEntry struct {
	Draw Draw
	Code string
	// Prize is what the entry won; -1 when it won nothing or the draw is not drawn yet.
	Prize int64
}

// UserEntries returns a user's latest entries (at most 50), newest draw first.
func (s *Service) UserEntries(ctx context.Context, telegramID int64) ([]UserEntry, error) {
	rows, err := q.UserRaffles(ctx, s.pool, telegramID)
	if err != nil {
		return nil, fmt.Errorf("raffle: entries of user: %w", err)
	}
	out := make([]UserEntry, 0, len(rows))
	for _, r := range rows {
		d := fromRow(dbq.Raffle{
			ID: r.ID, Title: r.Title, Currency: r.Currency, Fee: r.Fee, MinParticipants: r.MinParticipants,
			MaxParticipants: r.MaxParticipants, WinnersCount: r.WinnersCount, CommissionBp: r.CommissionBp,
			Deadline: r.Deadline, CloseMode: r.CloseMode, Source: r.Source, Status: r.Status,
			EntriesCount: r.EntriesCount, TicketID: r.TicketID, ListHash: r.ListHash, DrandRound: r.DrandRound,
			EntriesPaused: r.EntriesPaused, CancelReason: r.CancelReason, CreatedAt: r.CreatedAt, ClosedAt: r.ClosedAt,
			SettledAt: r.SettledAt, MaxEntriesPerUser: r.MaxEntriesPerUser,
		})
		out = append(out, UserEntry{Draw: d, Code: r.EntryCode, Prize: r.Prize})
	}
	return out, nil
}

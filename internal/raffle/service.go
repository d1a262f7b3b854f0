package raffle

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/alert"
	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
)

var q = dbq.New()

// Service runs draws. It is safe for concurrent use.
type Service struct {
	pool             *pgxpool.Pool
	jobs             *river.Client[pgx.Tx]
	now              func() time.Time
	logger           *slog.Logger
	maxEntriesPerDay int
	proofURL         func(id int64) string
	alerter          *alert.Alerter
	digestInterval   time.Duration
	limits           Limits
	channelID        int64
	checks           checkBatcher
}

// Limits are operator settings that may change while fairdraw runs (the admin panel's
// settings), read on conn: the caller's transaction, so no second connection is taken while
// one is held. A reader error falls back to the configured value.
type Limits interface {
	MaxEntriesPerDay(ctx context.Context, conn dbq.DBTX) (int, error)
	DigestInterval(ctx context.Context, conn dbq.DBTX) (time.Duration, error)
}

// Config configures a Service.
type Config struct {
	Pool *pgxpool.Pool
	// Jobs is River's client, used to insert jobs inside transactions.
	Jobs   *river.Client[pgx.Tx]
	Logger *slog.Logger
	// Now is the clock. Defaults to time.Now.
	Now func() time.Time
	// MaxEntriesPerDay is how many entries one user may buy per UTC day. Defaults to
	// DefaultMaxEntriesPerDay.
	MaxEntriesPerDay int
	// PublicURL is the base of proof links ("https://draws.example"); empty leaves links relative.
	PublicURL string
	// Alerter tells the admins when a draw needs a person. nil: nobody is told.
	Alerter *alert.Alerter
	// DigestInterval is the least time between two "new participants" digests of one draw.
	// Defaults to DefaultDigestInterval.
	DigestInterval time.Duration
	// Limits, when set, override MaxEntriesPerDay and DigestInterval at run time.
	Limits Limits
	// ChannelID (CHANNEL_ID), when not 0, is a channel that gets a post for each new draw,
	// closing and result (see channelPosts).
	ChannelID int64
}

// Defaults of Config.
const (
	DefaultMaxEntriesPerDay = 20
	DefaultDigestInterval   = 10 * time.Minute
)

// withDefaults returns c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	c.MaxEntriesPerDay = cmp.Or(c.MaxEntriesPerDay, DefaultMaxEntriesPerDay)
	c.DigestInterval = cmp.Or(c.DigestInterval, DefaultDigestInterval)
	return c
}

// New returns a Service.
func New(c Config) *Service {
	c = c.withDefaults()
	return &Service{
		pool: c.Pool, jobs: c.Jobs, now: c.Now, logger: c.Logger, maxEntriesPerDay: c.MaxEntriesPerDay, alerter: c.Alerter,
		digestInterval: c.DigestInterval, limits: c.Limits, channelID: c.ChannelID,
		proofURL: func(id int64) string { return fmt.Sprintf("%s/raffles/%d", c.PublicURL, id) },
	}
}

// entriesPerDay is the daily entry limit now in force.
func (s *Service) entriesPerDay(ctx context.Context, conn dbq.DBTX) int {
	if s.limits != nil {
		if n, err := s.limits.MaxEntriesPerDay(ctx, conn); err == nil && n > 0 {
			return n
		}
	}
	return s.maxEntriesPerDay
}

// joinDigestInterval is the digest interval now in force.
func (s *Service) joinDigestInterval(ctx context.Context, conn dbq.DBTX) time.Duration {
	if s.limits != nil {
		if d, err := s.limits.DigestInterval(ctx, conn); err == nil && d > 0 {
			return d
		}
	}
	return s.digestInterval
}

// ProofURL is the public page of a draw.
func (s *Service) ProofURL(id int64) string { return s.proofURL(id) }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// Pool is the database pool.
func (s *Service) Pool() *pgxpool.Pool { return s.pool }

// Create creates a draw and opens it: its deadline job is scheduled and, for Random.org, its
// ticket is requested, all in the transaction that inserts it. actor is who did it for the
// audit log ("cli", "admin:<id>").
func (s *Service) Create(ctx context.Context, p Params, actor string) (Draw, error) {
	now := s.now()
	var d Draw
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) (err error) {
		d, err = s.create(ctx, tx, now, p, actor)
		return err
	})
	return d, err
}

// create is Create inside the caller's transaction tx.
func (s *Service) create(ctx context.Context, tx pgx.Tx, now time.Time, p Params, actor string) (Draw, error) {
	p = p.withDefaults()
	if err := p.Validate(now); err != nil {
		return Draw{}, err
	}
	params := dbq.InsertRaffleParams{
		Title: p.Title, Currency: p.Currency, Fee: p.Fee, MinParticipants: int32(p.Min),
		WinnersCount: int32(p.Winners), CommissionBp: int32(p.CommissionBP), Deadline: p.Deadline,
		CloseMode: p.Mode, Source: p.Source, MaxEntriesPerUser: int32(p.MaxEntriesPerUser),
		Status: StatusOpen, CreatedAt: now, OpenedAt: &now,
	}
	if p.Max > 0 {
		params.MaxParticipants = pgtype.Int4{Int32: int32(p.Max), Valid: true}
	}
	if p.CreatedBy != 0 {
		params.CreatedBy = pgtype.Int8{Int64: p.CreatedBy, Valid: true}
	}
	row, err := q.InsertRaffle(ctx, tx, params)
	if err != nil {
		return Draw{}, fmt.Errorf("raffle: insert: %w", err)
	}
	if err := setPrizeMode(ctx, tx, row.ID, p.Prize); err != nil {
		return Draw{}, err
	}
	row.PrizeMode = p.Prize
	d := fromRow(row)
	if err := audit.Record(ctx, tx, audit.Entry{At: s.now(), Actor: actor, Action: "raffle.create", DrawID: d.ID, After: d}); err != nil {
		return Draw{}, err
	}
	if err := s.scheduleOpen(ctx, tx, d); err != nil {
		return Draw{}, err
	}
	return d, nil
}

// scheduleOpen inserts the jobs of a draw that has just opened.
func (s *Service) scheduleOpen(ctx context.Context, tx pgx.Tx, d Draw) error {
	jobs := []river.InsertManyParams{
		{Args: DeadlineArgs{DrawID: d.ID}, InsertOpts: &river.InsertOpts{ScheduledAt: d.Deadline}},
		{Args: FanoutArgs{DrawID: d.ID, Event: FanoutOpened}},
	}
	if d.Source == SourceRandomOrg {
		jobs = append(jobs, river.InsertManyParams{Args: TicketArgs{DrawID: d.ID}})
	}
	if _, err := s.jobs.InsertManyTx(ctx, tx, jobs); err != nil {
		return fmt.Errorf("raffle: schedule: %w", err)
	}
	return nil
}

// Get returns a draw with its winners.
func (s *Service) Get(ctx context.Context, id int64) (Draw, error) {
	return get(ctx, s.pool, id)
}

func get(ctx context.Context, conn dbq.DBTX, id int64) (Draw, error) {
	row, err := q.GetRaffle(ctx, conn, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return Draw{}, fmt.Errorf("%w: draw %d", ErrNotFound, id)
	}
	if err != nil {
		return Draw{}, fmt.Errorf("raffle: get %d: %w", id, err)
	}
	d := fromRow(row)
	if err := addWinners(ctx, conn, &d); err != nil {
		return Draw{}, err
	}
	return d, nil
}

func addWinners(ctx context.Context, conn dbq.DBTX, d *Draw) error {
	if d.Status != StatusDrawn && d.Status != StatusSettled {
		return nil
	}
	ws, err := q.RaffleWinners(ctx, conn, d.ID)
	if err != nil {
		return fmt.Errorf("raffle: winners of %d: %w", d.ID, err)
	}
	for _, w := range ws {
		d.Winners = append(d.Winners, Winner{Position: int(w.Position), TelegramID: w.TelegramID, EntryCode: w.EntryCode, Prize: w.Prize})
	}
	return nil
}

// List returns every draw, oldest first.
func (s *Service) List(ctx context.Context) ([]Draw, error) {
	rows, err := q.ListRaffles(ctx, s.pool)
	if err != nil {
		return nil, fmt.Errorf("raffle: list: %w", err)
	}
	out := make([]Draw, 0, len(rows))
	for _, r := range rows {
		d := fromRow(r)
		if err := addWinners(ctx, s.pool, &d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// ListByStatus returns the draws in any of statuses, by deadline.
func (s *Service) ListByStatus(ctx context.Context, statuses ...string) ([]Draw, error) {
	rows, err := q.ListRafflesByStatus(ctx, s.pool, statuses)
	if err != nil {
		return nil, fmt.Errorf("raffle: list by status: %w", err)
	}
	out := make([]Draw, 0, len(rows))
	for _, r := range rows {
		out = append(out, fromRow(r))
	}
	return out, nil
}

// SetPaused stops (or resumes) accepting entries of an open draw. A draw already so is left
// as it is, with no audit row: the same request made twice (an admin's press delivered again)
// takes effect once.
func (s *Service) SetPaused(ctx context.Context, id int64, paused bool, actor string) error {
	return s.withLockedDraw(ctx, id, func(tx pgx.Tx, row dbq.Raffle) error {
		if row.Status != StatusOpen {
			return fmt.Errorf("%w: draw %d is %s", ErrWrongState, id, row.Status)
		}
		if row.EntriesPaused == paused {
			return nil
		}
		if err := q.SetRafflePaused(ctx, tx, dbq.SetRafflePausedParams{ID: id, Paused: paused}); err != nil {
			return fmt.Errorf("raffle: pause: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{
			At: s.now(), Actor: actor, Action: "raffle.pause", DrawID: id,
			Before: map[string]bool{"paused": row.EntriesPaused}, After: map[string]bool{"paused": paused},
		})
	})
}

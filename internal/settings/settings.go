// Package settings is the store of the settings an admin changes from the panel (commission
// defaults, the daily entry limit, the digest interval, the reserve threshold, the
// announcement): every read goes to PostgreSQL, every change is audited in its transaction.
package settings

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

var q = dbq.New()

// Setting keys, as stored in the settings table. Values are canonical text: integers in
// minor units or basis points, durations in whole seconds.
const (
	KeyCommissionXTR    = "commission_bp:XTR"   // default commission of a new Stars draw, basis points
	KeyCommissionRUB    = "commission_bp:RUB"   // default commission of a new ruble draw, basis points
	KeyMaxEntriesPerDay = "max_entries_per_day" // entries one user may buy per UTC day
	KeyDigestInterval   = "digest_interval"     // seconds between two "new participants" digests
	KeyAnnouncement     = "announcement"        // the text the next broadcast sends
	KeyReserveThreshold = "stars_reserve_threshold"
)

// Keys are the keys an admin edits, in the order the panel lists them.
var Keys = []string{KeyCommissionXTR, KeyCommissionRUB, KeyMaxEntriesPerDay, KeyDigestInterval, KeyReserveThreshold, KeyAnnouncement}

// ErrBad means a value is out of its setting's range; nothing was written.
var ErrBad = errors.New("settings: bad setting")

// Defaults are the values of the settings nobody has set: the configuration's.
type Defaults struct {
	// CommissionBP is the default commission per currency; a currency not listed has 0.
	CommissionBP map[string]int
	// MaxEntriesPerDay defaults to 20 (MAX_ENTRIES_PER_DAY).
	MaxEntriesPerDay int
	// DigestInterval defaults to 10 minutes (JOIN_DIGEST_INTERVAL).
	DigestInterval time.Duration
	// ReserveThreshold defaults to 3000 Stars (STARS_RESERVE_THRESHOLD).
	ReserveThreshold int64
}

// Store reads and changes the settings an admin controls from the panel. Every read goes to
// the database, so a change made on one replica applies on all of them at once. It is safe for
// concurrent use.
//
// Hooks for other packages: MaxEntriesPerDay and DigestInterval (raffle), ReserveThreshold
// (ops.StarsReserve.Threshold), CommissionBP (the create dialog's default).
type Store struct {
	pool     *pgxpool.Pool
	defaults Defaults
	now      func() time.Time
}

// New returns a Store over pool with the configuration's defaults.
func New(pool *pgxpool.Pool, d Defaults, now func() time.Time) *Store {
	if d.MaxEntriesPerDay <= 0 {
		d.MaxEntriesPerDay = 20
	}
	if d.DigestInterval <= 0 {
		d.DigestInterval = 10 * time.Minute
	}
	if d.ReserveThreshold <= 0 {
		d.ReserveThreshold = 3000
	}
	if now == nil {
		now = time.Now
	}
	return &Store{pool: pool, defaults: d, now: now}
}

// Values are every setting in force, and which of them an admin has set.
type Values struct {
	CommissionBP     map[string]int
	MaxEntriesPerDay int
	DigestInterval   time.Duration
	ReserveThreshold int64
	Announcement     string
	// Set holds the keys an admin has set; the others are defaults.
	Set map[string]bool
}

// Values reads every setting.
func (s *Store) Values(ctx context.Context) (Values, error) {
	rows, err := q.ListSettings(ctx, s.pool)
	if err != nil {
		return Values{}, fmt.Errorf("settings: settings: %w", err)
	}
	v := Values{
		CommissionBP:     map[string]int{"XTR": s.defaults.CommissionBP["XTR"], "RUB": s.defaults.CommissionBP["RUB"]},
		MaxEntriesPerDay: s.defaults.MaxEntriesPerDay, DigestInterval: s.defaults.DigestInterval,
		ReserveThreshold: s.defaults.ReserveThreshold, Set: map[string]bool{},
	}
	for _, r := range rows {
		n, _ := strconv.ParseInt(r.Value, 10, 64) // validated when written
		switch r.Key {
		case KeyCommissionXTR:
			v.CommissionBP["XTR"] = int(n)
		case KeyCommissionRUB:
			v.CommissionBP["RUB"] = int(n)
		case KeyMaxEntriesPerDay:
			v.MaxEntriesPerDay = int(n)
		case KeyDigestInterval:
			v.DigestInterval = time.Duration(n) * time.Second
		case KeyReserveThreshold:
			v.ReserveThreshold = n
		case KeyAnnouncement:
			v.Announcement = r.Value
		default:
			continue
		}
		v.Set[r.Key] = true
	}
	return v, nil
}

// Get returns the stored value of key, or "" and false when it is a default.
func (s *Store) Get(ctx context.Context, key string) (string, bool, error) {
	return getSetting(ctx, s.pool, key)
}

func getSetting(ctx context.Context, conn dbq.DBTX, key string) (string, bool, error) {
	v, err := q.GetSetting(ctx, conn, key)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("settings: setting %s: %w", key, err)
	}
	return v, true, nil
}

func (s *Store) getInt(ctx context.Context, key string, def int64) (int64, error) {
	return getIntOn(ctx, s.pool, key, def)
}

func getIntOn(ctx context.Context, conn dbq.DBTX, key string, def int64) (int64, error) {
	v, ok, err := getSetting(ctx, conn, key)
	if err != nil || !ok {
		return def, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return def, fmt.Errorf("settings: setting %s = %q: %w", key, v, err)
	}
	return n, nil
}

// MaxEntriesPerDay is how many entries one user may buy per UTC day.
func (s *Store) MaxEntriesPerDay(ctx context.Context) (int, error) {
	n, err := s.getInt(ctx, KeyMaxEntriesPerDay, int64(s.defaults.MaxEntriesPerDay))
	return int(n), err
}

// DigestInterval is the least time between two "new participants" digests of a draw.
func (s *Store) DigestInterval(ctx context.Context) (time.Duration, error) {
	n, err := s.getInt(ctx, KeyDigestInterval, int64(s.defaults.DigestInterval/time.Second))
	return time.Duration(n) * time.Second, err
}

// Limits gives package raffle the settings it applies at run time, read on the caller's
// connection (inside the entry's transaction, so no second connection is needed).
func (s *Store) Limits() raffle.Limits { return settingsLimits{s} }

type settingsLimits struct{ s *Store }

func (l settingsLimits) MaxEntriesPerDay(ctx context.Context, conn dbq.DBTX) (int, error) {
	n, err := getIntOn(ctx, conn, KeyMaxEntriesPerDay, int64(l.s.defaults.MaxEntriesPerDay))
	return int(n), err
}

func (l settingsLimits) DigestInterval(ctx context.Context, conn dbq.DBTX) (time.Duration, error) {
	n, err := getIntOn(ctx, conn, KeyDigestInterval, int64(l.s.defaults.DigestInterval/time.Second))
	return time.Duration(n) * time.Second, err
}

// ReserveThreshold is the spare Stars below which admins are alerted.
func (s *Store) ReserveThreshold(ctx context.Context) (int64, error) {
	return s.getInt(ctx, KeyReserveThreshold, s.defaults.ReserveThreshold)
}

// CommissionBP is the default commission of a new draw in currency.
func (s *Store) CommissionBP(ctx context.Context, currency string) (int, error) {
	n, err := s.getInt(ctx, "commission_bp:"+currency, int64(s.defaults.CommissionBP[currency]))
	return int(n), err
}

// Validate checks a canonical value of key.
func Validate(key, value string) error {
	intIn := func(lo, hi int64) error {
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("%w: %s must be a whole number from %d to %d", ErrBad, key, lo, hi)
		}
		return nil
	}
	switch key {
	case KeyCommissionXTR, KeyCommissionRUB:
		return intIn(0, 10000)
	case KeyMaxEntriesPerDay:
		return intIn(1, 10000)
	case KeyDigestInterval:
		return intIn(60, 7*24*3600)
	case KeyReserveThreshold:
		return intIn(0, 1_000_000_000)
	case KeyAnnouncement:
		if n := utf8.RuneCountInString(strings.TrimSpace(value)); n == 0 || n > MaxAnnouncement {
			return fmt.Errorf("%w: the announcement must have 1 to %d characters", ErrBad, MaxAnnouncement)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown setting %q", ErrBad, key)
}

// MaxAnnouncement leaves room in Telegram's 4096 characters.
const MaxAnnouncement = 3500

// Set changes key to value (canonical, see Validate) and writes a settings.set audit row with
// the value before and after, in one transaction; changes of one key are serialised.
func (s *Store) Set(ctx context.Context, key, value, actor string) error {
	if err := Validate(key, value); err != nil {
		return err
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		return s.set(ctx, tx, key, value, actor)
	})
}

func (s *Store) set(ctx context.Context, tx pgx.Tx, key, value, actor string) error {
	if err := q.LockSettingKey(ctx, tx, key); err != nil {
		return fmt.Errorf("settings: lock setting: %w", err)
	}
	before, err := settingState(ctx, tx, key)
	if err != nil {
		return err
	}
	now := s.now()
	if err := q.UpsertSetting(ctx, tx, dbq.UpsertSettingParams{Key: key, Value: value, UpdatedAt: now, UpdatedBy: actor}); err != nil {
		return fmt.Errorf("settings: write setting: %w", err)
	}
	return audit.Record(ctx, tx, audit.Entry{
		At: now, Actor: actor, Action: "settings.set", Subject: key,
		Before: before, After: map[string]any{"value": value},
	})
}

// Reset returns key to its default, with a settings.reset audit row.
func (s *Store) Reset(ctx context.Context, key, actor string) error {
	if !slices.Contains(Keys, key) {
		return fmt.Errorf("%w: unknown setting %q", ErrBad, key)
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := q.LockSettingKey(ctx, tx, key); err != nil {
			return fmt.Errorf("settings: lock setting: %w", err)
		}
		before, err := settingState(ctx, tx, key)
		if err != nil || before == nil {
			return err // nothing set: nothing to reset
		}
		if _, err := q.DeleteSetting(ctx, tx, key); err != nil {
			return fmt.Errorf("settings: reset setting: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{
			At: s.now(), Actor: actor, Action: "settings.reset", Subject: key,
			Before: before, After: map[string]any{"value": nil},
		})
	})
}

// settingState is the audit "before" of key: its stored value, or nil when it is a default.
func settingState(ctx context.Context, tx pgx.Tx, key string) (any, error) {
	v, err := q.GetSetting(ctx, tx, key)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("settings: read setting: %w", err)
	}
	return map[string]any{"value": v}, nil
}

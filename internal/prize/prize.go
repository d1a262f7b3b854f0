// Package prize turns a user's Stars balance into something that leaves the bot: a Telegram gift
// (sendGift) or Telegram Premium (giftPremiumSubscription), bought with the bot's own Star
// balance, the reserve. No Bot API call sends Stars to a user (research/telegram-stars.md §2);
// these two are the honest way to make a Stars prize real. The receiver cannot turn such a gift
// back into Stars.
//
// Telegram gives neither call an idempotency key, so a redemption is exactly-once by
// construction: it is recorded and its Stars held (user:<id>:XTR -> user:<id>:held:XTR) in one
// transaction with the job that delivers it; the job marks it "calling" (committed) before it
// asks Telegram; after a crash or a timeout it looks for the purchase in getStarTransactions (a
// gift_purchase or premium_purchase to that user, at that price, after the hold, not already
// claimed by another redemption) before it ever calls again. A user has at most one unfinished
// redemption (a unique index), so an unclaimed purchase to them can only be theirs. The purchase
// moves the held Stars to ext:telegram:XTR, keyed by the redemption, together with the
// purchase's star transaction id.
//
// A refusal from Telegram never loses Stars: BALANCE_TOO_LOW (and any refusal not known to be
// final) keeps the claim waiting, tells the user and the admins, and retries when the reserve is
// topped up (and every hour); a final refusal (sold out, no such gift, the user unreachable)
// gives the held Stars back to the balance.
package prize

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/alert"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
)

var q = dbq.New()

// Kinds of redemption.
const (
	KindGift    = "gift"
	KindPremium = "premium"
)

// Statuses of a redemption (see migrations/00030_star_prizes.sql).
const (
	StatusHeld      = "held"
	StatusCalling   = "calling"
	StatusPurchased = "purchased"
	StatusWaiting   = "waiting"
	StatusSent      = "sent"
	StatusReleased  = "released"
)

// Defaults.
const (
	// DefaultCatalogueTTL is how long the getAvailableGifts answer is reused: limited gifts sell
	// out, so it is not kept long; a gift sold out in between is refused by Telegram and the
	// Stars go back to the balance.
	DefaultCatalogueTTL = 5 * time.Minute
	// DefaultRetryInterval is how often waiting redemptions are tried again without a top-up.
	DefaultRetryInterval = time.Hour
	// pageSize is the largest getStarTransactions page ("Values between 1-100 are accepted").
	pageSize = 100
)

// Premium is one Telegram Premium option with its fixed price: giftPremiumSubscription "must be
// 1000 for 3 months, 1500 for 6 months, and 2500 for 12 months".
type Premium struct {
	Months int64
	Stars  int64
}

// PremiumOptions are every Premium option, cheapest first.
var PremiumOptions = []Premium{{3, 1000}, {6, 1500}, {12, 2500}}

// PremiumPrice is the price of months of Premium; false for a duration Telegram does not sell.
func PremiumPrice(months int64) (int64, bool) {
	for _, p := range PremiumOptions {
		if p.Months == months {
			return p.Stars, true
		}
	}
	return 0, false
}

// API is the part of the Bot API prizes use; *telego.Bot has it. Calls go through the same
// telego client as every other call, so the project's pacing wrapper sees them too.
type API interface {
	GetAvailableGifts(ctx context.Context) (*telego.Gifts, error)
	SendGift(ctx context.Context, params *telego.SendGiftParams) error
	GiftPremiumSubscription(ctx context.Context, params *telego.GiftPremiumSubscriptionParams) error
	GetStarTransactions(ctx context.Context, params *telego.GetStarTransactionsParams) (*telego.StarTransactions, error)
}

// Domain errors of a redemption request; nothing moved when one is returned.
var (
	// ErrUnknownGift means the gift is not in the catalogue (or sold out).
	ErrUnknownGift = errors.New("prize: no such gift in the catalogue")
	// ErrPriceChanged means the price the user confirmed is not the price now.
	ErrPriceChanged = errors.New("prize: the price has changed")
	// ErrInsufficientFunds means the user's Stars balance does not cover the price.
	ErrInsufficientFunds = errors.New("prize: balance too low")
	// ErrBusy means the user already has a redemption on its way.
	ErrBusy = errors.New("prize: a redemption is already on its way")
	// ErrInvalid means the request is malformed (no user, a Premium duration Telegram does not sell).
	ErrInvalid = errors.New("prize: invalid request")
)

// Config configures a Service.
type Config struct {
	Pool *pgxpool.Pool
	// Jobs inserts the delivery jobs inside the transactions that record redemptions.
	Jobs   *river.Client[pgx.Tx]
	API    API
	Logger *slog.Logger
	// Alerter tells the admins when the reserve cannot pay a claim. nil: nobody is told.
	Alerter *alert.Alerter
	// Now is the clock; default time.Now.
	Now func() time.Time
	// CatalogueTTL; default DefaultCatalogueTTL.
	CatalogueTTL time.Duration
	// RetryInterval; default DefaultRetryInterval.
	RetryInterval time.Duration
}

// Service redeems Stars balances for gifts and Premium. It is safe for concurrent use.
type Service struct {
	pool          *pgxpool.Pool
	jobs          *river.Client[pgx.Tx]
	api           API
	log           *slog.Logger
	alerter       *alert.Alerter
	now           func() time.Time
	ttl           time.Duration
	retryInterval time.Duration

	mu        sync.Mutex
	gifts     []Gift
	fetchedAt time.Time
}

// New returns a Service.
func New(c Config) *Service {
	s := &Service{
		pool: c.Pool, jobs: c.Jobs, api: c.API, log: c.Logger, alerter: c.Alerter, now: c.Now,
		ttl: c.CatalogueTTL, retryInterval: c.RetryInterval,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl <= 0 {
		s.ttl = DefaultCatalogueTTL
	}
	if s.retryInterval <= 0 {
		s.retryInterval = DefaultRetryInterval
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Gift is a gift the bot can send now.
type Gift struct {
	ID    string
	Emoji string
	Stars int64
}

// Catalogue is the gifts the bot can send now, cheapest first: getAvailableGifts, reused for
// the TTL, without sold-out limited gifts.
func (s *Service) Catalogue(ctx context.Context) ([]Gift, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gifts != nil && s.now().Sub(s.fetchedAt) < s.ttl {
		return slices.Clone(s.gifts), nil
	}
	got, err := s.api.GetAvailableGifts(ctx)
	if err != nil {
		return nil, fmt.Errorf("prize: available gifts: %w", err)
	}
	gifts := []Gift{}
	for _, g := range got.Gifts {
		limited := g.TotalCount > 0 || g.PersonalTotalCount > 0
		if g.StarCount <= 0 || (limited && (g.RemainingCount <= 0 || (g.PersonalTotalCount > 0 && g.PersonalRemainingCount <= 0))) {
			continue
		}
		gifts = append(gifts, Gift{ID: g.ID, Emoji: g.Sticker.Emoji, Stars: int64(g.StarCount)})
	}
	slices.SortStableFunc(gifts, func(a, b Gift) int { return cmp.Compare(a.Stars, b.Stars) })
	s.gifts, s.fetchedAt = gifts, s.now()
	return slices.Clone(gifts), nil
}

// forgetCatalogue drops the cached catalogue (a gift sold out or vanished).
func (s *Service) forgetCatalogue() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gifts = nil
}

// Affordable are the gifts and Premium options a balance covers.
func (s *Service) Affordable(ctx context.Context, balance int64) ([]Gift, []Premium, error) {
	gifts, err := s.Catalogue(ctx)
	if err != nil {
		return nil, nil, err
	}
	var g []Gift
	for _, x := range gifts {
		if x.Stars <= balance {
			g = append(g, x)
		}
	}
	var p []Premium
	for _, x := range PremiumOptions {
		if x.Stars <= balance {
			p = append(p, x)
		}
	}
	return g, p, nil
}

// FindGift is the catalogue's gift with this id.
func (s *Service) FindGift(ctx context.Context, id string) (Gift, error) {
	gifts, err := s.Catalogue(ctx)
	if err != nil {
		return Gift{}, err
	}
	for _, g := range gifts {
		if g.ID == id {
			return g, nil
		}
	}
	return Gift{}, ErrUnknownGift
}

func pgText(s string) pgtype.Text { return pgtype.Text{String: s, Valid: true} }

// Totals are the Stars held for redemptions not yet sent, and how many claims wait for the
// reserve.
func (s *Service) Totals(ctx context.Context) (held, waiting int64, err error) {
	t, err := q.RedemptionTotals(ctx, s.pool)
	if err != nil {
		return 0, 0, fmt.Errorf("prize: totals: %w", err)
	}
	return t.Held, t.Waiting, nil
}

// Package raffle is the life of a draw: creation, entries, close, the draw itself, settlement,
// cancellation and refunds.
//
//	draft -> open -> drawing -> drawn -> settled
//	            \-> cancelled -> refunded
//
// Every step that moves money does it in one database transaction together with the state
// change, the audit row and the jobs it triggers, and every step is idempotent: a job that runs
// twice, or resumes after a crash, finds the work done and does nothing. The package knows
// nothing of Telegram or HTTP: randomness comes through Source, refunds through Refunder, and
// messages go out as notify jobs.
package raffle

import (
	"errors"
	"time"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
)

// Statuses of a draw.
const (
	StatusDraft     = "draft"
	StatusOpen      = "open"
	StatusDrawing   = "drawing"
	StatusDrawn     = "drawn"
	StatusSettled   = "settled"
	StatusCancelled = "cancelled"
	StatusRefunded  = "refunded"
)

// Statuses of a payment (payments.status).
const (
	// PaymentEntered: the payment bought an entry, its money is in the draw's pool.
	PaymentEntered = "entered"
	// PaymentRefundPending: the money must go back (a refused payment, a cancelled draw, a
	// ban) and the provider has not confirmed it yet.
	PaymentRefundPending = "refund_pending"
	// PaymentRefunded: the provider returned the money.
	PaymentRefunded = "refunded"
)

// Close modes and randomness sources.
const (
	ModeDeadline    = "deadline"
	ModeInstant     = "instant"
	SourceRandomOrg = "randomorg"
	SourceDrand     = "drand"
)

// Payment providers.
const (
	ProviderTelegram = "telegram"
	ProviderYooKassa = "yookassa"
	ProviderBalance  = "balance"
)

// Domain errors.
var (
	ErrNotFound = errors.New("raffle: not found")
	ErrInvalid  = errors.New("raffle: invalid")
	// ErrWrongState means the draw is not in a state that allows the operation.
	ErrWrongState = errors.New("raffle: not allowed in this state")
)

// Refusal says why a payment cannot become an entry. Code is a stable reason code; the texts
// shown to users are "reason.<Code>" in package i18n.
type Refusal struct{ Code string }

func (r *Refusal) Error() string { return "raffle: entry refused: " + r.Code }

// Refusal codes.
const (
	RefuseClosed       = "draw_closed"
	RefuseFull         = "draw_full"
	RefuseUserLimit    = "user_limit"
	RefuseDailyLimit   = "daily_limit"
	RefuseAmount       = "amount"
	RefuseBanned       = "banned"
	RefuseNotFound     = "not_found"
	RefusePaused       = "paused"
	RefuseInsufficient = "insufficient"
	RefuseCancelled    = "cancelled"
	RefuseWrongUser    = "wrong_user"
	RefuseCurrencyOff  = "currency_off"
)

// Draw is a draw as shown by `fairdraw raffle show` (amounts in minor units).
type Draw struct {
	ID                int64      `json:"id"`
	Title             string     `json:"title"`
	Status            string     `json:"status"`
	Currency          string     `json:"currency"`
	Fee               int64      `json:"fee"`
	Min               int        `json:"min"`
	Max               *int       `json:"max"`
	WinnersCount      int        `json:"winners_count"`
	CommissionBP      int        `json:"commission_bp"`
	Deadline          time.Time  `json:"deadline"`
	CloseMode         string     `json:"close_mode"`
	Source            string     `json:"source"`
	MaxEntriesPerUser int        `json:"max_entries_per_user"`
	Entries           int        `json:"entries"`
	Pool              int64      `json:"pool"`
	Winners           []Winner   `json:"winners"`
	TicketID          string     `json:"ticket_id,omitempty"`
	ListHash          string     `json:"list_hash,omitempty"`
	DrandRound        uint64     `json:"drand_round,omitempty"`
	EntriesPaused     bool       `json:"entries_paused"`
	CancelReason      string     `json:"cancel_reason,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
	ClosedAt          *time.Time `json:"closed_at,omitempty"`
	SettledAt         *time.Time `json:"settled_at,omitempty"`
	// Prize is how the winners are paid: balance, gift or premium.
	Prize string `json:"prize"`
}

// Winner is one prize of a drawn draw.
type Winner struct {
	Position   int    `json:"position"`
	TelegramID int64  `json:"telegram_id"`
	EntryCode  string `json:"entry_code"`
	Prize      int64  `json:"prize"`
}

// Open reports whether the draw takes entries now.
func (d Draw) Open() bool { return d.Status == StatusOpen && !d.EntriesPaused }

// Full reports whether the draw has reached its maximum.
func (d Draw) Full() bool { return d.Max != nil && d.Entries >= *d.Max }

func fromRow(r dbq.Raffle) Draw {
	d := Draw{
		ID: r.ID, Title: r.Title, Status: r.Status, Currency: r.Currency, Fee: r.Fee,
		Min: int(r.MinParticipants), WinnersCount: int(r.WinnersCount), CommissionBP: int(r.CommissionBp),
		Deadline: r.Deadline.UTC(), CloseMode: r.CloseMode, Source: r.Source, MaxEntriesPerUser: int(r.MaxEntriesPerUser),
		Entries: int(r.EntriesCount), Pool: r.Fee * int64(r.EntriesCount), Winners: []Winner{},
		TicketID: r.TicketID.String, ListHash: r.ListHash.String, EntriesPaused: r.EntriesPaused,
		CancelReason: r.CancelReason, CreatedAt: r.CreatedAt.UTC(), ClosedAt: r.ClosedAt, SettledAt: r.SettledAt,
		Prize: r.PrizeMode,
	}
	if r.MaxParticipants.Valid {
		m := int(r.MaxParticipants.Int32)
		d.Max = &m
	}
	if r.DrandRound.Valid {
		d.DrandRound = uint64(r.DrandRound.Int64)
	}
	return d
}

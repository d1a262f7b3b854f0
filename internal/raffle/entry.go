package raffle

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/notify"
)

// Payment is money that arrived (or, for ProviderBalance, is offered from the user's in-bot
// balance) to become one entry.
type Payment struct {
	Provider   string // ProviderTelegram, ProviderYooKassa, ProviderBalance
	ExternalID string // telegram_payment_charge_id, YooKassa payment id, or a request id for balance
	DrawID     int64
	UserID     int64
	Currency   string
	Amount     int64
	// Refuse, when set, is a refusal code decided before Enter (an invoice paid by someone other
	// than the user it was issued to): the payment is recorded and refunded with that reason.
	Refuse string
}

// EntryResult says what became of a Payment.
type EntryResult struct {
	PaymentID int64
	// Entered is true when the payment is an entry; then Code and Seq are set.
	Entered bool
	Code    string
	Seq     int
	// Refusal is set when the payment could not become an entry and is being refunded.
	Refusal *Refusal
	// Replay is true when this payment had been processed before; nothing changed now.
	Replay bool
}

// refusal applies the entry rules to a draw row and a user row.
func (s *Service) refusal(ctx context.Context, conn dbq.DBTX, r dbq.Raffle, u dbq.User, currency string, amount int64) error {
	if code := drawRefusal(r, u.BannedAt != nil, currency, amount); code != "" {
		return &Refusal{code}
	}
	mine, err := q.CountUserEntriesInRaffle(ctx, conn, dbq.CountUserEntriesInRaffleParams{RaffleID: r.ID, TelegramID: u.TelegramID})
	if err != nil {
		return fmt.Errorf("raffle: count entries: %w", err)
	}
	daily, err := q.CountUserEntriesSince(ctx, conn, dbq.CountUserEntriesSinceParams{TelegramID: u.TelegramID, Since: startOfDay(s.now())})
	if err != nil {
		return fmt.Errorf("raffle: count daily entries: %w", err)
	}
	if code := limitRefusal(r, int(mine), int(daily), s.entriesPerDay(ctx, conn)); code != "" {
		return &Refusal{code}
	}
	return nil
}

// drawRefusal is the part of the entry rules that needs only the draw and the user: the
// refusal code, or "" when the draw takes this payment.
func drawRefusal(r dbq.Raffle, banned bool, currency string, amount int64) string {
	switch {
	case r.Status == StatusCancelled || r.Status == StatusRefunded:
		return RefuseCancelled
	case r.Status != StatusOpen:
		return RefuseClosed
	case r.EntriesPaused:
		return RefusePaused
	case currency != r.Currency || amount != r.Fee:
		return RefuseAmount
	case r.MaxParticipants.Valid && r.EntriesCount >= r.MaxParticipants.Int32:
		return RefuseFull
	case banned:
		return RefuseBanned
	}
	return ""
}

// limitRefusal is the rest: the user's entries in the draw (mine) and since the start of the
// UTC day (daily) against the draw's and the daily limit.
func limitRefusal(r dbq.Raffle, mine, daily, perDay int) string {
	switch {
	case mine >= int(r.MaxEntriesPerUser):
		return RefuseUserLimit
	case daily >= perDay:
		return RefuseDailyLimit
	}
	return ""
}

// startOfDay is the start of the UTC day of t: daily limits count from there.
func startOfDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// ledgerKey is the idempotency key of a payment's arrival in the ledger.
func ledgerKey(provider, externalID string) string {
	switch provider {
	case ProviderTelegram:
		return "tg:charge:" + externalID
	case ProviderYooKassa:
		return "yk:payment:" + externalID
	default:
		return "balance:" + externalID
	}
}

// clearingAccount is where money of a provider comes from.
func clearingAccount(p Payment) string {
	switch p.Provider {
	case ProviderTelegram:
		return ledger.TelegramClearing
	case ProviderYooKassa:
		return ledger.YooKassaClearing
	default:
		return ledger.UserAccount(p.UserID, p.Currency)
	}
}

// Enter turns a payment into exactly one entry, or into exactly one automatic refund, inside
// tx. Delivering the same payment again (same provider and external id) changes nothing and
// returns the first result with Replay set. The ledger posting, the entry, the audit row and the
// confirmation (or refund) jobs all commit with tx.
//
// A balance payment that is refused writes nothing and returns the *Refusal as an error: no
// money moved, so there is nothing to refund.
func (s *Service) Enter(ctx context.Context, tx pgx.Tx, p Payment) (EntryResult, error) {
	if p.ExternalID == "" || p.Amount <= 0 {
		return EntryResult{}, fmt.Errorf("%w: payment without id or amount", ErrInvalid)
	}
	if res, done, err := s.replayPayment(ctx, tx, p); done || err != nil {
		if err == nil {
			err = s.auditDuplicate(ctx, tx, p, res)
		}
		return res, err
	}
	now := s.now()
	if err := q.EnsureUser(ctx, tx, dbq.EnsureUserParams{TelegramID: p.UserID, FirstSeenAt: now}); err != nil {
		return EntryResult{}, fmt.Errorf("raffle: ensure user: %w", err)
	}
	// Lock order everywhere: user, then draw, then ledger accounts (by id).
	user, err := q.LockUser(ctx, tx, p.UserID)
	if err != nil {
		return EntryResult{}, fmt.Errorf("raffle: lock user: %w", err)
	}
	row, err := q.LockRaffle(ctx, tx, p.DrawID)
	notFound := errors.Is(err, pgx.ErrNoRows)
	if err != nil && !notFound {
		return EntryResult{}, fmt.Errorf("raffle: lock draw: %w", err)
	}
	var refusal *Refusal
	if notFound {
		refusal = &Refusal{RefuseNotFound}
	} else if err := s.refusal(ctx, tx, row, user, p.Currency, p.Amount); err != nil {
		if !errors.As(err, &refusal) {
			return EntryResult{}, err
		}
	}
	if p.Refuse != "" && p.Provider != ProviderBalance {
		refusal = &Refusal{p.Refuse}
	}
	if refusal != nil && p.Provider == ProviderBalance {
		return EntryResult{Refusal: refusal}, refusal
	}
	if refusal == nil && p.Provider == ProviderBalance {
		bal, err := ledger.Balance(ctx, tx, ledger.UserAccount(p.UserID, p.Currency))
		if err != nil {
			return EntryResult{}, err
		}
		if bal < p.Amount {
			r := &Refusal{RefuseInsufficient}
			return EntryResult{Refusal: r}, r
		}
	}

	status, reason := "entered", ""
	if refusal != nil {
		status, reason = "refund_pending", refusal.Code
	}
	pay, err := q.InsertPayment(ctx, tx, dbq.InsertPaymentParams{
		Provider: p.Provider, ExternalID: p.ExternalID, RaffleID: pgtype.Int8{Int64: p.DrawID, Valid: !notFound}, TelegramID: p.UserID,
		Currency: p.Currency, Amount: p.Amount, Status: status, RefundReason: reason, CreatedAt: now,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		res, _, err := s.replayPayment(ctx, tx, p)
		if err == nil {
			err = s.auditDuplicate(ctx, tx, p, res)
		}
		return res, err
	}
	if err != nil {
		return EntryResult{}, fmt.Errorf("raffle: insert payment: %w", err)
	}
	actor := fmt.Sprintf("user:%d", p.UserID)
	if refusal != nil {
		// The money is ours to return: it waits in the refunds account until the provider confirms.
		if _, err := ledger.Post(ctx, tx, ledger.Transaction{
			Key: ledgerKey(p.Provider, p.ExternalID), Kind: "payment_refused",
			Memo:     fmt.Sprintf("draw %d refused: %s", p.DrawID, refusal.Code),
			Postings: []ledger.Posting{{Account: clearingAccount(p), Amount: -p.Amount}, {Account: ledger.RefundsAccount(p.Currency), Amount: p.Amount}},
		}); err != nil {
			return EntryResult{}, fmt.Errorf("raffle: post refused payment: %w", err)
		}
		if _, err := s.jobs.InsertTx(ctx, tx, RefundArgs{PaymentID: pay.ID}, nil); err != nil {
			return EntryResult{}, fmt.Errorf("raffle: schedule refund: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{
			At: s.now(), Actor: actor, Action: "payment.refused", DrawID: row.ID, Subject: p.Provider + ":" + p.ExternalID,
			After: pay,
		}); err != nil {
			return EntryResult{}, err
		}
		return EntryResult{PaymentID: pay.ID, Refusal: refusal}, nil
	}

	d := fromRow(row)
	if _, err := ledger.Post(ctx, tx, ledger.Transaction{
		Key: ledgerKey(p.Provider, p.ExternalID), Kind: "entry",
		Memo:     fmt.Sprintf("entry to draw %d", p.DrawID),
		Postings: []ledger.Posting{{Account: clearingAccount(p), Amount: -p.Amount}, {Account: ledger.PoolAccount(p.DrawID, p.Currency), Amount: p.Amount}},
	}); err != nil {
		if errors.Is(err, ledger.ErrInsufficientFunds) {
			r := &Refusal{RefuseInsufficient}
			return EntryResult{Refusal: r}, r
		}
		return EntryResult{}, fmt.Errorf("raffle: post entry: %w", err)
	}
	seq, err := q.IncrementEntries(ctx, tx, p.DrawID)
	if err != nil {
		return EntryResult{}, fmt.Errorf("raffle: count entry: %w", err)
	}
	code, err := newEntryCode(ctx, tx, p.DrawID)
	if err != nil {
		return EntryResult{}, err
	}
	entry, err := q.InsertEntry(ctx, tx, dbq.InsertEntryParams{
		RaffleID: p.DrawID, Seq: seq, TelegramID: p.UserID, Code: code, PaymentID: pay.ID, CreatedAt: now,
	})
	if err != nil {
		return EntryResult{}, fmt.Errorf("raffle: insert entry: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Entry{
		At: s.now(), Actor: actor, Action: "entry.create", DrawID: d.ID, Subject: p.Provider + ":" + p.ExternalID,
		After: map[string]any{
			"payment_id": pay.ID, "entry_id": entry.ID, "seq": seq, "code": code, "amount": p.Amount, "currency": p.Currency,
		},
	}); err != nil {
		return EntryResult{}, err
	}
	if err := notify.Enqueue(ctx, tx, s.jobs, notify.Message{
		EventKey: fmt.Sprintf("entry:%d", entry.ID), ChatID: p.UserID, Key: "entry.confirmed",
		Args: map[string]i18n.Arg{"id": i18n.I(d.ID), "title": i18n.S(d.Title), "code": i18n.S(code)},
	}); err != nil {
		return EntryResult{}, err
	}
	if _, err := s.jobs.InsertTx(ctx, tx, DigestArgs{DrawID: d.ID}, digestOpts(now, s.joinDigestInterval(ctx, tx))); err != nil {
		return EntryResult{}, fmt.Errorf("raffle: schedule digest: %w", err)
	}
	d.Entries = int(seq)
	if d.Full() || (d.CloseMode == ModeInstant && d.Entries >= d.Min) {
		if err := s.close(ctx, tx, d); err != nil {
			return EntryResult{}, err
		}
	}
	return EntryResult{PaymentID: pay.ID, Entered: true, Code: code, Seq: int(seq)}, nil
}

// auditDuplicate records that a payment was delivered again (and changed nothing), so repeated
// deliveries are visible to the operator.
func (s *Service) auditDuplicate(ctx context.Context, tx pgx.Tx, p Payment, res EntryResult) error {
	return audit.Record(ctx, tx, audit.Entry{
		At: s.now(), Actor: fmt.Sprintf("user:%d", p.UserID), Action: "payment.duplicate", DrawID: p.DrawID, Subject: p.Provider + ":" + p.ExternalID,
		After: map[string]any{"payment_id": res.PaymentID, "entered": res.Entered, "code": res.Code, "amount": p.Amount},
	})
}

// replayPayment returns the recorded outcome of a payment seen before.
func (s *Service) replayPayment(ctx context.Context, tx pgx.Tx, p Payment) (EntryResult, bool, error) {
	pay, err := q.GetPaymentByExternal(ctx, tx, dbq.GetPaymentByExternalParams{Provider: p.Provider, ExternalID: p.ExternalID})
	if errors.Is(err, pgx.ErrNoRows) {
		return EntryResult{}, false, nil
	}
	if err != nil {
		return EntryResult{}, false, fmt.Errorf("raffle: look up payment: %w", err)
	}
	res := EntryResult{PaymentID: pay.ID, Replay: true}
	entry, err := q.EntryByPayment(ctx, tx, pay.ID)
	switch {
	case err == nil:
		res.Entered, res.Code, res.Seq = true, entry.Code, int(entry.Seq)
	case errors.Is(err, pgx.ErrNoRows):
		res.Refusal = &Refusal{pay.RefundReason}
	default:
		return EntryResult{}, false, fmt.Errorf("raffle: look up entry: %w", err)
	}
	return res, true, nil
}

// entryAlphabet is Crockford's base32: no I, L, O or U to misread.
const entryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newEntryCode returns a random public code ("7KQF-2M9X") not yet used in the draw. The draw's
// row is locked by the caller, so no other entry of the draw is being created meanwhile.
func newEntryCode(ctx context.Context, tx pgx.Tx, drawID int64) (string, error) {
	for range 10 {
		code := randomEntryCode()
		taken, err := q.EntryCodeExists(ctx, tx, dbq.EntryCodeExistsParams{RaffleID: drawID, Code: code})
		if err != nil {
			return "", fmt.Errorf("raffle: entry code: %w", err)
		}
		if !taken {
			return code, nil
		}
	}
	return "", errors.New("raffle: could not find a free entry code")
}

package rubles

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// PayoutRequest asks to withdraw part of a user's ruble balance. Exactly the fields of Method
// are used: SBP takes Phone and BankID, YooMoney takes Wallet, a bank card takes CardToken
// (and Card, for display).
type PayoutRequest struct {
	UserID int64
	// Amount in kopecks; it must be within yookassa.PayoutLimits(Method) and the balance.
	Amount int64
	Method yookassa.PayoutMethod
	// Phone is the phone number linked to SBP, in any usual form ("+7 900 123-45-67",
	// "89001234567"); Russian numbers are stored as 7XXXXXXXXXX.
	Phone string
	// BankID is the SBP participant, one of SBPBanks.
	BankID string
	// Wallet is a YooMoney wallet number.
	Wallet string
	// CardToken is the card synonym (payout_token) from YooKassa's payout widget: fairdraw never
	// sees a card number. Card is the masked card the widget reported.
	CardToken string
	Card      CardMask
	// RequestKey, when set, makes the request idempotent for the caller: a second request with
	// the same key returns the first payout and moves no money.
	RequestKey string
}

// CardMask is what YooKassa's widget shows of a card.
type CardMask struct {
	First6, Last4, Type string
}

// Payout is a withdrawal as the bot shows it.
type Payout struct {
	ID     int64
	UserID int64
	Amount int64
	Method yookassa.PayoutMethod
	// Destination is masked for display: "•••4567" (phone), "•••5714" (wallet), "555555•••4477" (card).
	Destination string
	// Status is new or pending (on the way), succeeded, canceled, or review (held, a person
	// looks into it).
	Status     string
	YooKassaID string
	// CancelReason is YooKassa's cancellation reason (see PayoutReasonKey) or "rejected".
	CancelReason string
	CreatedAt    time.Time
}

func toPayout(r dbq.RubPayout) Payout {
	p := Payout{ID: r.ID, UserID: r.TelegramID, Amount: r.Amount, Method: yookassa.PayoutMethod(r.Method), Status: r.Status,
		YooKassaID: r.YookassaID.String, CancelReason: r.CancelReason, CreatedAt: r.CreatedAt}
	switch {
	case r.DestinationPurgedAt != nil: // final: the database kept only the last digits
		p.Destination = "•••" + r.DestinationTail
		if p.Method == yookassa.PayoutBankCard {
			p.Destination = "•••" + r.CardLast4
		}
	case p.Method == yookassa.PayoutSBP:
		p.Destination = "•••" + tail(r.Phone, 4)
	case p.Method == yookassa.PayoutYooMoney:
		p.Destination = "•••" + tail(r.AccountNumber, 4)
	case p.Method == yookassa.PayoutBankCard:
		p.Destination = r.CardFirst6 + "•••" + r.CardLast4
	}
	return p
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// reasonRejected is the cancel reason of a payout YooKassa refused to create (HTTP 400).
const reasonRejected = "rejected"

// RequestPayout withdraws r.Amount of the user's ruble balance to r's destination. It checks
// the destination (an SBP bank must be one of SBPBanks) and YooKassa's per-method limits, then,
// in one transaction, moves the amount to the user's held account (ledger key
// payout:<id>:hold), stores the payout with its Idempotence-Key and queues the job that sends
// it. The user hears the outcome by message (notify.payout_done or rub.payout_failed); a
// cancellation returns the money to the balance and alerts the admins.
//
// Errors: ErrInvalidDestination, ErrAmountOutOfRange, ErrInsufficientFunds; nothing is written
// then. With r.RequestKey set, repeating the request returns the first payout.
func (s *Service) RequestPayout(ctx context.Context, r PayoutRequest) (Payout, error) {
	if r.RequestKey != "" {
		if row, err := q.RubPayoutByRequestKey(ctx, s.pool, pgtype.Text{String: r.RequestKey, Valid: true}); err == nil {
			return toPayout(row), nil
		}
	}
	params, err := s.payoutParams(ctx, r)
	if err != nil {
		return Payout{}, err
	}
	if err := yookassa.CheckPayoutAmount(r.Method, r.Amount); err != nil {
		return Payout{}, fmt.Errorf("%w: %w", ErrAmountOutOfRange, err)
	}
	var row dbq.RubPayout
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		params.Now = now
		if err := q.EnsureUser(ctx, tx, dbq.EnsureUserParams{TelegramID: r.UserID, FirstSeenAt: now}); err != nil {
			return fmt.Errorf("rubles: ensure user: %w", err)
		}
		if _, err := q.LockUser(ctx, tx, r.UserID); err != nil {
			return fmt.Errorf("rubles: lock user: %w", err)
		}
		var err error
		if row, err = q.InsertRubPayout(ctx, tx, params); err != nil {
			return fmt.Errorf("rubles: insert payout: %w", err)
		}
		if _, err := ledger.Post(ctx, tx, ledger.Transfer(payoutKey(row.ID, "hold"), "payout_hold",
			ledger.UserAccount(r.UserID, Currency), ledger.UserHeldAccount(r.UserID, Currency), r.Amount)); err != nil {
			if errors.Is(err, ledger.ErrInsufficientFunds) {
				return fmt.Errorf("%w: %w", ErrInsufficientFunds, err)
			}
			return fmt.Errorf("rubles: hold payout: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{
			At: now, Actor: fmt.Sprintf("user:%d", r.UserID), Action: "rub_payout.request", Subject: fmt.Sprintf("payout:%d", row.ID),
			After: map[string]any{"amount": r.Amount, "method": r.Method},
		}); err != nil {
			return err
		}
		if _, err := s.jobs.InsertTx(ctx, tx, PayoutSendArgs{PayoutID: row.ID}, nil); err != nil {
			return fmt.Errorf("rubles: queue payout: %w", err)
		}
		return nil
	})
	if r.RequestKey != "" && db.IsUniqueViolation(err, "rub_payouts_request_key_key") {
		if row, err := q.RubPayoutByRequestKey(ctx, s.pool, pgtype.Text{String: r.RequestKey, Valid: true}); err == nil {
			return toPayout(row), nil
		}
	}
	if err != nil {
		return Payout{}, err
	}
	s.log.Info("payout requested", slog.Int64("payout_id", row.ID), slog.Int64("user_id", r.UserID),
		slog.Int64("amount", r.Amount), slog.String("method", string(r.Method)))
	return toPayout(row), nil
}

// payoutParams validates and normalizes r's destination into a row to insert.
func (s *Service) payoutParams(ctx context.Context, r PayoutRequest) (dbq.InsertRubPayoutParams, error) {
	p := dbq.InsertRubPayoutParams{TelegramID: r.UserID, Amount: r.Amount, Method: string(r.Method)}
	if r.RequestKey != "" {
		p.RequestKey = pgtype.Text{String: r.RequestKey, Valid: true}
	}
	if r.UserID <= 0 {
		return p, fmt.Errorf("%w: no user", ErrInvalidDestination)
	}
	switch r.Method {
	case yookassa.PayoutSBP:
		phone, ok := NormalizePhone(r.Phone)
		if !ok {
			return p, fmt.Errorf("%w: not a phone number", ErrInvalidDestination)
		}
		banks, err := s.SBPBanks(ctx)
		if err != nil {
			return p, err
		}
		if !slices.ContainsFunc(banks, func(b yookassa.SBPBank) bool { return b.BankID == r.BankID }) {
			return p, fmt.Errorf("%w: unknown SBP bank %q", ErrInvalidDestination, r.BankID)
		}
		p.Phone, p.BankID = phone, r.BankID
	case yookassa.PayoutYooMoney:
		w := strings.TrimSpace(r.Wallet)
		if len(w) < 11 || len(w) > 33 || !digits(w) {
			return p, fmt.Errorf("%w: a YooMoney wallet number is 11 to 33 digits", ErrInvalidDestination)
		}
		p.AccountNumber = w
	case yookassa.PayoutBankCard:
		if !validToken(r.CardToken) {
			return p, fmt.Errorf("%w: no card token from YooKassa's widget", ErrInvalidDestination)
		}
		if (r.Card.First6 != "" && (len(r.Card.First6) != 6 || !digits(r.Card.First6))) ||
			(r.Card.Last4 != "" && (len(r.Card.Last4) != 4 || !digits(r.Card.Last4))) || len(r.Card.Type) > 32 {
			return p, fmt.Errorf("%w: card mask", ErrInvalidDestination)
		}
		p.PayoutToken, p.CardFirst6, p.CardLast4, p.CardType = r.CardToken, r.Card.First6, r.Card.Last4, r.Card.Type
	default:
		return p, fmt.Errorf("%w: method %q", ErrInvalidDestination, r.Method)
	}
	return p, nil
}

// NormalizePhone turns a phone number as people type it into YooKassa's form, digits without
// "+": "+7 (900) 123-45-67" and "8 900 123 45 67" become "79001234567"; a ten-digit Russian
// mobile number gets its 7. It reports false for anything that is not 10 to 15 digits.
func NormalizePhone(s string) (string, bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '(', r == ')', r == '\u00a0':
		default:
			return "", false
		}
	}
	d := b.String()
	switch {
	case len(d) == 11 && d[0] == '8':
		d = "7" + d[1:]
	case len(d) == 10 && d[0] == '9':
		d = "7" + d
	}
	if len(d) < 10 || len(d) > 15 {
		return "", false
	}
	return d, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// validToken accepts a card synonym as the widget gives it (e.g.
// "hoiCz_UVAdi_eKEthqhjRIJp.SC.001.202101"): 8 to 256 printable ASCII characters, no spaces,
// and no run of 12 or more digits, so that a card number typed where a token belongs is
// refused before it is stored anywhere.
func validToken(t string) bool {
	if len(t) < 8 || len(t) > 256 {
		return false
	}
	run := 0
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c <= ' ' || c > '~' {
			return false
		}
		if c >= '0' && c <= '9' {
			if run++; run >= 12 {
				return false
			}
		} else {
			run = 0
		}
	}
	return true
}

// payoutKey is a ledger key of a payout row's money moves.
func payoutKey(id int64, step string) string { return fmt.Sprintf("payout:%d:%s", id, step) }

// payoutRequest rebuilds the request of a row: the same row always gives the same body.
func payoutRequest(row dbq.RubPayout) yookassa.PayoutRequest {
	req := yookassa.PayoutRequest{
		Amount: yookassa.RUB(row.Amount),
		// Fixed text, not a translation: a repeat under the same key must send the same body.
		Description: fmt.Sprintf("Выплата приза по заявке №%d", row.ID),
		Metadata:    map[string]string{MetaPayoutID: itoa(row.ID), MetaUserID: itoa(row.TelegramID)},
	}
	switch yookassa.PayoutMethod(row.Method) {
	case yookassa.PayoutSBP:
		req.Destination = yookassa.SBPDestination(row.Phone, row.BankID)
	case yookassa.PayoutYooMoney:
		req.Destination = yookassa.YooMoneyDestination(row.AccountNumber)
	case yookassa.PayoutBankCard:
		req.PayoutToken = row.PayoutToken
	}
	return req
}

// sendPayout is the payout job: it sends the row's request, or finds out what became of it.
//
//   - A payout whose YooKassa id is known is fetched.
//   - A payout never sent, or sent less than a day ago, is sent with its key: YooKassa answers
//     a repeat with the payout the first request made.
//   - A payout whose key may have expired is first looked up by the row id in its metadata:
//     one found is the payout; none found means YooKassa never made it, and only then is it sent
//     again, with the next attempt's key; more than one holds the money for a person.
//
// A request YooKassa refuses (400) gives the money back and tells the user and the admins; an
// unknown outcome is an error, and River runs the job again.
func (s *Service) sendPayout(ctx context.Context, id int64) error {
	row, err := q.GetRubPayout(ctx, s.pool, id)
	if err != nil {
		return fmt.Errorf("rubles: payout %d: %w", id, err)
	}
	switch {
	case row.Status != statusNew && row.Status != statusPending:
		return nil
	case row.YookassaID.Valid:
		return s.syncPayout(ctx, row.YookassaID.String)
	}
	if s.keyExpired(row.SentAt) {
		found, err := s.yk.FindPayoutsByMetadata(ctx, MetaPayoutID, itoa(row.ID))
		if err != nil {
			return fmt.Errorf("rubles: find payout %d: %w", row.ID, err)
		}
		switch len(found) {
		case 0:
			n, err := q.NextRubPayoutAttempt(ctx, s.pool, dbq.NextRubPayoutAttemptParams{ID: row.ID, Attempt: row.Attempt, Now: s.now()})
			if err != nil {
				return fmt.Errorf("rubles: next payout attempt: %w", err)
			}
			if n == 0 {
				return fmt.Errorf("rubles: payout %d changed meanwhile", row.ID)
			}
			s.log.Info("payout sent again with a new key", slog.Int64("payout_id", row.ID), slog.Int("attempt", int(row.Attempt)+1))
			if row, err = q.GetRubPayout(ctx, s.pool, row.ID); err != nil {
				return fmt.Errorf("rubles: payout %d: %w", id, err)
			}
		case 1:
			return s.applyPayout(ctx, &found[0])
		default:
			return s.holdForReview(ctx, row.ID, len(found))
		}
	}
	now := s.now()
	if err := q.SetRubPayoutSent(ctx, s.pool, dbq.SetRubPayoutSentParams{ID: row.ID, Now: &now}); err != nil {
		return fmt.Errorf("rubles: mark payout sent: %w", err)
	}
	p, err := s.yk.CreatePayout(ctx, row.IdempotenceKey, payoutRequest(row))
	switch {
	case err == nil:
		return s.applyPayout(ctx, p)
	case rejected(err):
		return s.rejectPayout(ctx, row.ID, err)
	case keyRejected(err):
		// The key was used with another body: whatever it made is found by metadata once the
		// key expires; until then the job keeps failing loudly.
		return fmt.Errorf("rubles: payout %d: key %s reused with another body: %w", row.ID, row.IdempotenceKey, err)
	default:
		return fmt.Errorf("rubles: create payout %d: %w", row.ID, err)
	}
}

// syncPayout fetches a payout (after a notification or for the re-check) and records it.
func (s *Service) syncPayout(ctx context.Context, yookassaID string) error {
	p, err := s.yk.GetPayout(ctx, yookassaID)
	if errors.Is(err, yookassa.ErrNotFound) {
		s.log.Warn("notified payout unknown to yookassa", slog.String("yookassa_id", yookassaID))
		return nil
	}
	if err != nil {
		return fmt.Errorf("rubles: get payout: %w", err)
	}
	return s.applyPayout(ctx, p)
}

// applyPayout makes a payout row and the books follow a payout as fetched from YooKassa, in
// one transaction: succeeded sends the held money out (payout:<id>:paid) and tells the user;
// canceled returns it to the balance (payout:<id>:returned), tells the user why in plain words
// and alerts the admins; pending records YooKassa's id. A payout that is already final changes
// nothing. A payout that does not match its row (another amount, or a second payout for a row
// that has one) holds the row for a person.
func (s *Service) applyPayout(ctx context.Context, p *yookassa.Payout) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		row, err := q.LockRubPayoutByYooKassaID(ctx, tx, pgtype.Text{String: p.ID, Valid: true})
		if errors.Is(err, pgx.ErrNoRows) {
			id, perr := strconv.ParseInt(p.Metadata[MetaPayoutID], 10, 64)
			if perr != nil {
				s.log.Warn("yookassa payout without a fairdraw row", slog.String("yookassa_id", p.ID))
				return nil
			}
			if row, err = q.LockRubPayout(ctx, tx, id); errors.Is(err, pgx.ErrNoRows) {
				s.log.Warn("yookassa payout names no fairdraw row", slog.String("yookassa_id", p.ID), slog.Int64("payout_id", id))
				return nil
			} else if err != nil {
				return fmt.Errorf("rubles: lock payout: %w", err)
			}
			switch {
			case row.YookassaID.String == p.ID:
				// Adopted meanwhile by a concurrent fetch of the same payout: go on below.
			case row.YookassaID.Valid:
				return s.secondPayoutTx(ctx, tx, row, p)
			case row.Status != statusNew:
				s.log.Error("yookassa payout for a closed fairdraw payout", slog.String("yookassa_id", p.ID), slog.Int64("payout_id", id), slog.String("status", row.Status))
				return s.secondPayoutTx(ctx, tx, row, p)
			default:
				if err := q.SetRubPayoutCreated(ctx, tx, dbq.SetRubPayoutCreatedParams{ID: row.ID, YookassaID: pgtype.Text{String: p.ID, Valid: true}, Now: s.now()}); err != nil {
					return fmt.Errorf("rubles: adopt payout: %w", err)
				}
				row.Status, row.YookassaID = statusPending, pgtype.Text{String: p.ID, Valid: true}
			}
		} else if err != nil {
			return fmt.Errorf("rubles: lock payout: %w", err)
		}
		if row.Status != statusNew && row.Status != statusPending {
			return nil
		}
		if p.Amount.Value != row.Amount || p.Amount.Currency != Currency {
			return s.reviewTx(ctx, tx, row, "amount_mismatch", p.ID)
		}
		now := s.now()
		switch p.Status {
		case yookassa.PayoutSucceeded:
			if _, err := ledger.Post(ctx, tx, ledger.Transfer(payoutKey(row.ID, "paid"), "payout",
				ledger.UserHeldAccount(row.TelegramID, Currency), ledger.YooKassaClearing, row.Amount)); err != nil {
				return fmt.Errorf("rubles: settle payout: %w", err)
			}
			if err := q.FinishRubPayout(ctx, tx, dbq.FinishRubPayoutParams{ID: row.ID, Status: statusSucceeded, Now: &now}); err != nil {
				return fmt.Errorf("rubles: finish payout: %w", err)
			}
			if err := audit.Record(ctx, tx, audit.Entry{
				At: now, Actor: "system", Action: "rub_payout.succeeded", Subject: fmt.Sprintf("payout:%d", row.ID),
				Before: map[string]string{"status": row.Status},
				After:  map[string]any{"status": statusSucceeded, "yookassa_id": p.ID, "amount": row.Amount},
			}); err != nil {
				return err
			}
			s.log.Info("payout succeeded", slog.Int64("payout_id", row.ID), slog.String("yookassa_id", p.ID))
			return notify.Enqueue(ctx, tx, s.jobs, notify.Message{
				EventKey: fmt.Sprintf("payout:%d:done", row.ID), ChatID: row.TelegramID, Key: "notify.payout_done",
				Args: map[string]i18n.Arg{"amount": i18n.M(row.Amount, Currency)},
			})
		case yookassa.PayoutCanceled:
			var cd yookassa.CancellationDetails
			if p.CancellationDetails != nil {
				cd = *p.CancellationDetails
			}
			return s.returnPayoutTx(ctx, tx, row, cd.Party, cd.Reason, "")
		default:
			return q.TouchRubPayout(ctx, tx, dbq.TouchRubPayoutParams{ID: row.ID, Now: now})
		}
	})
}

// secondPayoutTx handles a YooKassa payout carrying a row's id that is not the row's payout
// (or arrives for a row closed without one): money may have gone out twice. A row still in
// flight is held for review; a finished row keeps its status. The admins are alerted either way.
func (s *Service) secondPayoutTx(ctx context.Context, tx pgx.Tx, row dbq.RubPayout, p *yookassa.Payout) error {
	s.log.Error("unexpected yookassa payout for a fairdraw payout", slog.Int64("payout_id", row.ID), slog.String("yookassa_id", p.ID),
		slog.String("recorded_id", row.YookassaID.String), slog.String("status", string(p.Status)))
	if row.Status == statusNew || row.Status == statusPending {
		return s.reviewTx(ctx, tx, row, "second_payout", p.ID)
	}
	return s.alerter.AlertTx(ctx, tx, fmt.Sprintf("payout:%d:extra:%s", row.ID, p.ID), "rub.alert_payout_review", map[string]i18n.Arg{
		"id": i18n.I(row.ID), "user": i18n.I(row.TelegramID), "amount": i18n.M(row.Amount, Currency),
		"problem": i18n.S("second_payout " + p.ID + " " + string(p.Status)),
	})
}

// returnPayoutTx closes a payout that moved no money: the held amount goes back to the
// balance, the user is told why, the admins are alerted. detail is YooKassa's error text for a
// refused request.
func (s *Service) returnPayoutTx(ctx context.Context, tx pgx.Tx, row dbq.RubPayout, party, reason, detail string) error {
	now := s.now()
	if _, err := ledger.Post(ctx, tx, ledger.Transfer(payoutKey(row.ID, "returned"), "payout_returned",
		ledger.UserHeldAccount(row.TelegramID, Currency), ledger.UserAccount(row.TelegramID, Currency), row.Amount)); err != nil {
		return fmt.Errorf("rubles: return payout: %w", err)
	}
	if err := q.FinishRubPayout(ctx, tx, dbq.FinishRubPayoutParams{ID: row.ID, Status: statusCanceled, CancelParty: party, CancelReason: reason, Now: &now}); err != nil {
		return fmt.Errorf("rubles: finish payout: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Entry{
		At: now, Actor: "system", Action: "rub_payout.canceled", Subject: fmt.Sprintf("payout:%d", row.ID),
		Before: map[string]string{"status": row.Status},
		After:  map[string]any{"status": statusCanceled, "party": party, "reason": reason, "yookassa_id": row.YookassaID.String},
	}); err != nil {
		return err
	}
	// Error: a payout that failed needs a person, so it reaches Sentry (with the user, never the destination).
	s.log.Error("payout canceled", slog.Int64("payout_id", row.ID), slog.Int64("user_id", row.TelegramID),
		slog.Int64("amount", row.Amount), slog.String("method", row.Method), slog.String("party", party), slog.String("reason", reason))
	if err := notify.Enqueue(ctx, tx, s.jobs, notify.Message{
		EventKey: fmt.Sprintf("payout:%d:failed", row.ID), ChatID: row.TelegramID, Key: "rub.payout_failed",
		Args: map[string]i18n.Arg{"amount": i18n.M(row.Amount, Currency), "reason": i18n.K(PayoutReasonKey(reason))},
	}); err != nil {
		return err
	}
	return s.alerter.AlertTx(ctx, tx, fmt.Sprintf("payout:%d:canceled", row.ID), "rub.alert_payout_canceled", map[string]i18n.Arg{
		"id": i18n.I(row.ID), "user": i18n.I(row.TelegramID), "amount": i18n.M(row.Amount, Currency),
		"method": i18n.K("rub.method." + row.Method), "reason": i18n.K(PayoutReasonKey(reason)),
		"code": i18n.S(cmpOr(strings.TrimSpace(party+" "+reason+" "+detail), "-")),
	})
}

// rejectPayout closes a payout YooKassa refused to create (HTTP 400: nothing was paid).
func (s *Service) rejectPayout(ctx context.Context, id int64, cause error) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		row, err := q.LockRubPayout(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("rubles: lock payout: %w", err)
		}
		if row.Status != statusNew || row.YookassaID.Valid {
			return nil
		}
		detail := errorCode(cause)
		if a, ok := apiError(cause); ok {
			detail += " " + a.Description + " " + a.Parameter
		}
		return s.returnPayoutTx(ctx, tx, row, "", reasonRejected, detail)
	})
}

// holdForReview keeps a payout's money held and asks the admins to look.
func (s *Service) holdForReview(ctx context.Context, id int64, found int) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		row, err := q.LockRubPayout(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("rubles: lock payout: %w", err)
		}
		if row.Status != statusNew && row.Status != statusPending {
			return nil
		}
		return s.reviewTx(ctx, tx, row, fmt.Sprintf("%d_payouts_found", found), "")
	})
}

func (s *Service) reviewTx(ctx context.Context, tx pgx.Tx, row dbq.RubPayout, problem, yookassaID string) error {
	now := s.now()
	if err := q.FinishRubPayout(ctx, tx, dbq.FinishRubPayoutParams{ID: row.ID, Status: statusReview, CancelReason: problem, Now: &now}); err != nil {
		return fmt.Errorf("rubles: hold payout: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Entry{
		At: now, Actor: "system", Action: "rub_payout.review", Subject: fmt.Sprintf("payout:%d", row.ID),
		Before: map[string]string{"status": row.Status},
		After:  map[string]string{"status": statusReview, "problem": problem, "yookassa_id": yookassaID},
	}); err != nil {
		return err
	}
	s.log.Error("payout needs a person", slog.Int64("payout_id", row.ID), slog.String("problem", problem), slog.String("yookassa_id", yookassaID))
	return s.alerter.AlertTx(ctx, tx, fmt.Sprintf("payout:%d:review", row.ID), "rub.alert_payout_review", map[string]i18n.Arg{
		"id": i18n.I(row.ID), "user": i18n.I(row.TelegramID), "amount": i18n.M(row.Amount, Currency),
		"problem": i18n.S(strings.TrimSpace(problem + " " + yookassaID)),
	})
}

// recheckPayout looks again at one unfinished payout: a pending one is fetched; one whose
// answer was never recorded gets its send job back (River keeps at most one).
func (s *Service) recheckPayout(ctx context.Context, row dbq.RubPayout) error {
	if err := q.TouchRubPayout(ctx, s.pool, dbq.TouchRubPayoutParams{ID: row.ID, Now: s.now()}); err != nil {
		return fmt.Errorf("rubles: touch payout: %w", err)
	}
	if row.YookassaID.Valid {
		return s.syncPayout(ctx, row.YookassaID.String)
	}
	if _, err := s.jobs.Insert(ctx, PayoutSendArgs{PayoutID: row.ID}, nil); err != nil {
		return fmt.Errorf("rubles: queue payout: %w", err)
	}
	return nil
}

// Payouts returns the user's latest payouts, newest first (at most limit, 1..100).
func (s *Service) Payouts(ctx context.Context, userID int64, limit int) ([]Payout, error) {
	rows, err := q.UserRubPayouts(ctx, s.pool, dbq.UserRubPayoutsParams{TelegramID: userID, MaxRows: int32(min(max(limit, 1), 100))})
	if err != nil {
		return nil, fmt.Errorf("rubles: payouts of %d: %w", userID, err)
	}
	out := make([]Payout, len(rows))
	for i, r := range rows {
		out[i] = toPayout(r)
	}
	return out, nil
}

// Balance returns the user's ruble balance and the part of it on its way out, in kopecks.
func (s *Service) Balance(ctx context.Context, userID int64) (available, held int64, err error) {
	if available, err = ledger.Balance(ctx, s.pool, ledger.UserAccount(userID, Currency)); err != nil {
		return 0, 0, err
	}
	if held, err = ledger.Balance(ctx, s.pool, ledger.UserHeldAccount(userID, Currency)); err != nil {
		return 0, 0, err
	}
	return available, held, nil
}

// SBPBanks lists the banks an SBP payout can go to (GET /sbp_banks), sorted by name for
// people. The list is cached for Config.SBPBanksTTL; a failed refresh returns the error (and
// the stale list is not used to validate payouts).
func (s *Service) SBPBanks(ctx context.Context) ([]yookassa.SBPBank, error) {
	s.banksMu.Lock()
	defer s.banksMu.Unlock()
	if s.banks != nil && s.now().Sub(s.banksAt) < s.banksTTL {
		return slices.Clone(s.banks), nil
	}
	banks, err := s.yk.SBPBanks(ctx)
	if err != nil {
		return nil, fmt.Errorf("rubles: sbp banks: %w", err)
	}
	slices.SortStableFunc(banks, func(a, b yookassa.SBPBank) int { return strings.Compare(a.Name, b.Name) })
	s.banks, s.banksAt = banks, s.now()
	return slices.Clone(banks), nil
}

// PayoutBalance is the payout gateway's balance (GET /me with the gateway's credentials), for
// the admin: YooKassa pays out only what it covers and cancels the rest with
// insufficient_funds. A test gateway's balance is zero or negative.
func (s *Service) PayoutBalance(ctx context.Context) (yookassa.Balance, error) {
	me, err := s.yk.Me(ctx)
	if err != nil {
		return yookassa.Balance{}, fmt.Errorf("rubles: payout balance: %w", err)
	}
	if me.PayoutBalance == nil {
		return yookassa.Balance{}, errors.New("rubles: payout balance: the gateway reported none")
	}
	return *me.PayoutBalance, nil
}

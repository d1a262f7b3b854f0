package rubles

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// Statuses of rub_payments, rub_refunds and rub_payouts rows.
const (
	statusNew       = "new"
	statusPending   = "pending"
	statusSucceeded = "succeeded"
	statusCanceled  = "canceled"
	statusFailed    = "failed"
	statusExpired   = "expired"
	statusReview    = "review"
)

// StartPaymentRequest asks for a YooKassa payment of one ruble entry.
type StartPaymentRequest struct {
	DrawID int64
	UserID int64
	// Lang is the user's Telegram language code: YooKassa's page and the payment's description
	// are in English for "en...", in Russian otherwise.
	Lang string
	// Email receives the 54-FZ receipt. Required when receipts are configured, ignored otherwise.
	Email string
}

// Checkout is a payment waiting for the user: send them to ConfirmationURL (a URL button).
type Checkout struct {
	ID              int64 // fairdraw's id of the payment (rub_payments)
	YooKassaID      string
	ConfirmationURL string
	Amount          int64 // kopecks
	// Reused is set when the user's earlier unpaid checkout of the same draw is offered again
	// instead of a second payment.
	Reused bool
}

// StartPayment creates a YooKassa payment (capture: true, redirect confirmation back to
// Config.ReturnURL, metadata naming the draw and the user, a receipt when configured) for one
// entry into req.DrawID and returns where the user pays.
//
// It refuses with a *raffle.Refusal when the draw cannot take the entry now (closed, full, the
// user's limits, a draw in Stars: RefuseNotRubles); with ErrReceiptContact when a receipt needs an
// e-mail; with ErrNotConfigured without a return URL. A user who asks again within
// Config.CheckoutReuse gets the same unpaid checkout back (Reused), never a second payment.
//
// The payment row and its Idempotence-Key are committed before the request. If the request's
// outcome is unknown (network, YooKassa 5xx) the error is returned and the next call for the
// same user and draw repeats the same request, which YooKassa answers with the same payment.
// Passing CheckEntry does not reserve a place: the entry is decided when the money arrives,
// and money that arrives for a draw that can no longer take it is refunded automatically.
func (s *Service) StartPayment(ctx context.Context, req StartPaymentRequest) (Checkout, error) {
	if s.returnURL == "" {
		return Checkout{}, fmt.Errorf("%w: no return url for payments", ErrNotConfigured)
	}
	d, err := s.draws.Get(ctx, req.DrawID)
	if errors.Is(err, raffle.ErrNotFound) {
		return Checkout{}, &raffle.Refusal{Code: raffle.RefuseNotFound}
	}
	if err != nil {
		return Checkout{}, fmt.Errorf("rubles: start payment: %w", err)
	}
	if d.Currency != Currency {
		return Checkout{}, &raffle.Refusal{Code: RefuseNotRubles}
	}
	if err := s.draws.CheckEntry(ctx, d.ID, req.UserID, Currency, d.Fee); err != nil {
		return Checkout{}, err
	}
	email := ""
	if s.receipt != nil {
		email = strings.TrimSpace(req.Email)
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || a.Name != "" {
			return Checkout{}, ErrReceiptContact
		}
	}
	locale := "ru_RU"
	if i18n.Lang(req.Lang) == i18n.EN {
		locale = "en_US"
	}

	row, reused, err := s.openCheckout(ctx, d, req.UserID, locale, email)
	if err != nil {
		return Checkout{}, err
	}
	if reused && row.Status == statusPending {
		// Offer it again only if it can still be paid: one YooKassa finished meanwhile (its
		// notification not yet handled) is applied now, and the user starts afresh.
		p, gerr := s.yk.GetPayment(ctx, row.YookassaID.String)
		if gerr == nil && p.Status != yookassa.PaymentPending {
			if err := s.applyPayment(ctx, p); err != nil {
				return Checkout{}, err
			}
			if err := s.draws.CheckEntry(ctx, d.ID, req.UserID, Currency, d.Fee); err != nil {
				return Checkout{}, err
			}
			if row, reused, err = s.openCheckout(ctx, d, req.UserID, locale, email); err != nil {
				return Checkout{}, err
			}
		}
	}
	if row.Status == statusNew {
		if row, err = s.createPayment(ctx, row); err != nil {
			return Checkout{}, err
		}
	}
	if row.ConfirmationUrl == "" {
		return Checkout{}, fmt.Errorf("rubles: payment %d has no confirmation url", row.ID)
	}
	now := s.now()
	if err := q.SetRubPaymentURLGiven(ctx, s.pool, dbq.SetRubPaymentURLGivenParams{ID: row.ID, Now: &now}); err != nil {
		return Checkout{}, fmt.Errorf("rubles: mark checkout given: %w", err)
	}
	s.log.Info("ruble checkout", slog.Int64("payment_id", row.ID), slog.Int64("draw_id", row.RaffleID),
		slog.Int64("user_id", row.TelegramID), slog.Bool("reused", reused))
	return Checkout{ID: row.ID, YooKassaID: row.YookassaID.String, ConfirmationURL: row.ConfirmationUrl, Amount: row.Amount, Reused: reused}, nil
}

// openCheckout returns the user's unpaid checkout of the draw started within
// Config.CheckoutReuse (reused), or stores a new one. The user's row is locked meanwhile, so
// concurrent taps end up with one checkout.
func (s *Service) openCheckout(ctx context.Context, d raffle.Draw, userID int64, locale, email string) (dbq.RubPayment, bool, error) {
	var row dbq.RubPayment
	reused := false
	err := db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		now := s.now()
		if err := q.EnsureUser(ctx, tx, dbq.EnsureUserParams{TelegramID: userID, FirstSeenAt: now}); err != nil {
			return fmt.Errorf("rubles: ensure user: %w", err)
		}
		if _, err := q.LockUser(ctx, tx, userID); err != nil {
			return fmt.Errorf("rubles: lock user: %w", err)
		}
		open, err := q.OpenRubPayment(ctx, tx, dbq.OpenRubPaymentParams{TelegramID: userID, RaffleID: d.ID, Since: now.Add(-s.checkoutReuse)})
		switch {
		case err == nil && open.Amount == d.Fee:
			row, reused = open, true
			return nil
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("rubles: open checkout: %w", err)
		}
		row, err = q.InsertRubPayment(ctx, tx, dbq.InsertRubPaymentParams{
			RaffleID: d.ID, TelegramID: userID, Amount: d.Fee, Locale: locale, ReceiptEmail: email, Now: now,
		})
		if err != nil {
			return fmt.Errorf("rubles: insert payment: %w", err)
		}
		return nil
	})
	return row, reused, err
}

// paymentRequest rebuilds the request of a row: the same row always gives the same body.
func (s *Service) paymentRequest(row dbq.RubPayment) yookassa.CreatePaymentRequest {
	lang := i18n.RU
	if row.Locale == "en_US" {
		lang = i18n.EN
	}
	req := yookassa.CreatePaymentRequest{
		Amount:      yookassa.RUB(row.Amount),
		ReturnURL:   s.returnURL,
		Locale:      row.Locale,
		Description: i18n.T(lang, "rub.payment_description", "id", row.RaffleID),
		Metadata: map[string]string{
			MetaPaymentID: itoa(row.ID), MetaDrawID: itoa(row.RaffleID), MetaUserID: itoa(row.TelegramID),
		},
	}
	if s.receipt != nil && row.ReceiptEmail != "" {
		r := s.receipt
		item := yookassa.ReceiptItem{
			Description: i18n.T(lang, "rub.receipt_item", "id", row.RaffleID), Quantity: "1",
			Amount: yookassa.RUB(row.Amount), VatCode: r.VATCode,
			Measure: cmpOr(r.Measure, "piece"), PaymentSubject: cmpOr(r.PaymentSubject, "service"), PaymentMode: cmpOr(r.PaymentMode, "full_payment"),
		}
		req.Receipt = &yookassa.Receipt{
			Customer: &yookassa.ReceiptCustomer{Email: row.ReceiptEmail}, Items: []yookassa.ReceiptItem{item}, TaxSystemCode: r.TaxSystemCode,
		}
	}
	return req
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// createPayment sends the row's request and records YooKassa's answer. A request YooKassa
// refused marks the row failed; an unknown outcome leaves it new for the next try.
func (s *Service) createPayment(ctx context.Context, row dbq.RubPayment) (dbq.RubPayment, error) {
	p, err := s.yk.CreatePayment(ctx, row.IdempotenceKey, s.paymentRequest(row))
	if err != nil {
		if rejected(err) || keyRejected(err) {
			// Nobody was given a payment page for this row, so whatever YooKassa holds under an
			// old key can never be paid: the row is closed and the next tap starts afresh.
			now := s.now()
			if ferr := q.FinishRubPayment(ctx, s.pool, dbq.FinishRubPaymentParams{ID: row.ID, Status: statusFailed, CancelReason: errorCode(err), Now: &now}); ferr != nil {
				return row, errors.Join(fmt.Errorf("rubles: create payment: %w", err), ferr)
			}
		}
		return row, fmt.Errorf("rubles: create payment %d: %w", row.ID, err)
	}
	if p.Amount.Value != row.Amount || p.Amount.Currency != Currency {
		return row, fmt.Errorf("rubles: payment %s is %s, asked for %s", p.ID, p.Amount, yookassa.RUB(row.Amount))
	}
	url := ""
	if p.Confirmation != nil {
		url = p.Confirmation.ConfirmationURL
	}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := q.SetRubPaymentCreated(ctx, tx, dbq.SetRubPaymentCreatedParams{
			ID: row.ID, YookassaID: pgtype.Text{String: p.ID, Valid: true}, ConfirmationUrl: url, Now: s.now(),
		}); err != nil {
			return fmt.Errorf("rubles: record payment: %w", err)
		}
		var err error
		row, err = q.GetRubPayment(ctx, tx, row.ID)
		return err
	})
	if err != nil {
		return row, err
	}
	if p.Status.Final() {
		if err := s.applyPayment(ctx, p); err != nil {
			return row, err
		}
	}
	return row, nil
}

// errorCode is a short code of a refused request, for the row.
func errorCode(err error) string {
	if a, ok := apiError(err); ok {
		return "http_" + strconv.Itoa(a.Status) + "_" + a.Code
	}
	return "invalid_request"
}

// syncPayment fetches a payment and acts on the fetched status. A payment YooKassa does not
// know (a forged notification) changes nothing.
func (s *Service) syncPayment(ctx context.Context, yookassaID string) error {
	p, err := s.yk.GetPayment(ctx, yookassaID)
	if errors.Is(err, yookassa.ErrNotFound) {
		s.log.Warn("notified payment unknown to yookassa", slog.String("yookassa_id", yookassaID))
		return nil
	}
	if err != nil {
		return fmt.Errorf("rubles: get payment: %w", err)
	}
	return s.applyPayment(ctx, p)
}

// applyPayment makes fairdraw's books follow a payment as fetched from YooKassa, in one
// transaction: succeeded becomes exactly one entry or one automatic refund (raffle.Enter is
// keyed by the payment id, so doing this again changes nothing); canceled closes the row and
// tells the user why; anything else records that the payment was looked at.
func (s *Service) applyPayment(ctx context.Context, p *yookassa.Payment) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		row, own, err := s.lockPaymentRow(ctx, tx, p)
		if errors.Is(err, pgx.ErrNoRows) {
			s.log.Warn("yookassa payment without a fairdraw checkout", slog.String("yookassa_id", p.ID), slog.String("status", string(p.Status)))
			return nil
		}
		if err != nil {
			return err
		}
		now := s.now()
		switch p.Status {
		case yookassa.PaymentSucceeded:
			if own && row.Status == statusSucceeded {
				return nil
			}
			if p.Amount.Currency != Currency {
				return fmt.Errorf("rubles: payment %s succeeded in %s", p.ID, p.Amount.Currency)
			}
			res, err := s.draws.Enter(ctx, tx, raffle.Payment{
				Provider: raffle.ProviderYooKassa, ExternalID: p.ID, DrawID: row.RaffleID, UserID: row.TelegramID,
				Currency: Currency, Amount: p.Amount.Value,
			})
			if err != nil {
				return fmt.Errorf("rubles: enter payment %s: %w", p.ID, err)
			}
			if own {
				if err := q.FinishRubPayment(ctx, tx, dbq.FinishRubPaymentParams{ID: row.ID, Status: statusSucceeded, Now: &now}); err != nil {
					return fmt.Errorf("rubles: finish payment: %w", err)
				}
			}
			s.log.Info("ruble payment succeeded", slog.Int64("payment_id", row.ID), slog.String("yookassa_id", p.ID),
				slog.Bool("entered", res.Entered), slog.Bool("replay", res.Replay))
			return nil
		case yookassa.PaymentCanceled:
			if !own || row.Status == statusCanceled || row.Status == statusSucceeded {
				return nil
			}
			var cd yookassa.CancellationDetails
			if p.CancellationDetails != nil {
				cd = *p.CancellationDetails
			}
			if err := q.FinishRubPayment(ctx, tx, dbq.FinishRubPaymentParams{
				ID: row.ID, Status: statusCanceled, CancelParty: cd.Party, CancelReason: cd.Reason, Now: &now,
			}); err != nil {
				return fmt.Errorf("rubles: finish payment: %w", err)
			}
			if err := audit.Record(ctx, tx, audit.Entry{
				At: now, Actor: "system", Action: "rub_payment.canceled", DrawID: row.RaffleID, Subject: "yookassa:" + p.ID,
				Before: map[string]string{"status": row.Status},
				After:  map[string]string{"status": statusCanceled, "party": cd.Party, "reason": cd.Reason},
			}); err != nil {
				return err
			}
			if row.UrlGivenAt == nil {
				return nil // the user never saw this payment's page
			}
			return notify.Enqueue(ctx, tx, s.jobs, notify.Message{
				EventKey: fmt.Sprintf("rubpay:%d:canceled", row.ID), ChatID: row.TelegramID, Key: "rub.payment_canceled",
				Args: map[string]i18n.Arg{"id": i18n.I(row.RaffleID), "amount": i18n.M(row.Amount, Currency), "reason": i18n.K(PaymentReasonKey(cd.Reason))},
			})
		default:
			if !own {
				return nil
			}
			if p.Status == yookassa.PaymentWaitingForCapture {
				// fairdraw always asks for capture: true; a held payment needs a person.
				s.log.Error("ruble payment waits for capture", slog.Int64("payment_id", row.ID), slog.String("yookassa_id", p.ID))
			}
			if err := q.TouchRubPayment(ctx, tx, dbq.TouchRubPaymentParams{ID: row.ID, Now: now}); err != nil {
				return fmt.Errorf("rubles: touch payment: %w", err)
			}
			return nil
		}
	})
}

// lockPaymentRow finds and locks the row of a fetched payment: by YooKassa's id, or, when the
// id was never recorded (a crash after the request), by the row id in the payment's metadata,
// whose draw and user must match. own is false when the metadata names a row that already has
// another YooKassa payment: the payment is still real money and still becomes an entry or a
// refund, but the row is left alone.
func (s *Service) lockPaymentRow(ctx context.Context, tx pgx.Tx, p *yookassa.Payment) (dbq.RubPayment, bool, error) {
	row, err := q.LockRubPaymentByYooKassaID(ctx, tx, pgtype.Text{String: p.ID, Valid: true})
	if err == nil {
		return row, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return row, false, fmt.Errorf("rubles: lock payment: %w", err)
	}
	id, perr := strconv.ParseInt(p.Metadata[MetaPaymentID], 10, 64)
	if perr != nil {
		return row, false, pgx.ErrNoRows
	}
	row, err = q.LockRubPayment(ctx, tx, id)
	if err != nil {
		return row, false, err
	}
	if p.Metadata[MetaDrawID] != itoa(row.RaffleID) || p.Metadata[MetaUserID] != itoa(row.TelegramID) {
		return row, false, pgx.ErrNoRows
	}
	if row.YookassaID.String == p.ID {
		return row, true, nil // recorded meanwhile by a concurrent fetch
	}
	if row.YookassaID.Valid {
		s.log.Error("second yookassa payment for one checkout", slog.Int64("payment_id", row.ID),
			slog.String("yookassa_id", p.ID), slog.String("recorded_id", row.YookassaID.String))
		return row, false, nil
	}
	url := ""
	if p.Confirmation != nil {
		url = p.Confirmation.ConfirmationURL
	}
	if err := q.SetRubPaymentCreated(ctx, tx, dbq.SetRubPaymentCreatedParams{
		ID: row.ID, YookassaID: pgtype.Text{String: p.ID, Valid: true}, ConfirmationUrl: url, Now: s.now(),
	}); err != nil {
		return row, false, fmt.Errorf("rubles: adopt payment: %w", err)
	}
	row, err = q.LockRubPayment(ctx, tx, id)
	return row, true, err
}

// recheckPayment looks again at one unfinished payment. A payment known to YooKassa is
// fetched. One whose request never got an answer was never shown to anyone, so nobody can pay
// it: once it is too old to be offered again it is closed without a request.
func (s *Service) recheckPayment(ctx context.Context, row dbq.RubPayment) error {
	now := s.now()
	if row.YookassaID.Valid {
		if err := q.TouchRubPayment(ctx, s.pool, dbq.TouchRubPaymentParams{ID: row.ID, Now: now}); err != nil {
			return fmt.Errorf("rubles: touch payment: %w", err)
		}
		return s.syncPayment(ctx, row.YookassaID.String)
	}
	if now.Sub(row.CreatedAt) < s.checkoutReuse {
		return q.TouchRubPayment(ctx, s.pool, dbq.TouchRubPaymentParams{ID: row.ID, Now: now})
	}
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		locked, err := q.LockRubPayment(ctx, tx, row.ID)
		if err != nil {
			return fmt.Errorf("rubles: lock payment: %w", err)
		}
		if locked.Status != statusNew || locked.YookassaID.Valid {
			return nil
		}
		return q.FinishRubPayment(ctx, tx, dbq.FinishRubPaymentParams{ID: row.ID, Status: statusExpired, CancelReason: reasonNeverAnswered, Now: &now})
	})
}

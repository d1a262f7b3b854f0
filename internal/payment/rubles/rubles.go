// Package rubles is the ruble side of fairdraw: entries paid through YooKassa, the notification
// webhook, refunds of ruble payments, payouts of ruble balances to winners, and the periodic
// re-checks that cover notifications that never arrive.
//
// Every request to YooKassa follows one rule: the row it belongs to, with the request's
// Idempotence-Key derived from the row's id, is committed before the request is sent, and
// whatever comes back is recorded in a transaction that first locks the row. A crash at any
// point therefore leaves a row that says what may have happened, and the next attempt sends the
// same request with the same key (YooKassa answers with the first result) or, once YooKassa has
// forgotten the key after 24 hours, looks the object up before it sends anything new.
//
// Notifications are never trusted: the webhook checks the sender's address, then queues a job
// that fetches the object from YooKassa and acts only on the fetched status.
//
// Money moves in the ledger:
//
//	entry      ext:yookassa:RUB -> draw pool              (raffle.Enter, key yk:payment:<yookassa id>)
//	payout     user:<id>:RUB -> user:<id>:held:RUB         (payout:<row id>:hold, with the row)
//	succeeded  user:<id>:held:RUB -> ext:yookassa:RUB      (payout:<row id>:paid)
//	canceled   user:<id>:held:RUB -> user:<id>:RUB         (payout:<row id>:returned)
//
// Refunds of ruble payments are recorded by package raffle once Service.Refund reports them done.
package rubles

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/alert"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

var q = dbq.New()

// Currency is the only currency of this package.
const Currency = ledger.RUB

// Metadata keys fairdraw puts on its YooKassa objects. The row ids make an object findable
// after its Idempotence-Key has expired, and let a notification be matched to its row even when
// the YooKassa id was never recorded.
const (
	MetaPaymentID = "fd_payment_id" // rub_payments.id
	MetaRefundID  = "fd_refund_id"  // rub_refunds.id
	MetaPayoutID  = "fd_payout_id"  // rub_payouts.id
	MetaDrawID    = "draw_id"
	MetaUserID    = "tg_user_id"
)

// Domain errors. The bot turns them into the texts named in their comments.
var (
	// ErrInsufficientFunds: the user's ruble balance does not cover the payout
	// (text rub.payout_err_balance).
	ErrInsufficientFunds = errors.New("rubles: balance too low")
	// ErrAmountOutOfRange: the payout is outside YooKassa's limits for the method; the error
	// also wraps yookassa.ErrPayoutAmountOutOfRange (text rub.payout_err_amount, with
	// yookassa.PayoutLimits for {min} and {max}).
	ErrAmountOutOfRange = errors.New("rubles: payout amount out of range")
	// ErrInvalidDestination: a phone, bank, wallet or card token that cannot be paid to
	// (text rub.payout_err_destination).
	ErrInvalidDestination = errors.New("rubles: invalid payout destination")
	// ErrReceiptContact: receipts are configured and the payer gave no e-mail for one
	// (text rub.receipt_email_needed).
	ErrReceiptContact = errors.New("rubles: a receipt needs the payer's e-mail")
	// ErrNotConfigured: the feature needs configuration it does not have (return URL, public
	// URL, payout credentials).
	ErrNotConfigured = errors.New("rubles: not configured")
)

// RefuseNotRubles is the refusal code of a ruble payment for a draw in another currency; its
// text is reason.currency_off.
const RefuseNotRubles = "currency_off"

// ReceiptConfig describes the one item of a 54-FZ receipt sent with every payment (the entry
// fee). Set it only when the shop sends receipts through YooKassa.
type ReceiptConfig struct {
	// VATCode is YooKassa's vat_code, 1..12 (1: no VAT). Required.
	VATCode int
	// TaxSystemCode is 1..6; 0 leaves it out (ignored by «Чеки от ЮKassa» anyway).
	TaxSystemCode int
	// PaymentSubject defaults to "service", PaymentMode to "full_payment", Measure to "piece".
	PaymentSubject string
	PaymentMode    string
	Measure        string
}

// Config configures a Service. Zero values take the documented defaults.
type Config struct {
	Pool *pgxpool.Pool
	// Jobs is River's client; jobs and messages are inserted inside transactions.
	Jobs *river.Client[pgx.Tx]
	// Draws checks and records entries (CheckEntry, Enter, Get).
	Draws *raffle.Service
	// YooKassa is the API client, with shop and payout gateway credentials.
	YooKassa *yookassa.Client
	Logger   *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time

	// ReturnURL is where YooKassa's payment page sends the payer back: the bot, e.g.
	// https://t.me/<bot username>. Required by StartPayment.
	ReturnURL string
	// Receipt, when set, adds a receipt to every payment; StartPayment then needs an e-mail.
	Receipt *ReceiptConfig

	// TrustedIPs are the addresses notifications may come from (YOOKASSA_TRUSTED_IPS). Default
	// yookassa.DefaultTrustedIPs.
	TrustedIPs *yookassa.TrustedIPs
	// TrustedProxies are the operator's reverse proxies whose forwarding headers are believed
	// (TRUSTED_PROXIES). Default: none.
	TrustedProxies yookassa.TrustedIPs

	// PublicURL is this server's external base URL (PUBLIC_URL); card payout links point at
	// PublicURL + CardPayoutPath. Required by CardPayoutLink.
	PublicURL string
	// PayoutGatewayID is the payout gateway's id (YOOKASSA_PAYOUT_AGENT_ID), which YooKassa's
	// card widget needs as account_id. Required by the card page.
	PayoutGatewayID string
	// LinkSecret is what the card links' signing key is derived from (YOOKASSA_PAYOUT_SECRET_KEY).
	// Required by CardPayoutLink and the card page.
	LinkSecret string
	// LinkTTL is how long a card payout link is valid. Default 30 minutes.
	LinkTTL time.Duration

	// Alerter tells the admins about canceled payouts and anything that needs a person.
	// nil: nobody is told.
	Alerter *alert.Alerter

	// CheckoutReuse is how long an unpaid checkout is offered again instead of a new payment
	// when the same user asks to pay for the same draw. Default 30 minutes.
	CheckoutReuse time.Duration
	// RecheckAfter is how long an unfinished payment, refund or payout may go without a look
	// before the periodic jobs fetch it again. Default 2 minutes.
	RecheckAfter time.Duration
	// RefundPoll is how soon a pending refund is asked about again. Default 30 seconds.
	RefundPoll time.Duration
	// RefundRetryDelay is the wait after YooKassa canceled a refund before another attempt;
	// MaxRefundAttempts is how many attempts are made before a person must step in. Defaults
	// 1 hour and 3.
	RefundRetryDelay  time.Duration
	MaxRefundAttempts int
	// RetryBase is the first delay before a failed payout job runs again; it doubles per
	// attempt up to 10 minutes. Default 10 seconds.
	RetryBase time.Duration
	// SBPBanksTTL is how long the list of SBP banks is cached. Default 24 hours.
	SBPBanksTTL time.Duration
}

// keySafetyMargin is how long before YooKassa's 24 hours a key is treated as expired, for
// clock skew and the request's own duration.
const keySafetyMargin = time.Hour

// Service is the ruble side of fairdraw. It is safe for concurrent use; its only goroutines
// are River's and net/http's.
type Service struct {
	pool      *pgxpool.Pool
	jobs      *river.Client[pgx.Tx]
	draws     *raffle.Service
	yk        *yookassa.Client
	log       *slog.Logger
	now       func() time.Time
	returnURL string
	receipt   *ReceiptConfig
	trusted   yookassa.TrustedIPs
	proxies   yookassa.TrustedIPs
	publicURL string
	gatewayID string
	linkKey   []byte
	linkTTL   time.Duration
	alerter   *alert.Alerter

	checkoutReuse     time.Duration
	recheckAfter      time.Duration
	refundPoll        time.Duration
	refundRetryDelay  time.Duration
	maxRefundAttempts int
	retryBase         time.Duration
	banksTTL          time.Duration

	banksMu sync.Mutex
	banks   []yookassa.SBPBank
	banksAt time.Time
}

// New returns a Service. Pool, Jobs, Draws and YooKassa are required.
func New(c Config) (*Service, error) {
	if c.Pool == nil || c.Jobs == nil || c.Draws == nil || c.YooKassa == nil {
		return nil, errors.New("rubles: pool, jobs, draws and yookassa client are required")
	}
	if c.Receipt != nil && (c.Receipt.VATCode < 1 || c.Receipt.VATCode > 12) {
		return nil, fmt.Errorf("rubles: receipt vat code %d: want 1 to 12", c.Receipt.VATCode)
	}
	s := &Service{
		pool: c.Pool, jobs: c.Jobs, draws: c.Draws, yk: c.YooKassa, log: c.Logger, now: c.Now,
		returnURL: c.ReturnURL, receipt: c.Receipt, proxies: c.TrustedProxies, publicURL: c.PublicURL,
		gatewayID: c.PayoutGatewayID, linkTTL: c.LinkTTL, alerter: c.Alerter,
		checkoutReuse: c.CheckoutReuse, recheckAfter: c.RecheckAfter, refundPoll: c.RefundPoll,
		refundRetryDelay: c.RefundRetryDelay, maxRefundAttempts: c.MaxRefundAttempts, retryBase: c.RetryBase,
		banksTTL: c.SBPBanksTTL,
	}
	if c.TrustedIPs != nil {
		s.trusted = *c.TrustedIPs
	} else {
		s.trusted = yookassa.DefaultTrustedIPs()
	}
	if c.LinkSecret != "" {
		s.linkKey = deriveLinkKey(c.LinkSecret)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	setDefault(&s.linkTTL, 30*time.Minute)
	setDefault(&s.checkoutReuse, 30*time.Minute)
	setDefault(&s.recheckAfter, 2*time.Minute)
	setDefault(&s.refundPoll, 30*time.Second)
	setDefault(&s.refundRetryDelay, time.Hour)
	setDefault(&s.retryBase, 10*time.Second)
	setDefault(&s.banksTTL, 24*time.Hour)
	if s.maxRefundAttempts <= 0 {
		s.maxRefundAttempts = 3
	}
	return s, nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// deriveLinkKey turns the configured secret into the card links' HMAC key, so the secret
// itself signs nothing but YooKassa requests.
func deriveLinkKey(secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("fairdraw/payout-card-link/v1"))
	return m.Sum(nil)
}

// keyExpired reports whether a key first used at sentAt may have been forgotten by YooKassa.
func (s *Service) keyExpired(sentAt *time.Time) bool {
	return sentAt != nil && s.now().Sub(*sentAt) >= yookassa.IdempotenceWindow-keySafetyMargin
}

// apiError returns the *yookassa.APIError in err, if any.
func apiError(err error) (*yookassa.APIError, bool) {
	return errors.AsType[*yookassa.APIError](err)
}

// rejected reports whether err proves YooKassa did not perform the request and never will: the
// client refused to send it, or YooKassa answered 400 about the request's data (not about its
// key: a key reused with another body says nothing about what the first request did).
func rejected(err error) bool {
	if errors.Is(err, yookassa.ErrInvalidRequest) {
		return true
	}
	a, ok := apiError(err)
	return ok && a.Status == 400 && !a.IdempotenceKeyRejected()
}

// keyRejected reports a 400 about the Idempotence-Key: the key was used before with another
// body, so the first request may have been performed.
func keyRejected(err error) bool {
	a, ok := apiError(err)
	return ok && a.IdempotenceKeyRejected()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

package yookassa

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// PayoutStatus is a payout's state: pending, then succeeded or canceled (both final).
type PayoutStatus string

// Payout statuses (spec PayoutStatus).
const (
	PayoutPending   PayoutStatus = "pending"
	PayoutSucceeded PayoutStatus = "succeeded"
	PayoutCanceled  PayoutStatus = "canceled"
)

// Final reports whether the status can no longer change.
func (s PayoutStatus) Final() bool { return s == PayoutSucceeded || s == PayoutCanceled }

// PayoutMethod is how a payout reaches the winner (spec PayoutDestinationType).
type PayoutMethod string

// Payout methods.
const (
	PayoutBankCard PayoutMethod = "bank_card"
	PayoutYooMoney PayoutMethod = "yoo_money"
	PayoutSBP      PayoutMethod = "sbp"
)

// ErrPayoutAmountOutOfRange is wrapped by CheckPayoutAmount's errors.
var ErrPayoutAmountOutOfRange = errors.New("payout amount out of range")

// payoutLimits holds YooKassa's per-payout limits for ordinary payouts, in kopecks. This table
// is the one place to change when YooKassa changes them. Sources (research/yookassa.md §5.11):
//
//   - bank_card: «минимальная сумма выплаты — 5 рублей; максимальная сумма разовой выплаты —
//     500 000 рублей»; also, per card, at most 1 500 000 ₽ a month and 20 payouts a day.
//   - sbp: minimum 1 ₽, maximum 500 000 ₽ per payout.
//   - yoo_money: minimum 1 ₽; the maximum depends on the wallet: after the payout the wallet's
//     balance may not exceed 15 000 ₽ (anonymous), 60 000 ₽ or 100 000 ₽ (named; YooKassa's
//     pages disagree) or 500 000 ₽ (identified); at most 600 000 ₽ a month. 500 000 ₽ is the
//     largest payout any wallet can take; smaller wallets are canceled by YooKassa with
//     one_time_limit_exceeded.
var payoutLimits = map[PayoutMethod]struct{ min, max int64 }{
	PayoutBankCard: {min: 5_00, max: 500_000_00},
	PayoutSBP:      {min: 1_00, max: 500_000_00},
	PayoutYooMoney: {min: 1_00, max: 500_000_00},
}

// PayoutLimits returns the smallest and largest single payout, in kopecks, for a method. An
// unknown method returns 0, 0.
func PayoutLimits(method PayoutMethod) (min, max int64) {
	l := payoutLimits[method]
	return l.min, l.max
}

// CheckPayoutAmount reports whether a payout of kopecks by method is within YooKassa's
// per-payout limits. Check before accepting a withdrawal request; CreatePayout does not, so a
// limit change on YooKassa's side is not masked here. Errors wrap ErrPayoutAmountOutOfRange.
func CheckPayoutAmount(method PayoutMethod, kopecks int64) error {
	l, ok := payoutLimits[method]
	if !ok {
		return fmt.Errorf("yookassa: %w: unknown payout method %q", ErrPayoutAmountOutOfRange, method)
	}
	if kopecks < l.min || kopecks > l.max {
		return fmt.Errorf("yookassa: %w: %s by %s, allowed %s to %s", ErrPayoutAmountOutOfRange,
			FormatAmount(kopecks), method, FormatAmount(l.min), FormatAmount(l.max))
	}
	return nil
}

// PayoutDestination says where a payout goes (payout_destination_data). Build it with
// SBPDestination or YooMoneyDestination; cards go through PayoutRequest.PayoutToken (the card
// synonym from YooKassa's payout widget), so fairdraw never sees a card number.
type PayoutDestination struct {
	Type          PayoutMethod `json:"type"`
	AccountNumber string       `json:"account_number,omitempty"` // yoo_money: 11..33 digits
	Phone         string       `json:"phone,omitempty"`          // sbp: E.164 without "+", e.g. 79000000000
	BankID        string       `json:"bank_id,omitempty"`        // sbp: 12 characters, from SBPBanks
}

// SBPDestination pays to the account linked to phone (E.164 digits, no "+") at the SBP
// participant bankID (see SBPBanks).
func SBPDestination(phone, bankID string) *PayoutDestination {
	return &PayoutDestination{Type: PayoutSBP, Phone: phone, BankID: bankID}
}

// YooMoneyDestination pays to a YooMoney wallet number.
func YooMoneyDestination(accountNumber string) *PayoutDestination {
	return &PayoutDestination{Type: PayoutYooMoney, AccountNumber: accountNumber}
}

func (d *PayoutDestination) validate() error {
	switch d.Type {
	case PayoutSBP:
		if !allDigits(d.Phone) || len(d.Phone) < 4 || len(d.Phone) > 15 {
			return invalidf("sbp phone must be 4 to 15 digits (E.164 without +)")
		}
		if len(d.BankID) != 12 || !alnum(d.BankID) {
			return invalidf("sbp bank_id %q must be 12 letters or digits", truncate(d.BankID))
		}
		if d.AccountNumber != "" {
			return invalidf("sbp destination takes no account number")
		}
	case PayoutYooMoney:
		if !allDigits(d.AccountNumber) || len(d.AccountNumber) < 11 || len(d.AccountNumber) > 33 {
			return invalidf("yoo_money account number must be 11 to 33 digits")
		}
		if d.Phone != "" || d.BankID != "" {
			return invalidf("yoo_money destination takes no phone or bank_id")
		}
	default:
		return invalidf("payout destination type %q: want sbp or yoo_money (cards go through a payout token)", d.Type)
	}
	return nil
}

// PayoutRequest creates a payout from the payout gateway's balance. Exactly one of
// Destination, PayoutToken and PaymentMethodID must be set.
type PayoutRequest struct {
	Amount          Amount
	Destination     *PayoutDestination // SBP or YooMoney wallet
	PayoutToken     string             // card synonym from YooKassa's payout widget
	PaymentMethodID string             // saved payment method ("универсальный токен")
	Description     string             // ≤ 128 characters
	// Metadata (≤ 16 keys) is what FindPayoutsByMetadata searches: put the caller's own payout
	// id in it (e.g. {"payout_id": "42"}) so a payout can be found after the key has expired.
	Metadata map[string]string
}

type wirePayoutRequest struct {
	Amount          Amount             `json:"amount"`
	Destination     *PayoutDestination `json:"payout_destination_data,omitempty"`
	PayoutToken     string             `json:"payout_token,omitempty"`
	PaymentMethodID string             `json:"payment_method_id,omitempty"`
	Description     string             `json:"description,omitempty"`
	Metadata        map[string]string  `json:"metadata,omitempty"`
}

func (r PayoutRequest) validate() error {
	if err := checkPositive("amount", r.Amount); err != nil {
		return err
	}
	n := 0
	if r.Destination != nil {
		n++
		if err := r.Destination.validate(); err != nil {
			return err
		}
	}
	if r.PayoutToken != "" {
		n++
	}
	if r.PaymentMethodID != "" {
		n++
	}
	if n != 1 {
		return invalidf("exactly one of destination, payout token and payment method id is required, got %d", n)
	}
	if err := checkDescription("description", r.Description, maxDescription); err != nil {
		return err
	}
	return checkMetadata(r.Metadata)
}

// Method is the payout method the request will use (a token or saved method is a card).
func (r PayoutRequest) Method() PayoutMethod {
	if r.Destination != nil {
		return r.Destination.Type
	}
	return PayoutBankCard
}

// Payout is YooKassa's payout object.
type Payout struct {
	ID                  string                    `json:"id"`
	Amount              Amount                    `json:"amount"`
	Status              PayoutStatus              `json:"status"`
	Destination         PayoutDestinationResponse `json:"payout_destination"`
	Description         string                    `json:"description,omitempty"`
	CreatedAt           time.Time                 `json:"created_at"`
	SucceededAt         *time.Time                `json:"succeeded_at,omitempty"`
	Metadata            map[string]string         `json:"metadata,omitempty"`
	Test                bool                      `json:"test"`
	CancellationDetails *CancellationDetails      `json:"cancellation_details,omitempty"`
}

// PayoutDestinationResponse is where a payout went, as YooKassa reports it (payout_destination;
// cards are masked).
type PayoutDestinationResponse struct {
	Type             PayoutMethod `json:"type"`
	AccountNumber    string       `json:"account_number,omitempty"`    // yoo_money
	Phone            string       `json:"phone,omitempty"`             // sbp
	BankID           string       `json:"bank_id,omitempty"`           // sbp
	RecipientChecked bool         `json:"recipient_checked,omitempty"` // sbp
	Card             *PayoutCard  `json:"card,omitempty"`              // bank_card
}

// PayoutCard is the masked card a payout went to.
type PayoutCard struct {
	First6        string `json:"first6"`
	Last4         string `json:"last4"`
	CardType      string `json:"card_type"`
	IssuerCountry string `json:"issuer_country,omitempty"`
	IssuerName    string `json:"issuer_name,omitempty"`
}

// PayoutList is a page of payouts, newest first.
type PayoutList struct {
	Items      []Payout `json:"items"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// CreatePayout sends money from the payout gateway's balance (POST /payouts, gateway
// credentials). key must be derived from and stored with the caller's payout record before the
// call; repeats with the same key and request within IdempotenceWindow return the same payout
// instead of paying twice. After that window YooKassa forgets the key and a repeat pays again:
// find the payout first with GetPayout (if its id was stored) or FindPayoutsByMetadata (payouts
// of the last 3 months), and only send a new payout, with a new key, if none exists.
//
// Wallet payouts usually come back final; card and SBP payouts may stay pending until a
// payout.succeeded / payout.canceled notification or a GetPayout. When the balance is short
// YooKassa cancels the payout with reason insufficient_funds.
func (c *Client) CreatePayout(ctx context.Context, key string, req PayoutRequest) (*Payout, error) {
	if err := req.validate(); err != nil {
		return nil, fmt.Errorf("yookassa: create payout: %w", err)
	}
	w := wirePayoutRequest(req)
	var p Payout
	if err := c.post(ctx, c.gateway, "/payouts", key, w, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// GetPayout returns the current state of a payout (GET /payouts/{id}).
func (c *Client) GetPayout(ctx context.Context, id string) (*Payout, error) {
	path, err := objectPath("payouts", id)
	if err != nil {
		return nil, fmt.Errorf("yookassa: get payout: %w", err)
	}
	var p Payout
	if err := c.get(ctx, c.gateway, path, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// ListPayoutsParams filters ListPayouts.
type ListPayoutsParams struct {
	ListParams
	Method PayoutMethod // optional: payout_destination.type
	Status PayoutStatus // optional
}

// ListPayouts returns one page of payouts of the last 3 years, newest first (GET /payouts).
func (c *Client) ListPayouts(ctx context.Context, p ListPayoutsParams) (*PayoutList, error) {
	q, err := p.values()
	if err != nil {
		return nil, fmt.Errorf("yookassa: list payouts: %w", err)
	}
	if p.Method != "" {
		q.Set("payout_destination.type", string(p.Method))
	}
	if p.Status != "" {
		q.Set("status", string(p.Status))
	}
	var l PayoutList
	if err := c.get(ctx, c.gateway, "/payouts", q, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// SearchPayoutsParams is one page of a metadata search. The API matches exactly one
// key/value pair, strictly, among payouts created in the last 3 months.
type SearchPayoutsParams struct {
	ListParams
	MetadataKey   string // ≤ 32 characters
	MetadataValue string // ≤ 512 characters
}

// SearchPayouts returns one page of payouts whose metadata has MetadataKey = MetadataValue
// (GET /payouts/search?metadata[key]=value).
func (c *Client) SearchPayouts(ctx context.Context, p SearchPayoutsParams) (*PayoutList, error) {
	q, err := p.values()
	if err != nil {
		return nil, fmt.Errorf("yookassa: search payouts: %w", err)
	}
	if err := checkMetadata(map[string]string{p.MetadataKey: p.MetadataValue}); err != nil {
		return nil, fmt.Errorf("yookassa: search payouts: %w", err)
	}
	q.Set("metadata["+p.MetadataKey+"]", p.MetadataValue)
	var l PayoutList
	if err := c.get(ctx, c.gateway, "/payouts/search", q, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// maxSearchPages bounds FindPayoutsByMetadata: 10 pages of 100.
const maxSearchPages = 10

// FindPayoutsByMetadata returns every payout of the last 3 months whose metadata has key =
// value, following next_cursor. It is the check to run before re-sending a payout whose key
// may have expired: none found means it was never made; one found is the payout to track; more
// than one means it was paid twice and needs a human. An error is returned rather than a
// partial answer when there are more than 1000 matches.
func (c *Client) FindPayoutsByMetadata(ctx context.Context, key, value string) ([]Payout, error) {
	var out []Payout
	p := SearchPayoutsParams{ListParams: ListParams{Limit: 100}, MetadataKey: key, MetadataValue: value}
	for page := 0; page < maxSearchPages; page++ {
		l, err := c.SearchPayouts(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, l.Items...)
		if l.NextCursor == "" {
			return out, nil
		}
		p.Cursor = l.NextCursor
	}
	return nil, fmt.Errorf("yookassa: find payouts by metadata %q: more than %d matches", key, maxSearchPages*100)
}

// SBPBank is a participant of the Faster Payments System (SBP).
type SBPBank struct {
	BankID string `json:"bank_id"` // 12 characters, used in SBPDestination
	Name   string `json:"name"`
	BIC    string `json:"bic"`
}

// SBPBanks lists the SBP participants a winner can choose from (GET /sbp_banks, gateway
// credentials), sorted by bank id descending as the API returns them. Cache it (e.g. daily).
func (c *Client) SBPBanks(ctx context.Context) ([]SBPBank, error) {
	var l struct {
		Items []SBPBank `json:"items"`
	}
	if err := c.get(ctx, c.gateway, "/sbp_banks", nil, &l); err != nil {
		return nil, err
	}
	return l.Items, nil
}

// Me is the payout gateway's settings (GET /me with gateway credentials).
type Me struct {
	AccountID     string   `json:"account_id"`
	Status        string   `json:"status"` // "enabled" or "disabled"
	Test          bool     `json:"test"`
	Name          string   `json:"name,omitempty"`
	PayoutMethods []string `json:"payout_methods,omitempty"`
	PayoutBalance *Balance `json:"payout_balance,omitempty"` // a test gateway's is ≤ 0
}

// Me returns the payout gateway's settings and balance (GET /me, gateway credentials).
// YooKassa pays out only what the balance covers.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var m Me
	if err := c.get(ctx, c.gateway, "/me", nil, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return s != ""
}

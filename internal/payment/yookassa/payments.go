package yookassa

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// PaymentStatus is a payment's state: pending -> waiting_for_capture -> succeeded, or canceled.
// succeeded and canceled are final.
type PaymentStatus string

// Payment statuses (spec PaymentStatus).
const (
	PaymentPending           PaymentStatus = "pending"
	PaymentWaitingForCapture PaymentStatus = "waiting_for_capture"
	PaymentSucceeded         PaymentStatus = "succeeded"
	PaymentCanceled          PaymentStatus = "canceled"
)

// Final reports whether the status can no longer change.
func (s PaymentStatus) Final() bool { return s == PaymentSucceeded || s == PaymentCanceled }

// Cancellation parties (cancellation_details.party) of payments, refunds and payouts.
const (
	PartyYooMoney       = "yoo_money"
	PartyPaymentNetwork = "payment_network" // payments
	PartyMerchant       = "merchant"        // payments
	PartyRefundNetwork  = "refund_network"  // refunds
	PartyPayoutNetwork  = "payout_network"  // payouts
)

// CancellationDetails says who canceled an object and why. See ReasonText and the Reason*
// constants.
type CancellationDetails struct {
	Party  string `json:"party"`
	Reason string `json:"reason"`
}

// CreatePaymentRequest is what fairdraw sends to create a payment with a redirect confirmation.
type CreatePaymentRequest struct {
	// Amount to charge; must be positive.
	Amount Amount
	// TwoStage holds the money until captured (API "capture": false). The zero value sends
	// "capture": true, a one-stage payment, which is what an entry fee wants: the API's own
	// default is two-stage, and an uncaptured payment is canceled when it expires.
	TwoStage bool
	// ReturnURL is where YooKassa's page sends the user back (≤ 2048 characters), e.g. the
	// bot's t.me link. Required.
	ReturnURL string
	// Locale of YooKassa's page: "ru_RU" or "en_US"; empty lets YooKassa choose.
	Locale string
	// PaymentMethod optionally preselects a method ("bank_card", "sbp", "yoo_money"...);
	// empty lets the user choose on YooKassa's page.
	PaymentMethod string
	// Description (≤ 128 characters) is shown to the user and in YooKassa's dashboard.
	Description string
	// Metadata (≤ 16 keys) comes back in the payment and its notifications.
	Metadata map[string]string
	// Receipt is required when the shop sends 54-FZ receipts through YooKassa.
	Receipt *Receipt
}

// Receipt is the 54-FZ receipt data of a payment or a partial refund (spec ReceiptData).
type Receipt struct {
	Customer      *ReceiptCustomer `json:"customer,omitempty"`
	Items         []ReceiptItem    `json:"items"`
	TaxSystemCode int              `json:"tax_system_code,omitempty"` // 1..6; ignored by «Чеки от ЮKassa»
}

// ReceiptCustomer identifies who gets the receipt; «Чеки от ЮKassa» needs Email.
type ReceiptCustomer struct {
	FullName string `json:"full_name,omitempty"`
	INN      string `json:"inn,omitempty"`
	Email    string `json:"email,omitempty"`
	Phone    string `json:"phone,omitempty"` // E.164 without "+", e.g. 79000000000
}

// ReceiptItem is one line of a receipt. Amount is the unit price.
type ReceiptItem struct {
	Description    string      `json:"description"` // 1..128 characters
	Quantity       json.Number `json:"quantity"`    // e.g. "1"; a JSON number on the wire
	Amount         Amount      `json:"amount"`
	VatCode        int         `json:"vat_code"`                  // 1..12, see YooKassa's VAT code table
	Measure        string      `json:"measure,omitempty"`         // e.g. "piece"; required by FFD 1.2
	PaymentSubject string      `json:"payment_subject,omitempty"` // e.g. "service"
	PaymentMode    string      `json:"payment_mode,omitempty"`    // e.g. "full_payment"
}

func (r *Receipt) validate() error {
	if len(r.Items) == 0 || len(r.Items) > 100 {
		return invalidf("receipt must have 1 to 100 items, got %d", len(r.Items))
	}
	for i, it := range r.Items {
		if it.Description == "" {
			return invalidf("receipt item %d: description is required", i)
		}
		if err := checkDescription(fmt.Sprintf("receipt item %d description", i), it.Description, maxDescription); err != nil {
			return err
		}
		if q, err := it.Quantity.Float64(); err != nil || q <= 0 {
			return invalidf("receipt item %d: quantity %q must be a positive number", i, it.Quantity)
		}
		if err := checkPositive(fmt.Sprintf("receipt item %d amount", i), it.Amount); err != nil {
			return err
		}
		if it.VatCode < 1 || it.VatCode > 12 {
			return invalidf("receipt item %d: vat_code %d: want 1 to 12", i, it.VatCode)
		}
	}
	return nil
}

type wireConfirmationRequest struct {
	Type      string `json:"type"`
	ReturnURL string `json:"return_url"`
	Locale    string `json:"locale,omitempty"`
}

type wirePaymentMethodData struct {
	Type string `json:"type"`
}

type wireCreatePayment struct {
	Amount            Amount                  `json:"amount"`
	Capture           bool                    `json:"capture"`
	Confirmation      wireConfirmationRequest `json:"confirmation"`
	PaymentMethodData *wirePaymentMethodData  `json:"payment_method_data,omitempty"`
	Description       string                  `json:"description,omitempty"`
	Metadata          map[string]string       `json:"metadata,omitempty"`
	Receipt           *Receipt                `json:"receipt,omitempty"`
}

func (r CreatePaymentRequest) wire() (wireCreatePayment, error) {
	if err := checkPositive("amount", r.Amount); err != nil {
		return wireCreatePayment{}, err
	}
	if r.ReturnURL == "" || len(r.ReturnURL) > maxReturnURL {
		return wireCreatePayment{}, invalidf("return url must be 1 to %d characters", maxReturnURL)
	}
	if r.Locale != "" && r.Locale != "ru_RU" && r.Locale != "en_US" {
		return wireCreatePayment{}, invalidf("locale %q: want ru_RU or en_US", r.Locale)
	}
	if err := checkDescription("description", r.Description, maxDescription); err != nil {
		return wireCreatePayment{}, err
	}
	if err := checkMetadata(r.Metadata); err != nil {
		return wireCreatePayment{}, err
	}
	if r.Receipt != nil {
		if err := r.Receipt.validate(); err != nil {
			return wireCreatePayment{}, err
		}
	}
	w := wireCreatePayment{
		Amount:       r.Amount,
		Capture:      !r.TwoStage,
		Confirmation: wireConfirmationRequest{Type: "redirect", ReturnURL: r.ReturnURL, Locale: r.Locale},
		Description:  r.Description,
		Metadata:     r.Metadata,
		Receipt:      r.Receipt,
	}
	if r.PaymentMethod != "" {
		w.PaymentMethodData = &wirePaymentMethodData{Type: r.PaymentMethod}
	}
	return w, nil
}

// Payment is YooKassa's payment object (the fields fairdraw reads; unknown fields are ignored).
type Payment struct {
	ID                  string               `json:"id"`
	Status              PaymentStatus        `json:"status"`
	Amount              Amount               `json:"amount"`
	IncomeAmount        *Amount              `json:"income_amount,omitempty"` // amount minus fee and VAT on the fee
	Description         string               `json:"description,omitempty"`
	Recipient           Recipient            `json:"recipient"`
	PaymentMethod       *PaymentMethod       `json:"payment_method,omitempty"`
	CapturedAt          *time.Time           `json:"captured_at,omitempty"`
	CreatedAt           time.Time            `json:"created_at"`
	ExpiresAt           *time.Time           `json:"expires_at,omitempty"`
	Confirmation        *Confirmation        `json:"confirmation,omitempty"`
	Test                bool                 `json:"test"`
	RefundedAmount      *Amount              `json:"refunded_amount,omitempty"`
	Paid                bool                 `json:"paid"`
	Refundable          bool                 `json:"refundable"`
	ReceiptRegistration string               `json:"receipt_registration,omitempty"`
	Metadata            map[string]string    `json:"metadata,omitempty"`
	CancellationDetails *CancellationDetails `json:"cancellation_details,omitempty"`
}

// Recipient is the shop (account_id) and sub-account (gateway_id) receiving a payment.
type Recipient struct {
	AccountID string `json:"account_id"`
	GatewayID string `json:"gateway_id"`
}

// PaymentMethod is the method the user paid with. Card holds only the masked data YooKassa
// returns (first6/last4).
type PaymentMethod struct {
	Type          string       `json:"type"`
	ID            string       `json:"id"`
	Saved         bool         `json:"saved"`
	Title         string       `json:"title,omitempty"`
	Card          *PaymentCard `json:"card,omitempty"`
	AccountNumber string       `json:"account_number,omitempty"` // yoo_money
}

// PaymentCard is the masked card of a bank_card payment.
type PaymentCard struct {
	First6        string `json:"first6,omitempty"`
	Last4         string `json:"last4"`
	ExpiryYear    string `json:"expiry_year"`
	ExpiryMonth   string `json:"expiry_month"`
	CardType      string `json:"card_type"`
	IssuerCountry string `json:"issuer_country,omitempty"`
	IssuerName    string `json:"issuer_name,omitempty"`
}

// Confirmation tells how the user confirms a payment; for "redirect" send them to
// ConfirmationURL.
type Confirmation struct {
	Type            string `json:"type"`
	ConfirmationURL string `json:"confirmation_url,omitempty"`
	ReturnURL       string `json:"return_url,omitempty"`
}

// PaymentList is a page of payments, newest first.
type PaymentList struct {
	Items      []Payment `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty"`
}

// CreatePayment creates a payment (POST /payments, shop credentials). key is the caller's
// Idempotence-Key, derived from and stored with its own record before the call; repeating the
// call with the same key and request within IdempotenceWindow returns the same payment. The
// new payment is normally pending with Confirmation.ConfirmationURL to send the user to.
func (c *Client) CreatePayment(ctx context.Context, key string, req CreatePaymentRequest) (*Payment, error) {
	w, err := req.wire()
	if err != nil {
		return nil, fmt.Errorf("yookassa: create payment: %w", err)
	}
	var p Payment
	if err := c.post(ctx, c.shop, "/payments", key, w, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// GetPayment returns the current state of a payment (GET /payments/{id}). A missing payment
// gives an *APIError matching ErrNotFound.
func (c *Client) GetPayment(ctx context.Context, id string) (*Payment, error) {
	path, err := objectPath("payments", id)
	if err != nil {
		return nil, fmt.Errorf("yookassa: get payment: %w", err)
	}
	var p Payment
	if err := c.get(ctx, c.shop, path, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// ListPaymentsParams filters ListPayments.
type ListPaymentsParams struct {
	ListParams
	Status PaymentStatus // optional
}

// ListPayments returns one page of payments created in the last 3 years, newest first (GET
// /payments). Useful to re-check payments left pending, e.g. Status: PaymentPending with a
// CreatedLT bound.
func (c *Client) ListPayments(ctx context.Context, p ListPaymentsParams) (*PaymentList, error) {
	q, err := p.values()
	if err != nil {
		return nil, fmt.Errorf("yookassa: list payments: %w", err)
	}
	if p.Status != "" {
		q.Set("status", string(p.Status))
	}
	var l PaymentList
	if err := c.get(ctx, c.shop, "/payments", q, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

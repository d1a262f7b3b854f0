package yookassatest

import (
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// payment is the fake's payment state.
type payment struct {
	ID                  string             `json:"id"`
	Status              string             `json:"status"`
	Amount              money              `json:"amount"`
	IncomeAmount        *money             `json:"income_amount,omitempty"`
	Description         string             `json:"description,omitempty"`
	Recipient           map[string]string  `json:"recipient"`
	PaymentMethod       *paymentMethod     `json:"payment_method,omitempty"`
	CapturedAt          *fakeTime          `json:"captured_at,omitempty"`
	CreatedAt           fakeTime           `json:"created_at"`
	ExpiresAt           *fakeTime          `json:"expires_at,omitempty"`
	Confirmation        *confirmation      `json:"confirmation,omitempty"`
	Test                bool               `json:"test"`
	RefundedAmount      *money             `json:"refunded_amount,omitempty"`
	Paid                bool               `json:"paid"`
	Refundable          bool               `json:"refundable"`
	ReceiptRegistration string             `json:"receipt_registration,omitempty"`
	Metadata            map[string]*string `json:"metadata"`
	CancellationDetails *cancellation      `json:"cancellation_details,omitempty"`

	kopecks  int64
	refunded int64 // succeeded refunds
	pending  int64 // pending refunds
	capture  bool
	method   string
	created  time.Time
}

type paymentMethod struct {
	Type  string         `json:"type"`
	ID    string         `json:"id"`
	Saved bool           `json:"saved"`
	Title string         `json:"title,omitempty"`
	Card  map[string]any `json:"card,omitempty"`
}

type confirmation struct {
	Type            string `json:"type"`
	ConfirmationURL string `json:"confirmation_url"`
	ReturnURL       string `json:"return_url,omitempty"`
}

var paymentMethodTypes = []string{"bank_card", "cash", "sberbank", "tinkoff_bank", "yoo_money",
	"mobile_balance", "b2b_sberbank", "sbp", "sber_loan", "electronic_certificate", "sber_bnpl"}

func (s *Server) createPayment(req *request) (any, *apiError) {
	m, aerr := decodeObject(req.body, "amount", "description", "receipt", "recipient", "payment_token",
		"payment_method_id", "payment_method_data", "confirmation", "save_payment_method", "capture",
		"client_ip", "metadata", "airline", "transfers", "deal", "merchant_customer_id", "payment_order",
		"receiver", "statements")
	if aerr != nil {
		return nil, aerr
	}
	amount, aerr := parseMoney(m["amount"], "amount")
	if aerr != nil {
		return nil, aerr
	}
	desc, aerr := decodeString(m, "description", 128)
	if aerr != nil {
		return nil, aerr
	}
	md, aerr := decodeMetadata(m)
	if aerr != nil {
		return nil, aerr
	}
	capture := false // «По умолчанию false»
	if raw, ok := m["capture"]; ok {
		if err := json.Unmarshal(raw, &capture); err != nil {
			return nil, badRequest("capture", "capture must be a boolean")
		}
	}
	var conf struct {
		Type      string `json:"type"`
		ReturnURL string `json:"return_url"`
		Locale    string `json:"locale"`
	}
	raw, ok := m["confirmation"]
	if !ok {
		return nil, badRequest("confirmation", "the fake needs a confirmation of type redirect")
	}
	if err := json.Unmarshal(raw, &conf); err != nil {
		return nil, badRequest("confirmation", "confirmation must be an object")
	}
	if conf.Type != "redirect" {
		return nil, badRequest("confirmation.type", "the fake supports confirmation type redirect only, got %q", conf.Type)
	}
	if conf.ReturnURL == "" || len(conf.ReturnURL) > 2048 {
		return nil, badRequest("confirmation.return_url", "return_url is required, at most 2048 characters")
	}
	if conf.Locale != "" && !oneOf(conf.Locale, "ru_RU", "en_US") {
		return nil, badRequest("confirmation.locale", "locale must be ru_RU or en_US")
	}
	method := "bank_card"
	if raw, ok := m["payment_method_data"]; ok {
		var pmd struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(raw, &pmd); err != nil || !oneOf(pmd.Type, paymentMethodTypes...) {
			return nil, badRequest("payment_method_data.type", "unknown payment method type")
		}
		method = pmd.Type
	}
	hasReceipt := false
	if raw, ok := m["receipt"]; ok && string(raw) != "null" {
		if aerr := checkReceipt(raw, amount); aerr != nil {
			return nil, aerr
		}
		hasReceipt = true
	}

	now := s.now()
	id := s.newID()
	if md == nil {
		md = map[string]*string{}
	}
	p := &payment{
		ID:          id,
		Status:      string(yookassa.PaymentPending),
		Amount:      rub(amount),
		Description: desc,
		Recipient:   map[string]string{"account_id": s.opts.ShopID, "gateway_id": s.opts.ShopID + "01"},
		CreatedAt:   fakeTime(now),
		Confirmation: &confirmation{Type: "redirect", ReturnURL: conf.ReturnURL,
			ConfirmationURL: s.srv.URL + "/checkout/payments/v2/contract?orderId=" + id},
		Test:     true,
		Metadata: md,
		kopecks:  amount,
		capture:  capture,
		method:   method,
		created:  now,
	}
	if hasReceipt {
		p.ReceiptRegistration = "pending"
	}
	s.payments[id] = p
	return p, nil
}

// checkReceipt validates ReceiptData: items (1..100) with description 1..128, positive quantity
// and price, vat_code 1..12, a customer contact, and items adding up to the payment amount.
func checkReceipt(raw json.RawMessage, amount int64) *apiError {
	var r struct {
		Customer *struct {
			Email string `json:"email"`
			Phone string `json:"phone"`
		} `json:"customer"`
		Items []struct {
			Description string          `json:"description"`
			Quantity    json.Number     `json:"quantity"`
			Amount      json.RawMessage `json:"amount"`
			VatCode     int             `json:"vat_code"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return badRequest("receipt", "receipt is malformed: %v", err)
	}
	if r.Customer == nil || (r.Customer.Email == "" && r.Customer.Phone == "") {
		return badRequest("receipt.customer", "receipt needs customer.email or customer.phone")
	}
	if len(r.Items) == 0 || len(r.Items) > 100 {
		return badRequest("receipt.items", "receipt needs 1 to 100 items")
	}
	total := new(big.Rat)
	for i, it := range r.Items {
		field := fmt.Sprintf("receipt.items[%d]", i)
		if n := len([]rune(it.Description)); n < 1 || n > 128 {
			return badRequest(field+".description", "description must be 1 to 128 characters")
		}
		q, ok := new(big.Rat).SetString(it.Quantity.String())
		if !ok || q.Sign() <= 0 {
			return badRequest(field+".quantity", "quantity must be a positive number")
		}
		price, aerr := parseMoney(it.Amount, field+".amount")
		if aerr != nil {
			return aerr
		}
		if it.VatCode < 1 || it.VatCode > 12 {
			return badRequest(field+".vat_code", "vat_code must be 1 to 12")
		}
		total.Add(total, new(big.Rat).Mul(q, new(big.Rat).SetInt64(price)))
	}
	if total.Cmp(new(big.Rat).SetInt64(amount)) != 0 {
		return badRequest("receipt.items", "the receipt items add up to %s kopecks, the payment is %d", total.FloatString(2), amount)
	}
	return nil
}

func (s *Server) getPayment(req *request) (any, *apiError) {
	p, ok := s.payments[req.r.PathValue("id")]
	if !ok {
		return nil, notFound("Payment")
	}
	return p, nil
}

func (s *Server) listPayments(req *request) (any, *apiError) {
	q := req.r.URL.Query()
	status := q.Get("status")
	items := make([]listItem, 0, len(s.payments))
	for _, p := range s.payments {
		if status != "" && p.Status != status {
			continue
		}
		items = append(items, listItem{id: p.ID, created: p.created, v: p})
	}
	return paginate(items, q)
}

// Succeed moves a payment forward as if the user paid: a pending payment with capture=true
// becomes succeeded; with capture=false it becomes waiting_for_capture, and a second Succeed
// captures it. Each step sends its notification.
func (s *Server) Succeed(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return fmt.Errorf("yookassatest: succeed: payment %s not found", id)
	}
	now := s.now()
	switch {
	case p.Status == string(yookassa.PaymentPending) && !p.capture:
		p.Status = string(yookassa.PaymentWaitingForCapture)
		p.Paid = true
		p.ExpiresAt = ptime(now.Add(7 * 24 * time.Hour))
		p.PaymentMethod = s.paidWith(p)
		s.notify(s.opts.WebhookURL, yookassa.EventPaymentWaitingForCapture, p.ID, p)
	case p.Status == string(yookassa.PaymentPending) || p.Status == string(yookassa.PaymentWaitingForCapture):
		p.Status = string(yookassa.PaymentSucceeded)
		p.Paid = true
		p.Refundable = true
		p.ExpiresAt = nil
		p.CapturedAt = ptime(now)
		if p.PaymentMethod == nil {
			p.PaymentMethod = s.paidWith(p)
		}
		fee := p.kopecks * s.opts.FeeBasisPoints / 10000
		income := rub(p.kopecks - fee)
		p.IncomeAmount = &income
		zero := rub(0)
		p.RefundedAmount = &zero
		if p.ReceiptRegistration != "" {
			p.ReceiptRegistration = "succeeded"
		}
		p.Confirmation = nil
		s.notify(s.opts.WebhookURL, yookassa.EventPaymentSucceeded, p.ID, p)
	default:
		return fmt.Errorf("yookassatest: succeed: payment %s is %s", id, p.Status)
	}
	return nil
}

// paidWith is the payment method a paid payment reports; cards are the documented test card
// 5555 5555 5555 4477, masked.
func (s *Server) paidWith(p *payment) *paymentMethod {
	pm := &paymentMethod{Type: p.method, ID: p.ID}
	switch p.method {
	case "bank_card":
		pm.Title = "Bank card *4477"
		pm.Card = map[string]any{"first6": "555555", "last4": "4477", "expiry_year": "2030", "expiry_month": "12",
			"card_type": "MasterCard", "issuer_country": "RU"}
	case "yoo_money":
		pm.Title = "YooMoney wallet 410011758831136"
	}
	return pm
}

// paymentParty is who cancels a payment for each documented reason, for the fake's
// cancellation_details (card and bank refusals come from the payment network, the shop's own
// cancel from the merchant, the rest from YooKassa).
func paymentParty(reason string) string {
	switch reason {
	case yookassa.ReasonCanceledByMerchant:
		return yookassa.PartyMerchant
	case yookassa.Reason3DSecureFailed, yookassa.ReasonCallIssuer, yookassa.ReasonCardExpired,
		yookassa.ReasonPaymentMethodLimitExceeded, yookassa.ReasonPaymentMethodRestricted,
		yookassa.ReasonInsufficientFunds, yookassa.ReasonInvalidCardNumber, yookassa.ReasonInvalidCSC,
		yookassa.ReasonIssuerUnavailable, yookassa.ReasonUnsupportedMobileOperator:
		return yookassa.PartyPaymentNetwork
	}
	return yookassa.PartyYooMoney
}

var paymentReasons = []string{
	yookassa.Reason3DSecureFailed, yookassa.ReasonCallIssuer, yookassa.ReasonCardExpired,
	yookassa.ReasonPaymentMethodLimitExceeded, yookassa.ReasonPaymentMethodRestricted,
	yookassa.ReasonCountryForbidden, yookassa.ReasonGeneralDecline, yookassa.ReasonFraudSuspected,
	yookassa.ReasonIdentificationRequired, yookassa.ReasonInsufficientFunds, yookassa.ReasonInvalidCardNumber,
	yookassa.ReasonInvalidCSC, yookassa.ReasonIssuerUnavailable, yookassa.ReasonCanceledByMerchant,
	yookassa.ReasonPermissionRevoked, yookassa.ReasonInternalTimeout, yookassa.ReasonExpiredOnConfirmation,
	yookassa.ReasonExpiredOnCapture, yookassa.ReasonUnsupportedMobileOperator, yookassa.ReasonDealExpired,
}

// Cancel cancels a pending or waiting_for_capture payment with one of the spec's payment
// reasons (e.g. expired_on_confirmation when the user never paid) and sends payment.canceled.
func (s *Server) Cancel(id, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return fmt.Errorf("yookassatest: cancel: payment %s not found", id)
	}
	if !oneOf(reason, paymentReasons...) {
		return fmt.Errorf("yookassatest: cancel: %q is not a payment cancellation reason", reason)
	}
	if p.Status != string(yookassa.PaymentPending) && p.Status != string(yookassa.PaymentWaitingForCapture) {
		return fmt.Errorf("yookassatest: cancel: payment %s is %s", id, p.Status)
	}
	p.Status = string(yookassa.PaymentCanceled)
	p.Paid = false
	p.Refundable = false
	p.ExpiresAt = nil
	p.Confirmation = nil
	if p.ReceiptRegistration != "" {
		p.ReceiptRegistration = "canceled"
	}
	p.CancellationDetails = &cancellation{Party: paymentParty(reason), Reason: reason}
	s.notify(s.opts.WebhookURL, yookassa.EventPaymentCanceled, p.ID, p)
	return nil
}

// PaymentIDs lists the payments the fake holds, oldest first.
func (s *Server) PaymentIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedIDs(s.payments, func(p *payment) time.Time { return p.created })
}

// PaymentView is what a payer sees of a payment on the checkout page.
type PaymentView struct {
	ID          string
	Status      string
	Kopecks     int64
	Description string
	ReturnURL   string
}

// PaymentByID returns the payment with the given id as a payer sees it.
func (s *Server) PaymentByID(id string) (PaymentView, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return PaymentView{}, false
	}
	v := PaymentView{ID: p.ID, Status: p.Status, Kopecks: p.kopecks, Description: p.Description}
	if p.Confirmation != nil {
		v.ReturnURL = p.Confirmation.ReturnURL
	}
	return v, true
}

// CheckoutPath is the path of the stand-in payment page that confirmation_url points to; its
// orderId query parameter is the payment id.
const CheckoutPath = "/checkout/payments/v2/contract"

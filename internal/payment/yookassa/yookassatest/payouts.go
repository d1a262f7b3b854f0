package yookassatest

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// Outcomes for SetPayoutOutcome besides a payout cancellation reason.
const (
	OutcomeSucceeded = "succeeded" // final at creation
	OutcomePending   = "pending"   // stays pending until SucceedPayout or CancelPayout
)

// testWallets are YooKassa's documented YooMoney test wallets and what a payout to each does
// (research/yookassa.md §7, …/payouts/testing-and-going-live/testing/yoo-money). YooKassa
// publishes no SBP or card test data the research could read; SBP and card payouts therefore
// stay pending by default, and SetPayoutOutcome scripts any destination.
var testWallets = map[string]string{
	"41001614575714":   OutcomeSucceeded, // anonymous wallet
	"4100116075156746": OutcomeSucceeded, // named wallet
	"4100116074720387": OutcomeSucceeded, // identified wallet
	"41001614575572":   yookassa.ReasonOneTimeLimitExceeded,
	"41001614575643":   yookassa.ReasonPeriodicLimitExceeded,
	"410011806060766":  yookassa.ReasonInsufficientFunds,
	"410011788545536":  yookassa.ReasonGeneralDecline,
}

var payoutReasons = []string{
	yookassa.ReasonInsufficientFunds, yookassa.ReasonFraudSuspected, yookassa.ReasonOneTimeLimitExceeded,
	yookassa.ReasonPeriodicLimitExceeded, yookassa.ReasonRejectedByPayee, yookassa.ReasonGeneralDecline,
	yookassa.ReasonIssuerUnavailable, yookassa.ReasonRecipientNotFound, yookassa.ReasonRecipientCheckFailed,
	yookassa.ReasonIdentificationRequired, yookassa.ReasonSelfEmployedAnnualLimitExceeded,
}

// payoutParty is who cancels a payout for a reason: the recipient's side for refusals by the
// bank or the SBP check, YooKassa for its own limits and checks (as in the docs' examples).
func payoutParty(reason string) string {
	switch reason {
	case yookassa.ReasonRejectedByPayee, yookassa.ReasonIssuerUnavailable, yookassa.ReasonRecipientNotFound,
		yookassa.ReasonRecipientCheckFailed:
		return yookassa.PartyPayoutNetwork
	}
	return yookassa.PartyYooMoney
}

type payout struct {
	ID                  string             `json:"id"`
	Amount              money              `json:"amount"`
	Status              string             `json:"status"`
	PayoutDestination   map[string]any     `json:"payout_destination"`
	Description         string             `json:"description,omitempty"`
	CreatedAt           fakeTime           `json:"created_at"`
	SucceededAt         *fakeTime          `json:"succeeded_at,omitempty"`
	Metadata            map[string]*string `json:"metadata,omitempty"`
	Test                bool               `json:"test"`
	CancellationDetails *cancellation      `json:"cancellation_details,omitempty"`

	kopecks  int64
	method   string
	created  time.Time
	reserved bool // the amount is off the balance
}

// SetPayoutOutcome scripts what payouts to destination do: a YooMoney wallet number, an SBP
// phone, a payout token, a card number or a payment method id. outcome is OutcomeSucceeded,
// OutcomePending or a payout cancellation reason (e.g. recipient_not_found). The documented
// test wallets are preset; other wallets succeed and SBP/card payouts stay pending unless
// scripted.
func (s *Server) SetPayoutOutcome(destination, outcome string) error {
	if outcome != OutcomeSucceeded && outcome != OutcomePending && !oneOf(outcome, payoutReasons...) {
		return fmt.Errorf("yookassatest: set payout outcome: %q is not an outcome or payout reason", outcome)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes[destination] = outcome
	return nil
}

// SetPayoutBalance sets the gateway's payout balance in kopecks.
func (s *Server) SetPayoutBalance(kopecks int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balance = kopecks
}

// PayoutBalance is the gateway's payout balance in kopecks; pending and succeeded payouts are
// already taken off.
func (s *Server) PayoutBalance() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.balance
}

func (s *Server) createPayout(req *request) (any, *apiError) {
	m, aerr := decodeObject(req.body, "amount", "payout_destination_data", "payout_token", "payment_method_id",
		"description", "deal", "personal_data", "metadata")
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
	token, aerr := decodeString(m, "payout_token", 0)
	if aerr != nil {
		return nil, aerr
	}
	pmID, aerr := decodeString(m, "payment_method_id", 0)
	if aerr != nil {
		return nil, aerr
	}
	n := 0
	for _, set := range []bool{m["payout_destination_data"] != nil, token != "", pmID != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, badRequest("payout_destination_data", "pass exactly one of payout_destination_data, payout_token, payment_method_id")
	}

	var method, destKey string
	var dest map[string]any
	switch {
	case token != "":
		method, destKey = "bank_card", token
		dest = map[string]any{"type": "bank_card", "card": map[string]string{
			"first6": "555555", "last4": "4477", "card_type": "MasterCard", "issuer_country": "RU"}}
	case pmID != "":
		method, destKey = "bank_card", pmID
		dest = map[string]any{"type": "bank_card", "card": map[string]string{
			"first6": "555555", "last4": "4444", "card_type": "MasterCard", "issuer_country": "RU"}}
	default:
		var d struct {
			Type          string `json:"type"`
			AccountNumber string `json:"account_number"`
			Phone         string `json:"phone"`
			BankID        string `json:"bank_id"`
			Card          *struct {
				Number string `json:"number"`
			} `json:"card"`
		}
		if err := json.Unmarshal(m["payout_destination_data"], &d); err != nil {
			return nil, badRequest("payout_destination_data", "payout_destination_data is malformed")
		}
		method = d.Type
		switch d.Type {
		case "yoo_money":
			if !isDigits(d.AccountNumber, 11, 33) {
				return nil, badRequest("payout_destination_data.account_number", "account_number must be 11 to 33 digits")
			}
			destKey = d.AccountNumber
			dest = map[string]any{"type": "yoo_money", "account_number": d.AccountNumber}
		case "sbp":
			if !isDigits(d.Phone, 4, 15) {
				return nil, badRequest("payout_destination_data.phone", "phone must be 4 to 15 digits")
			}
			if !isAlnum(d.BankID, 12) || !s.knownBank(d.BankID) {
				return nil, badRequest("payout_destination_data.bank_id", "bank_id is not an SBP participant")
			}
			destKey = d.Phone
			dest = map[string]any{"type": "sbp", "phone": d.Phone, "bank_id": d.BankID, "recipient_checked": false}
		case "bank_card":
			if d.Card == nil || !isDigits(d.Card.Number, 16, 19) {
				return nil, badRequest("payout_destination_data.card.number", "card.number must be 16 to 19 digits")
			}
			num := d.Card.Number
			destKey = num
			dest = map[string]any{"type": "bank_card", "card": map[string]string{
				"first6": num[:6], "last4": num[len(num)-4:], "card_type": cardType(num), "issuer_country": "RU"}}
		default:
			return nil, badRequest("payout_destination_data.type", "type must be yoo_money, bank_card or sbp")
		}
	}
	if lo, hi := yookassa.PayoutLimits(yookassa.PayoutMethod(method)); amount < lo || amount > hi {
		return nil, badRequest("amount", "payout amount must be between %s and %s for %s",
			yookassa.FormatAmount(lo), yookassa.FormatAmount(hi), method)
	}

	now := s.now()
	p := &payout{
		ID:                "po-" + s.newID(),
		Amount:            rub(amount),
		Status:            string(yookassa.PayoutPending),
		PayoutDestination: dest,
		Description:       desc,
		CreatedAt:         fakeTime(now),
		Metadata:          md,
		Test:              true,
		kopecks:           amount,
		method:            method,
		created:           now,
	}
	s.payouts[p.ID] = p

	outcome, ok := s.outcomes[destKey]
	if !ok {
		outcome = OutcomePending
		if method == "yoo_money" {
			outcome = OutcomeSucceeded
		}
	}
	switch {
	case outcome != OutcomeSucceeded && outcome != OutcomePending:
		s.cancelPayout(p, outcome)
	case s.balance < amount:
		s.cancelPayout(p, yookassa.ReasonInsufficientFunds)
	default:
		s.balance -= amount
		p.reserved = true
		if outcome == OutcomeSucceeded {
			s.succeedPayout(p)
		}
	}
	return p, nil
}

func cardType(number string) string {
	switch number[0] {
	case '2':
		return "Mir"
	case '4':
		return "Visa"
	case '5':
		return "MasterCard"
	}
	return "Unknown"
}

func (s *Server) knownBank(id string) bool {
	for _, b := range s.banks {
		if b.BankID == id {
			return true
		}
	}
	return false
}

func (s *Server) succeedPayout(p *payout) {
	p.Status = string(yookassa.PayoutSucceeded)
	p.SucceededAt = ptime(s.now())
	s.notify(s.opts.PayoutWebhookURL, yookassa.EventPayoutSucceeded, p.ID, p)
}

// cancelPayout cancels p; a payout that had reserved money gives it back.
func (s *Server) cancelPayout(p *payout, reason string) {
	if p.reserved {
		s.balance += p.kopecks
		p.reserved = false
	}
	p.Status = string(yookassa.PayoutCanceled)
	p.CancellationDetails = &cancellation{Party: payoutParty(reason), Reason: reason}
	s.notify(s.opts.PayoutWebhookURL, yookassa.EventPayoutCanceled, p.ID, p)
}

func (s *Server) getPayout(req *request) (any, *apiError) {
	p, ok := s.payouts[req.r.PathValue("id")]
	if !ok {
		return nil, notFound("Payout")
	}
	return p, nil
}

func (s *Server) listPayouts(req *request) (any, *apiError) {
	q := req.r.URL.Query()
	items := make([]listItem, 0, len(s.payouts))
	for _, p := range s.payouts {
		if v := q.Get("payout_destination.type"); v != "" && p.method != v {
			continue
		}
		if v := q.Get("status"); v != "" && p.Status != v {
			continue
		}
		items = append(items, listItem{id: p.ID, created: p.created, v: p})
	}
	return paginate(items, q)
}

// searchPayouts implements GET /payouts/search: exactly one metadata[key]=value pair, strict
// match, payouts of the last 3 months.
func (s *Server) searchPayouts(req *request) (any, *apiError) {
	q := req.r.URL.Query()
	var key, value string
	n := 0
	for k, vs := range q {
		if strings.HasPrefix(k, "metadata[") && strings.HasSuffix(k, "]") {
			n += len(vs)
			key, value = k[len("metadata["):len(k)-1], vs[0]
		}
	}
	if n != 1 || key == "" {
		return nil, badRequest("metadata", "pass exactly one metadata[key]=value pair")
	}
	since := s.now().AddDate(0, -3, 0)
	items := make([]listItem, 0)
	for _, p := range s.payouts {
		if v, ok := p.Metadata[key]; !ok || v == nil || *v != value || p.created.Before(since) {
			continue
		}
		items = append(items, listItem{id: p.ID, created: p.created, v: p})
	}
	return paginate(items, q)
}

// SucceedPayout completes a pending payout and sends payout.succeeded.
func (s *Server) SucceedPayout(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payouts[id]
	if !ok {
		return fmt.Errorf("yookassatest: succeed payout: payout %s not found", id)
	}
	if p.Status != string(yookassa.PayoutPending) {
		return fmt.Errorf("yookassatest: succeed payout: payout %s is %s", id, p.Status)
	}
	s.succeedPayout(p)
	return nil
}

// CancelPayout cancels a pending payout with a payout reason, returns its money to the balance
// and sends payout.canceled.
func (s *Server) CancelPayout(id, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payouts[id]
	if !ok {
		return fmt.Errorf("yookassatest: cancel payout: payout %s not found", id)
	}
	if !oneOf(reason, payoutReasons...) {
		return fmt.Errorf("yookassatest: cancel payout: %q is not a payout cancellation reason", reason)
	}
	if p.Status != string(yookassa.PayoutPending) {
		return fmt.Errorf("yookassatest: cancel payout: payout %s is %s", id, p.Status)
	}
	s.cancelPayout(p, reason)
	return nil
}

// PayoutIDs lists the payouts the fake holds, oldest first.
func (s *Server) PayoutIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedIDs(s.payouts, func(p *payout) time.Time { return p.created })
}

func (s *Server) sbpBanks(*request) (any, *apiError) {
	return map[string]any{"type": "list", "items": s.banks}, nil
}

// me answers GET /me: the gateway's settings with its payout balance, or the shop's settings
// when called with shop credentials.
func (s *Server) me(req *request) (any, *apiError) {
	if req.gateway {
		return map[string]any{
			"account_id":     s.opts.GatewayID,
			"status":         "enabled",
			"test":           true,
			"name":           "fake payout gateway",
			"payout_methods": []string{"bank_card", "yoo_money", "sbp"},
			"payout_balance": money{Value: yookassa.FormatAmount(s.balance), Currency: yookassa.CurrencyRUB},
		}, nil
	}
	return map[string]any{
		"account_id":            s.opts.ShopID,
		"status":                "enabled",
		"test":                  true,
		"fiscalization_enabled": false,
		"payment_methods":       []string{"bank_card", "yoo_money", "sbp"},
	}, nil
}

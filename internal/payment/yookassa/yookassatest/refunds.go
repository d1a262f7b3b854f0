package yookassatest

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

type refund struct {
	ID                  string             `json:"id"`
	PaymentID           string             `json:"payment_id"`
	Status              string             `json:"status"`
	Amount              money              `json:"amount"`
	CreatedAt           fakeTime           `json:"created_at"`
	Description         string             `json:"description,omitempty"`
	Metadata            map[string]*string `json:"metadata,omitempty"`
	CancellationDetails *cancellation      `json:"cancellation_details,omitempty"`

	kopecks int64
	created time.Time
}

func (s *Server) createRefund(req *request) (any, *apiError) {
	m, aerr := decodeObject(req.body, "payment_id", "amount", "description", "receipt", "sources", "deal",
		"refund_method_data", "metadata")
	if aerr != nil {
		return nil, aerr
	}
	var paymentID string
	if err := json.Unmarshal(m["payment_id"], &paymentID); err != nil || paymentID == "" {
		return nil, badRequest("payment_id", "payment_id is required")
	}
	amount, aerr := parseMoney(m["amount"], "amount")
	if aerr != nil {
		return nil, aerr
	}
	desc, aerr := decodeString(m, "description", 250)
	if aerr != nil {
		return nil, aerr
	}
	md, aerr := decodeMetadata(m)
	if aerr != nil {
		return nil, aerr
	}
	p, ok := s.payments[paymentID]
	if !ok {
		return nil, badRequest("payment_id", "payment %s not found", paymentID)
	}
	if p.Status != string(yookassa.PaymentSucceeded) {
		return nil, badRequest("payment_id", "payment %s is %s, only succeeded payments can be refunded", paymentID, p.Status)
	}
	if left := p.kopecks - p.refunded - p.pending; amount > left {
		return nil, badRequest("amount", "refund amount %s exceeds what is left of the payment, %s",
			yookassa.FormatAmount(amount), yookassa.FormatAmount(left))
	}
	now := s.now()
	r := &refund{
		ID:          s.newID(),
		PaymentID:   paymentID,
		Status:      string(yookassa.RefundPending),
		Amount:      rub(amount),
		CreatedAt:   fakeTime(now),
		Description: desc,
		Metadata:    md,
		kopecks:     amount,
		created:     now,
	}
	s.refunds[r.ID] = r
	p.pending += amount
	if !s.opts.RefundsPending {
		s.succeedRefund(r)
	}
	return r, nil
}

func (s *Server) succeedRefund(r *refund) {
	p := s.payments[r.PaymentID]
	p.pending -= r.kopecks
	p.refunded += r.kopecks
	ra := rub(p.refunded)
	p.RefundedAmount = &ra
	p.Refundable = p.refunded < p.kopecks
	r.Status = string(yookassa.RefundSucceeded)
	s.notify(s.opts.WebhookURL, yookassa.EventRefundSucceeded, r.ID, r)
}

func (s *Server) getRefund(req *request) (any, *apiError) {
	r, ok := s.refunds[req.r.PathValue("id")]
	if !ok {
		return nil, notFound("Refund")
	}
	return r, nil
}

func (s *Server) listRefunds(req *request) (any, *apiError) {
	q := req.r.URL.Query()
	items := make([]listItem, 0, len(s.refunds))
	for _, r := range s.refunds {
		if v := q.Get("payment_id"); v != "" && r.PaymentID != v {
			continue
		}
		if v := q.Get("status"); v != "" && r.Status != v {
			continue
		}
		items = append(items, listItem{id: r.ID, created: r.created, v: r})
	}
	return paginate(items, q)
}

// SucceedRefund completes a pending refund (Options.RefundsPending) and sends refund.succeeded.
func (s *Server) SucceedRefund(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refunds[id]
	if !ok {
		return fmt.Errorf("yookassatest: succeed refund: refund %s not found", id)
	}
	if r.Status != string(yookassa.RefundPending) {
		return fmt.Errorf("yookassatest: succeed refund: refund %s is %s", id, r.Status)
	}
	s.succeedRefund(r)
	return nil
}

var refundReasons = []string{
	yookassa.ReasonYooMoneyAccountClosed, yookassa.ReasonInsufficientFunds, yookassa.ReasonGeneralDecline,
	yookassa.ReasonRejectedByPayee, yookassa.ReasonRejectedByTimeout, yookassa.ReasonPaymentBasketIDNotFound,
	yookassa.ReasonPaymentArticleNumberNotFound, yookassa.ReasonPaymentTruCodeNotFound,
	yookassa.ReasonTooManyRefundingArticles, yookassa.ReasonSomeArticlesAlreadyRefunded,
}

// CancelRefund cancels a pending refund with one of the spec's refund reasons. YooKassa sends
// no notification for it (there is no refund.canceled event); poll GetRefund.
func (s *Server) CancelRefund(id, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refunds[id]
	if !ok {
		return fmt.Errorf("yookassatest: cancel refund: refund %s not found", id)
	}
	if !oneOf(reason, refundReasons...) {
		return fmt.Errorf("yookassatest: cancel refund: %q is not a refund cancellation reason", reason)
	}
	if r.Status != string(yookassa.RefundPending) {
		return fmt.Errorf("yookassatest: cancel refund: refund %s is %s", id, r.Status)
	}
	s.payments[r.PaymentID].pending -= r.kopecks
	r.Status = string(yookassa.RefundCanceled)
	party := yookassa.PartyRefundNetwork
	if reason == yookassa.ReasonInsufficientFunds || reason == yookassa.ReasonYooMoneyAccountClosed {
		party = yookassa.PartyYooMoney
	}
	r.CancellationDetails = &cancellation{Party: party, Reason: reason}
	return nil
}

// RefundIDs lists the refunds the fake holds, oldest first.
func (s *Server) RefundIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedIDs(s.refunds, func(r *refund) time.Time { return r.created })
}

package yookassa

import (
	"context"
	"fmt"
	"time"
)

// RefundStatus is a refund's state: pending, then succeeded or canceled (both final). Only
// refund.succeeded is notified, so a pending refund must be polled with GetRefund.
type RefundStatus string

// Refund statuses (spec RefundStatus).
const (
	RefundPending   RefundStatus = "pending"
	RefundSucceeded RefundStatus = "succeeded"
	RefundCanceled  RefundStatus = "canceled"
)

// Final reports whether the status can no longer change.
func (s RefundStatus) Final() bool { return s == RefundSucceeded || s == RefundCanceled }

// RefundRequest returns money of a succeeded payment to the payer.
type RefundRequest struct {
	PaymentID   string            // required
	Amount      Amount            // positive, at most what is left of the payment
	Description string            // ≤ 250 characters
	Metadata    map[string]string // ≤ 16 keys
	Receipt     *Receipt          // needed for a partial refund when the shop sends 54-FZ receipts
}

type wireRefundRequest struct {
	PaymentID   string            `json:"payment_id"`
	Amount      Amount            `json:"amount"`
	Description string            `json:"description,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	Receipt     *Receipt          `json:"receipt,omitempty"`
}

// Refund is YooKassa's refund object.
type Refund struct {
	ID                  string               `json:"id"`
	PaymentID           string               `json:"payment_id"`
	Status              RefundStatus         `json:"status"`
	Amount              Amount               `json:"amount"`
	CreatedAt           time.Time            `json:"created_at"`
	Description         string               `json:"description,omitempty"`
	ReceiptRegistration string               `json:"receipt_registration,omitempty"`
	Metadata            map[string]string    `json:"metadata,omitempty"`
	CancellationDetails *CancellationDetails `json:"cancellation_details,omitempty"`
}

// RefundList is a page of refunds, newest first.
type RefundList struct {
	Items      []Refund `json:"items"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// CreateRefund refunds (part of) a succeeded payment (POST /refunds, shop credentials). key
// follows the same rules as CreatePayment's. The refund may come back pending: poll GetRefund.
// YooKassa's fee for the payment is not returned to the shop.
func (c *Client) CreateRefund(ctx context.Context, key string, req RefundRequest) (*Refund, error) {
	if _, err := objectPath("payments", req.PaymentID); err != nil {
		return nil, fmt.Errorf("yookassa: create refund: %w", err)
	}
	if err := checkPositive("amount", req.Amount); err != nil {
		return nil, fmt.Errorf("yookassa: create refund: %w", err)
	}
	if err := checkDescription("description", req.Description, maxRefundDescription); err != nil {
		return nil, fmt.Errorf("yookassa: create refund: %w", err)
	}
	if err := checkMetadata(req.Metadata); err != nil {
		return nil, fmt.Errorf("yookassa: create refund: %w", err)
	}
	if req.Receipt != nil {
		if err := req.Receipt.validate(); err != nil {
			return nil, fmt.Errorf("yookassa: create refund: %w", err)
		}
	}
	w := wireRefundRequest(req)
	var r Refund
	if err := c.post(ctx, c.shop, "/refunds", key, w, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// GetRefund returns the current state of a refund (GET /refunds/{id}).
func (c *Client) GetRefund(ctx context.Context, id string) (*Refund, error) {
	path, err := objectPath("refunds", id)
	if err != nil {
		return nil, fmt.Errorf("yookassa: get refund: %w", err)
	}
	var r Refund
	if err := c.get(ctx, c.shop, path, nil, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ListRefundsParams filters ListRefunds.
type ListRefundsParams struct {
	ListParams
	PaymentID string       // optional: refunds of one payment
	Status    RefundStatus // optional
}

// ListRefunds returns one page of refunds, newest first (GET /refunds). With PaymentID it
// tells whether a payment was already refunded before a refund is re-sent after the key's
// 24-hour window.
func (c *Client) ListRefunds(ctx context.Context, p ListRefundsParams) (*RefundList, error) {
	q, err := p.values()
	if err != nil {
		return nil, fmt.Errorf("yookassa: list refunds: %w", err)
	}
	if p.PaymentID != "" {
		q.Set("payment_id", p.PaymentID)
	}
	if p.Status != "" {
		q.Set("status", string(p.Status))
	}
	var l RefundList
	if err := c.get(ctx, c.shop, "/refunds", q, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

package yookassa

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Event is a notification event, "<object>.<status>".
type Event string

// Events YooKassa documents. Payment events come from the shop; payout events from the payout
// gateway (configured separately in the dashboard). There is no refund.canceled or
// payment.pending event.
const (
	EventPaymentWaitingForCapture Event = "payment.waiting_for_capture"
	EventPaymentSucceeded         Event = "payment.succeeded"
	EventPaymentCanceled          Event = "payment.canceled"
	EventRefundSucceeded          Event = "refund.succeeded"
	EventPayoutSucceeded          Event = "payout.succeeded"
	EventPayoutCanceled           Event = "payout.canceled"
	EventDealClosed               Event = "deal.closed"
	EventPaymentMethodActive      Event = "payment_method.active"
)

// ObjectType is the part before the dot: "payment", "refund", "payout"...
func (e Event) ObjectType() string {
	t, _, _ := strings.Cut(string(e), ".")
	return t
}

// MaxNotificationSize is the largest body ParseNotification accepts; the handler should read
// at most this much (http.MaxBytesReader).
const MaxNotificationSize = 1 << 20

// ErrInvalidNotification is wrapped by ParseNotification's errors.
var ErrInvalidNotification = errors.New("invalid notification")

// Notification is the little that fairdraw takes from an HTTP notification. Notifications carry
// no signature, so nothing in it is trusted: it only says which object to re-fetch (GetPayment,
// GetRefund, GetPayout) and the caller acts on the fetched status. Duplicates and out-of-order
// deliveries are normal.
type Notification struct {
	Event      Event
	ObjectType string // "payment", "refund", "payout"...
	ObjectID   string
	Status     string // the status the body claims; equals the event's suffix
	PaymentID  string // refund notifications: the refunded payment
}

// ParseNotification reads {"type":"notification","event":"payment.succeeded","object":{...}}.
// It checks the envelope, that the event is "<object>.<status>" and matches object.status, and
// that object.id is a plausible id; unknown fields are ignored, unknown events are returned as
// they are for the caller to ignore. Errors wrap ErrInvalidNotification.
func ParseNotification(body []byte) (*Notification, error) {
	if len(body) > MaxNotificationSize {
		return nil, fmt.Errorf("yookassa: %w: body of %d bytes is larger than %d", ErrInvalidNotification, len(body), MaxNotificationSize)
	}
	var w struct {
		Type   string `json:"type"`
		Event  string `json:"event"`
		Object *struct {
			ID        string `json:"id"`
			Status    string `json:"status"`
			PaymentID string `json:"payment_id"`
		} `json:"object"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("yookassa: %w: %v", ErrInvalidNotification, err)
	}
	if w.Type != "notification" {
		return nil, fmt.Errorf("yookassa: %w: type %q, want notification", ErrInvalidNotification, truncate(w.Type))
	}
	objType, status, ok := strings.Cut(w.Event, ".")
	if !ok || !isToken(objType) || !isToken(status) {
		return nil, fmt.Errorf("yookassa: %w: event %q", ErrInvalidNotification, truncate(w.Event))
	}
	if w.Object == nil {
		return nil, fmt.Errorf("yookassa: %w: no object", ErrInvalidNotification)
	}
	if !isObjectID(w.Object.ID) {
		return nil, fmt.Errorf("yookassa: %w: object id %q", ErrInvalidNotification, truncate(w.Object.ID))
	}
	if w.Object.Status != status {
		return nil, fmt.Errorf("yookassa: %w: event %s but object status %q", ErrInvalidNotification, w.Event, truncate(w.Object.Status))
	}
	n := &Notification{Event: Event(w.Event), ObjectType: objType, ObjectID: w.Object.ID, Status: status}
	if objType == "refund" {
		if !isObjectID(w.Object.PaymentID) {
			return nil, fmt.Errorf("yookassa: %w: refund without a payment id", ErrInvalidNotification)
		}
		n.PaymentID = w.Object.PaymentID
	}
	return n, nil
}

// isToken accepts lower-case words with underscores, like waiting_for_capture.
func isToken(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}

// isObjectID accepts YooKassa's ids: UUID-like strings, optionally prefixed ("po-..."), up to
// 50 characters of letters, digits and '-' or '_'.
func isObjectID(s string) bool {
	if s == "" || len(s) > 50 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

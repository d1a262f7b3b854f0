package yookassa_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

func TestParseNotification(t *testing.T) {
	vectors := []struct {
		file string
		want yookassa.Notification
	}{
		{"testdata/notification_waiting_for_capture.json", yookassa.Notification{Event: yookassa.EventPaymentWaitingForCapture,
			ObjectType: "payment", ObjectID: "22d6d597-000f-5000-9000-145f6df21d6f", Status: "waiting_for_capture"}},
		{"testdata/notification_succeeded.json", yookassa.Notification{Event: yookassa.EventPaymentSucceeded,
			ObjectType: "payment", ObjectID: "2e8dd95a-000f-5000-a000-1e3515f51c18", Status: "succeeded"}},
		{"testdata/notification_canceled.json", yookassa.Notification{Event: yookassa.EventPaymentCanceled,
			ObjectType: "payment", ObjectID: "2eb9abdb-000f-5000-9000-139584ca302e", Status: "canceled"}},
	}
	for _, v := range vectors {
		t.Run(v.file, func(t *testing.T) {
			body, err := os.ReadFile(v.file)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			n, err := yookassa.ParseNotification(body)
			if err != nil {
				t.Fatalf("ParseNotification: %v", err)
			}
			if diff := cmp.Diff(&v.want, n); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}

	ok := []struct {
		name string
		body string
		want yookassa.Notification
	}{
		{"refund carries its payment", `{"type":"notification","event":"refund.succeeded","object":{"id":"216749f7-0016-50be-b000-078d43a63ae4","status":"succeeded","payment_id":"216749da-000f-50be-b000-096747fad91e","amount":{"value":"1.00","currency":"RUB"}}}`,
			yookassa.Notification{Event: yookassa.EventRefundSucceeded, ObjectType: "refund", ObjectID: "216749f7-0016-50be-b000-078d43a63ae4",
				Status: "succeeded", PaymentID: "216749da-000f-50be-b000-096747fad91e"}},
		{"payout", `{"type":"notification","event":"payout.canceled","object":{"id":"po-285ec15d-0003-5000-a000-08d1bec7dade","status":"canceled"}}`,
			yookassa.Notification{Event: yookassa.EventPayoutCanceled, ObjectType: "payout", ObjectID: "po-285ec15d-0003-5000-a000-08d1bec7dade", Status: "canceled"}},
		{"unknown event is passed on", `{"type":"notification","event":"deal.closed","object":{"id":"dl-285ec15d-0003-5000-a000-08d1bec7dade","status":"closed"}}`,
			yookassa.Notification{Event: yookassa.EventDealClosed, ObjectType: "deal", ObjectID: "dl-285ec15d-0003-5000-a000-08d1bec7dade", Status: "closed"}},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			n, err := yookassa.ParseNotification([]byte(tc.body))
			if err != nil {
				t.Fatalf("ParseNotification: %v", err)
			}
			if diff := cmp.Diff(&tc.want, n); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}

	bad := []struct{ name, body string }{
		{"not json", `payment.succeeded`},
		{"empty", ``},
		{"array", `[]`},
		{"wrong type", `{"type":"payment","event":"payment.succeeded","object":{"id":"2e8dd95a-000f-5000-a000-1e3515f51c18","status":"succeeded"}}`},
		{"no event", `{"type":"notification","object":{"id":"2e8dd95a-000f-5000-a000-1e3515f51c18","status":"succeeded"}}`},
		{"event without dot", `{"type":"notification","event":"succeeded","object":{"id":"2e8dd95a-000f-5000-a000-1e3515f51c18","status":"succeeded"}}`},
		{"event with odd characters", `{"type":"notification","event":"payment.succeeded!","object":{"id":"2e8dd95a","status":"succeeded!"}}`},
		{"no object", `{"type":"notification","event":"payment.succeeded"}`},
		{"no id", `{"type":"notification","event":"payment.succeeded","object":{"status":"succeeded"}}`},
		{"id with a slash", `{"type":"notification","event":"payment.succeeded","object":{"id":"../payouts","status":"succeeded"}}`},
		{"id too long", `{"type":"notification","event":"payment.succeeded","object":{"id":"` + strings.Repeat("a", 51) + `","status":"succeeded"}}`},
		{"status does not match the event", `{"type":"notification","event":"payment.succeeded","object":{"id":"2e8dd95a-000f-5000-a000-1e3515f51c18","status":"pending"}}`},
		{"refund without payment id", `{"type":"notification","event":"refund.succeeded","object":{"id":"216749f7-0016-50be-b000-078d43a63ae4","status":"succeeded"}}`},
		{"too large", `{"type":"notification","pad":"` + strings.Repeat("x", yookassa.MaxNotificationSize) + `"}`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			n, err := yookassa.ParseNotification([]byte(tc.body))
			if err == nil {
				t.Fatalf("ParseNotification = %+v, want an error", n)
			}
			if !errors.Is(err, yookassa.ErrInvalidNotification) {
				t.Fatalf("error %v does not wrap ErrInvalidNotification", err)
			}
		})
	}
}

func TestEventObjectType(t *testing.T) {
	if got := yookassa.EventPaymentMethodActive.ObjectType(); got != "payment_method" {
		t.Fatalf("ObjectType = %q, want payment_method", got)
	}
}

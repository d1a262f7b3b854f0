package rubles

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// webhookTimeout bounds the one database write a notification costs.
const webhookTimeout = 5 * time.Second

// WebhookHandler handles YooKassa's HTTP notifications (mount it at POST /webhooks/yookassa;
// payment, refund and payout notifications may all come here).
//
// The sender's address (yookassa.ClientIP: forwarding headers only from Config.TrustedProxies)
// must be in Config.TrustedIPs, or the answer is 403 and nothing changes. A notification is
// trusted for nothing but the object it names: the handler queues a job that fetches that
// object from YooKassa and acts on the fetched status only, and answers 200 at once. Duplicate
// notifications queue duplicate jobs, which change nothing. A body that is not a notification
// is 400; a notification about another kind of object is acknowledged and ignored; a failure
// to queue is 500, so YooKassa delivers it again.
func (s *Service) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		ip := yookassa.ClientIP(r, s.proxies)
		if !s.trusted.Contains(ip) {
			s.log.Warn("yookassa notification from an untrusted address", slog.String("remote", ip.String()))
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, yookassa.MaxNotificationSize))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		n, err := yookassa.ParseNotification(body)
		if err != nil {
			s.log.Warn("bad yookassa notification", slog.String("remote", ip.String()), slog.Any("error", err))
			http.Error(w, "bad notification", http.StatusBadRequest)
			return
		}
		switch n.ObjectType {
		case objectPayment, objectRefund, objectPayout:
		default:
			w.WriteHeader(http.StatusOK)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), webhookTimeout)
		defer cancel()
		if _, err := s.jobs.Insert(ctx, NotificationArgs{Event: string(n.Event), ObjectType: n.ObjectType, ObjectID: n.ObjectID}, nil); err != nil {
			s.log.Error("queue yookassa notification", slog.String("event", string(n.Event)), slog.Any("error", err))
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// Object types of notifications this package acts on.
const (
	objectPayment = "payment"
	objectRefund  = "refund"
	objectPayout  = "payout"
)

// handleNotification fetches the object a notification named and acts on what YooKassa says.
func (s *Service) handleNotification(ctx context.Context, a NotificationArgs) error {
	switch a.ObjectType {
	case objectPayment:
		return s.syncPayment(ctx, a.ObjectID)
	case objectRefund:
		return s.syncRefund(ctx, a.ObjectID)
	case objectPayout:
		return s.syncPayout(ctx, a.ObjectID)
	}
	return errors.New("rubles: notification about " + a.ObjectType)
}

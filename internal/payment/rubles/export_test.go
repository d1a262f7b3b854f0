package rubles

import "context"

// SyncPaymentForTest runs what the notification job runs for a payment, for benchmarks.
func SyncPaymentForTest(s *Service, ctx context.Context, yookassaID string) error {
	return s.syncPayment(ctx, yookassaID)
}

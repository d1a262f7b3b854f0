package rubles_test

import (
	"testing"

	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// TestPayoutDestinationPurgedWhenFinal: while a payout can still be sent, its destination is
// kept (a repeated request must have the same body); once it succeeded or was canceled the
// database keeps only the last four digits, and the user's history still shows them.
func TestPayoutDestinationPurgedWhenFinal(t *testing.T) {
	e := setup(t, envOptions{})
	for _, tc := range []struct {
		name  string
		user  int64
		req   rubles.PayoutRequest
		final func(id string) error
		want  string
	}{
		{"succeeded by SBP", 801, rubles.PayoutRequest{Method: yookassa.PayoutSBP, Phone: "+7 900 111-22-33", BankID: sbpBank},
			e.yk.SucceedPayout, "succeeded"},
		{"canceled by SBP", 802, rubles.PayoutRequest{Method: yookassa.PayoutSBP, Phone: "+7 900 444-55-66", BankID: sbpBank},
			func(id string) error { return e.yk.CancelPayout(id, yookassa.ReasonGeneralDecline) }, "canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.grant(t, tc.user, 10_00)
			tc.req.UserID, tc.req.Amount = tc.user, 10_00
			p, err := e.svc.RequestPayout(t.Context(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			pending := e.waitPayout(t, p.ID, "pending")
			if pending.Phone == "" || pending.DestinationPurgedAt != nil {
				t.Fatalf("a pending payout lost its destination: %+v", pending)
			}
			if err := tc.final(pending.YookassaID.String); err != nil {
				t.Fatal(err)
			}
			row := e.waitPayout(t, p.ID, tc.want)
			if row.Phone != "" || row.AccountNumber != "" || row.PayoutToken != "" || row.DestinationPurgedAt == nil ||
				row.DestinationTail != pending.Phone[len(pending.Phone)-4:] {
				t.Fatalf("final payout kept %+v", row)
			}
			list, err := e.svc.Payouts(t.Context(), tc.user, 10)
			if err != nil || len(list) != 1 || list[0].Destination != "•••"+row.DestinationTail {
				t.Fatalf("history %+v %v", list, err)
			}
		})
	}
	// A final payout cannot be given a destination again, whatever writes it.
	if _, err := e.b.Pool.Exec(t.Context(), `UPDATE rub_payouts SET phone = '79001112233' WHERE status = 'succeeded'`); err == nil {
		t.Fatal("a purged payout took a phone number again")
	}
}

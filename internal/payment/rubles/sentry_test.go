package rubles_test

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/fairdraw/fairdraw/internal/obs/sentrytest"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// TestFailedPayoutReachesSentry: a payout YooKassa cancels reaches Sentry with the user and the
// payout, and never with the destination (the phone number).
func TestFailedPayoutReachesSentry(t *testing.T) {
	var logger *slog.Logger
	var tr *sentrytest.Transport
	e := setup(t, envOptions{cfg: func(c *rubles.Config) {
		logger, tr = sentrytest.Init(t, slog.New(slog.DiscardHandler))
		c.Logger = logger
	}})
	const user = 777
	e.grant(t, user, 50_00)
	p, err := e.svc.RequestPayout(t.Context(), rubles.PayoutRequest{UserID: user, Amount: 50_00, Method: yookassa.PayoutSBP,
		Phone: "+7 900 555-12-34", BankID: sbpBank})
	if err != nil {
		t.Fatal(err)
	}
	row := e.waitPayout(t, p.ID, "pending")
	if err := e.yk.CancelPayout(row.YookassaID.String, yookassa.ReasonRecipientNotFound); err != nil {
		t.Fatal(err)
	}
	e.waitPayout(t, p.ID, "canceled")
	ev := tr.Find("payout canceled")
	if ev == nil {
		t.Fatalf("no Sentry event among %d", len(tr.Events()))
	}
	if ev.User.ID != "777" || ev.Tags["payout_id"] == "" || ev.Contexts["log"]["reason"] != yookassa.ReasonRecipientNotFound {
		t.Fatalf("event tags %v user %+v context %v", ev.Tags, ev.User, ev.Contexts["log"])
	}
	for _, ev := range tr.Events() {
		for _, s := range []string{"555-12-34", "79005551234", "9005551234"} {
			if strings.Contains(ev.Message+ev.Tags["detail"]+strings.Join(mapValues(ev.Contexts["log"]), " "), s) {
				t.Fatalf("the payout's phone reached Sentry in %q", ev.Message)
			}
		}
	}
}

func mapValues(m map[string]any) []string {
	var out []string
	for _, v := range m {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

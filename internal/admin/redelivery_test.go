package admin_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
)

// TestAdminActionDeliveredTwice: the reply to a confirmed action fails in a way worth retrying
// (Telegram's front end answers 502), so the bot gives the update back and handles the same
// press again. The action takes effect once, with one audit row, and the admin ends up seeing
// the draw as the action left it (a pause or resume finds the draw already so and changes
// nothing; a cancel finds it cancelled and says so).
func TestAdminActionDeliveredTwice(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := organiser
	for _, tc := range []struct {
		act    string
		before func(d raffle.Draw) // brings the draw to where the action applies
		action string              // its audit row
		note   string              // on the card at the end
		check  func(t *testing.T, d raffle.Draw)
	}{
		{act: "pause", action: "raffle.pause", note: "остановлен", check: func(t *testing.T, d raffle.Draw) {
			if !d.EntriesPaused {
				t.Fatalf("draw %d not paused", d.ID)
			}
		}},
		{act: "resume", action: "raffle.pause", note: "возобновлён", before: func(d raffle.Draw) {
			if err := f.rt.Svc.SetPaused(t.Context(), d.ID, true, "cli"); err != nil {
				t.Fatal(err)
			}
		}, check: func(t *testing.T, d raffle.Draw) {
			if d.EntriesPaused {
				t.Fatalf("draw %d still paused", d.ID)
			}
		}},
		{act: "cancel", action: "raffle.cancel", note: "отменён", check: func(t *testing.T, d raffle.Draw) {
			f.rt.WaitStatus(t, d.ID, raffle.StatusRefunded)
		}},
	} {
		t.Run(tc.act, func(t *testing.T) {
			d := f.createDraw(t, func(p *raffle.Params) { p.Title = "Повтор " + tc.act })
			f.enter(t, user(810), d)
			if tc.before != nil {
				tc.before(d)
			}
			f.say(t, a, "/admin")
			f.click(t, a, "adm:open")
			f.click(t, a, fmt.Sprintf("adm:draw:%d", d.ID))
			f.click(t, a, fmt.Sprintf("adm:ask:%s:%d", tc.act, d.ID))
			audits := func() int {
				return f.rt.Count(t, "SELECT count(*) FROM audit_log WHERE action = $1 AND actor = 'admin:900' AND raffle_id = $2", tc.action, d.ID)
			}
			f.tg.FailNext("editMessageText", 1, http.StatusBadGateway)
			f.click(t, a, fmt.Sprintf("adm:do:%s:%d", tc.act, d.ID))
			// The first delivery failed after the action; the same update comes again and
			// its reply gets through.
			raffletest.WaitFor(t, "the card after the action", func() bool {
				for _, m := range f.botMessages(a.ID) {
					if strings.Contains(m.Text, tc.note) && strings.Contains(m.Text, fmt.Sprintf("Розыгрыш #%d «", d.ID)) {
						return true
					}
				}
				return false
			})
			got, err := f.rt.Svc.Get(t.Context(), d.ID)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
			if n := audits(); n != 1 {
				t.Fatalf("%d %s rows by the admin for one press, want 1", n, tc.action)
			}
		})
	}
	f.rt.LedgerOK(t)
	f.audited(t)
}

package ops_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/ops"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var _ river.Worker[ops.StarsReserveArgs] = (*ops.StarsReserveWorker)(nil)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// starsEnv is a bot with a Stars history in the Telegram fake, on a clock the test moves.
type starsEnv struct {
	tg     *telegramtest.Server
	api    *telego.Bot
	clock  *telegramtest.Clock
	pool   *pgxpool.Pool
	offset int
}

func newStarsEnv(t *testing.T) *starsEnv {
	t.Helper()
	clock := telegramtest.NewClock(t0)
	tg := telegramtest.NewServer(t, telegramtest.Config{Now: clock.Now})
	api, err := telegram.NewBot(tg.Token(), tg.URL(), tg.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &starsEnv{tg: tg, api: api, clock: clock, pool: dbtest.NewDB(t)}
}

// pay has user pay amount Stars to the bot now, the bot approving the pre-checkout.
func (e *starsEnv) pay(t *testing.T, userID int64, amount int) string {
	t.Helper()
	ctx := t.Context()
	u := telegramtest.User{ID: userID, FirstName: fmt.Sprintf("P%d", userID)}
	e.tg.AddUser(u)
	sent, err := e.api.SendInvoice(ctx, &telego.SendInvoiceParams{ChatID: telego.ChatID{ID: userID}, Title: "Entry", Description: "Entry",
		Payload: "p", Currency: "XTR", Prices: []telego.LabeledPrice{{Label: "Entry", Amount: amount}}})
	if err != nil {
		t.Fatal(err)
	}
	var inv telegramtest.Message
	for _, m := range e.tg.Messages(userID) {
		if int(m.MessageID) == sent.MessageID {
			inv = m
		}
	}
	type result struct {
		charge string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		c, err := e.tg.PayInvoice(ctx, u, inv)
		done <- result{c, err}
	}()
	for answered := false; !answered; {
		ups, err := e.api.GetUpdates(ctx, &telego.GetUpdatesParams{Offset: e.offset, Timeout: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, up := range ups {
			e.offset = up.UpdateID + 1
			if pq := up.PreCheckoutQuery; pq != nil {
				if err := e.api.AnswerPreCheckoutQuery(ctx, &telego.AnswerPreCheckoutQueryParams{PreCheckoutQueryID: pq.ID, Ok: true}); err != nil {
					t.Fatal(err)
				}
				answered = true
			}
		}
	}
	r := <-done
	if r.err != nil {
		t.Fatalf("pay %d: %v", amount, r.err)
	}
	return r.charge
}

// credit puts amount on account from the outside world, as payments and prizes would.
func credit(t *testing.T, pool *pgxpool.Pool, account string, amount int64) {
	t.Helper()
	cur, err := ledger.CurrencyOf(account)
	if err != nil {
		t.Fatal(err)
	}
	from := ledger.TelegramClearing
	if cur == ledger.RUB {
		from = ledger.YooKassaClearing
	}
	err = db.InTx(t.Context(), pool, func(tx pgx.Tx) error {
		_, err := ledger.Post(t.Context(), tx, ledger.Transfer("test:"+account, "test", from, account, amount))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// offsets are the offsets of the getStarTransactions calls after the first skip calls.
func offsets(t *testing.T, tg *telegramtest.Server, skip int) []int {
	t.Helper()
	var out []int
	for _, c := range tg.Calls("getStarTransactions")[skip:] {
		var p struct {
			Offset int `json:"offset"`
		}
		if err := c.Decode(&p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Offset)
	}
	return out
}

// TestStarsReserveFigures: the balance from getMyStarBalance, the Stars of the last 21 days
// from every page of getStarTransactions (less refunds of those payments, not counting an
// owner's withdrawal), what users hold from the ledger; as time passes payments mature, and
// the history already known to be old is not read again.
func TestStarsReserveFigures(t *testing.T) {
	e := newStarsEnv(t)
	e.pay(t, 1, 100) // t0: matures at t0+21d
	e.clock.Advance(20 * 24 * time.Hour)
	e.pay(t, 2, 50)
	refunded := e.pay(t, 3, 30)
	if err := e.api.RefundStarPayment(t.Context(), &telego.RefundStarPaymentParams{UserID: 3, TelegramPaymentChargeID: refunded}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(5 * 24 * time.Hour)
	if err := e.tg.Withdraw(20); err != nil {
		t.Fatal(err)
	}
	credit(t, e.pool, "user:1:XTR", 60)
	credit(t, e.pool, "user:2:XTR", 30)
	credit(t, e.pool, "user:2:held:XTR", 10)
	credit(t, e.pool, "user:1:RUB", 5000)
	credit(t, e.pool, "draw:1:pool:XTR", 15)
	credit(t, e.pool, "platform:refunds:XTR", 5)

	r := &ops.StarsReserve{Pool: e.pool, Stars: e.api, Now: e.clock.Now, PageSize: 2,
		Threshold: func(context.Context) (int64, error) { return 50, nil }}
	// Five transactions: pay 100 (t0), pay 50, pay 30, refund 30 (t0+20d), withdraw 20 (t0+25d).
	for _, tc := range []struct {
		name     string
		advance  time.Duration
		immature int64
		offsets  []int
	}{
		{"25 days on: the first payment matured, the refunded one never counts", 0, 50, []int{0, 2, 4}},
		{"35 days on: the old payment is not read again", 10 * 24 * time.Hour, 50, []int{1, 3, 5}},
		{"45 days on: everything matured", 10 * 24 * time.Hour, 0, []int{1, 3, 5}},
		{"46 days on: only the withdrawal is left to read", 24 * time.Hour, 0, []int{4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.Advance(tc.advance)
			calls := len(e.tg.Calls("getStarTransactions"))
			got, err := r.Figures(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			want := ops.ReserveFigures{Balance: 130, Immature: tc.immature, Owed: 100, Pools: 15, Refunds: 5, Threshold: 50, At: e.clock.Now()}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("figures (-want +got):\n%s", diff)
			}
			if got.Spare() != 30 || !got.Low() {
				t.Fatalf("spare %d, low %v", got.Spare(), got.Low())
			}
			if diff := cmp.Diff(tc.offsets, offsets(t, e.tg, calls)); diff != "" {
				t.Fatalf("pages read (-want +got):\n%s", diff)
			}
		})
	}
	if v := e.tg.Violations(); len(v) > 0 {
		t.Fatalf("spec violations: %v", v)
	}
}

type alert struct {
	event, key string
	args       map[string]string
}

type recordingAlerter struct{ alerts []alert }

func (a *recordingAlerter) Alert(_ context.Context, event, key string, args map[string]i18n.Arg) error {
	shown := map[string]string{}
	for k, v := range args {
		shown[k] = v.String(i18n.EN)
	}
	a.alerts = append(a.alerts, alert{event, key, shown})
	return nil
}

// TestStarsReserveWorkerAlerts: admins hear of a reserve below its threshold, and only then.
func TestStarsReserveWorkerAlerts(t *testing.T) {
	e := newStarsEnv(t)
	e.pay(t, 1, 500)
	credit(t, e.pool, "user:1:XTR", 400)
	for _, tc := range []struct {
		name      string
		threshold int64
		want      []alert
	}{
		{"spare above the threshold", 50, nil},
		{"spare exactly at the threshold", 100, nil},
		{"spare below the threshold", 101, []alert{{"stars-reserve:7", "admin.alert_reserve", map[string]string{
			"balance": "500 ⭐", "owed": "400 ⭐", "spare": "100 ⭐", "threshold": "101 ⭐", "immature": "500 ⭐"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := &recordingAlerter{}
			w := &ops.StarsReserveWorker{Alerter: a, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Reserve: &ops.StarsReserve{
				Pool: e.pool, Stars: e.api, Now: e.clock.Now, Threshold: func(context.Context) (int64, error) { return tc.threshold, nil }}}
			if err := w.Work(t.Context(), &river.Job[ops.StarsReserveArgs]{JobRow: &rivertype.JobRow{ID: 7}}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, a.alerts, cmp.AllowUnexported(alert{})); diff != "" {
				t.Fatalf("alerts (-want +got):\n%s", diff)
			}
		})
	}
	// The default threshold is 3000 Stars.
	r := &ops.StarsReserve{Pool: e.pool, Stars: e.api, Now: e.clock.Now}
	f, err := r.Figures(t.Context())
	if err != nil || f.Threshold != ops.DefaultReserveThreshold || !f.Low() {
		t.Fatalf("default threshold: %+v, %v", f, err)
	}
	// The alert text exists in both languages.
	for _, l := range []string{i18n.RU, i18n.EN} {
		if got := i18n.T(l, "admin.alert_reserve"); got == "admin.alert_reserve" {
			t.Fatalf("no %s text for the reserve alert", l)
		}
	}
}

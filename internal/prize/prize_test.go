package prize_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mymmrac/telego"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/prize"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const admin = 900

var (
	alice = telegramtest.User{ID: 1111111, FirstName: "Alice", LanguageCode: "ru"}
	rose  = telegramtest.NewGift("5168103777563050263", "🌹", 50, 0)
	heart = telegramtest.NewGift("5170145012310081615", "💝", 15, 0)
	bear  = telegramtest.NewGift("5170233102089322756", "🧸", 100, 0)
)

type env struct {
	b   *raffletest.Bundle
	tg  *telegramtest.Server
	api *telego.Bot
	svc *prize.Service
}

// setup runs the draw service, the fake Telegram with a gift catalogue, and the prize service
// with its workers; start false leaves River stopped, for tests that run deliveries by hand.
func setup(t testing.TB, start bool) *env {
	t.Helper()
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	tg.AddUser(alice)
	tg.SetGifts(heart, rose, bear)
	api, err := telegram.NewBot(tg.Token(), tg.URL(), tg.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b := raffletest.Setup(t, raffletest.Options{NoStart: true, Admins: []int64{admin}})
	svc := prize.New(prize.Config{Pool: b.Pool, Jobs: b.Jobs, API: api, Logger: b.Logger, Alerter: b.Alerter})
	svc.Register(b.Workers)
	if start {
		b.Start()
	}
	return &env{b: b, tg: tg, api: api, svc: svc}
}

// win makes user the only winner of a Stars draw whose prize is amount: they pay amount for the
// entry through Telegram, the draw is forced and settled with no commission.
func (e *env) win(t *testing.T, user telegramtest.User, amount int64) {
	t.Helper()
	e.winDraw(t, user, amount, raffle.PrizeBalance)
}

func (e *env) winDraw(t *testing.T, user telegramtest.User, amount int64, mode string) raffle.Draw {
	t.Helper()
	d, err := e.b.Svc.Create(t.Context(), raffle.Params{Title: "Prize", Currency: "XTR", Fee: amount, Min: 1, Winners: 1,
		Deadline: e.b.Clock.Now().Add(24 * time.Hour), Source: raffle.SourceRandomOrg, Prize: mode}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	charge := e.tg.PayStars(user, amount, fmt.Sprintf("fd1:%d:%d:%d", d.ID, user.ID, amount))
	e.b.Pay(t, d, user.ID, charge)
	if err := e.b.Svc.ForceDraw(t.Context(), d.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	return e.b.WaitStatus(t, d.ID, raffle.StatusSettled)
}

func (e *env) balance(t *testing.T, user int64) int64 {
	return e.b.Balance(t, ledger.UserAccount(user, ledger.XTR))
}

func (e *env) held(t *testing.T, user int64) int64 {
	return e.b.Balance(t, ledger.UserHeldAccount(user, ledger.XTR))
}

func purchases(tg *telegramtest.Server) (gifts, premium int) {
	for _, tx := range tg.StarTransactions() {
		if tx.Receiver != nil && tx.Receiver.Type == "user" {
			switch tx.Receiver.TransactionType {
			case "gift_purchase":
				gifts++
			case "premium_purchase":
				premium++
			}
		}
	}
	return gifts, premium
}

func (e *env) status(t *testing.T, id int64) string {
	t.Helper()
	var s string
	if err := e.b.Pool.QueryRow(t.Context(), "SELECT status FROM star_redemptions WHERE id = $1", id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *env) waitStatus(t *testing.T, id int64, want string) {
	t.Helper()
	raffletest.WaitFor(t, "redemption "+want, func() bool { return e.status(t, id) == want })
}

// sentTo reports whether a message whose text contains part went to chat.
func (e *env) sentTo(chat int64, part string) bool {
	for _, m := range e.b.Sent.To(chat) {
		if strings.Contains(m.Text, part) {
			return true
		}
	}
	return false
}

func giftRequest(user int64, g telegramtest.Gift, key string) prize.Request {
	return prize.Request{UserID: user, Kind: prize.KindGift, GiftID: g.ID, Price: g.StarCount, Key: key}
}

// TestWinnerRedeemsAGift: a Stars winner of 85 redeems a 50-Star gift: balance 35, the bot's
// balance 50 lower, one gift_purchase, the ledger clean and reconciled with Telegram.
func TestWinnerRedeemsAGift(t *testing.T) {
	e := setup(t, true)
	e.win(t, alice, 85)
	if got := e.balance(t, alice.ID); got != 85 {
		t.Fatalf("balance after the win %d, want 85", got)
	}
	before := e.tg.StarBalance()
	red, created, err := e.svc.Redeem(t.Context(), giftRequest(alice.ID, rose, "test:1"))
	if err != nil || !created {
		t.Fatalf("redeem: %v %v", created, err)
	}
	e.waitStatus(t, red.ID, prize.StatusSent)
	if got := e.balance(t, alice.ID); got != 35 {
		t.Fatalf("balance %d, want 35", got)
	}
	if got := e.held(t, alice.ID); got != 0 {
		t.Fatalf("held %d, want 0", got)
	}
	if got := e.tg.StarBalance(); got != before-50 {
		t.Fatalf("bot balance %d, want %d", got, before-50)
	}
	if g, p := purchases(e.tg); g != 1 || p != 0 {
		t.Fatalf("%d gift purchases and %d premium, want 1 and 0", g, p)
	}
	sent := e.tg.SentGifts()
	if len(sent) != 1 || sent[0].UserID != alice.ID || sent[0].GiftID != rose.ID || sent[0].Text == "" {
		t.Fatalf("sent gifts %+v", sent)
	}
	e.b.LedgerOK(t)
	rep, err := prize.Reconcile(t.Context(), e.b.Pool, e.api)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Mismatches) != 0 || rep.Matched != 2 {
		t.Fatalf("reconcile: %+v", rep)
	}
	raffletest.WaitFor(t, "the user is told", func() bool { return e.sentTo(alice.ID, "🌹") && e.sentTo(alice.ID, "35 ⭐") })
}

func TestPremiumFromTheBalance(t *testing.T) {
	e := setup(t, true)
	e.win(t, alice, 1200)
	red, _, err := e.svc.Redeem(t.Context(), prize.Request{UserID: alice.ID, Kind: prize.KindPremium, Months: 3, Price: 1000, Key: "test:p"})
	if err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, red.ID, prize.StatusSent)
	if got := e.balance(t, alice.ID); got != 200 {
		t.Fatalf("balance %d, want 200", got)
	}
	if g, p := purchases(e.tg); g != 0 || p != 1 {
		t.Fatalf("%d gift purchases and %d premium, want 0 and 1", g, p)
	}
	e.b.LedgerOK(t)
}

// TestDoublePressMakesOneGift: the same request many times at once, and again later, makes one
// redemption, one debit, one gift; another request while it is on its way is refused.
func TestDoublePressMakesOneGift(t *testing.T) {
	e := setup(t, true)
	e.win(t, alice, 85)
	var wg sync.WaitGroup
	ids := make(chan int64, 8)
	for range 8 {
		wg.Go(func() {
			red, _, err := e.svc.Redeem(context.Background(), giftRequest(alice.ID, rose, "tg:press:77"))
			if err != nil {
				t.Errorf("redeem: %v", err)
				return
			}
			ids <- red.ID
		})
	}
	wg.Wait()
	close(ids)
	var first int64
	for id := range ids {
		if first == 0 {
			first = id
		}
		if id != first {
			t.Fatalf("two redemptions %d and %d for one request", first, id)
		}
	}
	e.waitStatus(t, first, prize.StatusSent)
	// A redelivered press after the gift went: the same redemption, nothing more.
	red, created, err := e.svc.Redeem(t.Context(), giftRequest(alice.ID, rose, "tg:press:77"))
	if err != nil || created || red.ID != first {
		t.Fatalf("repeat: %+v %v %v", red, created, err)
	}
	if got := e.balance(t, alice.ID); got != 35 {
		t.Fatalf("balance %d, want 35", got)
	}
	if g, _ := purchases(e.tg); g != 1 || len(e.tg.SentGifts()) != 1 {
		t.Fatalf("%d gift purchases, want 1", g)
	}
	if n := e.b.Count(t, "SELECT count(*) FROM star_redemptions"); n != 1 {
		t.Fatalf("%d redemptions", n)
	}
	e.b.LedgerOK(t)
}

func TestAnotherRequestWhileOneIsOnItsWay(t *testing.T) {
	e := setup(t, false) // River stopped: the first stays on its way
	e.win0(t, alice, 100)
	if _, _, err := e.svc.Redeem(t.Context(), giftRequest(alice.ID, heart, "a")); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.svc.Redeem(t.Context(), giftRequest(alice.ID, heart, "b"))
	if !errors.Is(err, prize.ErrBusy) {
		t.Fatalf("second request: %v, want ErrBusy", err)
	}
	if got, held := e.balance(t, alice.ID), e.held(t, alice.ID); got != 85 || held != 15 {
		t.Fatalf("balance %d held %d, want 85 and 15", got, held)
	}
}

// win0 credits a prize without running River: the draw's settlement is run by hand.
func (e *env) win0(t *testing.T, user telegramtest.User, amount int64) {
	t.Helper()
	e.b.Start()
	e.win(t, user, amount)
	e.b.Stop()
}

// timeoutAfter lets requests of one method reach Telegram and then fails them, as a connection
// lost before the answer arrives.
type timeoutAfter struct {
	next   http.RoundTripper
	method string
}

func (rt timeoutAfter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := rt.next.RoundTrip(r)
	if err == nil && strings.HasSuffix(r.URL.Path, "/"+rt.method) {
		resp.Body.Close()
		return nil, errors.New("net/http: timeout awaiting response headers")
	}
	return resp, err
}

// TestCrashAfterTelegramSentTheGift: sendGift succeeds at Telegram but the answer is lost (or
// the process dies before recording it). The next run finds the purchase in
// getStarTransactions and never calls again: one gift, one debit.
func TestCrashAfterTelegramSentTheGift(t *testing.T) {
	for _, method := range []string{"sendGift", "giftPremiumSubscription"} {
		t.Run(method, func(t *testing.T) {
			e := setup(t, false)
			e.win0(t, alice, 1100)
			lossy, err := telegram.NewBot(e.tg.Token(), e.tg.URL(), &http.Client{Transport: timeoutAfter{next: e.tg.Client().Transport, method: method}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			crashing := prize.New(prize.Config{Pool: e.b.Pool, Jobs: e.b.Jobs, API: lossy, Alerter: e.b.Alerter})
			req := giftRequest(alice.ID, rose, "k")
			want := int64(1050)
			if method == "giftPremiumSubscription" {
				req = prize.Request{UserID: alice.ID, Kind: prize.KindPremium, Months: 3, Price: 1000, Key: "k"}
				want = 100
			}
			red, _, err := crashing.Redeem(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if err := crashing.Deliver(t.Context(), red.ID); err == nil {
				t.Fatal("delivery with the answer lost reported success")
			}
			if s := e.status(t, red.ID); s != prize.StatusCalling {
				t.Fatalf("status %s after a lost answer, want calling", s)
			}
			// A restart: the healthy service (and again, as a redelivered job would).
			for range 2 {
				if err := e.svc.Deliver(t.Context(), red.ID); err != nil {
					t.Fatal(err)
				}
			}
			if s := e.status(t, red.ID); s != prize.StatusSent {
				t.Fatalf("status %s, want sent", s)
			}
			if n := len(e.tg.SentGifts()); n != 1 {
				t.Fatalf("%d purchases at Telegram, want 1", n)
			}
			if got := e.balance(t, alice.ID); got != 1100-red.Price || e.held(t, alice.ID) != 0 {
				t.Fatalf("balance %d held %d", got, e.held(t, alice.ID))
			}
			if got := e.tg.StarBalance(); got != want {
				t.Fatalf("bot balance %d, want %d", got, want)
			}
			e.b.LedgerOK(t)
		})
	}
}

// TestReserveTooLowWaitsForATopUp: the bot cannot pay; the claim waits with the Stars held, the
// user and the admin are told, and once the reserve is topped up the gift goes.
func TestReserveTooLowWaitsForATopUp(t *testing.T) {
	e := setup(t, true)
	e.win(t, alice, 85)
	if err := e.tg.Withdraw(80); err != nil { // the owner took the Stars out through Fragment
		t.Fatal(err)
	}
	red, _, err := e.svc.Redeem(t.Context(), giftRequest(alice.ID, rose, "k"))
	if err != nil {
		t.Fatal(err)
	}
	e.waitStatus(t, red.ID, prize.StatusWaiting)
	if got, held := e.balance(t, alice.ID), e.held(t, alice.ID); got != 35 || held != 50 {
		t.Fatalf("balance %d held %d, want 35 and 50", got, held)
	}
	raffletest.WaitFor(t, "admin alert", func() bool { return e.sentTo(admin, "BALANCE_TOO_LOW") })
	raffletest.WaitFor(t, "user told", func() bool { return e.sentTo(alice.ID, "не пропадут") })
	// Retrying without a top-up changes nothing and tells nobody twice.
	if err := e.svc.Deliver(t.Context(), red.ID); err != nil {
		t.Fatal(err)
	}
	if s := e.status(t, red.ID); s != prize.StatusWaiting || len(e.tg.SentGifts()) != 0 {
		t.Fatalf("status %s, %d gifts", s, len(e.tg.SentGifts()))
	}
	e.tg.AddStars(500)
	if n, err := e.svc.RetryUnfinished(t.Context()); err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	e.waitStatus(t, red.ID, prize.StatusSent)
	if got, held := e.balance(t, alice.ID), e.held(t, alice.ID); got != 35 || held != 0 {
		t.Fatalf("balance %d held %d, want 35 and 0", got, held)
	}
	if n := len(e.tg.SentGifts()); n != 1 {
		t.Fatalf("%d gifts", n)
	}
	e.b.LedgerOK(t)
	alerts := 0
	for _, m := range e.b.Sent.To(admin) {
		if strings.Contains(m.Text, "BALANCE_TOO_LOW") {
			alerts++
		}
	}
	if alerts != 1 {
		t.Fatalf("%d alerts, want 1", alerts)
	}
}

// TestSoldOutGiftGivesTheStarsBack: the gift sells out between the choice and the purchase.
func TestSoldOutGiftGivesTheStarsBack(t *testing.T) {
	e := setup(t, false)
	e.win0(t, alice, 85)
	limited := telegramtest.NewGift("5170521118301225164", "💎", 60, 1)
	e.tg.SetGifts(limited)
	red, _, err := e.svc.Redeem(t.Context(), giftRequest(alice.ID, limited, "k"))
	if err != nil {
		t.Fatal(err)
	}
	limited.RemainingCount, limited.PersonalRemainingCount = 0, 0
	e.tg.SetGifts(limited)
	if err := e.svc.Deliver(t.Context(), red.ID); err != nil {
		t.Fatal(err)
	}
	if s := e.status(t, red.ID); s != prize.StatusReleased {
		t.Fatalf("status %s, want released", s)
	}
	if got, held := e.balance(t, alice.ID), e.held(t, alice.ID); got != 85 || held != 0 {
		t.Fatalf("balance %d held %d, want 85 and 0", got, held)
	}
	e.b.LedgerOK(t)
}

// TestBadRequestsMoveNothing: a gift not in the catalogue, a price that is not the price, more
// than the balance, a Premium duration Telegram does not sell.
func TestBadRequestsMoveNothing(t *testing.T) {
	e := setup(t, false)
	e.win0(t, alice, 85)
	soldOut := telegramtest.NewGift("5170690322832818290", "🎂", 20, 5)
	soldOut.RemainingCount = 0
	e.tg.SetGifts(heart, rose, bear, soldOut)
	tests := []struct {
		name string
		req  prize.Request
		want error
	}{
		{"gift not in the catalogue", prize.Request{UserID: alice.ID, Kind: prize.KindGift, GiftID: "123", Price: 15, Key: "a"}, prize.ErrUnknownGift},
		{"sold-out gift", giftRequest(alice.ID, soldOut, "b"), prize.ErrUnknownGift},
		{"stale price", prize.Request{UserID: alice.ID, Kind: prize.KindGift, GiftID: rose.ID, Price: 5, Key: "c"}, prize.ErrPriceChanged},
		{"over the balance", giftRequest(alice.ID, bear, "d"), prize.ErrInsufficientFunds},
		{"premium over the balance", prize.Request{UserID: alice.ID, Kind: prize.KindPremium, Months: 3, Price: 1000, Key: "e"}, prize.ErrInsufficientFunds},
		{"premium of 1 month", prize.Request{UserID: alice.ID, Kind: prize.KindPremium, Months: 1, Price: 1000, Key: "f"}, prize.ErrInvalid},
		{"premium at the wrong price", prize.Request{UserID: alice.ID, Kind: prize.KindPremium, Months: 6, Price: 1000, Key: "g"}, prize.ErrPriceChanged},
		{"no key", prize.Request{UserID: alice.ID, Kind: prize.KindGift, GiftID: rose.ID, Price: 50}, prize.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.svc.Redeem(t.Context(), tc.req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if got, held := e.balance(t, alice.ID), e.held(t, alice.ID); got != 85 || held != 0 {
				t.Fatalf("balance %d held %d after a refusal", got, held)
			}
			if n := e.b.Count(t, "SELECT count(*) FROM star_redemptions"); n != 0 {
				t.Fatalf("%d redemptions after a refusal", n)
			}
		})
	}
}

func TestCatalogueHidesSoldOutAndSortsByPrice(t *testing.T) {
	e := setup(t, false)
	gone := telegramtest.NewGift("1", "🎂", 5, 3)
	gone.RemainingCount = 0
	e.tg.SetGifts(bear, gone, heart, rose)
	gifts, premium, err := e.svc.Affordable(t.Context(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range gifts {
		got = append(got, fmt.Sprintf("%s=%d", g.Emoji, g.Stars))
	}
	if strings.Join(got, " ") != "💝=15 🌹=50 🧸=100" || len(premium) != 1 || premium[0].Months != 3 {
		t.Fatalf("affordable: %v %+v", got, premium)
	}
}

// TestDrawWithGiftPrizePaysByGift: a draw created with the gift prize sends each winner the most
// valuable gift the prize covers, the rest on the balance; with the premium prize, the longest
// Premium it covers.
func TestDrawWithGiftPrizePaysByGift(t *testing.T) {
	tests := []struct {
		mode         string
		prize        int64
		wantBalance  int64
		wantGift     string
		wantMonths   int64
		wantBotSpent int64
	}{
		{raffle.PrizeGift, 85, 35, rose.ID, 0, 50},
		{raffle.PrizeGift, 10, 10, "", 0, 0}, // too small for any gift: it stays on the balance
		{raffle.PrizePremium, 1600, 100, "", 6, 1500},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s %d", tc.mode, tc.prize), func(t *testing.T) {
			e := setup(t, true)
			d := e.winDraw(t, alice, tc.prize, tc.mode)
			if d.Prize != tc.mode {
				t.Fatalf("draw prize %q", d.Prize)
			}
			if tc.wantBotSpent == 0 {
				raffletest.WaitFor(t, "the delivery job", func() bool {
					return e.b.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'prize_delivery' AND state = 'completed'") == 1
				})
			} else {
				raffletest.WaitFor(t, "the prize sent", func() bool {
					return e.b.Count(t, "SELECT count(*) FROM star_redemptions WHERE raffle_id = $1 AND status = 'sent'", d.ID) == 1
				})
			}
			sent := e.tg.SentGifts()
			switch {
			case tc.wantBotSpent == 0 && len(sent) != 0,
				tc.wantBotSpent > 0 && (len(sent) != 1 || sent[0].GiftID != tc.wantGift || sent[0].Months != tc.wantMonths || sent[0].Stars != tc.wantBotSpent):
				t.Fatalf("sent %+v", sent)
			}
			if got := e.balance(t, alice.ID); got != tc.wantBalance {
				t.Fatalf("balance %d, want %d", got, tc.wantBalance)
			}
			e.b.LedgerOK(t)
		})
	}
}

func TestGiftPrizeIsForStarsDrawsOnly(t *testing.T) {
	e := setup(t, false)
	_, err := e.b.Svc.Create(t.Context(), raffle.Params{Title: "R", Currency: "RUB", Fee: 10000, Min: 1, Deadline: time.Now().Add(time.Hour), Prize: raffle.PrizeGift}, "cli")
	if !errors.Is(err, raffle.ErrInvalid) || !strings.Contains(err.Error(), "Stars draws only") {
		t.Fatalf("err %v", err)
	}
	_, err = e.b.Svc.Create(t.Context(), raffle.Params{Title: "X", Currency: "XTR", Fee: 10, Min: 1, Deadline: time.Now().Add(time.Hour), Prize: "cash"}, "cli")
	if !errors.Is(err, raffle.ErrInvalid) {
		t.Fatalf("err %v", err)
	}
}

// TestBlockedUserGetsTheStarsBack: Telegram refuses a gift to a user who blocked the bot; the
// held Stars go back to their balance and the admins hear why.
func TestBlockedUserGetsTheStarsBack(t *testing.T) {
	e := setup(t, false)
	e.win0(t, alice, 85)
	red, _, err := e.svc.Redeem(t.Context(), giftRequest(alice.ID, rose, "k"))
	if err != nil {
		t.Fatal(err)
	}
	e.tg.BlockUser(alice)
	if err := e.svc.Deliver(t.Context(), red.ID); err != nil {
		t.Fatal(err)
	}
	if s := e.status(t, red.ID); s != prize.StatusReleased {
		t.Fatalf("status %s, want released", s)
	}
	if got, held := e.balance(t, alice.ID), e.held(t, alice.ID); got != 85 || held != 0 {
		t.Fatalf("balance %d held %d", got, held)
	}
	e.b.Start()
	raffletest.WaitFor(t, "the admin told", func() bool { return e.sentTo(admin, "bot was blocked by the user") })
	e.b.LedgerOK(t)
}

// TestReconcileWorkerAlertsOnADifference: a Telegram payment of fairdraw's that the ledger lacks
// is reported to the admins.
func TestReconcileWorkerAlertsOnADifference(t *testing.T) {
	e := setup(t, false)
	river.AddWorker(e.b.Workers, &prize.ReconcileWorker{Pool: e.b.Pool, API: e.api, Alerter: e.b.Alerter, Logger: e.b.Logger})
	e.b.Start()
	charge := e.tg.PayStars(alice, 30, "fd1:9:1111111:30")
	if err := db.InTx(t.Context(), e.b.Pool, func(tx pgx.Tx) error {
		_, err := e.b.Jobs.InsertTx(t.Context(), tx, prize.ReconcileArgs{}, nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	raffletest.WaitFor(t, "the alert", func() bool { return e.sentTo(admin, "Сверка звёзд с Telegram") && e.sentTo(admin, charge) })
}

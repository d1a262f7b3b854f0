package bot

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/stars"
	"github.com/fairdraw/fairdraw/internal/prize"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

var (
	rose = telegramtest.NewGift("5168103777563050263", "🌹", 50, 0)
	bear = telegramtest.NewGift("5170233102089322756", "🧸", 100, 0)
)

// newGiftFixture is newFixture with the prize service wired and a gift catalogue.
func newGiftFixture(t *testing.T) *fixture {
	t.Helper()
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	tg.SetGifts(rose, bear)
	api, err := telegram.NewBot(tg.Token(), tg.URL(), tg.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rt := raffletest.Setup(t, raffletest.Options{NoStart: true, Refunders: map[string]raffle.Refunder{raffle.ProviderTelegram: stars.Refunder{Bot: api}}})
	prizes := prize.New(prize.Config{Pool: rt.Pool, Jobs: rt.Jobs, API: api, Logger: rt.Logger})
	prizes.Register(rt.Workers)
	rt.Start()
	b := New(Config{API: api, Pool: rt.Pool, Draws: rt.Svc, Logger: rt.Logger, Currencies: []string{"XTR"},
		PublicURL: "https://draws.test", Prizes: prizes})
	return &fixture{rt: rt, tg: tg, bot: b, poller: &Poller{Bot: b, Pool: rt.Pool, APIURL: tg.URL(), Token: tg.Token(), HTTP: tg.Client(), Logger: rt.Logger}}
}

// credit gives a user Stars they won, backed by Stars the bot really received.
func (f *fixture) credit(t *testing.T, u telegramtest.User, amount int64) {
	t.Helper()
	f.tg.AddStars(amount)
	err := db.InTx(t.Context(), f.rt.Pool, func(tx pgx.Tx) error {
		_, err := ledger.Post(t.Context(), tx, ledger.Transfer(fmt.Sprintf("prize:earlier:%d", u.ID), "prize", ledger.TelegramClearing, ledger.UserAccount(u.ID, "XTR"), amount))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// press presses a button and waits for the bot's answer to it.
func (f *fixture) press(t *testing.T, u telegramtest.User, m telegramtest.Message, data string) telegramtest.CallbackAnswer {
	t.Helper()
	id, err := f.tg.PressButton(u, m, data)
	if err != nil {
		t.Fatalf("press %s: %v", data, err)
	}
	return f.answerTo(t, id, data)
}

// forge sends callback data no button carries and waits for the bot's answer.
func (f *fixture) forge(t *testing.T, u telegramtest.User, m telegramtest.Message, data string) telegramtest.CallbackAnswer {
	t.Helper()
	id, err := f.tg.ForgeCallback(u, m, data)
	if err != nil {
		t.Fatalf("forge %s: %v", data, err)
	}
	return f.answerTo(t, id, data)
}

func (f *fixture) answerTo(t *testing.T, id, data string) telegramtest.CallbackAnswer {
	t.Helper()
	var ans telegramtest.CallbackAnswer
	f.pumpUntil(t, "answer to "+data, func() bool { var ok bool; ans, ok = f.tg.CallbackAnswer(id); return ok })
	return ans
}

// buttonWith finds the callback data of the button whose data starts with prefix.
func buttonWith(t *testing.T, m telegramtest.Message, prefix string) string {
	t.Helper()
	if m.ReplyMarkup != nil {
		for _, row := range m.ReplyMarkup.InlineKeyboard {
			for _, b := range row {
				if b.CallbackData != nil && strings.HasPrefix(*b.CallbackData, prefix) {
					return *b.CallbackData
				}
			}
		}
	}
	t.Fatalf("no button %s* on %q", prefix, m.Text)
	return ""
}

func (f *fixture) openBalance(t *testing.T, u telegramtest.User) telegramtest.Message {
	t.Helper()
	before := len(f.tg.Messages(u.ID))
	f.tg.SendText(u, "/balance")
	f.pumpUntil(t, "balance", func() bool { return len(f.tg.Messages(u.ID)) >= before+2 })
	return lastMessage(t, f.tg, u.ID)
}

func TestRedeemAGiftFromTheBalance(t *testing.T) {
	t.Parallel()
	f := newGiftFixture(t)
	u := user(91)
	f.credit(t, u, 85)
	bal := f.openBalance(t, u)
	if !hasButton(bal, "gift") || hasButton(bal, "gift:prem") {
		t.Fatalf("balance of 85 should offer gifts and not Premium: %+v", bal.ReplyMarkup)
	}
	f.press(t, u, bal, "gift")
	list := lastMessage(t, f.tg, u.ID)
	if !strings.Contains(list.Text, "обратно в звёзды") || !hasButton(list, "gift:pick:"+rose.ID) || hasButton(list, "gift:pick:"+bear.ID) {
		t.Fatalf("gift list: %q %+v", list.Text, list.ReplyMarkup)
	}
	f.press(t, u, list, "gift:pick:"+rose.ID)
	confirm := lastMessage(t, f.tg, u.ID)
	if !strings.Contains(confirm.Text, "50 ⭐") || !strings.Contains(confirm.Text, "останется 35 ⭐") {
		t.Fatalf("confirmation: %q", confirm.Text)
	}
	ok := buttonWith(t, confirm, "gift:ok:")
	ans := f.press(t, u, confirm, ok)
	if ans.ShowAlert {
		t.Fatalf("confirm answered %+v", ans)
	}
	raffletest.WaitFor(t, "the gift", func() bool { return len(f.tg.SentGifts()) == 1 })
	raffletest.WaitFor(t, "the gift booked", func() bool {
		return f.rt.Count(t, "SELECT count(*) FROM star_redemptions WHERE status = 'sent'") == 1
	})
	// The same confirmation pressed again before the edit reached the client: nothing more.
	ans = f.forge(t, u, confirm, ok)
	if !ans.ShowAlert || !strings.Contains(ans.Text, "уже принята") {
		t.Fatalf("second press answered %+v", ans)
	}
	if got := f.rt.Balance(t, ledger.UserAccount(u.ID, "XTR")); got != 35 {
		t.Fatalf("balance %d, want 35", got)
	}
	if n := len(f.tg.SentGifts()); n != 1 {
		t.Fatalf("%d gifts", n)
	}
	f.rt.LedgerOK(t)
}

// TestForgedAndStaleGiftButtons: buttons a client could forge or keep from long ago are refused
// in words, and nothing moves.
func TestForgedAndStaleGiftButtons(t *testing.T) {
	t.Parallel()
	f := newGiftFixture(t)
	alice, mallory := user(92), user(93)
	f.credit(t, alice, 85)
	bal := f.openBalance(t, alice)
	f.press(t, alice, bal, "gift")
	f.press(t, alice, lastMessage(t, f.tg, alice.ID), "gift:pick:"+rose.ID)
	aliceConfirm := lastMessage(t, f.tg, alice.ID)
	aliceOK := buttonWith(t, aliceConfirm, "gift:ok:")

	// Mallory (no Stars) forges buttons on a message of her own.
	mb := f.openBalance(t, mallory)
	tests := []struct {
		name, data, want string
	}{
		{"someone else's confirmation", aliceOK, "не хватает звёзд"},
		{"a gift not in the catalogue", "gift:ok:999:50:x", "нет в каталоге"},
		{"a stale price", "gift:ok:" + rose.ID + ":5:x", "Цена изменилась"},
		{"Premium of 2 months", "gift:okp:2:1000:x", "устарела"},
		{"a malformed confirmation", "gift:ok:" + rose.ID, "устарела"},
		{"an unknown screen", "gift:zzz", "устарела"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ans := f.forge(t, mallory, mb, tc.data)
			if !ans.ShowAlert || !strings.Contains(ans.Text, tc.want) {
				t.Fatalf("answered %+v, want an alert with %q", ans, tc.want)
			}
		})
	}
	// Over the balance: Alice picks the 100-Star bear with 85.
	if ans := f.forge(t, alice, aliceConfirm, "gift:ok:"+bear.ID+":100:y"); !strings.Contains(ans.Text, "не хватает звёзд") {
		t.Fatalf("over the balance answered %+v", ans)
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM star_redemptions"); n != 0 {
		t.Fatalf("%d redemptions after refusals", n)
	}
	if got := f.rt.Balance(t, ledger.UserAccount(alice.ID, "XTR")); got != 85 {
		t.Fatalf("alice's balance %d", got)
	}
	if len(f.tg.SentGifts()) != 0 {
		t.Fatal("a gift went out")
	}
}

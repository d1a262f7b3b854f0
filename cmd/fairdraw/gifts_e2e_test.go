package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg/randomorgtest"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// TestGiftPrizeDrawThroughServe: the operator creates a Stars draw with --prize gift; a user
// pays 85 Stars through the bot and wins; serve sends the most valuable gift the prize covers
// (50) from the bot's balance, the rest (35) stays on the winner's balance, who then redeems a
// 15-Star gift from /balance. ledger check and ledger reconcile are clean.
func TestGiftPrizeDrawThroughServe(t *testing.T) {
	_, dbURL := dbtest.NewDBWithURL(t)
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	rose := telegramtest.NewGift("5168103777563050263", "🌹", 50, 0)
	heart := telegramtest.NewGift("5170145012310081615", "💝", 15, 0)
	tg.SetGifts(heart, rose, telegramtest.NewGift("5170233102089322756", "🧸", 100, 0))
	ro := randomorgtest.NewServer(t)
	keyFile := filepath.Join(t.TempDir(), "randomorg.pem")
	if err := os.WriteFile(keyFile, ro.PublicKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	env := map[string]string{
		"DATABASE_URL": dbURL, "REDIS_URL": "redis://127.0.0.1:6379", "HTTP_ADDR": addr, "BOT_TOKEN": tg.Token(),
		"TELEGRAM_API_URL": tg.URL(), "CURRENCIES": "XTR", "ADMIN_IDS": "900", "PUBLIC_URL": "http://" + addr, "LOG_LEVEL": "warn",
		"RANDOM_ORG_API_KEY": randomorgtest.TestAPIKey, "RANDOM_ORG_API_URL": ro.URL, "RANDOM_ORG_PUBLIC_KEY": keyFile,
	}
	var serveLog bytes.Buffer
	startServe(t, env, &serveLog)

	code, out, errOut := runCmd(t, t.Context(), env, "raffle", "create", "--currency", "XTR", "--fee", "85", "--min", "1",
		"--prize", "gift", "--title", "Подарок")
	if code != 0 {
		t.Fatalf("raffle create: %d %s", code, errOut)
	}
	var d raffle.Draw
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.Prize != "gift" {
		t.Fatalf("created %q: %v", out, err)
	}
	if code, _, errOut := runCmd(t, t.Context(), env, "raffle", "create", "--currency", "XTR", "--fee", "5", "--min", "1",
		"--source", "drand", "--prize", "cash"); code != 2 || !strings.Contains(errOut, "prize: balance, gift or premium") {
		t.Fatalf("bad --prize: %d %s", code, errOut)
	}

	wctx, wcancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer wcancel()
	u := telegramtest.User{ID: 701, FirstName: "Ann", LanguageCode: "ru"}
	tg.SendText(u, fmt.Sprintf("/join_raffle %d", d.ID))
	// The card, found by content: the new-draw announcement may arrive first.
	pay := fmt.Sprintf("pay:xtr:%d", d.ID)
	card := newestBotMessage(t, tg, u.ID, func(m telegramtest.Message) bool { _, ok := m.Button(pay); return ok })
	if !strings.Contains(card.Text, "подарком Telegram") {
		t.Fatalf("the card does not say how the prize is paid: %q", card.Text)
	}
	if _, err := tg.PressButton(u, card, pay); err != nil {
		t.Fatal(err)
	}
	invoice := newestBotMessage(t, tg, u.ID, func(m telegramtest.Message) bool { return m.Invoice != nil })
	if _, err := tg.PayInvoice(wctx, u, invoice); err != nil {
		t.Fatalf("pay: %v", err)
	}
	waitUntil(t, "entry and ticket", func() bool { d := show(t, env, d.ID); return d.Entries == 1 && d.TicketID != "" })
	if code, _, errOut := runCmd(t, t.Context(), env, "raffle", "draw", fmt.Sprint(d.ID)); code != 0 {
		t.Fatalf("raffle draw: %s", errOut)
	}
	waitUntil(t, "the prize gift", func() bool { return len(tg.SentGifts()) == 1 })
	if g := tg.SentGifts()[0]; g.GiftID != rose.ID || g.UserID != u.ID || g.Stars != 50 {
		t.Fatalf("prize gift %+v", g)
	}
	waitUntil(t, "the winner told", func() bool { return anyText(tg, u.ID, "Подарок 🌹 отправлен") })

	// The rest, 35 Stars, buys a 15-Star gift from /balance.
	tg.SendText(u, "/balance")
	// Found by content: the prize's own news may arrive in between.
	bal := newestBotMessage(t, tg, u.ID, func(m telegramtest.Message) bool { _, ok := m.Button("gift"); return ok })
	if !strings.Contains(bal.Text, "35 ⭐") {
		t.Fatalf("balance: %q", bal.Text)
	}
	// press presses data on m and returns the bot's message that then offers a button starting
	// with want (the edit may come a little after the answer: replies are paced).
	press := func(m telegramtest.Message, data, want string) telegramtest.Message {
		t.Helper()
		id, err := tg.PressButton(u, m, data)
		if err != nil {
			t.Fatalf("press %s: %v", data, err)
		}
		if _, err := tg.WaitForCallbackAnswer(wctx, id); err != nil {
			t.Fatal(err)
		}
		return newestBotMessage(t, tg, u.ID, func(m telegramtest.Message) bool {
			if m.ReplyMarkup == nil {
				return false
			}
			for _, row := range m.ReplyMarkup.InlineKeyboard {
				for _, b := range row {
					if b.CallbackData != nil && strings.HasPrefix(*b.CallbackData, want) {
						return true
					}
				}
			}
			return false
		})
	}
	list := press(bal, "gift", "gift:pick:"+heart.ID)
	confirm := press(list, "gift:pick:"+heart.ID, "gift:ok:")
	var ok string
	for _, row := range confirm.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != nil && strings.HasPrefix(*b.CallbackData, "gift:ok:") {
				ok = *b.CallbackData
			}
		}
	}
	if _, err := tg.PressButton(u, confirm, ok); err != nil {
		t.Fatalf("press %s: %v", ok, err)
	}
	waitUntil(t, "the second gift", func() bool { return len(tg.SentGifts()) == 2 })
	waitUntil(t, "the user told", func() bool { return anyText(tg, u.ID, "на балансе 20 ⭐") })

	if tg.StarBalance() != 85-50-15 {
		t.Fatalf("bot holds %d Stars", tg.StarBalance())
	}
	if code, out, errOut := runCmd(t, t.Context(), env, "ledger", "check"); code != 0 {
		t.Fatalf("ledger check: %s %s", out, errOut)
	}
	code, out, errOut = runCmd(t, t.Context(), env, "ledger", "reconcile")
	if code != 0 || !strings.Contains(out, "3 movement(s) agree") {
		t.Fatalf("ledger reconcile: %d\n%s\n%s", code, out, errOut)
	}
	if v := tg.Violations(); len(v) > 0 {
		t.Fatalf("Bot API spec violations: %v", v)
	}
}

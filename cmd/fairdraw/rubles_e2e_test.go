package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg/randomorgtest"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// TestRubleDrawThroughServe: users pay a ruble draw on YooKassa from the bot, the entries arrive
// by webhook, the draw is drawn and settled, and the winner withdraws the prize to a YooMoney
// wallet through the bot; the payout succeeds and the ledger checks out.
func TestRubleDrawThroughServe(t *testing.T) {
	_, dbURL := dbtest.NewDBWithURL(t)
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	ro := randomorgtest.NewServer(t)
	keyFile := filepath.Join(t.TempDir(), "randomorg.pem")
	if err := os.WriteFile(keyFile, ro.PublicKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	yk := yookassatest.NewServer(yookassatest.Options{WebhookURL: "http://" + addr + "/webhooks/yookassa", NotifyCopies: 2})
	t.Cleanup(yk.Close)
	yc := yk.Config()
	env := map[string]string{
		"DATABASE_URL": dbURL, "REDIS_URL": "redis://127.0.0.1:6379", "HTTP_ADDR": addr, "BOT_TOKEN": tg.Token(),
		"TELEGRAM_API_URL": tg.URL(), "CURRENCIES": "RUB", "PUBLIC_URL": "http://" + addr, "LOG_LEVEL": "info",
		"RANDOM_ORG_API_KEY": randomorgtest.TestAPIKey, "RANDOM_ORG_API_URL": ro.URL, "RANDOM_ORG_PUBLIC_KEY": keyFile,
		"YOOKASSA_API_URL": yc.BaseURL, "YOOKASSA_SHOP_ID": yc.ShopID, "YOOKASSA_SECRET_KEY": yc.SecretKey,
		"YOOKASSA_PAYOUT_AGENT_ID": yc.PayoutAgentID, "YOOKASSA_PAYOUT_SECRET_KEY": yc.PayoutSecretKey,
		// The fake notifies from this machine; in production these are YooKassa's ranges.
		"YOOKASSA_TRUSTED_IPS": "127.0.0.1/32,::1/128",
	}
	// serve's log, kept when the test fails.
	serveLog, err := os.CreateTemp("", "rubles-e2e-*.log")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		serveLog.Close()
		if t.Failed() {
			t.Logf("serve's log: %s", serveLog.Name())
		} else {
			os.Remove(serveLog.Name())
		}
	})
	startServe(t, env, serveLog)

	code, out, errOut := runCmd(t, t.Context(), env, "raffle", "create", "--currency", "RUB", "--fee", "10000", "--min", "2",
		"--winners", "1", "--commission-bp", "1000", "--deadline", "1h", "--title", "Рублёвый")
	if code != 0 {
		t.Fatalf("raffle create: %s", errOut)
	}
	var d raffle.Draw
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer wcancel()
	users := []telegramtest.User{{ID: 701, FirstName: "Rita", LanguageCode: "ru"}, {ID: 702, FirstName: "Sam", LanguageCode: "ru"}}
	for _, u := range users {
		tg.SendText(u, fmt.Sprintf("/join_raffle %d", d.ID))
		// Found by content: the new-draw announcement may arrive in between.
		pay := fmt.Sprintf("pay:rub:%d", d.ID)
		card := newestBotMessage(t, tg, u.ID, func(m telegramtest.Message) bool { _, ok := m.Button(pay); return ok })
		if _, err := tg.PressButton(u, card, pay); err != nil {
			t.Fatalf("pay button: %v (%+v)", err, card)
		}
		newestBotMessage(t, tg, u.ID, func(m telegramtest.Message) bool { return hasLink(m, yookassatest.CheckoutPath) })
	}
	// Both pay on YooKassa's page; the notifications (each delivered twice) make the entries.
	waitUntil(t, "two payments", func() bool { return len(yk.PaymentIDs()) == 2 })
	for _, id := range yk.PaymentIDs() {
		if err := yk.Succeed(id); err != nil {
			t.Fatal(err)
		}
	}
	if err := yk.Flush(wctx); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "closed after 2 entries", func() bool { return show(t, env, d.ID).Entries == 2 })
	waitUntil(t, "ticket", func() bool { return show(t, env, d.ID).TicketID != "" })
	if code, _, errOut := runCmd(t, t.Context(), env, "raffle", "draw", fmt.Sprint(d.ID)); code != 0 {
		t.Fatalf("raffle draw: %s", errOut)
	}
	waitUntil(t, "settled", func() bool { return show(t, env, d.ID).Status == raffle.StatusSettled })
	got := show(t, env, d.ID)
	winner := got.Winners[0]
	if got.Pool != 20000 || winner.Prize != 18000 {
		t.Fatalf("settled %+v", got)
	}
	// The winner withdraws through the bot: balance, withdraw, wallet, wallet number.
	var w telegramtest.User
	for _, u := range users {
		if u.ID == winner.TelegramID {
			w = u
		}
	}
	// press presses the button with data under the latest message that has it, once there is
	// one (news such as the result may arrive between the replies).
	press := func(data string) {
		t.Helper()
		m := newestBotMessage(t, tg, w.ID, func(m telegramtest.Message) bool { _, ok := m.Button(data); return ok })
		if _, err := tg.PressButton(w, m, data); err != nil {
			t.Fatalf("press %s: %v (%+v)", data, err, m)
		}
	}
	waitUntil(t, "the winner told", func() bool { return anyText(tg, w.ID, "Поздравляем", "Congratulations") })
	sent := tg.SendText(w, "/balance")
	// The balance screen: the reply to /balance that shows the prize and offers to withdraw it.
	newestBotMessage(t, tg, w.ID, func(m telegramtest.Message) bool {
		_, ok := m.Button("wd")
		return ok && m.MessageID > sent.MessageID && strings.Contains(m.Text, "180 ₽")
	})
	press("wd")
	waitUntil(t, "methods", func() bool { return anyText(tg, w.ID, "Куда отправить") })
	press("wd:wallet")
	waitUntil(t, "wallet question", func() bool { return anyText(tg, w.ID, "кошелька ЮMoney") })
	tg.SendText(w, "41001614575714") // a YooKassa test wallet that succeeds
	waitUntil(t, "payout requested", func() bool { return anyText(tg, w.ID, "Заявка на вывод") })
	waitUntil(t, "payout sent", func() bool { return len(yk.PayoutIDs()) == 1 })
	_ = yk.Flush(wctx)
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	waitUntil(t, "payout succeeded", func() bool {
		var status string
		_ = conn.QueryRow(t.Context(), "SELECT status FROM rub_payouts WHERE telegram_id = $1", w.ID).Scan(&status)
		return status == "succeeded"
	})
	var balance, held int64
	if err := conn.QueryRow(t.Context(), `SELECT coalesce(sum(balance) FILTER (WHERE code = $1), 0), coalesce(sum(balance) FILTER (WHERE code = $2), 0)
		FROM ledger_accounts`, ledger.UserAccount(w.ID, "RUB"), ledger.UserHeldAccount(w.ID, "RUB")).Scan(&balance, &held); err != nil {
		t.Fatal(err)
	}
	if balance != 0 || held != 0 {
		t.Fatalf("after the payout: balance %d, held %d", balance, held)
	}
	waitUntil(t, "winner told", func() bool { return anyText(tg, w.ID, "Выплата 180 ₽ отправлена") })
	if code, out, errOut := runCmd(t, t.Context(), env, "ledger", "check"); code != 0 {
		t.Fatalf("ledger check: %s %s", out, errOut)
	}
	if v := tg.Violations(); len(v) > 0 {
		t.Fatalf("Bot API spec violations: %v", v)
	}
}

// hasLink reports whether m has a button opening a URL that contains part.
func hasLink(m telegramtest.Message, part string) bool {
	if m.ReplyMarkup == nil {
		return false
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if strings.Contains(b.URL, part) {
				return true
			}
		}
	}
	return false
}

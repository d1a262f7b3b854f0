package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg/randomorgtest"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// TestStarsDrawThroughServe runs the real binary's serve against the Telegram and Random.org
// fakes: users join by Stars through the bot, the operator draws from the command line, the
// winner is paid and told, the proof verifies offline, and the ledger checks out.
func TestStarsDrawThroughServe(t *testing.T) {
	_, dbURL := dbtest.NewDBWithURL(t)
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	ro := randomorgtest.NewServer(t)
	keyFile := filepath.Join(t.TempDir(), "randomorg.pem")
	if err := os.WriteFile(keyFile, ro.PublicKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	env := map[string]string{
		"DATABASE_URL": dbURL, "REDIS_URL": "redis://127.0.0.1:6379", "HTTP_ADDR": addr, "BOT_TOKEN": tg.Token(),
		"TELEGRAM_API_URL": tg.URL(), "CURRENCIES": "XTR", "ADMIN_IDS": "900", "PUBLIC_URL": "http://" + addr,
		"RANDOM_ORG_API_KEY": randomorgtest.TestAPIKey, "RANDOM_ORG_API_URL": ro.URL, "RANDOM_ORG_PUBLIC_KEY": keyFile,
		"LOG_LEVEL": "warn",
	}
	var serveLog bytes.Buffer
	startServe(t, env, &serveLog)

	code, out, errOut := runCmd(t, t.Context(), env, "raffle", "create", "--currency", "XTR", "--fee", "10", "--min", "3",
		"--winners", "2", "--commission-bp", "1000", "--deadline", "1h", "--title", "Осенний")
	if code != 0 {
		t.Fatalf("raffle create: %d %s", code, errOut)
	}
	var d raffle.Draw
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.ID == 0 || d.Status != "open" {
		t.Fatalf("created %q: %v", out, err)
	}

	wctx, wcancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer wcancel()
	users := []telegramtest.User{{ID: 501, FirstName: "Ann", LanguageCode: "ru"}, {ID: 502, FirstName: "Bob", LanguageCode: "en"}, {ID: 503, FirstName: "Кира", LanguageCode: "ru"}}
	for _, u := range users {
		tg.SendText(u, "/start")
		// The menu, found by content: the new-draw announcement may arrive first.
		if _, err := botMessageWhere(wctx, tg, u.ID, func(m telegramtest.Message) bool { _, ok := m.Button("balance"); return ok }); err != nil {
			t.Fatalf("menu for %d: %v\n%s", u.ID, err, serveLog.String())
		}
		tg.SendText(u, fmt.Sprintf("/join_raffle %d", d.ID))
		// Found by content: the new-draw announcement may arrive in between.
		pay := fmt.Sprintf("pay:xtr:%d", d.ID)
		card := newestBotMessage(t, tg, u.ID, func(m telegramtest.Message) bool { _, ok := m.Button(pay); return ok })
		if _, err := tg.PressButton(u, card, pay); err != nil {
			t.Fatal(err)
		}
		invoice := newestBotMessage(t, tg, u.ID, func(m telegramtest.Message) bool { return m.Invoice != nil })
		if _, err := tg.PayInvoice(wctx, u, invoice); err != nil {
			t.Fatalf("pay: %v", err)
		}
		// The confirmation with the entry code arrives through the send queue.
		waitUntil(t, "confirmation", func() bool { return anyText(tg, u.ID, "код участника", "entry code") })
	}
	// The ticket was created when the draw opened; the operator forces the draw.
	waitUntil(t, "ticket", func() bool { return show(t, env, d.ID).TicketID != "" })
	if code, _, errOut := runCmd(t, t.Context(), env, "raffle", "draw", fmt.Sprint(d.ID)); code != 0 {
		t.Fatalf("raffle draw: %s", errOut)
	}
	waitUntil(t, "settled", func() bool { return show(t, env, d.ID).Status == raffle.StatusSettled })
	got := show(t, env, d.ID)
	if got.Entries != 3 || got.Pool != 30 || len(got.Winners) != 2 || got.Winners[0].Prize+got.Winners[1].Prize != 27 {
		t.Fatalf("settled draw %+v", got)
	}
	// Everyone hears the result; winners first and personally.
	for _, u := range users {
		waitUntil(t, fmt.Sprintf("result to %d", u.ID), func() bool {
			return anyText(tg, u.ID, "Поздравляем", "Итоги", "Congratulations", "Results")
		})
	}
	// The proof: from the command line and the web, the same bytes; it verifies, a tampered copy does not.
	code, proof, errOut := runCmd(t, t.Context(), env, "proof", fmt.Sprint(d.ID))
	if code != 0 {
		t.Fatalf("proof: %s", errOut)
	}
	resp, err := http.Get(fmt.Sprintf("http://%s/raffles/%d/proof.json", addr, d.ID))
	if err != nil {
		t.Fatal(err)
	}
	web, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.TrimSpace(string(web)) != strings.TrimSpace(proof) {
		t.Fatalf("web proof differs from CLI proof")
	}
	file := filepath.Join(t.TempDir(), "proof.json")
	if err := os.WriteFile(file, []byte(proof), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, t.Context(), env, "verify", file); code != 0 {
		t.Fatalf("verify: %d\n%s\n%s", code, out, errOut)
	}
	tampered := strings.Replace(proof, got.Winners[0].EntryCode, "ZZZZ-ZZZZ", 1)
	if err := os.WriteFile(file, []byte(tampered), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCmd(t, t.Context(), env, "verify", file); code != 1 || !strings.Contains(errOut, "FAILED") {
		t.Fatalf("tampered proof: exit %d %s", code, errOut)
	}
	if code, out, errOut := runCmd(t, t.Context(), env, "ledger", "check"); code != 0 {
		t.Fatalf("ledger check: %s %s", out, errOut)
	}
	if code, out, _ := runCmd(t, t.Context(), env, "audit", "--since", "1h"); code != 0 || !strings.Contains(out, `"action":"raffle.settle"`) {
		t.Fatalf("audit: %d %s", code, out)
	}
	if v := tg.Violations(); len(v) > 0 {
		t.Fatalf("Bot API spec violations: %v", v)
	}
	if tg.StarBalance() != 30 {
		t.Fatalf("bot holds %d Stars", tg.StarBalance())
	}
}

// newestBotMessage waits until the bot has sent the chat a message that ok accepts, and returns
// the newest such message.
func newestBotMessage(t *testing.T, tg *telegramtest.Server, chat int64, ok func(telegramtest.Message) bool) telegramtest.Message {
	t.Helper()
	var found telegramtest.Message
	waitUntil(t, fmt.Sprintf("a bot message in chat %d", chat), func() bool {
		msgs := tg.Messages(chat)
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].FromBot() && ok(msgs[i]) {
				found = msgs[i]
				return true
			}
		}
		return false
	})
	return found
}

// botMessageWhere waits until a bot message in chat satisfies ok and returns the newest that
// does; for goroutines, which cannot stop the test.
func botMessageWhere(ctx context.Context, tg *telegramtest.Server, chat int64, ok func(telegramtest.Message) bool) (telegramtest.Message, error) {
	for {
		changed := tg.Changed()
		msgs := tg.Messages(chat)
		for i := len(msgs) - 1; i >= 0; i-- {
			if msgs[i].FromBot() && ok(msgs[i]) {
				return msgs[i], nil
			}
		}
		select {
		case <-ctx.Done():
			return telegramtest.Message{}, fmt.Errorf("waiting for a bot message in chat %d: %w", chat, ctx.Err())
		case <-changed:
		}
	}
}

// anyText reports whether any message in the chat contains any of subs.
func anyText(tg *telegramtest.Server, chat int64, subs ...string) bool {
	for _, m := range tg.Messages(chat) {
		for _, s := range subs {
			if strings.Contains(m.Text, s) {
				return true
			}
		}
	}
	return false
}

func show(t testing.TB, env map[string]string, id int64) raffle.Draw {
	t.Helper()
	code, out, errOut := runCmd(t, t.Context(), env, "raffle", "show", fmt.Sprint(id))
	if code != 0 {
		t.Fatalf("raffle show: %s", errOut)
	}
	var d raffle.Draw
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWebhookModeThroughServe: serve registers its webhook with the secret and Telegram's
// most connections; Telegram's deliveries carry the secret and are answered; a delivery
// without it is refused.
func TestWebhookModeThroughServe(t *testing.T) {
	_, dbURL := dbtest.NewDBWithURL(t)
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	addr := freeAddr(t)
	env := map[string]string{
		"DATABASE_URL": dbURL, "REDIS_URL": "redis://127.0.0.1:6379", "HTTP_ADDR": addr, "BOT_TOKEN": tg.Token(),
		"TELEGRAM_API_URL": tg.URL(), "CURRENCIES": "XTR", "PUBLIC_URL": "http://" + addr,
		"TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_SECRET": "hook-secret_1", "LOG_LEVEL": "warn",
	}
	startServe(t, env, io.Discard)
	waitUntil(t, "setWebhook", func() bool { return len(tg.Calls("setWebhook")) == 1 })
	var set telego.SetWebhookParams
	if err := tg.Calls("setWebhook")[0].Decode(&set); err != nil || set.MaxConnections != 100 || set.SecretToken != "hook-secret_1" {
		t.Fatalf("setWebhook %+v (%v), want the secret and max_connections 100", set, err)
	}
	u := telegramtest.User{ID: 601, FirstName: "Web", LanguageCode: "en"}
	tg.SendText(u, "/start")
	wctx, wcancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer wcancel()
	msgs, err := tg.WaitForBotMessages(wctx, u.ID, 1)
	if err != nil || !strings.Contains(msgs[0].Text, "Hello, Web!") {
		t.Fatalf("menu by webhook: %+v %v", msgs, err)
	}
	resp, err := http.Post("http://"+addr+"/webhooks/telegram", "application/json", strings.NewReader(`{"update_id":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("delivery without the secret: %d", resp.StatusCode)
	}
}

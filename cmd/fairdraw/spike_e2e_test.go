package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg/randomorgtest"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// spikeServe runs serve against a Telegram fake that enforces rate (and one message a
// second per chat) with 429s, as Telegram does, at SEND_RATE_GLOBAL=rate. Its Redis keys
// live in a database of their own (redis db 9), so other tests' sending does not share its
// budget.
func spikeServe(t testing.TB, rate int) (*telegramtest.Server, map[string]string, *lockedBuffer) {
	t.Helper()
	return spikeServeIntake(t, rate, "polling")
}

// spikeServeIntake is spikeServe with updates arriving by intake: "polling" (getUpdates) or
// "webhook" (Telegram POSTs them to serve over up to max_connections connections).
func spikeServeIntake(t testing.TB, rate int, intake string) (*telegramtest.Server, map[string]string, *lockedBuffer) {
	t.Helper()
	_, dbURL := dbtest.NewDBWithURL(t)
	tg := telegramtest.NewServer(t, telegramtest.Config{GlobalRate: rate, PerChatRate: 1})
	ro := randomorgtest.NewServer(t)
	keyFile := filepath.Join(t.TempDir(), "randomorg.pem")
	if err := os.WriteFile(keyFile, ro.PublicKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	env := map[string]string{
		"DATABASE_URL": dbURL, "REDIS_URL": "redis://127.0.0.1:6379/9", "HTTP_ADDR": addr, "BOT_TOKEN": tg.Token(),
		"TELEGRAM_API_URL": tg.URL(), "CURRENCIES": "XTR", "PUBLIC_URL": "http://" + addr,
		"RANDOM_ORG_API_KEY": randomorgtest.TestAPIKey, "RANDOM_ORG_API_URL": ro.URL, "RANDOM_ORG_PUBLIC_KEY": keyFile,
		"SEND_RATE_GLOBAL": fmt.Sprint(rate), "LOG_LEVEL": "warn",
	}
	if intake == "webhook" {
		env["TELEGRAM_MODE"], env["TELEGRAM_WEBHOOK_SECRET"] = "webhook", "spike-secret_1"
	}
	serveLog := &lockedBuffer{}
	startServe(t, env, serveLog)
	return tg, env, serveLog
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func createDraw(t testing.TB, env map[string]string, args ...string) raffle.Draw {
	t.Helper()
	code, out, errOut := runCmd(t, t.Context(), env, append([]string{"raffle", "create", "--currency", "XTR", "--fee", "1", "--deadline", "1h", "--title", "Старт"}, args...)...)
	if code != 0 {
		t.Fatalf("raffle create: %d %s", code, errOut)
	}
	var d raffle.Draw
	if err := json.Unmarshal([]byte(out), &d); err != nil || d.ID == 0 {
		t.Fatalf("created %q: %v", out, err)
	}
	return d
}

// botMessages are the bot's messages in a chat, in order.
func botMessages(tg *telegramtest.Server, chat int64) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range tg.Messages(chat) {
		if m.From != nil && m.From.IsBot {
			out = append(out, m)
		}
	}
	return out
}

func waitLong(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func isResult(text string) bool {
	return strings.Contains(text, "Итоги розыгрыша") || strings.Contains(text, "Поздравляем")
}

// TestLaunchSpikeThroughServe: 2,000 users (see spikeUsers) press Join within one second at
// SEND_RATE_GLOBAL=100 against a Telegram that answers 429 beyond it. Every one gets the
// draw card and the invoice with no 429, they all pay, and the results reach all of them,
// winner first, at 0.9 of the limit or better, with no "entries closed" after anyone's result.
func TestLaunchSpikeThroughServe(t *testing.T) {
	if testing.Short() {
		t.Skip("a two-minute load test")
	}
	users, rate := spikeUsers(), 100
	tg, env, serveLog := spikeServe(t, rate)
	d := createDraw(t, env, "--min", "2")
	waitLong(t, "ticket", time.Minute, func() bool { return show(t, env, d.ID).TicketID != "" })

	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	all := make([]telegramtest.User, users)
	for i := range all {
		all[i] = telegramtest.User{ID: int64(100000 + i), FirstName: fmt.Sprintf("U%d", i), LanguageCode: "ru"}
	}
	pressStart := time.Now()
	for _, u := range all {
		tg.SendText(u, fmt.Sprintf("/join_raffle %d", d.ID))
	}
	t.Logf("%d users pressed Join in %v", users, time.Since(pressStart))
	// One loop watches every chat (2,000 goroutines each waking on every change of the fake
	// would load the machine more than serve does) and acts as each user would.
	pressed, paying := make([]bool, users), make([]bool, users)
	var wg sync.WaitGroup
	errs := make(chan error, users)
	for pending := users; pending > 0; {
		if ctx.Err() != nil {
			t.Fatalf("users still waiting: %d\n%s", pending, serveLog.String())
		}
		for i, u := range all {
			if paying[i] {
				continue
			}
			invoice, ok := toInvoice(t, tg, u, d.ID, &pressed[i])
			if !ok {
				continue
			}
			paying[i] = true
			pending--
			wg.Go(func() {
				if _, err := tg.PayInvoice(ctx, u, invoice); err != nil {
					errs <- fmt.Errorf("pay %d: %w", u.ID, err)
				}
			})
		}
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		logMetrics(t, env)
		t.Fatalf("%v", err)
	}
	logMetrics(t, env)
	t.Logf("%d cards, invoices and payments in %v", users, time.Since(pressStart))
	if n := tg.TooManyRequests(); n != 0 {
		t.Fatalf("%d calls answered 429 during the join spike", n)
	}
	waitLong(t, "all entries", time.Minute+time.Duration(users)*100*time.Millisecond, func() bool { return show(t, env, d.ID).Entries == users })

	if code, _, errOut := runCmd(t, t.Context(), env, "raffle", "draw", fmt.Sprint(d.ID)); code != 0 {
		t.Fatalf("raffle draw: %s", errOut)
	}
	waitLong(t, "settled", time.Minute, func() bool { return show(t, env, d.ID).Status == raffle.StatusSettled })
	got := show(t, env, d.ID)
	winner := got.Winners[0].TelegramID
	waitLong(t, "results to everyone", 2*time.Minute, func() bool {
		for _, u := range all {
			if !slices.ContainsFunc(botMessages(tg, u.ID), func(m telegramtest.Message) bool { return isResult(m.Text) }) {
				return false
			}
		}
		return true
	})
	// No "entries closed" after anyone's result, and each result exactly once.
	for _, u := range all {
		msgs := botMessages(tg, u.ID)
		results := 0
		for _, m := range msgs {
			switch {
			case isResult(m.Text):
				results++
			case results > 0 && strings.Contains(m.Text, "Приём в розыгрыш"):
				t.Fatalf("user %d heard 'entries closed' after the result", u.ID)
			}
		}
		if results != 1 {
			t.Fatalf("user %d got %d results", u.ID, results)
		}
	}
	// Winner first; then the pace of the fan-out to the participants, as Telegram saw it.
	var winnerAt, first, last time.Time
	n := 0
	for _, c := range tg.Calls("sendMessage") {
		var p struct {
			ChatID int64  `json:"chat_id"`
			Text   string `json:"text"`
		}
		if c.Status != 200 || c.Decode(&p) != nil || !isResult(p.Text) {
			continue
		}
		if p.ChatID == winner {
			winnerAt = c.At
			continue
		}
		if n == 0 {
			first = c.At
		}
		last = c.At
		n++
	}
	if winnerAt.IsZero() || winnerAt.After(first) {
		t.Fatalf("the winner's message came at %v, the first participant's at %v", winnerAt, first)
	}
	achieved := float64(n-1) / last.Sub(first).Seconds() / float64(rate)
	t.Logf("results: winner, then %d participants in %v: %.3f of the limit", n, last.Sub(first), achieved)
	// Speed is measured, not asserted in the ordinary suite (a loaded CI machine would make it
	// flaky); the acceptance run (FAIRDRAW_SPIKE_USERS set) holds it to the 0.9.
	if os.Getenv("FAIRDRAW_SPIKE_USERS") != "" && achieved < 0.9 {
		t.Fatalf("results went at %.3f of the limit, want 0.9 or better", achieved)
	}
	if n := tg.TooManyRequests(); n != 0 {
		t.Fatalf("%d calls answered 429", n)
	}
	if code, out, errOut := runCmd(t, t.Context(), env, "ledger", "check"); code != 0 {
		t.Fatalf("ledger check: %s %s", out, errOut)
	}
	if v := tg.Violations(); len(v) > 0 {
		t.Fatalf("Bot API spec violations: %v", v)
	}
}

// toInvoice moves user u one step towards an invoice for the draw, as the user would: once the
// draw card has come (found by content: the new-draw announcement may come first), it presses
// the card's pay button and sets *pressed. It returns the invoice once that has come.
func toInvoice(t testing.TB, tg *telegramtest.Server, u telegramtest.User, drawID int64, pressed *bool) (telegramtest.Message, bool) {
	t.Helper()
	msgs := botMessages(tg, u.ID)
	if *pressed {
		j := slices.IndexFunc(msgs, func(m telegramtest.Message) bool { return m.Invoice != nil })
		if j < 0 {
			return telegramtest.Message{}, false
		}
		return msgs[j], true
	}
	pay := fmt.Sprintf("pay:xtr:%d", drawID)
	j := slices.IndexFunc(msgs, func(m telegramtest.Message) bool { _, ok := m.Button(pay); return ok })
	if j < 0 {
		return telegramtest.Message{}, false
	}
	if _, err := tg.PressButton(u, msgs[j], pay); err != nil {
		t.Fatalf("press pay %d: %v", u.ID, err)
	}
	*pressed = true
	return telegramtest.Message{}, false
}

// spikeUsers is how many users join: 300 in the ordinary suite (CI shares two cores with
// every other package's tests), FAIRDRAW_SPIKE_USERS for the full acceptance run
// (FAIRDRAW_SPIKE_USERS=2000, the figure).
func spikeUsers() int {
	if n, err := strconv.Atoi(os.Getenv("FAIRDRAW_SPIKE_USERS")); err == nil && n > 1 {
		return n
	}
	return 300
}

// logMetrics logs serve's intake and sending figures from /metrics.
func logMetrics(t testing.TB, env map[string]string) {
	t.Helper()
	resp, err := http.Get("http://" + env["HTTP_ADDR"] + "/metrics")
	if err != nil {
		t.Logf("metrics: %v", err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(body), "\n") {
		if strings.HasPrefix(line, "fairdraw_bot_update_seconds_sum") || strings.HasPrefix(line, "fairdraw_bot_update_seconds_count") ||
			strings.HasPrefix(line, "fairdraw_bot_precheckout_seconds") || strings.HasPrefix(line, "fairdraw_telegram_replies") {
			t.Log(line)
		}
	}
}

// readyStatus is /readyz's answer: its status and which checks failed.
func readyStatus(t *testing.T, addr string) (int, map[string]string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var checks map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&checks); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, checks
}

// TestWebhookRegisteredDespiteFailures: setWebhook failing at start is tried again until
// Telegram accepts it; /readyz says not ready (telegram) until then, ready after, and
// updates arrive by webhook.
func TestWebhookRegisteredDespiteFailures(t *testing.T) {
	_, dbURL := dbtest.NewDBWithURL(t)
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	tg.FailNext("setWebhook", 2, http.StatusInternalServerError)
	addr := freeAddr(t)
	env := map[string]string{
		"DATABASE_URL": dbURL, "REDIS_URL": "redis://127.0.0.1:6379/9", "HTTP_ADDR": addr, "BOT_TOKEN": tg.Token(),
		"TELEGRAM_API_URL": tg.URL(), "CURRENCIES": "XTR", "PUBLIC_URL": "http://" + addr,
		"TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_SECRET": "hook-secret_1", "LOG_LEVEL": "error",
	}
	startServe(t, env, io.Discard)
	// Not ready while no setWebhook has been accepted (the first two fail).
	// (Only a call Telegram has not even received by the time /readyz answered proves it.)
	code, checks := readyStatus(t, addr)
	if len(tg.Calls("setWebhook")) < 3 && (code != http.StatusServiceUnavailable || checks["telegram"] != "unavailable") {
		t.Fatalf("before the webhook is registered: /readyz = %d %v", code, checks)
	}
	waitUntil(t, "setWebhook accepted", func() bool {
		calls := tg.Calls("setWebhook")
		return len(calls) == 3 && calls[2].Status == http.StatusOK
	})
	waitUntil(t, "ready", func() bool { code, _ := readyStatus(t, addr); return code == http.StatusOK })
	u := telegramtest.User{ID: 611, FirstName: "Hook", LanguageCode: "en"}
	tg.SendText(u, "/start")
	wctx, wcancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer wcancel()
	if msgs, err := tg.WaitForBotMessages(wctx, u.ID, 1); err != nil || !strings.Contains(msgs[0].Text, "Hello, Hook!") {
		t.Fatalf("menu by webhook: %+v %v", msgs, err)
	}
}

// TestReplyAfter429ThroughServe: a reply that draws 429 is waited out (by its job, since a
// handler waits only briefly) and arrives once.
func TestReplyAfter429ThroughServe(t *testing.T) {
	tg, _, serveLog := spikeServe(t, 30)
	u := telegramtest.User{ID: 612, FirstName: "Retry", LanguageCode: "en"}
	tg.FailNext("sendMessage", 1, http.StatusTooManyRequests)
	tg.SendText(u, "/rules")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	msgs, err := tg.WaitForBotMessages(ctx, u.ID, 1)
	if err != nil {
		t.Fatalf("reply: %v\n%s", err, serveLog.String())
	}
	calls := tg.Calls("sendMessage")
	if len(calls) != 2 || calls[0].Status != http.StatusTooManyRequests || calls[1].Status != http.StatusOK {
		t.Fatalf("sendMessage calls %+v, want a 429 then one success", calls)
	}
	if calls[1].At.Sub(calls[0].At) < time.Second {
		t.Fatalf("sent again %v after the 429, before its retry_after of 1s", calls[1].At.Sub(calls[0].At))
	}
	if got := botMessages(tg, u.ID); len(got) != 1 || got[0].MessageID != msgs[0].MessageID || !strings.Contains(got[0].Text, "Rules") && !strings.Contains(got[0].Text, "rules") {
		t.Fatalf("chat holds %+v, want the rules once", got)
	}
}

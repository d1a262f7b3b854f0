package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/fairdraw/fairdraw/internal/config"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/sandbox"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// TestSandboxBadInput: what a person types or forges in the chat gets the answer a Telegram
// user would get from the bot, and input a Telegram app could not send is refused with a reason;
// nothing changes a draw.
func TestSandboxBadInput(t *testing.T) {
	sb := startSandbox(t)
	tg := sb.fakes.Telegram
	anna, bob := int64(1001), int64(1002)
	xtr := sb.drawOf(t, config.CurrencyXTR)

	// An unknown command: the bot's own answer, in the user's language.
	if code, out := sb.post(t, "/sandbox/send", map[string]any{"user": bob, "text": "/frobnicate"}); code != http.StatusOK {
		t.Fatalf("send: %d %v", code, out)
	}
	waitUntil(t, "unknown command answer", func() bool { return anyText(tg, bob, "I don't know that command") })

	// Oversized text: split at 4096 characters into two messages, as Telegram's apps do.
	long := strings.Repeat("я", 5000)
	code, out := sb.post(t, "/sandbox/send", map[string]any{"user": anna, "text": long})
	if code != http.StatusOK || out["messages"] != float64(2) {
		t.Fatalf("long text: %d %v", code, out)
	}
	var lens []int
	for _, m := range tg.Messages(anna) {
		if !m.FromBot() {
			lens = append(lens, len([]rune(m.Text)))
		}
	}
	if fmt.Sprint(lens) != "[4096 904]" {
		t.Fatalf("user messages of %v characters, want [4096 904]", lens)
	}

	// Forged button data under a real message reaches the bot, which must refuse it: a user
	// pressing the admin's "draw now" changes nothing.
	sb.post(t, "/sandbox/send", map[string]any{"user": anna, "text": "/start"})
	waitUntil(t, "menu", func() bool { return anyText(tg, anna, "Здравствуйте, Анна") })
	menu := lastBotMessage(tg, anna, "Здравствуйте")
	code, out = sb.post(t, "/sandbox/press", map[string]any{"user": anna, "message_id": menu.MessageID, "data": fmt.Sprintf("adm:do:force:%d", xtr.ID)})
	if code != http.StatusOK || out["answered"] != true {
		t.Fatalf("forged press: %d %v", code, out)
	}
	code, out = sb.post(t, "/sandbox/press", map[string]any{"user": anna, "message_id": menu.MessageID, "data": "pay:xtr:999999"})
	if code != http.StatusOK || out["answered"] != true {
		t.Fatalf("forged pay press: %d %v", code, out)
	}
	if d := show(t, sb.env, xtr.ID); d.Status != raffle.StatusOpen || d.Entries != 0 {
		t.Fatalf("forged presses changed the draw: %+v", d)
	}

	// What no Telegram app can send is refused, naming the reason.
	for _, tc := range []struct {
		name, path string
		body       map[string]any
		status     int
		says       string
	}{
		{"empty text", "/sandbox/send", map[string]any{"user": anna, "text": "  \n"}, http.StatusBadRequest, "empty message"},
		{"unknown user", "/sandbox/send", map[string]any{"user": 4242, "text": "/start"}, http.StatusNotFound, "no sandbox user"},
		{"button data over 64 bytes", "/sandbox/press", map[string]any{"user": anna, "message_id": menu.MessageID, "data": strings.Repeat("x", 65)}, http.StatusBadRequest, "1-64 bytes"},
		{"no such message", "/sandbox/press", map[string]any{"user": anna, "message_id": 99999, "data": "stats"}, http.StatusNotFound, "not in"},
		{"pay a text message", "/sandbox/pay", map[string]any{"user": anna, "message_id": menu.MessageID}, http.StatusBadRequest, "not an invoice"},
		{"crowd too big", "/sandbox/crowd", map[string]any{"n": 100000, "draw_id": xtr.ID}, http.StatusBadRequest, "1 to 500"},
		{"crowd without a draw", "/sandbox/crowd", map[string]any{"n": 3}, http.StatusBadRequest, "choose the draw"},
		{"unknown field", "/sandbox/send", map[string]any{"user": anna, "txt": "/start"}, http.StatusBadRequest, "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := sb.post(t, tc.path, tc.body)
			if code != tc.status || !strings.Contains(fmt.Sprint(out["error"]), tc.says) {
				t.Fatalf("%d %v; want %d saying %q", code, out, tc.status, tc.says)
			}
		})
	}
	resp, err := http.Post(sb.base+"/sandbox/send", "application/json", strings.NewReader(`{"user":1001,"text":"`+strings.Repeat("a", 70<<10)+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("70 KiB request: %d, want 413", resp.StatusCode)
	}
	if v := tg.Violations(); len(v) > 0 {
		t.Fatalf("Bot API spec violations: %v", v)
	}
}

// TestSandboxCrowdJoinsAndLedgerStaysClean: a crowd pays its way into the Stars draw through
// the bot, the draw is forced, settled, and `ledger check` passes on the sandbox's database.
func TestSandboxCrowdJoinsAndLedgerStaysClean(t *testing.T) {
	sb := startSandbox(t)
	xtr := sb.drawOf(t, config.CurrencyXTR)
	rub := sb.drawOf(t, config.CurrencyRUB)
	for _, tc := range []struct {
		id int64
		n  int
	}{{xtr.ID, 4}, {rub.ID, 1}} {
		if code, out := sb.post(t, "/sandbox/crowd", map[string]any{"n": tc.n, "draw_id": tc.id}); code != http.StatusOK {
			t.Fatalf("crowd: %d %v", code, out)
		}
	}
	waitUntil(t, "crowd joined", func() bool {
		st := sandboxState(t, sb)
		if st.Crowd.Failed > 0 {
			t.Fatalf("crowd: %+v", st.Crowd)
		}
		return st.Crowd.Joined == 5
	})
	waitUntil(t, "entries", func() bool { return show(t, sb.env, xtr.ID).Entries == 4 && show(t, sb.env, rub.ID).Entries == 1 })
	for _, id := range []int64{xtr.ID, rub.ID} {
		waitUntil(t, "ticket", func() bool { return show(t, sb.env, id).TicketID != "" })
		if code, _, errOut := runCmd(t, t.Context(), sb.env, "raffle", "draw", fmt.Sprint(id)); code != 0 {
			t.Fatalf("raffle draw: %s", errOut)
		}
	}
	for _, id := range []int64{xtr.ID, rub.ID} {
		waitUntil(t, "settled", func() bool { return show(t, sb.env, id).Status == raffle.StatusSettled })
	}
	if got := sb.fakes.Telegram.StarBalance(); got != 40 {
		t.Fatalf("the bot holds %d Stars, want 40", got)
	}
	if code, out, errOut := runCmd(t, t.Context(), sb.env, "ledger", "check"); code != 0 {
		t.Fatalf("ledger check after a sandbox draw: %s %s", out, errOut)
	}
	if v := sb.fakes.Telegram.Violations(); len(v) > 0 {
		t.Fatalf("Bot API spec violations: %v", v)
	}
}

func sandboxState(t *testing.T, sb *runningSandbox) sandbox.State {
	t.Helper()
	resp, err := http.Get(sb.base + "/sandbox/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st sandbox.State
	if err := jsonDecode(resp, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func lastBotMessage(tg *telegramtest.Server, chat int64, sub string) telegramtest.Message {
	var out telegramtest.Message
	for _, m := range tg.Messages(chat) {
		if m.FromBot() && strings.Contains(m.Text, sub) {
			out = m
		}
	}
	return out
}

// TestSandboxWithoutServices: with PostgreSQL or Redis down, the sandbox says what to run
// instead of a stack trace; a bad flag prints the usage.
func TestSandboxWithoutServices(t *testing.T) {
	closed := freeAddr(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		says string
	}{
		{"postgres down", map[string]string{"DATABASE_URL": "postgres://postgres@" + closed + "/postgres", "HTTP_ADDR": freeAddr(t)}, "PostgreSQL is not reachable"},
		{"redis down", map[string]string{"REDIS_URL": "redis://" + closed, "HTTP_ADDR": freeAddr(t)}, "Redis is not reachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, t.Context(), tc.env, "sandbox")
			if code != exitFail || !strings.Contains(stderr, tc.says) || !strings.Contains(stderr, "docker compose run") ||
				strings.Contains(stderr, "goroutine ") {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
		})
	}
	if code, _, stderr := runCmd(t, t.Context(), nil, "sandbox", "--nope"); code != exitUsage || !strings.Contains(stderr, "sandbox [--reset]") {
		t.Fatalf("bad flag: exit %d %s", code, stderr)
	}
}

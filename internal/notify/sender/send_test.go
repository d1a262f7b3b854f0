package sender_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// A draw result to 5,000 users at 1000/s: Telegram (the fake, counting sliding one-second
// windows) never answers 429, everyone gets exactly one message, and the order is winners,
// then participants, then observers.
func TestFanoutAtLimit(t *testing.T) {
	e := newEnv(t, telegramtest.Config{GlobalRate: 1000, PerChatRate: 1})
	ids := e.addUsers(1_000_001, 5000)
	winners, participants, observers := ids[:3], ids[3:4000], ids[4000:]
	p := e.startProc(procOptions{global: 1000})
	e.enqueue(fanout("draw:1:result", winners, participants, observers))
	e.waitDone()

	if n := e.tg.TooManyRequests(); n != 0 {
		t.Fatalf("Telegram answered 429 %d times", n)
	}
	e.wantEach(ids, 1)
	order := e.sendOrder()
	rank := map[int64]int{}
	for _, id := range participants {
		rank[id] = 1
	}
	for _, id := range observers {
		rank[id] = 2
	}
	for i := 1; i < len(order); i++ {
		if rank[order[i]] < rank[order[i-1]] {
			t.Fatalf("message %d went to %d (group %d) after %d (group %d): winners, participants, observers out of order",
				i, order[i], rank[order[i]], order[i-1], rank[order[i-1]])
		}
	}
	if got := p.count(t, "sent_total"); got != 5000 {
		t.Fatalf("sent_total = %v, want 5000", got)
	}
}

// Telegram's 429s are waited out: the chat is tried again no sooner than retry_after, and
// everyone still gets exactly one message.
func TestTooManyRequestsWaitedOut(t *testing.T) {
	e := newEnv(t, telegramtest.Config{GlobalRate: 100, PerChatRate: 1})
	ids := e.addUsers(2_000_001, 100)
	p := e.startProc(procOptions{global: 100})
	e.tg.FailNext("sendMessage", 5, http.StatusTooManyRequests) // retry_after 1
	e.enqueue(fanout("draw:2:opened", nil, nil, ids))
	e.waitDone()

	e.wantEach(ids, 1)
	if n := e.tg.TooManyRequests(); n != 5 {
		t.Fatalf("Telegram answered 429 %d times, want only the 5 injected", n)
	}
	if got := p.count(t, "throttled_total"); got != 5 {
		t.Fatalf("throttled_total = %v, want 5", got)
	}
	firstTry := map[int64]time.Time{}
	for _, a := range p.sent.attempts() {
		if a.err != nil {
			firstTry[a.chat] = a.at
			continue
		}
		if at, ok := firstTry[a.chat]; ok && a.at.Sub(at) < time.Second {
			t.Fatalf("chat %d was tried again %v after its 429, before retry_after (1s)", a.chat, a.at.Sub(at))
		}
	}
	if len(firstTry) != 5 {
		t.Fatalf("%d chats got a 429, want 5", len(firstTry))
	}
}

// Users who blocked the bot are marked on the first 403 and never written to again.
func TestBlockedUsersAreSkipped(t *testing.T) {
	e := newEnv(t, telegramtest.Config{GlobalRate: 1000, PerChatRate: 1})
	ids := e.addUsers(3_000_001, 50)
	blocked := ids[:10]
	for _, id := range blocked {
		e.tg.BlockUser(telegramtest.User{ID: id, FirstName: "Gone", LanguageCode: "en"})
	}
	p := e.startProc(procOptions{global: 1000})

	e.enqueue(fanout("draw:3:opened", nil, nil, ids))
	e.waitDone()
	var marked []int64
	rows, err := e.pool.Query(t.Context(), `SELECT telegram_id FROM users WHERE blocked_at IS NOT NULL ORDER BY telegram_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		marked = append(marked, id)
	}
	if rows.Err() != nil || !slices.Equal(marked, blocked) {
		t.Fatalf("users marked blocked: %v (%v), want %v", marked, rows.Err(), blocked)
	}
	calls := len(e.tg.Calls("sendMessage"))

	e.enqueue(fanout("draw:4:opened", nil, nil, ids))
	e.waitDone()
	if got := len(e.tg.Calls("sendMessage")) - calls; got != 40 {
		t.Fatalf("second event made %d sendMessage calls, want 40 (none to the blocked)", got)
	}
	e.wantEach(ids[10:], 2)
	for name, want := range map[string]float64{"blocked_users_total": 10, "skipped_blocked_total": 10, "sent_total": 80} {
		if got := p.count(t, name); got != want {
			t.Fatalf("%s = %v, want %v", name, got, want)
		}
	}
}

// A sender stopped hard in the middle of a fan-out (jobs in flight cancelled) and a new one
// started on the same database finish it: nobody is lost, nobody gets a message twice.
func TestRestartMidFanout(t *testing.T) {
	e := newEnv(t, telegramtest.Config{GlobalRate: 1000, PerChatRate: 1})
	ids := e.addUsers(4_000_001, 3000)
	first := e.startProc(procOptions{global: 1000})
	e.enqueue(fanout("draw:5:result", ids[:1], ids[1:2500], ids[2500:]))
	waitFor(t, "a third of the fan-out", time.Minute, func() bool { return first.sent.delivered() >= 1000 })
	first.stop(t, true)
	var running int
	if err := e.pool.QueryRow(t.Context(), `SELECT count(*) FROM river_job WHERE state = 'running'`).Scan(&running); err != nil {
		t.Fatal(err)
	}
	if running != 0 {
		t.Fatalf("%d jobs left running by the stop", running)
	}
	left := e.unfinished()
	if left == 0 {
		t.Fatal("the fan-out finished before the stop; nothing tested")
	}

	second := e.startProc(procOptions{global: 1000})
	e.waitDone()
	e.wantEach(ids, 1)
	if n := e.tg.TooManyRequests(); n != 0 {
		t.Fatalf("Telegram answered 429 %d times", n)
	}
	if a, b := first.sent.delivered(), second.sent.delivered(); a+b != len(ids) || b == 0 {
		t.Fatalf("first sent %d, second %d; want %d in all, some by each", a, b, len(ids))
	}
	t.Logf("stopped with %d jobs left; first process sent %d, second %d", left, first.sent.delivered(), second.sent.delivered())
}

// Two processes sharing one Redis stay under the global limit together; a control with a
// budget each (different prefixes) shows the fake would have caught them going over.
func TestTwoSendersShareTheLimit(t *testing.T) {
	tests := []struct {
		name      string
		shared    bool
		want429   bool
		usersFrom int64
	}{
		{name: "one Redis budget", shared: true, usersFrom: 5_000_001},
		{name: "a budget each (control)", shared: false, want429: true, usersFrom: 6_000_001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const rate = 300
			e := newEnv(t, telegramtest.Config{GlobalRate: rate, PerChatRate: 1})
			ids := e.addUsers(tt.usersFrom, 1200)
			a := e.startProc(procOptions{global: rate, workers: 50})
			prefix := e.prefix
			if !tt.shared {
				prefix += "b:"
			}
			b := e.startProc(procOptions{global: rate, workers: 50, prefix: prefix})
			e.enqueue(fanout("draw:6:opened", nil, nil, ids))
			e.waitDone()

			e.wantEach(ids, 1)
			if n := e.tg.TooManyRequests(); (n > 0) != tt.want429 {
				t.Fatalf("Telegram answered 429 %d times; want some: %v", n, tt.want429)
			}
			if a.sent.delivered() == 0 || b.sent.delivered() == 0 {
				t.Fatalf("one process did all the work (%d, %d)", a.sent.delivered(), b.sent.delivered())
			}
		})
	}
}

// Paid broadcast: messages of a fan-out carry allow_paid_broadcast when the operator allows it;
// personal messages never do.
func TestPaidBroadcast(t *testing.T) {
	tests := []struct {
		name  string
		allow bool
	}{
		{"allowed", true},
		{"not allowed", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, telegramtest.Config{GlobalRate: 1000, PerChatRate: 1})
			ids := e.addUsers(7_000_001+int64(i)*1000, 20)
			e.startProc(procOptions{paid: tt.allow})
			e.enqueue(fanout("draw:7:result", ids[:1], ids[1:], nil))
			e.waitDone()
			e.wantEach(ids, 1)
			for _, c := range e.tg.Calls("sendMessage") {
				var p struct {
					ChatID int64 `json:"chat_id"`
					Paid   bool  `json:"allow_paid_broadcast"`
				}
				if err := c.Decode(&p); err != nil {
					t.Fatal(err)
				}
				if want := tt.allow && p.ChatID != ids[0]; p.Paid != want {
					t.Fatalf("message to %d: allow_paid_broadcast %v, want %v", p.ChatID, p.Paid, want)
				}
			}
		})
	}
}

// Errors other than 429 and 403 are retried with backoff; a message that runs out of attempts,
// or that Telegram refuses outright, is a dead letter: counted, logged, kept in River.
func TestDeadLetters(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		fail       int // sendMessage calls that fail
		wantState  string
		wantFailed float64
	}{
		{name: "a retry succeeds", status: http.StatusInternalServerError, fail: 1, wantState: "completed", wantFailed: 1},
		{name: "out of attempts", status: http.StatusBadGateway, fail: 2, wantState: "discarded", wantFailed: 2},
		{name: "refused by Telegram", status: http.StatusBadRequest, fail: 1, wantState: "cancelled", wantFailed: 1},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, telegramtest.Config{})
			ids := e.addUsers(8_000_001+int64(i), 1)
			p := e.startProc(procOptions{})
			e.tg.FailNext("sendMessage", tt.fail, tt.status)
			opts := notify.SendArgs{}.InsertOpts()
			opts.MaxAttempts = 2
			args := notify.SendArgs{EventKey: "draw:8:opened", ChatID: ids[0], Key: "notify.draw_opened"}
			if _, err := e.jobs.Insert(t.Context(), args, &opts); err != nil {
				t.Fatal(err)
			}
			e.waitDone()
			var state string
			if err := e.pool.QueryRow(t.Context(), `SELECT state FROM river_job WHERE kind = 'notify_send'`).Scan(&state); err != nil {
				t.Fatal(err)
			}
			dead := tt.wantState != "completed"
			if state != tt.wantState {
				t.Fatalf("job %s, want %s", state, tt.wantState)
			}
			if got := p.count(t, "failed_total"); got != tt.wantFailed {
				t.Fatalf("failed_total = %v, want %v", got, tt.wantFailed)
			}
			wantDead := 0.0
			if dead {
				wantDead = 1
			}
			if got := p.count(t, "dead_letters_total"); got != wantDead {
				t.Fatalf("dead_letters_total = %v, want %v", got, wantDead)
			}
			if logged := slices.Contains(e.logs.messages("ERROR"), "notification given up"); logged != dead {
				t.Fatalf("dead letter logged: %v, want %v", logged, dead)
			}
		})
	}
}

// TestRecipientLookup: one look-up before a send tells the language (a user's own, Russian
// for a chat that is not a user of ours), a user who blocked the bot (skipped) and a message
// of the event already sent (not sent again).
func TestRecipientLookup(t *testing.T) {
	t.Parallel()
	e := newEnv(t, telegramtest.Config{})
	ids := e.addUsers(9100, 3) // English speakers
	english, gone, done := ids[0], ids[1], ids[2]
	stranger := int64(9200) // known to Telegram, not in our users table
	e.tg.AddUser(telegramtest.User{ID: stranger, FirstName: "Stranger", LanguageCode: "en"})
	if _, err := e.pool.Exec(t.Context(), "UPDATE users SET blocked_at = now() WHERE telegram_id = $1", gone); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(t.Context(), "INSERT INTO notifications_sent (event_key, telegram_id, sent_at) VALUES ('e:1', $1, now())", done); err != nil {
		t.Fatal(err)
	}
	p := e.startProc(procOptions{})
	args := map[string]i18n.Arg{"id": i18n.I(1), "title": i18n.S("T"), "codes": i18n.S("A1"), "code": i18n.S("B2"), "proof_url": i18n.S("https://x/p/1")}
	var msgs []notify.Message
	for _, chat := range []int64{english, gone, done, stranger} {
		msgs = append(msgs, notify.Message{EventKey: "e:1", ChatID: chat, Key: "notify.result", Args: args, Priority: notify.PriorityParticipant})
	}
	e.enqueue(msgs)
	e.waitDone()
	sent := map[int64]string{}
	for _, c := range e.tg.Calls("sendMessage") {
		var m telego.SendMessageParams
		if err := c.Decode(&m); err != nil {
			t.Fatal(err)
		}
		sent[m.ChatID.ID] = m.Text
	}
	if len(sent) != 2 || !strings.HasPrefix(sent[english], "Results of draw #1") || !strings.HasPrefix(sent[stranger], "Итоги розыгрыша #1") {
		t.Fatalf("sent %v, want English to %d and Russian to %d only", sent, english, stranger)
	}
	if got := p.count(t, "skipped_blocked_total"); got != 1 {
		t.Fatalf("skipped_blocked_total = %v, want 1", got)
	}
}

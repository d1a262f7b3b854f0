package sender_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/notify/sender"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// 1,000 joins to one draw make one digest per participant, not a message per join to every
// participant (half a million); more joins within the interval wait for it to pass, and the
// next digest counts only the newcomers.
func TestJoinDigest(t *testing.T) {
	const interval = 10 * time.Minute
	b := raffletest.Setup(t, raffletest.Options{NoStart: true, DigestInterval: interval})
	// The draw's clock runs an hour behind River's, so every digest it schedules is due.
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	b.Clock.Set(start)
	d, err := b.Svc.Create(t.Context(), raffle.Params{
		Title: "Большой розыгрыш", Currency: "XTR", Fee: 1, Min: 5000, Deadline: start.Add(24 * time.Hour), Source: raffle.SourceDrand,
	}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	pay := func(from, to int) {
		for u := from; u < to; u++ {
			b.Pay(t, d, int64(u), fmt.Sprintf("charge-%d", u))
		}
	}
	digests := func() map[int64][]string {
		out := map[int64][]string{}
		for _, m := range b.Sent.All() {
			if strings.Contains(m.Text, "добавилось") {
				out[m.ChatID] = append(out[m.ChatID], m.Text)
			}
		}
		return out
	}
	text := func(newer, total int64) string {
		return i18n.Render(i18n.RU, "notify.joined_digest", map[string]i18n.Arg{
			"id": i18n.I(d.ID), "title": i18n.S(d.Title), "participants": i18n.N(newer, "participants"), "total": i18n.I(total),
		})
	}
	count := func(m map[int64][]string) (n int) {
		for _, texts := range m {
			n += len(texts)
		}
		return n
	}

	// 1,000 joins within one interval: one digest, to everyone but the last to join.
	pay(1, 1001)
	b.Start()
	raffletest.WaitFor(t, "the first digest", func() bool { return count(digests()) == 999 })
	got := digests()
	if first := got[1]; len(first) != 1 || first[0] != text(999, 1000) {
		t.Fatalf("the first participant was told %q, want %q", first, text(999, 1000))
	}
	if len(got[1000]) != 0 {
		t.Fatalf("the last to join was told about themselves: %q", got[1000])
	}

	// 50 more a minute later: the digest waits for the interval, then tells the news once.
	b.Clock.Set(start.Add(time.Minute))
	pay(1001, 1051)
	raffletest.WaitFor(t, "the next digest to be put off", func() bool {
		return b.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'raffle_digest' AND state = 'scheduled'`) == 1
	})
	if n := count(digests()); n != 999 {
		t.Fatalf("%d digests within the interval, want still 999", n)
	}
	// The interval passes: on the draw's clock, and for River, whose snooze is made due now.
	b.Clock.Set(start.Add(interval))
	if _, err := b.Pool.Exec(t.Context(), `UPDATE river_job SET state = 'available', scheduled_at = now() WHERE kind = 'raffle_digest' AND state = 'scheduled'`); err != nil {
		t.Fatal(err)
	}
	raffletest.WaitFor(t, "the second digest", func() bool { return count(digests()) == 999+1049 })
	got = digests()
	tests := []struct {
		name string
		user int64
		want []string
	}{
		{"first to join", 1, []string{text(999, 1000), text(50, 1050)}},
		{"last of the first thousand", 1000, []string{text(50, 1050)}},
		{"one of the newcomers", 1025, []string{text(25, 1050)}},
		{"last to join", 1050, nil},
	}
	for _, tt := range tests {
		if fmt.Sprint(got[tt.user]) != fmt.Sprint(tt.want) {
			t.Fatalf("%s (%d) was told %q, want %q", tt.name, tt.user, got[tt.user], tt.want)
		}
	}
	for user, texts := range got {
		if len(texts) > 2 {
			t.Fatalf("participant %d got %d digests in two intervals", user, len(texts))
		}
	}
}

// A real draw's result, through the draw service's fan-out, the send worker with the Redis
// limiter and the telego sender: the winners hear first, then the participants, then the
// observers, each exactly once.
func TestDrawResultOrder(t *testing.T) {
	b := raffletest.Setup(t, raffletest.Options{NoStart: true, NoSendWorker: true})
	tg := telegramtest.NewServer(t, telegramtest.Config{GlobalRate: 1000, PerChatRate: 1})
	bot, err := telegram.NewBot(telegramtest.Token, tg.URL(), tg.Client(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	rdb, prefix := newRedis(t)
	lim, err := sender.NewRedisLimiter(sender.LimiterConfig{Redis: rdb, Prefix: prefix, Global: 1000})
	if err != nil {
		t.Fatal(err)
	}
	river.AddWorker(b.Workers, sender.NewWorker(sender.WorkerConfig{Pool: b.Pool, Sender: telegram.NewSender(bot), Limiter: lim, Logger: b.Logger}))
	b.Start()

	d, err := b.Svc.Create(t.Context(), raffle.Params{
		Title: "Итоги по порядку", Currency: "XTR", Fee: 10, Min: 30, Winners: 2, Deadline: time.Now().Add(time.Hour),
	}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	raffletest.WaitFor(t, "ticket", func() bool { d, _ := b.Svc.Get(t.Context(), d.ID); return d.TicketID != "" })
	var participants, observers []int64
	for i := range 30 {
		participants = append(participants, int64(9_000_001+i))
	}
	for i := range 20 {
		observers = append(observers, int64(9_100_001+i))
	}
	if _, err := b.Pool.Exec(t.Context(), `INSERT INTO users (telegram_id, first_seen_at, last_seen_at)
		SELECT unnest($1::bigint[]), now(), now()`, observers); err != nil {
		t.Fatal(err)
	}
	for _, id := range append(participants, observers...) {
		tg.AddUser(telegramtest.User{ID: id, FirstName: "U"})
	}
	for i, id := range participants {
		b.Pay(t, d, id, fmt.Sprintf("charge-%d", i))
	}
	if err := b.Svc.ForceDraw(t.Context(), d.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	won := b.WaitStatus(t, d.ID, raffle.StatusSettled)
	group := map[int64]int{}
	for _, id := range participants {
		group[id] = 1
	}
	for _, w := range won.Winners {
		group[w.TelegramID] = 0
	}
	for _, id := range observers {
		group[id] = 2
	}
	isResult := func(text string) bool {
		return strings.HasPrefix(text, "Поздравляем!") || strings.HasPrefix(text, "Итоги розыгрыша")
	}
	var order []int64
	raffletest.WaitFor(t, "every result", func() bool {
		order = order[:0]
		for _, c := range tg.Calls("sendMessage") {
			var p struct {
				ChatID int64  `json:"chat_id"`
				Text   string `json:"text"`
			}
			if err := c.Decode(&p); err != nil {
				t.Fatal(err)
			}
			if c.Status == 200 && isResult(p.Text) {
				order = append(order, p.ChatID)
			}
		}
		return len(order) >= 50
	})
	seen := map[int64]bool{}
	for i, id := range order {
		if seen[id] {
			t.Fatalf("%d got the result twice", id)
		}
		seen[id] = true
		if i > 0 && group[id] < group[order[i-1]] {
			t.Fatalf("result %d went to %d (group %d) after %d (group %d); want winners, participants, observers", i, id, group[id], order[i-1], group[order[i-1]])
		}
	}
	if len(order) != 50 || tg.TooManyRequests() != 0 {
		t.Fatalf("%d results, %d 429s; want 50 and none", len(order), tg.TooManyRequests())
	}
}

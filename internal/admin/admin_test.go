package admin_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/admin"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/moderation"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// TestCreateDrawThroughDialog: an admin creates a draw entirely through the dialog, with wrong
// answers corrected on the way, a step back, a button of an earlier step that no longer works,
// and a restart of the whole process in the middle: the new process continues the dialog from
// Redis, buttons sent by the old one included.
func TestCreateDrawThroughDialog(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := organiser
	menu := f.say(t, a, "/admin")
	mustContain(t, menu, "Панель организатора")
	_, first := f.press(t, a, menu, "adm:new")
	mustContain(t, first, "шаг 1 из 10", "Название розыгрыша")

	replies := map[string]telegramtest.Message{}
	for _, st := range []struct {
		name    string
		say     string // typed, or
		click   string // the suffix of a button's data under the latest message (or under the reply to step under)
		under   string
		restart bool
		want    []string // in the bot's reply
		answer  string   // in the answer to the button press
	}{
		{name: "title", say: "Летний розыгрыш", want: []string{"шаг 2 из 10", "Валюта взноса"}},
		{name: "currency", click: ":set:XTR", want: []string{"шаг 3 из 10", "Взнос в звёздах"}},
		{name: "a fee that is not a number", say: "десять", want: []string{"⚠️", "целое число от 1 до 100000", "шаг 3 из 10"}},
		{name: "a fee of zero", say: "0", want: []string{"⚠️", "шаг 3 из 10"}},
		{name: "the fee corrected", say: "25", want: []string{"шаг 4 из 10", "Минимум участников"}},
		{name: "minimum", say: "3", want: []string{"шаг 5 из 10", "не меньше 3"}},
		{name: "no maximum", click: ":set:none", want: []string{"шаг 6 из 10", "от 1 до 3"}},
		{name: "more winners than the minimum", say: "4", want: []string{"⚠️", "от 1 до 3", "шаг 6 из 10"}},
		{name: "back to the maximum", click: ":back", want: []string{"шаг 5 из 10"}},
		{name: "keep no maximum", click: ":keep", want: []string{"шаг 6 из 10"}},
		{name: "a button of an earlier step", under: "the fee corrected", click: ":back", answer: "уже пройден"},
		{name: "winners corrected", say: "2", want: []string{"шаг 7 из 10", "Комиссия организатора"}},
		{name: "restart in the middle of the dialog", restart: true},
		{name: "the default commission, on a button the old process sent", click: ":set:def", want: []string{"шаг 8 из 10", "Когда подвести итог"}},
		{name: "a deadline in the past", say: "01.01.2020 10:00", want: []string{"⚠️", "шаг 8 из 10"}},
		{name: "a deadline that is not a time", say: "скоро", want: []string{"⚠️", "шаг 8 из 10"}},
		{name: "deadline in two days", say: "2д", want: []string{"шаг 9 из 10", "Когда закрывать приём"}},
		{name: "close mode", click: ":set:deadline", want: []string{"шаг 10 из 10", "Источник случайности"}},
		{name: "source", click: ":set:drand", want: []string{"Проверьте новый розыгрыш", "Летний розыгрыш", "⭐ Звёзды (XTR)", "25 ⭐",
			"Минимум участников: 3", "Максимум: без ограничения", "Победителей: 2", "Комиссия: 10,00%", "03.07.2026 12:00 МСК", "в срок итога", "drand"}},
		{name: "typing at the summary", say: "да", want: []string{"⚠️", "кнопкой", "Проверьте новый розыгрыш"}},
		{name: "back from the summary", click: ":back", want: []string{"шаг 10 из 10"}},
		{name: "keep the source", click: ":keep", want: []string{"Проверьте новый розыгрыш", "Приз: на баланс в боте"}},
		{name: "the prize as a gift", click: ":prize:gift", want: []string{"Проверьте новый розыгрыш", "Приз: сразу подарком Telegram"}},
		{name: "create", click: ":ok", want: []string{"Розыгрыш #1 создан и открыт", "Участников: 0 (минимум 3, максимум без ограничения)"}},
	} {
		if st.restart {
			f.restart(t)
			continue
		}
		var got telegramtest.Message
		var ans telegramtest.CallbackAnswer
		switch {
		case st.say != "":
			got = f.say(t, a, st.say)
		case st.under != "":
			m := replies[st.under]
			ans, got = f.press(t, a, m, data(t, m, st.click))
		default:
			ans, got = f.click(t, a, st.click)
		}
		if !strings.Contains(ans.Text, st.answer) {
			t.Fatalf("%s: answer %q, want %q", st.name, ans.Text, st.answer)
		}
		for _, w := range st.want {
			if !strings.Contains(got.Text, w) {
				t.Fatalf("%s: reply lacks %q:\n%s\n(answer %+v)", st.name, w, got.Text, ans)
			}
		}
		replies[st.name] = got
	}

	draws, err := f.rt.Svc.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(draws) != 1 || draws[0].Prize != raffle.PrizeGift {
		t.Fatalf("the draw's prize is not a gift: %+v", draws)
	}
	type shape struct {
		Title, Currency, Status, Mode, Source string
		Fee                                   int64
		Min, Winners, CommissionBP, PerUser   int
		Max                                   *int
		Deadline                              time.Time
	}
	var got []shape
	for _, d := range draws {
		got = append(got, shape{d.Title, d.Currency, d.Status, d.CloseMode, d.Source, d.Fee, d.Min, d.WinnersCount, d.CommissionBP, d.MaxEntriesPerUser, d.Max, d.Deadline})
	}
	want := []shape{{"Летний розыгрыш", "XTR", raffle.StatusOpen, raffle.ModeDeadline, raffle.SourceDrand, 25, 3, 2, 1000, 1, nil, start.Add(48 * time.Hour)}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("draws (-want +got):\n%s", diff)
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM audit_log WHERE action = 'raffle.create' AND actor = 'admin:900' AND raffle_id = $1", draws[0].ID); n != 1 {
		t.Fatalf("%d raffle.create rows by the admin", n)
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM raffles WHERE created_by = 900"); n != 1 {
		t.Fatalf("created_by not recorded")
	}
	if _, ok, err := admin.NewDialogStore(f.rdb, f.prefix, 0).Get(t.Context(), adminID); err != nil || ok {
		t.Fatalf("dialog still stored after creating: %v %v", ok, err)
	}
	if v := f.tg.Violations(); len(v) > 0 {
		t.Fatalf("spec violations: %v", v)
	}
}

// TestCancelledDialogCreatesNothing: cancel at a step, and back from the first step, leave
// the panel and create nothing.
func TestCancelledDialogCreatesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := organiser
	for _, tc := range []struct {
		name  string
		steps []string // typed text, or ":"-prefixed button suffixes
	}{
		{"cancel at the fee", []string{"adm:new", "Осень", ":set:XTR", ":cancel"}},
		{"back from the first step", []string{"adm:new", ":back"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.say(t, a, "/admin")
			var last telegramtest.Message
			for _, s := range tc.steps {
				if strings.Contains(s, ":") {
					_, last = f.click(t, a, s)
				} else {
					last = f.say(t, a, s)
				}
			}
			mustContain(t, last, "Панель организатора")
			if strings.Contains(buttons(last), "adm:cont") {
				t.Fatalf("the menu offers to continue a finished dialog")
			}
		})
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM raffles"); n != 0 {
		t.Fatalf("%d draws created", n)
	}
}

// TestNonAdminChangesNothing: /admin from someone else shows the ordinary menu, and forged
// panel buttons change nothing; every attempt is in the audit log.
func TestNonAdminChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	d := f.createDraw(t, nil)
	u := user(7)
	menu := f.say(t, u, "/admin")
	if !strings.Contains(buttons(menu), "list:XTR") || strings.Contains(buttons(menu), "adm:") {
		t.Fatalf("a non-admin got %q with %s", menu.Text, buttons(menu))
	}
	forged := []string{
		"adm:new", fmt.Sprintf("adm:do:cancel:%d", d.ID), fmt.Sprintf("adm:do:force:%d", d.ID), fmt.Sprintf("adm:do:pause:%d", d.ID),
		"adm:d:1:ok", "adm:set:max_entries_per_day", "adm:ban:new", fmt.Sprintf("adm:csv:%d", d.ID), "adm:do:ann:1",
	}
	for i, data := range forged {
		_, err := f.tg.Update("callback_query", map[string]any{
			"id": fmt.Sprintf("%d", 4382999000000000000+i), "chat_instance": "-1", "data": data,
			"from":    map[string]any{"id": u.ID, "is_bot": false, "first_name": u.FirstName, "language_code": "ru"},
			"message": map[string]any{"message_id": menu.MessageID, "date": menu.Date, "chat": map[string]any{"id": u.ID, "type": "private"}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	f.settle(t)
	for _, data := range append([]string{"/admin"}, forged...) {
		if n := f.rt.Count(t, "SELECT count(*) FROM audit_log WHERE action = 'admin.denied' AND actor = 'user:7' AND subject = $1", data); n != 1 {
			t.Fatalf("%s: %d admin.denied rows", data, n)
		}
	}
	got, err := f.rt.Svc.Get(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != raffle.StatusOpen || got.EntriesPaused {
		t.Fatalf("draw is %s, paused %v", got.Status, got.EntriesPaused)
	}
	for _, tc := range []struct {
		sql  string
		want int
	}{
		{"SELECT count(*) FROM raffles", 1},
		{"SELECT count(*) FROM settings", 0},
		{"SELECT count(*) FROM users WHERE banned_at IS NOT NULL", 0},
		{"SELECT count(*) FROM audit_log WHERE action NOT IN ('admin.denied', 'raffle.create', 'raffle.ticket')", 0},
	} {
		if n := f.rt.Count(t, tc.sql); n != tc.want {
			t.Fatalf("%s = %d, want %d", tc.sql, n, tc.want)
		}
	}
	if n := len(f.tg.Calls("sendDocument")); n != 0 {
		t.Fatalf("%d documents sent", n)
	}
	if _, ok, err := admin.NewDialogStore(f.rdb, f.prefix, 0).Get(t.Context(), u.ID); err != nil || ok {
		t.Fatalf("a dialog was started for a non-admin: %v %v", ok, err)
	}
	// The panel checks again, should the bot ever let someone else through.
	sent := len(f.tg.Calls("sendMessage"))
	msg := &telego.Message{From: &telego.User{ID: u.ID, FirstName: u.FirstName}, Chat: telego.Chat{ID: u.ID, Type: telego.ChatTypePrivate}, Text: "/admin"}
	if err := f.panel.HandleCommand(t.Context(), msg, ""); err != nil {
		t.Fatal(err)
	}
	if used, err := f.panel.HandleText(t.Context(), msg); used || err != nil {
		t.Fatalf("HandleText = %v, %v", used, err)
	}
	if n := len(f.tg.Calls("sendMessage")); n != sent {
		t.Fatalf("the panel answered a non-admin")
	}
}

// TestDrawActionsFromPanel: stop entries, force the draw, cancel with refunds, each after a
// confirmation step, and a forced draw below its minimum refused.
func TestDrawActionsFromPanel(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := organiser
	for i, tc := range []struct {
		name    string
		entries int
		act     string
		confirm string // in the confirmation
		note    string // in the answer and on the card
		alert   bool
		check   func(t *testing.T, d raffle.Draw, charges []string)
	}{
		{
			name: "stop accepting entries", entries: 1, act: "pause", confirm: "Остановить приём", note: "остановлен",
			check: func(t *testing.T, d raffle.Draw, _ []string) {
				if got, _ := f.rt.Svc.Get(t.Context(), d.ID); !got.EntriesPaused || got.Status != raffle.StatusOpen {
					t.Fatalf("draw %+v", got)
				}
				card := f.say(t, user(799), fmt.Sprintf("/join_raffle %d", d.ID))
				mustContain(t, card, "приостановлен")
			},
		},
		{
			name: "force the draw", entries: 2, act: "force", confirm: "Провести розыгрыш", note: "закрыт, определяются победители",
			check: func(t *testing.T, d raffle.Draw, _ []string) {
				got := f.rt.WaitStatus(t, d.ID, raffle.StatusSettled)
				if len(got.Winners) != 1 {
					t.Fatalf("winners %+v", got.Winners)
				}
				if n := f.rt.Count(t, "SELECT count(*) FROM audit_log WHERE action = 'raffle.force_draw' AND actor = 'admin:900' AND raffle_id = $1", d.ID); n != 1 {
					t.Fatalf("%d force_draw rows", n)
				}
			},
		},
		{
			name: "cancel with refunds", entries: 2, act: "cancel", confirm: "Все взносы", note: "отменён, взносы возвращаются",
			check: func(t *testing.T, d raffle.Draw, charges []string) {
				f.rt.WaitStatus(t, d.ID, raffle.StatusRefunded)
				for _, c := range charges {
					if p, ok := f.tg.Payment(c); !ok || !p.Refunded {
						t.Fatalf("charge %s not refunded by Telegram: %+v", c, p)
					}
				}
				if n := f.rt.Count(t, "SELECT count(*) FROM audit_log WHERE action = 'raffle.cancel' AND actor = 'admin:900' AND raffle_id = $1", d.ID); n != 1 {
					t.Fatalf("%d cancel rows", n)
				}
				if bal := f.rt.Balance(t, ledger.PoolAccount(d.ID, "XTR")); bal != 0 {
					t.Fatalf("pool holds %d", bal)
				}
			},
		},
		{
			name: "force below the minimum is refused", entries: 1, act: "force", confirm: "Провести розыгрыш", note: "Нельзя провести: участников 1", alert: true,
			check: func(t *testing.T, d raffle.Draw, _ []string) {
				if got, _ := f.rt.Svc.Get(t.Context(), d.ID); got.Status != raffle.StatusOpen {
					t.Fatalf("draw is %s", got.Status)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := f.createDraw(t, func(p *raffle.Params) { p.Title = tc.name[:10] })
			var charges []string
			for j := range tc.entries {
				charges = append(charges, f.enter(t, user(int64(700+i*10+j)), d))
			}
			f.say(t, a, "/admin")
			f.click(t, a, "adm:open")
			_, card := f.click(t, a, fmt.Sprintf("adm:draw:%d", d.ID))
			mustContain(t, card, fmt.Sprintf("Участников: %d", tc.entries), fmt.Sprintf("Фонд: %d ⭐", 10*tc.entries), "осталось: 1 д 0 ч")
			_, ask := f.click(t, a, fmt.Sprintf("adm:ask:%s:%d", tc.act, d.ID))
			mustContain(t, ask, tc.confirm, fmt.Sprintf("#%d", d.ID))
			ans, done := f.click(t, a, fmt.Sprintf("adm:do:%s:%d", tc.act, d.ID))
			if !strings.Contains(ans.Text, tc.note) || ans.ShowAlert != tc.alert {
				t.Fatalf("answer %+v, want %q (alert %v)", ans, tc.note, tc.alert)
			}
			mustContain(t, done, tc.note, fmt.Sprintf("Розыгрыш #%d", d.ID))
			tc.check(t, d, charges)
		})
	}
	f.rt.LedgerOK(t)
	f.audited(t)
	if v := f.tg.Violations(); len(v) > 0 {
		t.Fatalf("spec violations: %v", v)
	}
}

// TestParticipantsAndCSV: the paginated list and the CSV document list exactly the entries,
// in entry order, with how each was paid.
func TestParticipantsAndCSV(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := organiser
	d := f.createDraw(t, func(p *raffle.Params) { p.Min = 1 })
	named := telegramtest.User{ID: 301, FirstName: "=HYPERLINK(\"x\")", Username: "ann", LanguageCode: "ru"}
	f.enter(t, named, d)
	f.enter(t, user(302), d)
	f.credit(t, 303, 10)
	card := f.say(t, user(303), fmt.Sprintf("/join_raffle %d", d.ID))
	if ans, _ := f.press(t, user(303), card, fmt.Sprintf("pay:bal:%d", d.ID)); ans.Text != "" {
		t.Fatalf("balance entry refused: %+v", ans)
	}
	for i := range 22 {
		f.rt.Pay(t, d, int64(400+i), fmt.Sprintf("charge-%d", i))
	}

	f.say(t, a, "/admin")
	f.click(t, a, "adm:open")
	f.click(t, a, fmt.Sprintf("adm:draw:%d", d.ID))
	_, page1 := f.click(t, a, fmt.Sprintf("adm:ppl:%d:0", d.ID))
	mustContain(t, page1, "всего 25", "Страница 1 из 2", "1. ", "301 @ann", "звёзды", "3. ", "с баланса", "20. ")
	if strings.Contains(page1.Text, "21. ") {
		t.Fatalf("page 1 goes past 20:\n%s", page1.Text)
	}
	_, page2 := f.click(t, a, fmt.Sprintf("adm:ppl:%d:1", d.ID))
	mustContain(t, page2, "Страница 2 из 2", "21. ", "25. ")

	ans, doc := f.click(t, a, fmt.Sprintf("adm:csv:%d", d.ID))
	if ans.Text != "Файл отправлен." || doc.Document == nil {
		t.Fatalf("answer %+v, message %+v", ans, doc)
	}
	if doc.Document.FileName != fmt.Sprintf("draw-%d-entries.csv", d.ID) || doc.Document.MimeType != "text/csv" || !strings.Contains(doc.Caption, ": 25.") {
		t.Fatalf("document %+v, caption %q", doc.Document, doc.Caption)
	}
	got, err := csv.NewReader(bytes.NewReader(doc.Document.Data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.rt.Pool.Query(t.Context(), `
SELECT e.seq::text, e.code, e.telegram_id::text, u.username, u.first_name, p.provider, p.amount::text, p.currency,
       to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
  FROM entries e JOIN users u ON u.telegram_id = e.telegram_id JOIN payments p ON p.id = e.payment_id
 WHERE e.raffle_id = $1 ORDER BY e.seq`, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{admin.CSVHeader}
	for rows.Next() {
		r := make([]string, 9)
		ptrs := make([]any, 9)
		for i := range r {
			ptrs[i] = &r[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(r[4], "=") {
			r[4] = "'" + r[4] // a name a spreadsheet would run as a formula
		}
		want = append(want, r)
	}
	if len(want) != 26 {
		t.Fatalf("%d entries in the database", len(want)-1)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("CSV (-want +got):\n%s", diff)
	}
	f.audited(t)
	if v := f.tg.Violations(); len(v) > 0 {
		t.Fatalf("spec violations: %v", v)
	}
}

// TestBanRefundsAndRefusesEntry: a ban from the panel refunds the user's paid entries in open
// draws (Stars through Telegram, balance entries to the balance), keeps the draws' other
// entries in order, leaves closed draws alone; the banned user cannot enter, not even with an
// invoice issued before the ban; the ban can be lifted.
func TestBanRefundsAndRefusesEntry(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := organiser
	banned, other, third := user(501), user(502), user(503)
	open := f.createDraw(t, func(p *raffle.Params) { p.MaxEntriesPerUser = 2 })
	later := f.createDraw(t, nil)
	byBalance := f.createDraw(t, nil)
	closed := f.createDraw(t, func(p *raffle.Params) { p.Min = 1 })
	c1 := f.enter(t, banned, open)
	f.enter(t, other, open)
	c2 := f.enter(t, banned, open)
	f.enter(t, third, open)
	f.credit(t, banned.ID, 10)
	card := f.say(t, banned, fmt.Sprintf("/join_raffle %d", byBalance.ID))
	if ans, _ := f.press(t, banned, card, fmt.Sprintf("pay:bal:%d", byBalance.ID)); ans.Text != "" {
		t.Fatalf("balance entry refused: %+v", ans)
	}
	f.enter(t, banned, closed)
	if err := f.rt.Svc.ForceDraw(t.Context(), closed.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	f.rt.WaitStatus(t, closed.ID, raffle.StatusSettled) // banned wins its pool of 10
	early := f.invoice(t, banned, later)                // issued while still allowed

	f.say(t, a, "/admin")
	f.click(t, a, "adm:ban")
	_, ask := f.click(t, a, "adm:ban:new")
	mustContain(t, ask, "Telegram ID")
	for _, tc := range []struct{ name, say, want string }{
		{"not a number", "кто-то", "числовой Telegram ID"},
		{"an organiser", "900 просто так", "Организатора заблокировать нельзя"},
		{"the user", "501 повторные возвраты", "Заблокировать пользователя 501 (U501)?"},
	} {
		if got := f.say(t, a, tc.say); !strings.Contains(got.Text, tc.want) {
			t.Fatalf("%s: %q, want %q", tc.name, got.Text, tc.want)
		}
	}
	mustContain(t, f.lastBot(t, a.ID), "Причина: повторные возвраты", "(3)")
	_, list := f.click(t, a, ":ok")
	mustContain(t, list, "Пользователь 501 заблокирован", "Отменено участий с возвратом: 3", "501 (U501)")

	raffletest.WaitFor(t, "Stars refunds", func() bool {
		return f.rt.Count(t, "SELECT count(*) FROM payments WHERE telegram_id = 501 AND status = 'refunded' AND refund_reason = 'banned'") == 3
	})
	for _, c := range []string{c1, c2} {
		if p, ok := f.tg.Payment(c); !ok || !p.Refunded {
			t.Fatalf("charge %s not refunded: %+v", c, p)
		}
	}
	if got := f.rt.Balance(t, ledger.UserAccount(banned.ID, "XTR")); got != 20 {
		t.Fatalf("balance %d after the refund, want 20 (the prize and the refunded entry)", got)
	}
	type entry struct {
		Draw, User int64
		Seq        int
	}
	rows, err := f.rt.Pool.Query(t.Context(), "SELECT raffle_id, telegram_id, seq FROM entries ORDER BY raffle_id, seq")
	if err != nil {
		t.Fatal(err)
	}
	var entries []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.Draw, &e.User, &e.Seq); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	if diff := cmp.Diff([]entry{{open.ID, other.ID, 1}, {open.ID, third.ID, 2}, {closed.ID, banned.ID, 1}}, entries); diff != "" {
		t.Fatalf("entries (-want +got):\n%s", diff)
	}
	if got, _ := f.rt.Svc.Get(t.Context(), open.ID); got.Entries != 2 || f.rt.Balance(t, ledger.PoolAccount(open.ID, "XTR")) != 20 {
		t.Fatalf("draw %d: %d entries, pool %d", open.ID, got.Entries, f.rt.Balance(t, ledger.PoolAccount(open.ID, "XTR")))
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM audit_log WHERE actor = 'admin:900' AND action = 'entry.refund'"); n != 3 {
		t.Fatalf("%d entry.refund rows", n)
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM audit_log WHERE actor = 'admin:900' AND action = 'user.ban' AND subject = 'user:501'"); n != 1 {
		t.Fatalf("%d user.ban rows", n)
	}

	// The banned user cannot enter: the invoice button refuses, and so does the pre-checkout of
	// an invoice issued before the ban.
	card = f.say(t, banned, fmt.Sprintf("/join_raffle %d", open.ID))
	if ans, _ := f.press(t, banned, card, fmt.Sprintf("pay:xtr:%d", open.ID)); !ans.ShowAlert || !strings.Contains(ans.Text, "недоступно") {
		t.Fatalf("invoice button answered %+v", ans)
	}
	_, err = f.pay(t, banned, early)
	var declined *telegramtest.DeclinedError
	if !errors.As(err, &declined) || !strings.Contains(declined.Message, "недоступно") {
		t.Fatalf("pre-checkout of a banned user: %v", err)
	}
	// Banning again takes nothing more back.
	if again, err := moderation.New(f.rt.Pool, f.rt.Svc, f.rt.Clock.Now).Ban(t.Context(), banned.ID, "ещё раз", "admin:900"); err != nil || len(again) != 0 {
		t.Fatalf("second ban refunded %v (%v)", again, err)
	}
	f.rt.LedgerOK(t)
	f.audited(t)

	// Lifting the ban.
	_, list = f.click(t, a, "adm:ask:unban:501")
	mustContain(t, list, "Снять блокировку с пользователя 501")
	ans, list := f.click(t, a, "adm:do:unban:501")
	if !strings.Contains(ans.Text, "снята") {
		t.Fatalf("answer %+v", ans)
	}
	mustContain(t, list, "Никого.")
	if n := f.rt.Count(t, "SELECT count(*) FROM users WHERE telegram_id = 501 AND banned_at IS NULL"); n != 1 {
		t.Fatalf("still banned")
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM audit_log WHERE actor = 'admin:900' AND action = 'user.unban'"); n != 1 {
		t.Fatalf("%d user.unban rows", n)
	}
	f.invoice(t, banned, later)
}

// TestDailyLimitRefusedAtPreCheckout: two invoices taken while under the limit; the payment
// that would go over it is refused at pre-checkout, with the reason, and nothing is charged.
func TestDailyLimitRefusedAtPreCheckout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{maxPerDay: 1})
	u := user(61)
	d1, d2 := f.createDraw(t, nil), f.createDraw(t, nil)
	inv1, inv2 := f.invoice(t, u, d1), f.invoice(t, u, d2)
	if _, err := f.pay(t, u, inv1); err != nil {
		t.Fatal(err)
	}
	_, err := f.pay(t, u, inv2)
	var declined *telegramtest.DeclinedError
	if !errors.As(err, &declined) || declined.Message != "Оплата не принята: на сегодня достигнут ваш дневной лимит участий. Деньги не списаны." {
		t.Fatalf("over the limit: %v", err)
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM payments"); n != 1 {
		t.Fatalf("%d payments", n)
	}
	if got := f.tg.StarBalance(); got != 10 {
		t.Fatalf("bot holds %d Stars", got)
	}
	f.audited(t)
}

// TestSettingsFromPanel: a setting changed through the panel, with a bad value first, then
// reset; both changes audited with before and after; the create dialog offers the new
// default commission.
func TestSettingsFromPanel(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := organiser
	f.say(t, a, "/admin")
	_, list := f.click(t, a, "adm:set")
	mustContain(t, list, "Лимит участий в день на пользователя: 20 (по умолчанию)", "Комиссия по умолчанию, звёзды: 10,00% (по умолчанию)")
	for _, tc := range []struct {
		name, button, say string
		want              []string
	}{
		{"a bad limit", "adm:set:max_entries_per_day", "много", []string{"⚠️ Такое значение не подходит"}},
		{"the limit", "", "5", []string{"Сохранено", "Лимит участий в день на пользователя: 5 (задано)"}},
		{"the Stars commission", "adm:set:commission_bp:XTR", "7,5", []string{"Комиссия по умолчанию, звёзды: 7,50% (задано)"}},
		{"the digest interval", "adm:set:digest_interval", "15", []string{"Интервал сводки о новых участниках: 15 минут (задано)"}},
	} {
		if tc.button != "" {
			_, ask := f.click(t, a, tc.button)
			mustContain(t, ask, "Сейчас:")
		}
		got := f.say(t, a, tc.say)
		for _, w := range tc.want {
			if !strings.Contains(got.Text, w) {
				t.Fatalf("%s: reply lacks %q:\n%s", tc.name, w, got.Text)
			}
		}
	}
	if n, err := f.settings.MaxEntriesPerDay(t.Context()); err != nil || n != 5 {
		t.Fatalf("MaxEntriesPerDay = %d, %v", n, err)
	}
	if d, err := f.settings.DigestInterval(t.Context()); err != nil || d != 15*time.Minute {
		t.Fatalf("DigestInterval = %v, %v", d, err)
	}
	_, ask := f.click(t, a, "adm:set:max_entries_per_day")
	_, list = f.press(t, a, ask, "adm:rst:max_entries_per_day")
	mustContain(t, list, "Возвращено значение по умолчанию", "Лимит участий в день на пользователя: 20 (по умолчанию)")

	type change struct{ Action, Subject, Before, After string }
	rows, err := f.rt.Pool.Query(t.Context(), "SELECT action, subject, coalesce(before::text, ''), coalesce(after::text, '') FROM audit_log WHERE actor = 'admin:900' ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var got []change
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.Action, &c.Subject, &c.Before, &c.After); err != nil {
			t.Fatal(err)
		}
		got = append(got, c)
	}
	want := []change{
		{"settings.set", "max_entries_per_day", "", `{"value": "5"}`},
		{"settings.set", "commission_bp:XTR", "", `{"value": "750"}`},
		{"settings.set", "digest_interval", "", `{"value": "900"}`},
		{"settings.reset", "max_entries_per_day", `{"value": "5"}`, `{"value": null}`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("audit (-want +got):\n%s", diff)
	}
	// The new default commission is the create dialog's default.
	f.say(t, a, "/admin")
	f.click(t, a, "adm:new")
	f.say(t, a, "Зима")
	f.click(t, a, ":set:XTR")
	f.say(t, a, "10")
	f.say(t, a, "2")
	f.click(t, a, ":set:none")
	commission := f.say(t, a, "1")
	if b, _ := commission.Button(data(t, commission, ":set:def")); b.Text != "По умолчанию: 7,50%" {
		t.Fatalf("default commission button %q", b.Text)
	}
}

// TestBroadcastToObservers: the announcement goes to every observer through the notification
// queue once per confirmation, even when the confirmation is pressed twice.
func TestBroadcastToObservers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := organiser
	for _, id := range []int64{601, 602, 603} {
		f.say(t, user(id), "/start")
	}
	f.say(t, user(603), "/stop_news")
	f.say(t, a, "/admin")
	_, screen := f.click(t, a, "adm:ann")
	mustContain(t, screen, "не задано")
	if strings.Contains(buttons(screen), "adm:ask:ann") {
		t.Fatalf("a send button without a text")
	}
	f.click(t, a, "adm:set:announcement")
	screen = f.say(t, a, "Скоро новый розыгрыш!")
	mustContain(t, screen, "Сохранено", "наблюдателей (3)", "Скоро новый розыгрыш!")
	_, confirm := f.click(t, a, "adm:ask:ann:1")
	mustContain(t, confirm, "Отправить объявление 3 наблюдателям?")

	// Two presses of the same button, both queued before either is handled.
	f.stop()
	id1, err := f.tg.PressButton(a, confirm, "adm:do:ann:1")
	if err != nil {
		t.Fatal(err)
	}
	id2, err := f.tg.PressButton(a, confirm, "adm:do:ann:1")
	if err != nil {
		t.Fatal(err)
	}
	f.startProcess(t)
	var answers []string
	for _, id := range []string{id1, id2} {
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		ans, err := f.tg.WaitForCallbackAnswer(ctx, id)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		answers = append(answers, ans.Text)
	}
	slices.Sort(answers)
	if diff := cmp.Diff([]string{"Объявление поставлено в очередь для 3 наблюдателей.", "Это объявление уже отправлено или текст пуст."}, answers); diff != "" {
		t.Fatalf("answers (-want +got):\n%s", diff)
	}
	raffletest.WaitFor(t, "announcements", func() bool {
		n := 0
		for _, m := range f.rt.Sent.All() {
			if m.Text == "Скоро новый розыгрыш!" {
				n++
			}
		}
		return n == 3
	})
	var to []int64
	for _, m := range f.rt.Sent.All() {
		if m.Text == "Скоро новый розыгрыш!" {
			to = append(to, m.ChatID)
		}
	}
	slices.Sort(to)
	if diff := cmp.Diff([]int64{601, 602, adminID}, to); diff != "" {
		t.Fatalf("recipients (-want +got):\n%s", diff)
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM audit_log WHERE actor = 'admin:900' AND action = 'announcement.send'"); n != 1 {
		t.Fatalf("%d announcement.send rows", n)
	}
}

// TestPayoutStatisticsAndReserve: the statistics show prizes, ruble payouts by status with
// the failed ones and their reasons, refunds and commission; the reserve screen shows the
// bot's real Stars against what users hold.
func TestPayoutStatisticsAndReserve(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := organiser
	d := f.createDraw(t, func(p *raffle.Params) { p.CommissionBP = 1000 })
	f.enter(t, user(801), d)
	f.enter(t, user(802), d)
	if err := f.rt.Svc.ForceDraw(t.Context(), d.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	f.rt.WaitStatus(t, d.ID, raffle.StatusSettled)
	if _, err := f.rt.Pool.Exec(t.Context(), `
INSERT INTO users (telegram_id, first_seen_at, last_seen_at) VALUES (777, now(), now());
INSERT INTO rub_payouts (telegram_id, amount, method, phone, bank_id, idempotence_key, status, yookassa_id, cancel_party, cancel_reason, created_at, checked_at)
VALUES (777, 50000, 'sbp', '79001234567', '100000000111', 'po-1', 'canceled', 'po-y1', 'payment_network', 'insufficient_funds', now(), now()),
       (777, 25050, 'sbp', '79001234567', '100000000111', 'po-2', 'succeeded', 'po-y2', '', '', now(), now())`); err != nil {
		t.Fatal(err)
	}
	f.say(t, a, "/admin")
	_, stats := f.click(t, a, "adm:pay")
	mustContain(t, stats,
		"Призы завершённых розыгрышей:\n• ⭐ Звёзды (XTR): 1 на 18 ⭐",
		"• выплачено: 1 на 250,50 ₽", "• не прошли, деньги вернулись на баланс: 1 на 500 ₽",
		"Заработанная комиссия:\n• ⭐ Звёзды (XTR): 2 ⭐\n• ₽ Рубли (RUB): 0 ₽",
		"пользователь 777, 500 ₽ — не прошли, деньги вернулись на баланс: insufficient_funds (payment_network)")
	f.click(t, a, "adm:menu")
	_, reserve := f.click(t, a, "adm:res")
	mustContain(t, reserve, "Баланс бота: 20 ⭐", "ещё не созрело (получено за 21 день): 20 ⭐", "Принадлежит пользователям (балансы в боте): 18 ⭐",
		"Запас сверх балансов пользователей: 2 ⭐", "Порог оповещения: 3000 ⭐", "Запас ниже порога")
	f.audited(t)
}

// TestFloodLimit: a user over the flood limit is ignored until the window ends; others are not.
func TestFloodLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{floodLimit: 3})
	u, v := user(91), user(92)
	for range 5 {
		f.tg.SendText(u, "/rules")
	}
	f.tg.SendText(v, "/rules")
	f.settle(t)
	if got := []int{len(f.botMessages(u.ID)), len(f.botMessages(v.ID))}; !slices.Equal(got, []int{3, 1}) {
		t.Fatalf("answers %v, want 3 (then the limit) and 1", got)
	}
}

// TestDialogStore: versions make every save a compare-and-set; a deleted dialog's versions are
// never issued again; dialogs expire.
func TestDialogStore(t *testing.T) {
	t.Parallel()
	rdb := newRedis(t)
	defer rdb.Close()
	prefix := newPrefix(t)
	s := admin.NewDialogStore(rdb, prefix, time.Hour)
	other := admin.NewDialogStore(rdb, prefix, time.Hour) // another replica
	ctx := t.Context()
	d1, err := s.Save(ctx, 1, admin.Dialog{Kind: "create", Step: "title"})
	if err != nil || d1.Version == 0 {
		t.Fatalf("save new: %+v %v", d1, err)
	}
	got, ok, err := other.Get(ctx, 1)
	if err != nil || !ok || got.Step != "title" || got.Version != d1.Version {
		t.Fatalf("get on another replica: %+v %v %v", got, ok, err)
	}
	for _, tc := range []struct {
		name    string
		run     func() error
		wantErr error
	}{
		{"a new dialog over an existing one", func() error { _, err := s.Save(ctx, 1, admin.Dialog{Kind: "ban"}); return err }, admin.ErrConflict},
		{"a save from a stale version", func() error {
			_, err := s.Save(ctx, 1, admin.Dialog{Kind: "create", Version: d1.Version - 1})
			return err
		}, admin.ErrConflict},
		{"a delete of a stale version", func() error { return s.Delete(ctx, 1, d1.Version+1) }, admin.ErrConflict},
		{"another admin's dialog is apart", func() error { _, err := s.Save(ctx, 2, admin.Dialog{Kind: "ban"}); return err }, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
		})
	}
	d2, err := other.Save(ctx, 1, admin.Dialog{Kind: "create", Step: "currency", Version: d1.Version})
	if err != nil || d2.Version <= d1.Version {
		t.Fatalf("save next: %+v %v", d2, err)
	}
	if err := s.Delete(ctx, 1, d2.Version); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Get(ctx, 1); ok || err != nil {
		t.Fatalf("deleted dialog still there: %v %v", ok, err)
	}
	d3, err := s.Save(ctx, 1, admin.Dialog{Kind: "create", Step: "title"})
	if err != nil || d3.Version <= d2.Version {
		t.Fatalf("a version issued again after delete: %d after %d (%v)", d3.Version, d2.Version, err)
	}
	keys, err := rdb.Keys(ctx, prefix+"*dialog:1}").Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys %v %v", keys, err)
	}
	if ttl, err := rdb.PTTL(ctx, keys[0]).Result(); err != nil || ttl <= 0 || ttl > time.Hour {
		t.Fatalf("dialog expires in %v (%v)", ttl, err)
	}
}

// TestAuditLogIsAppendOnly: audit rows cannot be updated, deleted or truncated away, even by
// hand.
func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	f.createDraw(t, nil)
	before := f.rt.Count(t, "SELECT count(*) FROM audit_log WHERE actor = 'cli'")
	for _, tc := range []struct{ name, sql string }{
		{"update", "UPDATE audit_log SET actor = 'nobody'"},
		{"update of the after", "UPDATE audit_log SET after = '{}'::jsonb WHERE action = 'raffle.create'"},
		{"delete", "DELETE FROM audit_log"},
		{"truncate", "TRUNCATE audit_log"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.rt.Pool.Exec(t.Context(), tc.sql)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("%s: err = %v", tc.sql, err)
			}
		})
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM audit_log WHERE actor = 'cli'"); n != before || before == 0 {
		t.Fatalf("%d rows, had %d", n, before)
	}
}

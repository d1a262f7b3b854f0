package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/bot/bottest"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/stars"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type fixture struct {
	rt     *raffletest.Bundle
	tg     *telegramtest.Server
	bot    *Bot
	poller *Poller
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	api, err := telegram.NewBot(tg.Token(), tg.URL(), tg.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rt := raffletest.Setup(t, raffletest.Options{Refunders: map[string]raffle.Refunder{raffle.ProviderTelegram: stars.Refunder{Bot: api}}})
	b := New(Config{API: api, Pool: rt.Pool, Draws: rt.Svc, Logger: rt.Logger, Currencies: []string{"XTR", "RUB"},
		PublicURL: "https://draws.test", AdminIDs: []int64{900}})
	return &fixture{rt: rt, tg: tg, bot: b, poller: &Poller{Bot: b, Pool: rt.Pool, APIURL: tg.URL(), Token: tg.Token(), HTTP: tg.Client(), Logger: rt.Logger, Timeout: time.Second}}
}

// pump fetches what is queued and handles it, as one poll would. It returns how many updates.
func (f *fixture) pump(t *testing.T) int {
	t.Helper()
	offset, err := f.poller.offset(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	f.poller.Timeout = 0
	raws, err := f.poller.getUpdates(t.Context(), offset)
	if err != nil {
		t.Fatal(err)
	}
	if len(raws) == 0 {
		return 0
	}
	if f.poller.Parallel == 0 {
		f.poller.Parallel = 16
	}
	next, err := f.poller.handleBatch(t.Context(), raws)
	f.poller.inflight.Wait() // the replies of the batch, sent after it was confirmed
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.rt.Pool.Exec(t.Context(), "INSERT INTO bot_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", offsetKey, fmt.Sprint(next)); err != nil {
		t.Fatal(err)
	}
	return len(raws)
}

// pumpUntil pumps until cond holds.
func (f *fixture) pumpUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		if f.pump(t) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// The shared test vocabulary (package bottest).
var (
	user      = bottest.User
	hasButton = bottest.HasButton
)

func lastMessage(t *testing.T, tg *telegramtest.Server, chat int64) telegramtest.Message {
	t.Helper()
	msgs := tg.Messages(chat)
	if len(msgs) == 0 {
		t.Fatalf("no messages in chat %d", chat)
	}
	return msgs[len(msgs)-1]
}

func (f *fixture) createDraw(t *testing.T, mod func(*raffle.Params)) raffle.Draw {
	t.Helper()
	p := raffle.Params{Title: "Весна", Currency: "XTR", Fee: 10, Min: 2, Deadline: time.Now().Add(time.Hour)}
	if mod != nil {
		mod(&p)
	}
	d, err := f.rt.Svc.Create(t.Context(), p, "cli")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// invoice walks a user from /join_raffle <id> to the invoice message.
func (f *fixture) invoice(t *testing.T, u telegramtest.User, d raffle.Draw) telegramtest.Message {
	t.Helper()
	before := len(f.tg.Messages(u.ID))
	f.tg.SendText(u, fmt.Sprintf("/join_raffle %d", d.ID))
	f.pumpUntil(t, "draw card", func() bool { return len(f.tg.Messages(u.ID)) >= before+2 })
	card := lastMessage(t, f.tg, u.ID)
	if !hasButton(card, fmt.Sprintf("pay:xtr:%d", d.ID)) {
		t.Fatalf("draw card without a Stars button: %+v", card)
	}
	if _, err := f.tg.PressButton(u, card, fmt.Sprintf("pay:xtr:%d", d.ID)); err != nil {
		t.Fatal(err)
	}
	f.pumpUntil(t, "invoice", func() bool { return lastMessage(t, f.tg, u.ID).Invoice != nil })
	return lastMessage(t, f.tg, u.ID)
}

// pay pays an invoice, pumping the pre-checkout and the payment; it returns the charge id.
func (f *fixture) pay(t *testing.T, u telegramtest.User, inv telegramtest.Message) (string, error) {
	t.Helper()
	type res struct {
		charge string
		err    error
	}
	done := make(chan res, 1)
	go func() {
		c, err := f.tg.PayInvoice(context.Background(), u, inv)
		done <- res{c, err}
	}()
	for {
		select {
		case r := <-done:
			f.pump(t) // the successful_payment, if any
			return r.charge, r.err
		default:
			if f.pump(t) == 0 {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
}

func TestStartShowsMenu(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for i, tc := range []struct {
		name, lang, want string
	}{{"russian", "ru", "Здравствуйте, Аня!"}, {"english", "en", "Hello, Аня!"}, {"other language gets russian", "de", "Здравствуйте"}} {
		t.Run(tc.name, func(t *testing.T) {
			u := telegramtest.User{ID: int64(100 + i), FirstName: "Аня", LanguageCode: tc.lang}
			f.tg.SendText(u, "/start")
			f.pumpUntil(t, "menu", func() bool { return len(f.tg.Messages(u.ID)) >= 2 })
			m := lastMessage(t, f.tg, u.ID)
			if !strings.Contains(m.Text, tc.want) || !hasButton(m, "list:XTR") || !hasButton(m, "balance") || !hasButton(m, "rules") {
				t.Fatalf("menu = %+v", m)
			}
		})
	}
	if v := f.tg.Violations(); len(v) > 0 {
		t.Fatalf("spec violations: %v", v)
	}
}

func TestEveryCommandAnswers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.createDraw(t, nil)
	u := user(7)
	for _, cmd := range []string{"/balance", "/my_raffles", "/rules", "/paysupport", "/privacy", "/stats", "/history", "/stop_news",
		"/join_raffle", fmt.Sprintf("/start join_%d", d.ID), "/join_raffle abc", "/join_raffle 99999", "/frobnicate", "hello", "/admin"} {
		before := len(f.tg.Messages(u.ID))
		f.tg.SendText(u, cmd)
		f.pumpUntil(t, "an answer to "+cmd, func() bool { return len(f.tg.Messages(u.ID)) >= before+2 })
	}
	// Every button of the main menu is answered.
	f.tg.SendText(u, "/start")
	f.pumpUntil(t, "menu", func() bool { return hasButton(lastMessage(t, f.tg, u.ID), "stats") })
	menu := lastMessage(t, f.tg, u.ID)
	for _, data := range []string{"stats", "menu", "rules", "menu", "balance", "menu", "history", "menu", "list:XTR", "menu", "news:on"} {
		menu = lastMessage(t, f.tg, u.ID)
		id, err := f.tg.PressButton(u, menu, data)
		if err != nil {
			continue // the message changed under us (news toggles): fine
		}
		f.pumpUntil(t, "answer to "+data, func() bool { _, ok := f.tg.CallbackAnswer(id); return ok })
	}
	if v := f.tg.Violations(); len(v) > 0 {
		t.Fatalf("spec violations: %v", v)
	}
	// /stop_news turned observing off, news:on back on.
	var follows bool
	if err := f.rt.Pool.QueryRow(t.Context(), "SELECT follows_news FROM users WHERE telegram_id = 7").Scan(&follows); err != nil || !follows {
		t.Fatalf("follows_news = %v, %v", follows, err)
	}
	// /admin from a non-admin changes nothing and is audited.
	if n := f.rt.Count(t, "SELECT count(*) FROM audit_log WHERE action = 'admin.denied' AND actor = 'user:7'"); n != 1 {
		t.Fatalf("%d admin.denied rows", n)
	}
}

// TestStarsEntryEndToEnd: invoice, approved pre-checkout, exactly one entry and one ledger
// transaction; the same successful_payment again changes nothing.
func TestStarsEntryEndToEnd(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.createDraw(t, nil)
	u := user(42)
	inv := f.invoice(t, u, d)
	if inv.Invoice.Currency != "XTR" || inv.Invoice.TotalAmount != 10 {
		t.Fatalf("invoice %+v", inv.Invoice)
	}
	charge, err := f.pay(t, u, inv)
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	raffletest.WaitFor(t, "entry", func() bool { return f.rt.Count(t, "SELECT count(*) FROM entries") == 1 })
	if n := f.rt.Count(t, "SELECT count(*) FROM ledger_transactions WHERE idempotency_key = $1", "tg:charge:"+charge); n != 1 {
		t.Fatalf("%d ledger transactions for the charge", n)
	}
	raffletest.WaitFor(t, "confirmation", func() bool {
		for _, m := range f.rt.Sent.To(42) {
			if strings.Contains(m.Text, "Ваш код участника") {
				return true
			}
		}
		return false
	})
	// The same payment delivered again, as a new update and as the same update.
	p, _ := f.tg.Payment(charge)
	sp := map[string]any{"currency": "XTR", "total_amount": 10, "invoice_payload": stars.Payload{DrawID: d.ID, UserID: 42, Amount: 10}.String(),
		"telegram_payment_charge_id": charge, "provider_payment_charge_id": ""}
	raw, _ := json.Marshal(map[string]any{"update_id": 5_000_001, "message": map[string]any{
		"message_id": 999, "date": time.Now().Unix(), "chat": map[string]any{"id": 42, "type": "private", "first_name": "U42"},
		"from": map[string]any{"id": 42, "is_bot": false, "first_name": "U42"}, "successful_payment": sp}})
	for range 2 { // the same update twice, as a redelivered webhook would be
		u, err := decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.bot.HandleUpdate(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM entries"); n != 1 {
		t.Fatalf("%d entries after replays (payment %+v)", n, p)
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM ledger_transactions WHERE kind = 'entry'"); n != 1 {
		t.Fatalf("%d entry transactions after replays", n)
	}
	f.rt.LedgerOK(t)
	if v := f.tg.Violations(); len(v) > 0 {
		t.Fatalf("spec violations: %v", v)
	}
}

// TestPaymentForClosedDrawIsRefunded: pre-checkout passes, the draw closes before the payment
// arrives; the payment is refunded through refundStarPayment and the user told why.
func TestPaymentForClosedDrawIsRefunded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.createDraw(t, func(p *raffle.Params) { p.Min = 1 })
	u := user(43)
	inv := f.invoice(t, u, d)
	done := make(chan error, 1)
	go func() { _, err := f.tg.PayInvoice(context.Background(), u, inv); done <- err }()
	// Handle only the pre-checkout.
	f.pumpUntil(t, "pre-checkout answered", func() bool { return len(f.tg.Calls("answerPreCheckoutQuery")) == 1 })
	if err := <-done; err != nil {
		t.Fatalf("payment: %v", err)
	}
	// Someone else's entry fills... here an admin cancels it before the payment is handled.
	other := user(44)
	f.rt.Pay(t, d, other.ID, "other-charge")
	if err := f.rt.Svc.ForceDraw(t.Context(), d.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	f.pumpUntil(t, "payment handled", func() bool { return f.rt.Count(t, "SELECT count(*) FROM payments WHERE telegram_id = 43") == 1 })
	raffletest.WaitFor(t, "refund", func() bool { return len(f.tg.Calls("refundStarPayment")) == 1 })
	raffletest.WaitFor(t, "refund booked", func() bool {
		return f.rt.Count(t, "SELECT count(*) FROM payments WHERE telegram_id = 43 AND status = 'refunded'") == 1
	})
	var bal int64
	for _, tr := range f.tg.StarTransactions() {
		bal += tr.Amount
	}
	if f.tg.StarBalance() != 0 {
		t.Fatalf("bot holds %d Stars after the refund", f.tg.StarBalance())
	}
	raffletest.WaitFor(t, "user told", func() bool {
		for _, m := range f.rt.Sent.To(43) {
			if strings.Contains(m.Text, "не стал участием") {
				return true
			}
		}
		return false
	})
	f.rt.LedgerOK(t)
}

func TestPreCheckoutRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.createDraw(t, func(p *raffle.Params) { p.Min, p.Max = 1, 1 })
	a, b := user(50), user(51)
	inv := f.invoice(t, a, d)
	// Someone else pays the invoice issued to a (a forwarded invoice): the pre-checkout query
	// comes from b with a's payload, and for another amount too.
	for i, amount := range []int{10, 1} {
		raw, _ := json.Marshal(map[string]any{"update_id": 8_000_000 + i, "pre_checkout_query": map[string]any{
			"id": fmt.Sprintf("pcq-%d", i), "currency": "XTR", "total_amount": amount, "invoice_payload": inv.InvoicePayload,
			"from": map[string]any{"id": b.ID, "is_bot": false, "first_name": "B", "language_code": "ru"}}})
		u, err := decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.bot.HandleUpdate(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
	answers := f.tg.Calls("answerPreCheckoutQuery")
	for _, a := range answers {
		var p struct {
			OK  bool   `json:"ok"`
			Msg string `json:"error_message"`
		}
		if err := a.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.OK || !strings.Contains(p.Msg, "другому пользователю") {
			t.Fatalf("foreign payer answered %+v", p)
		}
	}
	var declined *telegramtest.DeclinedError
	// a pays; the draw is then full, and a second invoice for b is refused at pre-checkout.
	invB := f.invoice(t, b, d)
	if _, err := f.pay(t, a, inv); err != nil {
		t.Fatal(err)
	}
	_, err := f.pay(t, b, invB)
	if !errors.As(err, &declined) || !strings.Contains(declined.Message, "закрыт") {
		t.Fatalf("closed draw: %v", err)
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM payments"); n != 1 {
		t.Fatalf("%d payments", n)
	}
}

func TestDailyLimitAtPreCheckout(t *testing.T) {
	t.Parallel()
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	api, _ := telegram.NewBot(tg.Token(), tg.URL(), tg.Client(), nil)
	rt := raffletest.Setup(t, raffletest.Options{MaxEntriesPerDay: 1})
	b := New(Config{API: api, Pool: rt.Pool, Draws: rt.Svc, Logger: rt.Logger, Currencies: []string{"XTR"}})
	f := &fixture{rt: rt, tg: tg, bot: b, poller: &Poller{Bot: b, Pool: rt.Pool, APIURL: tg.URL(), Token: tg.Token(), HTTP: tg.Client(), Logger: rt.Logger}}
	d1, d2 := f.createDraw(t, nil), f.createDraw(t, nil)
	u := user(60)
	if _, err := f.pay(t, u, f.invoice(t, u, d1)); err != nil {
		t.Fatal(err)
	}
	// The invoice button itself already refuses: the limit is checked before invoicing.
	f.tg.SendText(u, fmt.Sprintf("/join_raffle %d", d2.ID))
	f.pumpUntil(t, "card", func() bool { return hasButton(lastMessage(t, tg, u.ID), fmt.Sprintf("pay:xtr:%d", d2.ID)) })
	id, err := tg.PressButton(u, lastMessage(t, tg, u.ID), fmt.Sprintf("pay:xtr:%d", d2.ID))
	if err != nil {
		t.Fatal(err)
	}
	var ans telegramtest.CallbackAnswer
	f.pumpUntil(t, "answer", func() bool { var ok bool; ans, ok = tg.CallbackAnswer(id); return ok })
	if !strings.Contains(ans.Text, "дневной лимит") {
		t.Fatalf("answer %+v", ans)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.createDraw(t, nil)
	u := user(70)
	f.tg.SendText(u, "/start")
	f.pumpUntil(t, "menu", func() bool { return len(f.tg.Messages(u.ID)) >= 2 })
	menu := lastMessage(t, f.tg, u.ID)
	// Malformed updates as long polling would receive them: skipped, the offset moves past them.
	badPayment, _ := json.Marshal(map[string]any{"update_id": 6_000_001, "message": map[string]any{"message_id": 1, "date": 1,
		"chat": map[string]any{"id": 70, "type": "private"}, "from": map[string]any{"id": 70, "is_bot": false, "first_name": "x"},
		"successful_payment": map[string]any{"currency": "XTR", "total_amount": 10, "invoice_payload": "fd1:1:70:10", "telegram_payment_charge_id": "", "provider_payment_charge_id": ""}}})
	notStars, _ := json.Marshal(map[string]any{"update_id": 6_000_002, "message": map[string]any{"message_id": 2, "date": 1,
		"chat": map[string]any{"id": 70, "type": "private"}, "from": map[string]any{"id": 70, "is_bot": false, "first_name": "x"},
		"successful_payment": map[string]any{"currency": "USD", "total_amount": 10, "invoice_payload": "fd1:1:70:10", "telegram_payment_charge_id": "c1", "provider_payment_charge_id": "p"}}})
	batch := []json.RawMessage{[]byte(`{"update_id": "x", "message": 5}`), []byte(`{"message": {"text": "no id"}}`), []byte(`[1,2]`), badPayment, notStars}
	next, err := f.poller.handleBatch(t.Context(), batch)
	f.poller.inflight.Wait()
	if err != nil || next != 6_000_003 {
		t.Fatalf("handleBatch = %d, %v", next, err)
	}
	// Unknown, malformed and forged button data, answered each, changing nothing.
	for i, data := range []string{"nonsense", "adm:cancel:1", "draw:abc", "pay:xtr:-1", "list:USD"} {
		raw, _ := json.Marshal(map[string]any{"update_id": 7_000_000 + i, "callback_query": map[string]any{
			"id": fmt.Sprintf("cq-%d", i), "chat_instance": "1", "data": data, "from": map[string]any{"id": 70, "is_bot": false, "first_name": "x"},
			"message": map[string]any{"message_id": menu.MessageID, "date": 1, "chat": map[string]any{"id": 70, "type": "private"}}}})
		upd, err := decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.bot.HandleUpdate(t.Context(), upd); err != nil {
			t.Fatalf("%s: %v", data, err)
		}
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM payments"); n != 0 {
		t.Fatalf("%d payments from bad input", n)
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM audit_log WHERE action = 'admin.denied'"); n != 1 {
		t.Fatalf("forged admin callback not audited (%d)", n)
	}
	if got, _ := f.rt.Svc.Get(t.Context(), d.ID); got.Status != raffle.StatusOpen {
		t.Fatalf("draw is %s", got.Status)
	}
	if calls := f.tg.Calls("answerCallbackQuery"); len(calls) != 5 {
		t.Fatalf("%d callbacks answered, want every one of 5", len(calls))
	}
}

func TestWebhookSecret(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := f.bot.WebhookHandler("s3cret")
	for _, tc := range []struct {
		name, secret, body string
		want               int
	}{
		{"missing secret", "", `{"update_id":1}`, 401},
		{"wrong secret", "nope", `{"update_id":1}`, 401},
		{"malformed body", "s3cret", `{not json`, 400},
		{"no update id", "s3cret", `{"message":{}}`, 400},
		{"good", "s3cret", `{"update_id":123,"message":{"message_id":1,"date":1,"chat":{"id":80,"type":"private"},"from":{"id":80,"is_bot":false,"first_name":"W"},"text":"/rules"}}`, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := bottest.Post(t, h, tc.secret, tc.body)
			if rec != tc.want {
				t.Fatalf("status %d, want %d", rec, tc.want)
			}
		})
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM users WHERE telegram_id = 80"); n != 1 {
		t.Fatalf("good webhook update not handled")
	}
}

// TestRaceTwoHundredPayersForFifty: 200 users pass pre-checkout, then pay at once for a draw with
// max 50: exactly 50 entries, 150 refunds, and nobody's Stars unaccounted for.
func TestRaceTwoHundredPayersForFifty(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("long")
	}
	f := newFixture(t)
	d := f.createDraw(t, func(p *raffle.Params) { p.Min, p.Max, p.Winners = 10, 50, 3 })
	const n = 200
	invoices := make([]telegramtest.Message, n)
	for i := range n {
		invoices[i] = f.invoice(t, user(int64(1000+i)), d)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := f.tg.PayInvoice(context.Background(), user(int64(1000+i)), invoices[i])
			errs <- err
		})
	}
	// Answer every pre-checkout first (the draw is not full yet), then handle the payments at once.
	f.pumpUntil(t, "200 pre-checkouts", func() bool { return len(f.tg.Calls("answerPreCheckoutQuery")) == n })
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("payment: %v", err)
		}
	}
	f.pumpUntil(t, "200 payments booked", func() bool { return f.rt.Count(t, "SELECT count(*) FROM payments") == n })
	if e := f.rt.Count(t, "SELECT count(*) FROM entries"); e != 50 {
		t.Fatalf("%d entries", e)
	}
	raffletest.WaitFor(t, "150 refunds", func() bool { return len(f.tg.Calls("refundStarPayment")) == 150 })
	raffletest.WaitFor(t, "refunds booked", func() bool {
		return f.rt.Count(t, "SELECT count(*) FROM payments WHERE status = 'refunded'") == 150
	})
	if got := f.tg.StarBalance(); got != 500 {
		t.Fatalf("bot holds %d Stars, want 500", got)
	}
	if got := f.rt.Balance(t, ledger.TelegramClearing); got != -500 {
		t.Fatalf("ledger clearing %d, want -500", got)
	}
	f.rt.LedgerOK(t)
}

func TestPayFromBalance(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.createDraw(t, nil)
	u := user(90)
	f.tg.SendText(u, "/start")
	f.pumpUntil(t, "menu", func() bool { return len(f.tg.Messages(u.ID)) >= 2 })
	// The user won 25 Stars earlier.
	err := db.InTx(t.Context(), f.rt.Pool, func(tx pgx.Tx) error {
		_, err := ledger.Post(t.Context(), tx, ledger.Transfer("prize:earlier", "prize", ledger.TelegramClearing, ledger.UserAccount(90, "XTR"), 25))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	before := len(f.tg.Messages(u.ID))
	f.tg.SendText(u, fmt.Sprintf("/join_raffle %d", d.ID))
	f.pumpUntil(t, "card", func() bool { return len(f.tg.Messages(u.ID)) >= before+2 })
	card := lastMessage(t, f.tg, u.ID)
	data := fmt.Sprintf("pay:bal:%d", d.ID)
	if !hasButton(card, data) {
		t.Fatalf("no balance button on %+v", card)
	}
	id, err := f.tg.PressButton(u, card, data)
	if err != nil {
		t.Fatal(err)
	}
	f.pumpUntil(t, "answer", func() bool { _, ok := f.tg.CallbackAnswer(id); return ok })
	if n := f.rt.Count(t, "SELECT count(*) FROM entries WHERE telegram_id = 90"); n != 1 {
		t.Fatalf("%d entries", n)
	}
	if got := f.rt.Balance(t, ledger.UserAccount(90, "XTR")); got != 15 {
		t.Fatalf("balance %d, want 15", got)
	}
	// Pressing again: the per-user limit (1) refuses, nothing moves.
	id, err = f.tg.PressButton(u, card, data)
	if err != nil {
		t.Fatal(err)
	}
	var ans telegramtest.CallbackAnswer
	f.pumpUntil(t, "answer", func() bool { var ok bool; ans, ok = f.tg.CallbackAnswer(id); return ok })
	if !ans.ShowAlert || !strings.Contains(ans.Text, "максимальное число") {
		t.Fatalf("second press answered %+v", ans)
	}
	if got := f.rt.Balance(t, ledger.UserAccount(90, "XTR")); got != 15 {
		t.Fatalf("balance %d after refusal", got)
	}
	f.rt.LedgerOK(t)
}

// TestPreCheckoutAnsweredInWebhookReply: a pre-checkout query that comes in a webhook request
// is answered in that request's response, as a call Telegram carries out, with no call of its
// own; a refusal goes the same way with its reason.
func TestPreCheckoutAnsweredInWebhookReply(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.createDraw(t, nil)
	a, b := user(60), user(61)
	inv := f.invoice(t, a, d)
	h := f.bot.WebhookHandler("s3cret")
	for i, tc := range []struct {
		from   telegramtest.User
		ok     bool
		reason string
	}{{a, true, ""}, {b, false, "другому пользователю"}} {
		raw, _ := json.Marshal(map[string]any{"update_id": 8_100_000 + i, "pre_checkout_query": map[string]any{
			"id": fmt.Sprintf("wh-pcq-%d", i), "currency": "XTR", "total_amount": 10, "invoice_payload": inv.InvoicePayload,
			"from": map[string]any{"id": tc.from.ID, "is_bot": false, "first_name": "P", "language_code": "ru"}}})
		req := httptest.NewRequest(http.MethodPost, "/webhooks/telegram", bytes.NewReader(raw))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "s3cret")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("status %d, content type %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		var got struct {
			Method string `json:"method"`
			ID     string `json:"pre_checkout_query_id"`
			OK     bool   `json:"ok"`
			Msg    string `json:"error_message"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatalf("reply %q: %v", rec.Body.String(), err)
		}
		if got.Method != "answerPreCheckoutQuery" || got.ID != fmt.Sprintf("wh-pcq-%d", i) || got.OK != tc.ok ||
			!strings.Contains(got.Msg, tc.reason) || (tc.ok && got.Msg != "") {
			t.Fatalf("reply to %d = %+v", tc.from.ID, got)
		}
	}
	if calls := f.tg.Calls("answerPreCheckoutQuery"); len(calls) != 0 {
		t.Fatalf("%d answers sent as calls of their own as well", len(calls))
	}
	// Other updates get an empty 200, as before.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/telegram", strings.NewReader(bottest.CallbackUpdate(8_100_010, 60, "P", "rules")))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "s3cret")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Fatalf("callback reply %d %q", rec.Code, rec.Body.String())
	}
}

// TestPreCheckoutAnswererTakesPayments: with serve's answerer (telegram.PreCheckoutAnswerer,
// not telego's method) a payment goes through, a refused one is declined with its reason, and
// a failed answer is only logged (Telegram fails the payment itself).
func TestPreCheckoutAnswererTakesPayments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.bot.answerer = telegram.NewPreCheckoutAnswerer(f.tg.Token(), f.tg.URL(), f.tg.Client())
	d := f.createDraw(t, func(p *raffle.Params) { p.Min, p.Max = 1, 1 })
	a, b := user(70), user(71)
	inv, invB := f.invoice(t, a, d), f.invoice(t, b, d)
	if _, err := f.pay(t, a, inv); err != nil {
		t.Fatalf("payment: %v", err)
	}
	var declined *telegramtest.DeclinedError
	if _, err := f.pay(t, b, invB); !errors.As(err, &declined) || !strings.Contains(declined.Message, "закрыт") {
		t.Fatalf("full draw: %v", err)
	}
	if n := f.rt.Count(t, "SELECT count(*) FROM entries"); n != 1 {
		t.Fatalf("%d entries", n)
	}
	if vs := f.tg.Violations(); len(vs) != 0 {
		t.Fatalf("answers break the Bot API spec: %v", vs)
	}
	f.tg.FailNext("answerPreCheckoutQuery", 1, http.StatusBadRequest)
	err := f.bot.answerer.AnswerPreCheckoutQuery(t.Context(), &telego.AnswerPreCheckoutQueryParams{PreCheckoutQueryID: "gone", Ok: true})
	if err == nil || strings.Contains(err.Error(), f.tg.Token()) {
		t.Fatalf("failed answer: %v", err)
	}
}

// heldAnswerer answers pre-checkout queries only once release is closed.
type heldAnswerer struct {
	release chan struct{}
	answers chan *telego.AnswerPreCheckoutQueryParams
}

func (a *heldAnswerer) AnswerPreCheckoutQuery(_ context.Context, p *telego.AnswerPreCheckoutQueryParams) error {
	<-a.release
	a.answers <- p
	return nil
}

// A pre-checkout query does not hold its getUpdates batch until it is answered: the poller
// confirms the batch and fetches the next while the answer is on its way (in a burst, the last
// query would otherwise wait for the answers of every batch before it). The answer still goes.
func TestPreCheckoutDoesNotHoldItsBatch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.createDraw(t, nil)
	held := &heldAnswerer{release: make(chan struct{}), answers: make(chan *telego.AnswerPreCheckoutQueryParams, 1)}
	f.bot.answerer = held
	raw, err := json.Marshal(preCheckoutUpdate(8_000_001, 71, d.ID))
	if err != nil {
		t.Fatal(err)
	}
	type batchResult struct {
		next int64
		err  error
	}
	done := make(chan batchResult, 1)
	go func() {
		next, err := f.poller.handleBatch(t.Context(), []json.RawMessage{raw})
		done <- batchResult{next, err}
	}()
	select {
	case r := <-done:
		if r.err != nil || r.next != 8_000_002 {
			t.Fatalf("handleBatch = %d, %v; want the next offset 8000002", r.next, r.err)
		}
	case <-time.After(10 * time.Second): // a deadlock guard, not a timing: the answer is held
		t.Fatal("the batch waited for the pre-checkout answer")
	}
	close(held.release)
	f.poller.inflight.Wait()
	select {
	case p := <-held.answers:
		if p.PreCheckoutQueryID != "8000001" || !p.Ok {
			t.Fatalf("answer %+v; want ok for query 8000001", p)
		}
	default:
		t.Fatal("the pre-checkout query was never answered")
	}
}

// A webhook keeper asked before its Run has started is not ready: nothing has registered the
// webhook yet (serve's /readyz could be asked in that moment and said 200).
func TestWebhookKeeperNotReadyBeforeRun(t *testing.T) {
	t.Parallel()
	k := &WebhookKeeper{}
	if err := k.Ready(t.Context()); !errors.Is(err, errNotRegisteredYet) {
		t.Fatalf("Ready before Run = %v; want not registered yet", err)
	}
}

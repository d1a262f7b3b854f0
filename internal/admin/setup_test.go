package admin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/admin"
	"github.com/fairdraw/fairdraw/internal/announce"
	"github.com/fairdraw/fairdraw/internal/bot"
	"github.com/fairdraw/fairdraw/internal/bot/bottest"
	"github.com/fairdraw/fairdraw/internal/bot/flood"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/ops"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/stars"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
	"github.com/fairdraw/fairdraw/internal/prize"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
	"github.com/fairdraw/fairdraw/internal/redistest"
	"github.com/fairdraw/fairdraw/internal/settings"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
	"github.com/mymmrac/telego"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var _ bot.Admin = (*admin.Panel)(nil)
var _ bot.Guard = (*flood.Guard)(nil)

const adminID = 900

var organiser = telegramtest.User{ID: adminID, FirstName: "Org", LanguageCode: "ru"}

var user = bottest.User

// start is the moment the tests' draw clock stands at.
var start = time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)

func newRedis(t testing.TB) *redis.Client { return redistest.Client(t) }

func newPrefix(t testing.TB) string { return redistest.Prefix(t) }

type options struct {
	maxPerDay  int
	floodLimit int
	// rubles adds the ruble side (a YooKassa fake without notifications) to the panel.
	rubles bool
}

// fixture is fairdraw with its admin panel, talking to a Telegram fake by long polling. The
// panel, the bot and their Redis client make up one "process"; restart replaces them with new
// ones on the same database and Redis.
type fixture struct {
	rt       *raffletest.Bundle
	tg       *telegramtest.Server
	api      *telego.Bot
	prefix   string
	o        options
	rdb      *redis.Client
	panel    *admin.Panel
	settings *settings.Store
	bot      *bot.Bot
	poller   *bot.Poller
	prizes   *prize.Service
	stop     func()
	rub      *rubles.Service
	yk       *yookassatest.Server
}

func newFixture(t *testing.T, o options) *fixture {
	t.Helper()
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	api, err := telegram.NewBot(tg.Token(), tg.URL(), tg.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rt := raffletest.Setup(t, raffletest.Options{NoStart: true, Admins: []int64{adminID}, MaxEntriesPerDay: o.maxPerDay,
		Refunders: map[string]raffle.Refunder{raffle.ProviderTelegram: stars.Refunder{Bot: api}}})
	rt.Clock.Set(start)
	river.AddWorker(rt.Workers, &announce.Worker{Pool: rt.Pool})
	prizes := prize.New(prize.Config{Pool: rt.Pool, Jobs: rt.Jobs, API: api, Logger: rt.Logger, Alerter: rt.Alerter})
	prizes.Register(rt.Workers)
	f := &fixture{rt: rt, tg: tg, api: api, prefix: newPrefix(t), o: o, prizes: prizes}
	if o.rubles {
		f.yk = yookassatest.NewServer(yookassatest.Options{Now: rt.Clock.Now})
		t.Cleanup(f.yk.Close)
		client, err := yookassa.New(f.yk.Config())
		if err != nil {
			t.Fatal(err)
		}
		if f.rub, err = rubles.New(rubles.Config{Pool: rt.Pool, Jobs: rt.Jobs, Draws: rt.Svc, YooKassa: client, Logger: rt.Logger,
			Now: rt.Clock.Now, ReturnURL: "https://t.me/fairdraw_test_bot", PublicURL: "https://draws.test", Alerter: rt.Alerter,
			PayoutGatewayID: yookassatest.DefaultGatewayID, LinkSecret: yookassatest.DefaultGatewaySecretKey}); err != nil {
			t.Fatal(err)
		}
		f.rub.Register(rt.Workers)
	}
	rt.Start()
	if o.floodLimit == 0 {
		o.floodLimit = 10_000
	}
	f.o = o
	f.startProcess(t)
	t.Cleanup(func() { f.stop() })
	return f
}

// startProcess builds the panel and the bot and starts polling.
func (f *fixture) startProcess(t *testing.T) {
	t.Helper()
	f.rdb = newRedis(t)
	f.settings = settings.New(f.rt.Pool, settings.Defaults{CommissionBP: map[string]int{"XTR": 1000, "RUB": 500}}, f.rt.Clock.Now)
	f.panel = admin.New(admin.Config{
		API: f.api, Pool: f.rt.Pool, Draws: f.rt.Svc, Jobs: f.rt.Jobs,
		Dialogs: admin.NewDialogStore(f.rdb, f.prefix, 0), Settings: f.settings,
		// The reserve reads the fake's Stars history, dated by the real clock.
		Reserve:    &ops.StarsReserve{Pool: f.rt.Pool, Stars: f.api, Threshold: f.settings.ReserveThreshold},
		Currencies: []string{"XTR", "RUB"}, AdminIDs: []int64{adminID}, Logger: f.rt.Logger, Now: f.rt.Clock.Now,
		Rubles: f.rub,
		Prizes: f.prizes,
	})
	f.bot = bot.New(bot.Config{API: f.api, Pool: f.rt.Pool, Draws: f.rt.Svc, Logger: f.rt.Logger, Currencies: []string{"XTR", "RUB"},
		AdminIDs: []int64{adminID}, PublicURL: "https://draws.test", Now: f.rt.Clock.Now, Prizes: f.prizes,
		Guard: flood.New(flood.Config{Redis: f.rdb, Prefix: f.prefix, Limit: f.o.floodLimit, Window: time.Hour, Logger: f.rt.Logger}),
		Admin: f.panel})
	poller := &bot.Poller{Bot: f.bot, Pool: f.rt.Pool, APIURL: f.tg.URL(), Token: f.tg.Token(), HTTP: f.tg.Client(), Logger: f.rt.Logger, Timeout: time.Second}
	f.poller = poller
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = poller.Run(ctx)
	}()
	rdb := f.rdb
	f.stop = func() {
		cancel()
		<-done
		_ = rdb.Close()
	}
}

// restart stops the process (its poller, panel, bot and Redis client) and starts a new one,
// which handles again whatever the old one had not finished.
func (f *fixture) restart(t *testing.T) {
	t.Helper()
	f.stop()
	f.startProcess(t)
	f.settle(t)
}

// settle waits until Telegram has delivered every update and the bot has handled each in
// full: a handler goes on with its replies after Telegram has been told it got the update.
func (f *fixture) settle(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := f.tg.WaitUntilDelivered(ctx); err != nil {
		t.Fatal(err)
	}
	for f.poller.Handling() > 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("%d updates still being handled: %v", f.poller.Handling(), ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// botMessages are the bot's messages to chat as they are now, oldest first.
func (f *fixture) botMessages(chat int64) []telegramtest.Message {
	var out []telegramtest.Message
	for _, m := range f.tg.Messages(chat) {
		if m.FromBot() {
			out = append(out, m)
		}
	}
	return out
}

func (f *fixture) lastBot(t *testing.T, chat int64) telegramtest.Message {
	t.Helper()
	ms := f.botMessages(chat)
	if len(ms) == 0 {
		t.Fatalf("the bot sent nothing to %d", chat)
	}
	return ms[len(ms)-1]
}

// say is u typing text; it returns the bot's reply: its first message after the text.
func (f *fixture) say(t *testing.T, u telegramtest.User, text string) telegramtest.Message {
	t.Helper()
	sent := f.tg.SendText(u, text)
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, m := range f.botMessages(u.ID) {
			if m.MessageID > sent.MessageID {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no answer to %q", text)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// press is u pressing the button with data under m; it returns the answer to the press and
// the bot's latest message once the press is handled.
func (f *fixture) press(t *testing.T, u telegramtest.User, m telegramtest.Message, data string) (telegramtest.CallbackAnswer, telegramtest.Message) {
	t.Helper()
	id, err := f.tg.PressButton(u, m, data)
	if err != nil {
		t.Fatalf("press %q: %v (buttons: %s)", data, err, buttons(m))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ans, err := f.tg.WaitForCallbackAnswer(ctx, id)
	if err != nil {
		t.Fatalf("press %q: %v", data, err)
	}
	return ans, f.lastBot(t, u.ID)
}

// buttons lists the callback data under m.
func buttons(m telegramtest.Message) string { return strings.Join(bottest.Buttons(m), " ") }

// data finds the callback data under m that ends with suffix (dialog buttons carry a version).
func data(t *testing.T, m telegramtest.Message, suffix string) string {
	t.Helper()
	for _, d := range strings.Fields(buttons(m)) {
		if strings.HasSuffix(d, suffix) {
			return d
		}
	}
	t.Fatalf("no button ending %q under %q (buttons: %s)", suffix, m.Text, buttons(m))
	return ""
}

// click presses the button ending with suffix under the bot's latest message to u.
func (f *fixture) click(t *testing.T, u telegramtest.User, suffix string) (telegramtest.CallbackAnswer, telegramtest.Message) {
	t.Helper()
	m := f.lastBot(t, u.ID)
	return f.press(t, u, m, data(t, m, suffix))
}

// mustContain fails unless m's text contains every part.
func mustContain(t *testing.T, m telegramtest.Message, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(m.Text, p) {
			t.Fatalf("message lacks %q:\n%s", p, m.Text)
		}
	}
}

func (f *fixture) createDraw(t *testing.T, mod func(*raffle.Params)) raffle.Draw {
	t.Helper()
	p := raffle.Params{Title: "Весна", Currency: "XTR", Fee: 10, Min: 2, Deadline: start.Add(24 * time.Hour)}
	if mod != nil {
		mod(&p)
	}
	d, err := f.rt.Svc.Create(t.Context(), p, "cli")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// invoice walks u from /join_raffle to the draw's Stars invoice.
func (f *fixture) invoice(t *testing.T, u telegramtest.User, d raffle.Draw) telegramtest.Message {
	t.Helper()
	card := f.say(t, u, fmt.Sprintf("/join_raffle %d", d.ID))
	ans, inv := f.press(t, u, card, fmt.Sprintf("pay:xtr:%d", d.ID))
	if inv.Invoice == nil {
		t.Fatalf("no invoice for %d in draw %d: %+v", u.ID, d.ID, ans)
	}
	return inv
}

// pay pays an invoice and waits for the payment to be booked; it returns the charge id.
func (f *fixture) pay(t *testing.T, u telegramtest.User, inv telegramtest.Message) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	charge, err := f.tg.PayInvoice(ctx, u, inv)
	if err != nil {
		return "", err
	}
	raffletest.WaitFor(t, "payment booked", func() bool {
		return f.rt.Count(t, "SELECT count(*) FROM payments WHERE provider = 'telegram' AND external_id = $1", charge) == 1
	})
	return charge, nil
}

// enter is u paying for one entry to d in Stars.
func (f *fixture) enter(t *testing.T, u telegramtest.User, d raffle.Draw) string {
	t.Helper()
	charge, err := f.pay(t, u, f.invoice(t, u, d))
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	return charge
}

// credit gives u a Stars balance, as a prize would.
func (f *fixture) credit(t *testing.T, u int64, amount int64) {
	t.Helper()
	err := db.InTx(t.Context(), f.rt.Pool, func(tx pgx.Tx) error {
		_, err := ledger.Post(t.Context(), tx, ledger.Transfer(fmt.Sprintf("test:credit:%d", u), "test", ledger.TelegramClearing, ledger.UserAccount(u, "XTR"), amount))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// unaudited lists the ledger transactions that no audit row accounts for. Every money movement
// is one of these keys, and each names what its audit row must say.
func (f *fixture) unaudited(t *testing.T) []string {
	t.Helper()
	rows, err := f.rt.Pool.Query(t.Context(), `
SELECT t.idempotency_key FROM ledger_transactions t
 WHERE t.kind <> 'test' AND NOT EXISTS (
   SELECT 1 FROM audit_log a WHERE
     -- an entry or a refused payment: by the payment's provider and id
     (t.idempotency_key LIKE 'tg:charge:%' AND a.subject = 'telegram:' || substr(t.idempotency_key, 11) AND a.action IN ('entry.create', 'payment.refused'))
  OR (t.idempotency_key LIKE 'balance:%' AND a.subject = 'balance:' || substr(t.idempotency_key, 9) AND a.action = 'entry.create')
     -- settlement and cancellation: by the draw
  OR (t.idempotency_key ~ '^draw:\d+:settle$' AND a.action = 'raffle.settle' AND a.raffle_id = split_part(t.idempotency_key, ':', 2)::bigint)
  OR (t.idempotency_key ~ '^draw:\d+:cancel:\d+$' AND a.action = 'raffle.cancel' AND a.raffle_id = split_part(t.idempotency_key, ':', 2)::bigint)
     -- an entry taken back (a ban): by the payment
  OR (t.idempotency_key ~ '^draw:\d+:withdraw:\d+$' AND a.action = 'entry.refund' AND (a.before->>'payment_id')::bigint = split_part(t.idempotency_key, ':', 4)::bigint)
     -- a refund: the provider's confirmation, or the cancellation or ban that returned it to the balance
  OR (t.idempotency_key ~ '^refund:\d+$' AND EXISTS (SELECT 1 FROM payments p WHERE p.id = split_part(t.idempotency_key, ':', 2)::bigint AND (
        (a.action = 'payment.refunded' AND a.subject = p.provider || ':' || p.external_id)
     OR (a.action = 'raffle.cancel' AND a.raffle_id = p.raffle_id)
     OR (a.action = 'entry.refund' AND (a.before->>'payment_id')::bigint = p.id))))
     -- a gift or Premium redemption's hold, purchase or release; a reserve top-up
  OR (t.idempotency_key ~ '^redeem:\d+:(hold|purchase|release)$' AND a.subject = 'redeem:' || split_part(t.idempotency_key, ':', 2)
      AND a.action = 'redeem.' || split_part(t.idempotency_key, ':', 3))
  OR (t.idempotency_key LIKE 'topup:%' AND a.subject = t.idempotency_key AND a.action = 'reserve.topup')
 )
 ORDER BY t.id`)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// audited fails the test if any money movement lacks its audit row.
func (f *fixture) audited(t *testing.T) {
	t.Helper()
	if n := f.rt.Count(t, "SELECT count(*) FROM ledger_transactions WHERE kind <> 'test'"); n == 0 {
		t.Fatal("no money moved: nothing to check")
	}
	if keys := f.unaudited(t); len(keys) > 0 {
		t.Fatalf("money moved without an audit row: %v", keys)
	}
}

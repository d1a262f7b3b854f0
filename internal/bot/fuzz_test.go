package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/bot/bottest"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// FuzzWebhookUpdate sends the bot updates through POST /webhooks/telegram, as Telegram would,
// built from fuzzed parts: the sender's name, commands and free text, button data, pre-checkout queries and
// successful payments with any payload, amount and charge id, and raw bodies. Whatever arrives:
// the webhook answers 200 (or 400 for a body that is no update), and afterwards every payment is
// exactly one entry or one refund and the ledger holds.
func FuzzWebhookUpdate(f *testing.F) {
	tg := telegramtest.NewServer(f, telegramtest.Config{})
	api, err := telegram.NewBot(tg.Token(), tg.URL(), tg.Client(), nil)
	if err != nil {
		f.Fatal(err)
	}
	rt := raffletest.Setup(f, raffletest.Options{})
	b := New(Config{API: api, Pool: rt.Pool, Draws: rt.Svc, Logger: rt.Logger, Currencies: []string{"XTR", "RUB"},
		PublicURL: "https://draws.test", AdminIDs: []int64{900}})
	d, err := rt.Svc.Create(f.Context(), raffle.Params{Title: "Весна", Currency: "XTR", Fee: 10, Min: 2, Max: 3,
		Deadline: time.Now().Add(time.Hour)}, "cli")
	if err != nil {
		f.Fatal(err)
	}
	const secret = "fuzz-secret"
	h := b.WebhookHandler(secret)
	var updateID atomic.Int64
	updateID.Store(1_000_000)

	id := fmt.Sprint(d.ID)
	for _, s := range []struct {
		kind   uint8
		user   int64
		text   string
		amount int64
		charge string
	}{
		{0, 7, "/start", 0, ""}, {0, 7, "/start join_" + id, 0, ""}, {0, 7, "/join_raffle " + id, 0, ""},
		{0, 7, "/balance", 0, ""}, {0, 900, "/admin", 0, ""}, {0, 7, strings.Repeat("я", 4096), 0, ""},
		{1, 7, "draw:" + id, 0, ""}, {1, 7, "pay:xtr:" + id, 0, ""}, {1, 7, "adm:do:cancel:" + id, 0, ""},
		{1, 900, "adm:draw:" + id, 0, ""}, {1, 7, "pay:bal:" + id, 0, ""},
		{2, 7, "fd1:" + id + ":7:10", 10, ""}, {2, 7, "fd1:" + id + ":8:10", 10, ""},
		{3, 7, "fd1:" + id + ":7:10", 10, "charge-1"}, {3, 8, "fd1:" + id + ":8:10", 10, "charge-1"},
		{3, 9, "fd1:" + id + ":9:11", 11, "charge-2"}, {3, 9, "fd1:999:9:10", 10, "charge-3"},
		{4, 0, `{"update_id":5,"message":{"message_id":1}}`, 0, ""}, {4, 0, `[1]`, 0, ""},
	} {
		f.Add(s.kind, s.user, "Анна", s.text, s.amount, s.charge)
	}
	f.Add(uint8(0), int64(7), "a\x00\xff", "/start", int64(0), "")
	f.Fuzz(func(t *testing.T, kind uint8, user int64, name, text string, amount int64, charge string) {
		if user <= 0 || user > 1<<40 {
			user = 1 + user&0xffff
		}
		if user < 0 {
			user = -user
		}
		body := fuzzUpdate(kind, updateID.Add(1), user, name, text, amount, charge)
		code := bottest.Post(t, h, secret, body)
		switch {
		case code == http.StatusOK:
		case code == http.StatusBadRequest && kind%5 == 4:
		default:
			t.Fatalf("webhook answered %d to %s", code, body)
		}
		ctx := context.WithoutCancel(t.Context())
		var bad int
		if err := rt.Pool.QueryRow(ctx, `SELECT count(*) FROM payments p LEFT JOIN entries e ON e.payment_id = p.id
			WHERE (p.status = 'entered') <> (e.id IS NOT NULL)`).Scan(&bad); err != nil {
			t.Fatal(err)
		}
		if bad != 0 {
			t.Fatalf("%d payments are not exactly one entry or one refund after %s", bad, body)
		}
		problems, err := ledger.Check(ctx, rt.Pool)
		if err != nil || len(problems) > 0 {
			t.Fatalf("ledger check after %s: %v %v", body, problems, err)
		}
	})
}

// fuzzUpdate builds one update of the kind (mod 5): 0 a message, 1 a button press, 2 a
// pre-checkout query, 3 a successful payment, 4 the text itself as the raw body.
func fuzzUpdate(kind uint8, updateID, user int64, name, text string, amount int64, charge string) string {
	from := map[string]any{"id": user, "is_bot": false, "first_name": name, "language_code": "ru"}
	chat := map[string]any{"id": user, "type": "private"}
	var u map[string]any
	switch kind % 5 {
	case 0:
		u = map[string]any{"message": map[string]any{"message_id": updateID, "date": 1, "chat": chat, "from": from, "text": text}}
	case 1:
		return bottest.CallbackUpdate(updateID, user, name, text)
	case 2:
		u = map[string]any{"pre_checkout_query": map[string]any{"id": fmt.Sprint("pcq", updateID), "from": from, "currency": "XTR",
			"total_amount": amount, "invoice_payload": text}}
	case 3:
		u = map[string]any{"message": map[string]any{"message_id": updateID, "date": 1, "chat": chat, "from": from,
			"successful_payment": map[string]any{"currency": "XTR", "total_amount": amount, "invoice_payload": text,
				"telegram_payment_charge_id": charge, "provider_payment_charge_id": ""}}}
	default:
		return text
	}
	u["update_id"] = updateID
	raw, _ := json.Marshal(u)
	return string(raw)
}

package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/admin"
	"github.com/fairdraw/fairdraw/internal/bot"
	"github.com/fairdraw/fairdraw/internal/bot/bottest"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/stars"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
	"github.com/fairdraw/fairdraw/internal/settings"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// FuzzAdminCallback presses admin buttons with fuzzed data, as the admin and as someone else,
// through the webhook. Every press is answered exactly once; a non-admin's press changes no draw
// and is audited as denied; whatever the admin presses, payments stay one entry or one refund
// each and the ledger holds.
func FuzzAdminCallback(f *testing.F) {
	tg := telegramtest.NewServer(f, telegramtest.Config{})
	api, err := telegram.NewBot(tg.Token(), tg.URL(), tg.Client(), nil)
	if err != nil {
		f.Fatal(err)
	}
	rt := raffletest.Setup(f, raffletest.Options{Admins: []int64{adminID},
		Refunders: map[string]raffle.Refunder{raffle.ProviderTelegram: stars.Refunder{Bot: api}}})
	rdb := newRedis(f)
	f.Cleanup(func() { _ = rdb.Close() })
	prefix := newPrefix(f)
	settings := settings.New(rt.Pool, settings.Defaults{}, nil)
	panel := admin.New(admin.Config{API: api, Pool: rt.Pool, Draws: rt.Svc, Jobs: rt.Jobs,
		Dialogs: admin.NewDialogStore(rdb, prefix, 0), Settings: settings,
		Currencies: []string{"XTR", "RUB"}, AdminIDs: []int64{adminID}, Logger: rt.Logger})
	b := bot.New(bot.Config{API: api, Pool: rt.Pool, Draws: rt.Svc, Logger: rt.Logger, Currencies: []string{"XTR", "RUB"},
		AdminIDs: []int64{adminID}, PublicURL: "https://draws.test", Admin: panel})
	const secret = "fuzz-secret"
	h := b.WebhookHandler(secret)
	ctx := context.WithoutCancel(f.Context())
	for i := range 2 {
		if _, err := rt.Svc.Create(ctx, raffle.Params{Title: fmt.Sprint("Draw ", i), Currency: "XTR", Fee: 10, Min: 2,
			Deadline: time.Now().Add(time.Hour)}, "cli"); err != nil {
			f.Fatal(err)
		}
	}
	var updateID atomic.Int64
	updateID.Store(2_000_000)
	for _, data := range []string{"adm:menu", "adm:new", "adm:open", "adm:draw:1", "adm:ask:cancel:1", "adm:do:cancel:1",
		"adm:do:pause:2", "adm:do:force:2", "adm:ppl:1:0", "adm:ppl:1:99999999999", "adm:csv:2", "adm:dlg:back",
		"adm:do:cancel:-1", "adm:draw:99999999999999999999", "adm:", "adm:do::", strings.Repeat("adm:", 16)} {
		f.Add(true, data)
		f.Add(false, data)
	}
	f.Fuzz(func(t *testing.T, asAdmin bool, data string) {
		from := int64(adminID)
		if !asAdmin {
			from = 77
		}
		before := len(tg.Calls("answerCallbackQuery"))
		var drawsBefore string
		_ = rt.Pool.QueryRow(ctx, "SELECT coalesce(string_agg(id || status, ',' ORDER BY id), '') FROM raffles").Scan(&drawsBefore)
		denied := countDenied(t, rt)
		id := updateID.Add(1)
		code := bottest.Post(t, h, secret, bottest.CallbackUpdate(id, from, "A", data))
		if code != http.StatusOK {
			t.Fatalf("webhook answered %d to %q", code, data)
		}
		if n := len(tg.Calls("answerCallbackQuery")) - before; n != 1 {
			t.Fatalf("press %q answered %d times", data, n)
		}
		if !asAdmin {
			var drawsAfter string
			_ = rt.Pool.QueryRow(ctx, "SELECT coalesce(string_agg(id || status, ',' ORDER BY id), '') FROM raffles").Scan(&drawsAfter)
			if drawsAfter != drawsBefore {
				t.Fatalf("a non-admin's press %q changed the draws: %s -> %s", data, drawsBefore, drawsAfter)
			}
			if strings.HasPrefix(data, "adm:") && countDenied(t, rt) != denied+1 {
				t.Fatalf("a non-admin's press %q was not audited as denied", data)
			}
		}
		var bad int
		if err := rt.Pool.QueryRow(ctx, `SELECT count(*) FROM payments p LEFT JOIN entries e ON e.payment_id = p.id
			WHERE (p.status = 'entered') <> (e.id IS NOT NULL)`).Scan(&bad); err != nil || bad != 0 {
			t.Fatalf("%d payments are not one entry or one refund after %q (%v)", bad, data, err)
		}
		if problems, err := ledger.Check(ctx, rt.Pool); err != nil || len(problems) > 0 {
			t.Fatalf("ledger check after %q: %v %v", data, problems, err)
		}
	})
}

func countDenied(t *testing.T, rt *raffletest.Bundle) int {
	t.Helper()
	var n int
	if err := rt.Pool.QueryRow(context.WithoutCancel(t.Context()), "SELECT count(*) FROM audit_log WHERE action = 'admin.denied'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/prize"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// TestTopUpReleasesAWaitingClaim: the owner withdrew the bot's Stars, so a winner's gift claim
// waits (the Stars held, the admin alerted); the admin sees it on the reserve screen, tops the
// reserve up by paying the bot's invoice, and the gift goes. Nothing is lost, every movement is
// audited, and the ledger reconciles with Telegram.
func TestTopUpReleasesAWaitingClaim(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := organiser
	rose := telegramtest.NewGift("5168103777563050263", "🌹", 50, 0)
	f.tg.SetGifts(rose)
	winner := user(811)
	d := f.createDraw(t, func(p *raffle.Params) { p.Fee, p.Min, p.CommissionBP = 85, 1, 0 })
	f.enter(t, winner, d)
	if err := f.rt.Svc.ForceDraw(t.Context(), d.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	f.rt.WaitStatus(t, d.ID, raffle.StatusSettled)
	if err := f.tg.Withdraw(85); err != nil {
		t.Fatal(err)
	}
	red, _, err := f.prizes.Redeem(t.Context(), prize.Request{UserID: winner.ID, Kind: prize.KindGift, GiftID: rose.ID, Price: 50, Key: "k"})
	if err != nil {
		t.Fatal(err)
	}
	raffletest.WaitFor(t, "the claim waits", func() bool {
		return f.rt.Count(t, "SELECT count(*) FROM star_redemptions WHERE id = $1 AND status = 'waiting'", red.ID) == 1
	})
	raffletest.WaitFor(t, "the admin alerted", func() bool {
		for _, m := range f.rt.Sent.To(a.ID) {
			if strings.Contains(m.Text, "BALANCE_TOO_LOW") {
				return true
			}
		}
		return false
	})

	f.say(t, a, "/admin")
	_, reserve := f.click(t, a, "adm:res")
	mustContain(t, reserve, "Заявки на подарки: удержано 50 ⭐, ждут резерва 1", "Баланс бота: 0 ⭐")
	f.press(t, a, reserve, "adm:top")
	_, _ = f.click(t, a, "adm:top:500")
	inv := f.lastBot(t, a.ID)
	if inv.Invoice == nil || inv.Invoice.TotalAmount != 500 {
		t.Fatalf("no top-up invoice: %+v", inv)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := f.tg.PayInvoice(ctx, a, inv); err != nil {
		t.Fatal(err)
	}
	raffletest.WaitFor(t, "the gift", func() bool {
		return f.rt.Count(t, "SELECT count(*) FROM star_redemptions WHERE id = $1 AND status = 'sent'", red.ID) == 1
	})
	raffletest.WaitFor(t, "the admin told", func() bool { return hasText(f.botMessages(a.ID), "Резерв пополнен на 500 ⭐") })
	if got := f.tg.SentGifts(); len(got) != 1 || got[0].UserID != winner.ID {
		t.Fatalf("gifts %+v", got)
	}
	if got := f.tg.StarBalance(); got != 450 {
		t.Fatalf("bot balance %d, want 450", got)
	}
	if got := f.rt.Balance(t, ledger.UserAccount(winner.ID, "XTR")); got != 35 {
		t.Fatalf("winner's balance %d, want 35", got)
	}
	if got := f.rt.Balance(t, prize.FundingAccount); got != 500 {
		t.Fatalf("funding %d, want 500", got)
	}
	f.rt.LedgerOK(t)
	f.audited(t)
	rep, err := prize.Reconcile(t.Context(), f.rt.Pool, f.api)
	if err != nil {
		t.Fatal(err)
	}
	// The entry, the top-up and the gift agree; the owner's withdrawal is listed apart.
	if !rep.OK() || rep.Matched != 3 || len(rep.Foreign) != 1 || !strings.Contains(rep.Foreign[0], "fragment") {
		t.Fatalf("reconcile: %+v", rep)
	}
}

// TestTopUpInvoiceRefusals: a forwarded top-up invoice paid by someone who is not its admin is
// refused before any money moves.
func TestTopUpInvoiceRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := organiser
	f.say(t, a, "/admin")
	f.click(t, a, "adm:res")
	f.click(t, a, "adm:top")
	f.click(t, a, "adm:top:100")
	inv := f.lastBot(t, a.ID)
	if inv.Invoice == nil {
		t.Fatalf("no invoice: %+v", inv)
	}
	stranger := user(812)
	f.say(t, stranger, "/start")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	// The stranger pays the admin's invoice, forwarded to them.
	fwd, err := f.tg.Forward(stranger, inv)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.tg.PayInvoice(ctx, stranger, fwd)
	if _, ok := err.(*telegramtest.DeclinedError); !ok {
		t.Fatalf("payment by a stranger: %v, want declined", err)
	}
	if f.tg.StarBalance() != 0 || f.rt.Balance(t, prize.FundingAccount) != 0 {
		t.Fatal("money moved")
	}
}

func hasText(ms []telegramtest.Message, part string) bool {
	for _, m := range ms {
		if strings.Contains(m.Text, part) {
			return true
		}
	}
	return false
}

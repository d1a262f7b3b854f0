package admin_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
)

// TestQueueOfMoneyThatNeedsAPerson: a payout held for review shows in /admin's queue with its
// details; "returned by hand" asks for a note (a too long one is asked again), then gives the
// money back to the winner's balance, audited with the admin and the note; the queue is empty.
func TestQueueOfMoneyThatNeedsAPerson(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{rubles: true})
	const winner = 4242
	err := db.InTx(t.Context(), f.rt.Pool, func(tx pgx.Tx) error {
		if err := dbq.New().EnsureUser(t.Context(), tx, dbq.EnsureUserParams{TelegramID: winner, FirstSeenAt: time.Now()}); err != nil {
			return err
		}
		_, err := ledger.Post(t.Context(), tx, ledger.Transfer("test:prize:4242", "test_grant", ledger.YooKassaClearing, ledger.UserAccount(winner, "RUB"), 150_00))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.rub.RequestPayout(t.Context(), rubles.PayoutRequest{UserID: winner, Amount: 150_00, Method: yookassa.PayoutSBP,
		Phone: "+7 900 123-45-67", BankID: "100000000111"})
	if err != nil {
		t.Fatal(err)
	}
	raffletest.WaitFor(t, "payout pending", func() bool {
		return f.rt.Count(t, "SELECT count(*) FROM rub_payouts WHERE id = $1 AND status = 'pending'", p.ID) == 1
	})
	// What the ruble side does when YooKassa shows two payouts for one row.
	if _, err := f.rt.Pool.Exec(t.Context(), "UPDATE rub_payouts SET status = 'review', cancel_reason = '2_payouts_found' WHERE id = $1", p.ID); err != nil {
		t.Fatal(err)
	}

	a := organiser
	menu := f.say(t, a, "/admin")
	mustContain(t, menu, "Панель организатора")
	_, list := f.press(t, a, menu, data(t, menu, "adm:q"))
	mustContain(t, list, "Деньги, которым нужен человек", "Выплаты на проверке: 1")
	_, details := f.press(t, a, list, fmt.Sprintf("adm:q:po:%d", p.ID))
	mustContain(t, details, fmt.Sprintf("Выплата #%d", p.ID), "150 ₽", "СБП", "•••4567", "2_payouts_found")
	_, ask := f.press(t, a, details, fmt.Sprintf("adm:q:ph:%d:returned", p.ID))
	mustContain(t, ask, "Напишите заметку")
	again := f.say(t, a, strings.Repeat("д", 501))
	mustContain(t, again, "⚠️", "от 1 до 500", "Напишите заметку")
	if n := f.rt.Count(t, "SELECT count(*) FROM rub_payouts WHERE id = $1 AND status = 'review'", p.ID); n != 1 {
		t.Fatal("a rejected note settled the payout")
	}
	done := f.say(t, a, "в ЮKassa обе выплаты отменены, проверил 04.12")
	mustContain(t, done, "деньги возвращены на баланс", "Сейчас ничего не ждёт")

	if got := f.rt.Balance(t, ledger.UserAccount(winner, "RUB")); got != 150_00 {
		t.Fatalf("winner's balance %d", got)
	}
	if got := f.rt.Balance(t, ledger.UserHeldAccount(winner, "RUB")); got != 0 {
		t.Fatalf("held %d", got)
	}
	if n := f.rt.Count(t, `SELECT count(*) FROM audit_log WHERE action = 'rub_payout.done_by_hand' AND actor = $1
		AND after->>'note' = 'в ЮKassa обе выплаты отменены, проверил 04.12' AND after->>'outcome' = 'returned'`, fmt.Sprintf("admin:%d", adminID)); n != 1 {
		t.Fatalf("%d audit rows", n)
	}
	f.rt.LedgerOK(t)
}

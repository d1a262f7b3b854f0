package main

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// TestLedgerReconcile: exit 0 when every Telegram-side movement of the ledger is in
// getStarTransactions (movements fairdraw did not make are listed apart), 1 naming each
// difference.
func TestLedgerReconcile(t *testing.T) {
	pool, dbURL := dbtest.NewDBWithURL(t)
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	env := map[string]string{"DATABASE_URL": dbURL, "BOT_TOKEN": tg.Token(), "TELEGRAM_API_URL": tg.URL(), "LOG_LEVEL": "error"}
	payer := telegramtest.User{ID: 601, FirstName: "Ann"}
	charge := tg.PayStars(payer, 40, "fd1:1:601:40")
	book := func(key string, amount int64) {
		t.Helper()
		err := db.InTx(t.Context(), pool, func(tx pgx.Tx) error {
			_, err := ledger.Post(t.Context(), tx, ledger.Transfer(key, "entry", ledger.TelegramClearing, ledger.UserAccount(601, "XTR"), amount))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	book("tg:charge:"+charge, 40)
	if err := tg.Withdraw(10); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCmd(t, t.Context(), env, "ledger", "reconcile")
	if code != 0 || !strings.Contains(out, "ledger reconcile: ok, 1 movement(s) agree") || !strings.Contains(out, "not fairdraw's: fragment") {
		t.Fatalf("clean: %d\n%s\n%s", code, out, errOut)
	}

	// A payment Telegram took that the ledger lacks, and a ledger movement Telegram never saw.
	missing := tg.PayStars(payer, 25, "fd1:1:601:25")
	book("tg:charge:stxNOSUCHCHARGE", 15)
	code, _, errOut = runCmd(t, t.Context(), env, "ledger", "reconcile")
	if code != 1 || !strings.Contains(errOut, "2 difference(s)") || !strings.Contains(errOut, missing) || !strings.Contains(errOut, "stxNOSUCHCHARGE") {
		t.Fatalf("differences: %d\n%s", code, errOut)
	}

	delete(env, "BOT_TOKEN")
	if code, _, errOut := runCmd(t, t.Context(), env, "ledger", "reconcile"); code != 1 || !strings.Contains(errOut, "BOT_TOKEN") {
		t.Fatalf("without a token: %d %s", code, errOut)
	}
}

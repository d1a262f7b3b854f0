package rubles_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fairdraw/fairdraw/internal/backup"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// drillTables are every table whose rows are money, draws or their proofs. The drill compares
// them row for row between the original and the restored database.
var drillTables = []string{
	"ledger_accounts", "ledger_transactions", "ledger_postings", "users", "raffles", "payments", "entries",
	"draw_results", "winners", "audit_log", "rub_payments", "rub_refunds", "rub_payouts", "settings",
}

// TestRestoreDrill is the operator's restore drill on a real database: a settled ruble draw
// (entries by YooKassa webhook, a refund of a late payment, a winner's payout) and a settled
// Stars draw are backed up, restored into an empty database elsewhere, and every row of money,
// entry and proof is equal; the ledger checks out on the restored copy and every proof is the
// same bytes.
func TestRestoreDrill(t *testing.T) {
	if _, err := exec.LookPath("pg_dump"); err != nil {
		t.Fatalf("the restore drill needs pg_dump and pg_restore on PATH: %v", err)
	}
	e := setup(t, envOptions{})
	ctx := t.Context()

	rub := e.rubDraw(t, func(p *raffle.Params) { p.Min, p.Max, p.CommissionBP = 2, 2, 1000 })
	late := []rubles.Checkout{e.checkout(t, rub, 201), e.checkout(t, rub, 202), e.checkout(t, rub, 203)}
	for _, c := range late {
		if err := e.yk.Succeed(c.YooKassaID); err != nil {
			t.Fatal(err)
		}
	}
	e.flush(t)
	settledRub := e.b.WaitStatus(t, rub.ID, raffle.StatusSettled)
	// One of the three came after the draw filled: refunded.
	e.waitCount(t, 1, "SELECT count(*) FROM payments WHERE raffle_id = $1 AND status = 'refunded'", rub.ID)
	winner := settledRub.Winners[0].TelegramID
	p, err := e.svc.RequestPayout(ctx, rubles.PayoutRequest{UserID: winner, Amount: settledRub.Winners[0].Prize,
		Method: yookassa.PayoutSBP, Phone: "+7 900 000-00-02", BankID: sbpBank})
	if err != nil {
		t.Fatal(err)
	}
	row := e.waitPayout(t, p.ID, "pending")
	if err := e.yk.SucceedPayout(row.YookassaID.String); err != nil {
		t.Fatal(err)
	}
	e.waitPayout(t, p.ID, "succeeded")

	stars, err := e.b.Svc.Create(ctx, raffle.Params{Title: "Звёздный", Currency: "XTR", Fee: 25, Min: 2, Max: 2, Winners: 1,
		CommissionBP: 500, Deadline: e.b.Clock.Now().Add(time.Hour)}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	e.b.Pay(t, stars, 301, "drill-charge-1")
	e.b.Pay(t, stars, 302, "drill-charge-2")
	e.b.WaitStatus(t, stars.ID, raffle.StatusSettled)
	e.b.Stop() // nothing changes the original while it is compared

	dir := t.TempDir()
	src := e.b.Pool
	f, err := backup.Dump(ctx, backup.Tools{}, src.Config().ConnString(), dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Verify(f.Path); err != nil {
		t.Fatalf("fresh backup: %v", err)
	}

	targetURL := dbtest.NewEmptyDB(t)
	if err := backup.Restore(ctx, backup.Tools{}, targetURL, f.Path, backup.RestoreOptions{}); err != nil {
		t.Fatal(err)
	}
	dst, err := pgxpool.New(ctx, targetURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dst.Close)
	if err := db.CheckMigrated(ctx, dst); err != nil {
		t.Fatalf("restored database: %v", err)
	}
	if problems, err := ledger.Check(ctx, dst); err != nil || len(problems) > 0 {
		t.Fatalf("ledger check of the restored copy: %v %v", problems, err)
	}
	for _, table := range drillTables {
		before, after := tableRows(t, src, table), tableRows(t, dst, table)
		if before == "[]" && table != "rub_refunds" && table != "settings" {
			t.Errorf("%s is empty in the original: the drill would prove nothing about it", table)
		}
		if diff := cmp.Diff(before, after); diff != "" {
			t.Errorf("%s differs after restore (-original +restored):\n%s", table, diff)
		}
	}
	// Every balance, and every proof byte for byte.
	if diff := cmp.Diff(balances(t, src), balances(t, dst)); diff != "" {
		t.Errorf("balances differ (-original +restored):\n%s", diff)
	}
	restored := raffle.New(raffle.Config{Pool: dst, Jobs: e.b.Jobs, Logger: e.b.Logger})
	for _, id := range []int64{rub.ID, stars.ID} {
		a, err := e.b.Svc.Proof(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		b, err := restored.Proof(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("proof of draw %d differs after restore", id)
		}
	}
}

// TestRestoreRefusals: a restore never mixes histories or loads a damaged file, and says why.
func TestRestoreRefusals(t *testing.T) {
	ctx := t.Context()
	pool, url := dbtest.NewDBWithURL(t)
	pool.Close()
	dir := t.TempDir()
	f, err := backup.Dump(ctx, backup.Tools{}, url, dir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("into a database that has tables", func(t *testing.T) {
		err := backup.Restore(ctx, backup.Tools{}, url, f.Path, backup.RestoreOptions{})
		if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "new empty database") {
			t.Fatalf("restore over data: %v", err)
		}
	})
	t.Run("a damaged file", func(t *testing.T) {
		damaged := filepath.Join(t.TempDir(), filepath.Base(f.Path))
		raw, _ := os.ReadFile(f.Path)
		raw[len(raw)/2] ^= 0xff
		sum, _ := os.ReadFile(f.Path + ".sha256")
		if err := os.WriteFile(damaged, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(damaged+".sha256", sum, 0o600); err != nil {
			t.Fatal(err)
		}
		err := backup.Restore(ctx, backup.Tools{}, dbtest.NewEmptyDB(t), damaged, backup.RestoreOptions{})
		if err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
			t.Fatalf("damaged dump: %v", err)
		}
	})
	t.Run("a file without its checksum", func(t *testing.T) {
		bare := filepath.Join(t.TempDir(), "by-hand.dump")
		raw, _ := os.ReadFile(f.Path)
		if err := os.WriteFile(bare, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		target := dbtest.NewEmptyDB(t)
		if err := backup.Restore(ctx, backup.Tools{}, target, bare, backup.RestoreOptions{}); err == nil || !strings.Contains(err.Error(), "checksum file") {
			t.Fatalf("dump without checksum: %v", err)
		}
		if err := backup.Restore(ctx, backup.Tools{}, target, bare, backup.RestoreOptions{SkipChecksum: true}); err != nil {
			t.Fatalf("with SkipChecksum: %v", err)
		}
	})
}

// tableRows is the table as one JSON array of its rows, in a stable order.
func tableRows(t *testing.T, pool *pgxpool.Pool, table string) string {
	t.Helper()
	var out string
	err := pool.QueryRow(context.Background(),
		`SELECT coalesce(jsonb_agg(to_jsonb(r) ORDER BY to_jsonb(r)::text), '[]')::text FROM `+table+` r`).Scan(&out)
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	return out
}

// balances maps every ledger account to its balance.
func balances(t *testing.T, pool *pgxpool.Pool) map[string]int64 {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT code, balance FROM ledger_accounts`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var code string
		var bal int64
		if err := rows.Scan(&code, &bal); err != nil {
			t.Fatal(err)
		}
		out[code] = bal
	}
	return out
}

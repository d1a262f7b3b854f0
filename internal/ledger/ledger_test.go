package ledger_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/ledger"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// fund gives account amount from the Telegram clearing account.
func fund(t *testing.T, tx pgx.Tx, account string, amount int64) {
	t.Helper()
	cur, _ := ledger.CurrencyOf(account)
	from := ledger.TelegramClearing
	if cur == ledger.RUB {
		from = ledger.YooKassaClearing
	}
	if _, err := ledger.Post(t.Context(), tx, ledger.Transfer("fund:"+account+fmt.Sprint(amount), "test", from, account, amount)); err != nil {
		t.Fatalf("fund %s: %v", account, err)
	}
}

func mustBalance(t *testing.T, tx pgx.Tx, code string) int64 {
	t.Helper()
	b, err := ledger.Balance(t.Context(), tx, code)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPostMovesMoney(t *testing.T) {
	t.Parallel()
	tx := dbtest.NewTx(t)
	ctx := t.Context()
	alice := ledger.UserAccount(1, ledger.XTR)
	fund(t, tx, alice, 100)
	res, err := ledger.Post(ctx, tx, ledger.Transfer("entry:1", "entry", alice, ledger.PoolAccount(7, ledger.XTR), 30))
	if err != nil || res.Replay || res.ID == 0 {
		t.Fatalf("Post = %+v, %v", res, err)
	}
	if got := mustBalance(t, tx, alice); got != 70 {
		t.Fatalf("alice = %d, want 70", got)
	}
	if got := mustBalance(t, tx, ledger.PoolAccount(7, ledger.XTR)); got != 30 {
		t.Fatalf("pool = %d, want 30", got)
	}
	if got := mustBalance(t, tx, ledger.TelegramClearing); got != -100 {
		t.Fatalf("clearing = %d, want -100", got)
	}
	if got := mustBalance(t, tx, "user:404:XTR"); got != 0 {
		t.Fatalf("unused account = %d, want 0", got)
	}
	problems, err := ledger.Check(ctx, tx)
	if err != nil || len(problems) != 0 {
		t.Fatalf("Check = %v, %v", problems, err)
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	tx := dbtest.NewTx(t)
	ctx := t.Context()
	tr := ledger.Transfer("tg:charge:abc", "entry", ledger.TelegramClearing, ledger.PoolAccount(1, ledger.XTR), 10)
	first, err := ledger.Post(ctx, tx, tr)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("replay returns the original", func(t *testing.T) {
		tr2 := tr
		tr2.Memo = "a different memo is not a different request"
		again, err := ledger.Post(ctx, tx, tr2)
		if err != nil || !again.Replay || again.ID != first.ID {
			t.Fatalf("replay = %+v, %v; want replay of %d", again, err, first.ID)
		}
		if got := mustBalance(t, tx, ledger.PoolAccount(1, ledger.XTR)); got != 10 {
			t.Fatalf("pool after replay = %d, want 10", got)
		}
	})
	t.Run("conflicting replay errors", func(t *testing.T) {
		for name, other := range map[string]ledger.Transaction{
			"amount":  ledger.Transfer("tg:charge:abc", "entry", ledger.TelegramClearing, ledger.PoolAccount(1, ledger.XTR), 11),
			"account": ledger.Transfer("tg:charge:abc", "entry", ledger.TelegramClearing, ledger.PoolAccount(2, ledger.XTR), 10),
			"kind":    ledger.Transfer("tg:charge:abc", "refund", ledger.TelegramClearing, ledger.PoolAccount(1, ledger.XTR), 10),
		} {
			if _, err := ledger.Post(ctx, tx, other); !errors.Is(err, ledger.ErrIdempotencyConflict) {
				t.Fatalf("%s: err = %v, want ErrIdempotencyConflict", name, err)
			}
		}
	})
	t.Run("raw duplicate key rejected", func(t *testing.T) {
		_, err := tx.Exec(ctx, "SAVEPOINT s1")
		if err != nil {
			t.Fatal(err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO ledger_transactions (idempotency_key, request_hash, kind) VALUES ('tg:charge:abc', sha256('x'), 'entry')`)
		if !db.IsUniqueViolation(err, "ledger_transactions_idempotency_key") {
			t.Fatalf("raw duplicate insert: %v", err)
		}
		_, _ = tx.Exec(ctx, "ROLLBACK TO SAVEPOINT s1")
	})
}

func TestInvalidTransactionsRejectedInGo(t *testing.T) {
	t.Parallel()
	tx := dbtest.NewTx(t)
	for _, tc := range []struct {
		name string
		tr   ledger.Transaction
		want error
	}{
		{"unbalanced", ledger.Transaction{Key: "k1", Kind: "x", Postings: []ledger.Posting{{"ext:telegram:XTR", -5}, {"user:1:XTR", 4}}}, ledger.ErrInvalid},
		{"one posting", ledger.Transaction{Key: "k2", Kind: "x", Postings: []ledger.Posting{{"user:1:XTR", 4}}}, ledger.ErrInvalid},
		{"zero amount", ledger.Transaction{Key: "k3", Kind: "x", Postings: []ledger.Posting{{"ext:telegram:XTR", 0}, {"user:1:XTR", 0}}}, ledger.ErrInvalid},
		{"currency mix", ledger.Transaction{Key: "k4", Kind: "x", Postings: []ledger.Posting{{"ext:telegram:XTR", -5}, {"user:1:RUB", 5}}}, ledger.ErrInvalid},
		{"unknown currency", ledger.Transfer("k5", "x", "ext:telegram:USD", "user:1:USD", 5), ledger.ErrInvalid},
		{"no key", ledger.Transfer("", "x", ledger.TelegramClearing, "user:1:XTR", 5), ledger.ErrInvalid},
		{"no kind", ledger.Transfer("k6", "", ledger.TelegramClearing, "user:1:XTR", 5), ledger.ErrInvalid},
		{"overdraft", ledger.Transfer("k7", "x", "user:1:XTR", "user:2:XTR", 5), ledger.ErrInsufficientFunds},
		{"overflow", ledger.Transaction{Key: "k8", Kind: "x", Postings: []ledger.Posting{{"user:1:XTR", 1 << 62}, {"user:1:XTR", 1 << 62}, {"ext:telegram:XTR", -(1 << 62)}, {"ext:telegram:XTR", -(1 << 62)}}}, ledger.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ledger.Post(t.Context(), tx, tc.tr); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// Nothing above was written, and the transaction is still usable.
	fund(t, tx, "user:1:XTR", 1)
}

func TestPostMergesPostingsToOneAccount(t *testing.T) {
	t.Parallel()
	tx := dbtest.NewTx(t)
	fund(t, tx, ledger.PoolAccount(3, ledger.XTR), 100)
	// Two prizes to the same winner in one settlement.
	_, err := ledger.Post(t.Context(), tx, ledger.Transaction{Key: "settle:3", Kind: "prize", Postings: []ledger.Posting{
		{ledger.PoolAccount(3, ledger.XTR), -100}, {"user:9:XTR", 45}, {"user:9:XTR", 45}, {ledger.CommissionAccount(ledger.XTR), 10},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustBalance(t, tx, "user:9:XTR"); got != 90 {
		t.Fatalf("winner = %d, want 90", got)
	}
}

// TestDatabaseEnforcesInvariants goes around the Go API with raw SQL: PostgreSQL itself must refuse.
func TestDatabaseEnforcesInvariants(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDB(t)
	ctx := t.Context()
	// Seed: clearing -100, alice +100, in one committed transaction.
	err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := ledger.Post(ctx, tx, ledger.Transfer("seed", "test", ledger.TelegramClearing, "user:1:XTR", 100))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var alice, clearing, seedTx int64
	mustScan(t, pool, "SELECT id FROM ledger_accounts WHERE code = 'user:1:XTR'", &alice)
	mustScan(t, pool, "SELECT id FROM ledger_accounts WHERE code = 'ext:telegram:XTR'", &clearing)
	mustScan(t, pool, "SELECT id FROM ledger_transactions WHERE idempotency_key = 'seed'", &seedTx)

	for _, tc := range []struct {
		name, want string
		stmts      []string
	}{
		{"unbalanced transaction rejected at commit", "unbalanced", []string{
			"INSERT INTO ledger_transactions (idempotency_key, request_hash, kind) VALUES ('raw1', sha256('a'), 'x')",
			fmt.Sprintf("INSERT INTO ledger_postings (transaction_id, account_id, currency, amount, balance_after, account_version) VALUES ((SELECT id FROM ledger_transactions WHERE idempotency_key='raw1'), %d, 'XTR', -5, 0, 0)", clearing),
			fmt.Sprintf("INSERT INTO ledger_postings (transaction_id, account_id, currency, amount, balance_after, account_version) VALUES ((SELECT id FROM ledger_transactions WHERE idempotency_key='raw1'), %d, 'XTR', 4, 0, 0)", alice),
		}},
		{"transaction without postings rejected at commit", "fewer than two postings", []string{
			"INSERT INTO ledger_transactions (idempotency_key, request_hash, kind) VALUES ('raw2', sha256('a'), 'x')",
		}},
		{"overdraft rejected", "ledger_accounts_no_overdraft", []string{
			"INSERT INTO ledger_transactions (idempotency_key, request_hash, kind) VALUES ('raw3', sha256('a'), 'x')",
			fmt.Sprintf("INSERT INTO ledger_postings (transaction_id, account_id, currency, amount, balance_after, account_version) VALUES ((SELECT id FROM ledger_transactions WHERE idempotency_key='raw3'), %d, 'XTR', -101, 0, 0)", alice),
		}},
		{"currency mismatch rejected", "foreign key", []string{
			"INSERT INTO ledger_transactions (idempotency_key, request_hash, kind) VALUES ('raw4', sha256('a'), 'x')",
			fmt.Sprintf("INSERT INTO ledger_postings (transaction_id, account_id, currency, amount, balance_after, account_version) VALUES ((SELECT id FROM ledger_transactions WHERE idempotency_key='raw4'), %d, 'RUB', 5, 0, 0)", alice),
		}},
		{"posting update rejected", "append-only", []string{fmt.Sprintf("UPDATE ledger_postings SET amount = amount * 2 WHERE transaction_id = %d", seedTx)}},
		{"posting delete rejected", "append-only", []string{"DELETE FROM ledger_postings"}},
		{"transaction update rejected", "append-only", []string{"UPDATE ledger_transactions SET kind = 'other'"}},
		{"transaction delete rejected", "append-only", []string{"DELETE FROM ledger_transactions"}},
		{"truncate rejected", "append-only", []string{"TRUNCATE ledger_postings, ledger_transactions, ledger_accounts"}},
		{"direct balance update rejected", "moves only through postings", []string{"UPDATE ledger_accounts SET balance = 1000000 WHERE code = 'user:1:XTR'"}},
		{"account identity change rejected", "identity cannot change", []string{"UPDATE ledger_accounts SET currency = 'RUB', code = 'user:1:RUB' WHERE code = 'user:1:XTR'"}},
		{"account delete rejected", "cannot be deleted", []string{"DELETE FROM ledger_accounts"}},
		{"account cannot start with money", "must start at zero", []string{"INSERT INTO ledger_accounts (code, currency, allow_negative, balance) VALUES ('user:5:XTR', 'XTR', false, 500)"}},
		{"only ext accounts may go negative", "ledger_accounts_negative_only_ext", []string{"INSERT INTO ledger_accounts (code, currency, allow_negative) VALUES ('user:6:XTR', 'XTR', true)"}},
		{"code must end in its currency", "ledger_accounts_code_currency", []string{"INSERT INTO ledger_accounts (code, currency, allow_negative) VALUES ('user:6:XTR', 'RUB', false)"}},
		{"duplicate idempotency key rejected", "ledger_transactions_idempotency_key", []string{"INSERT INTO ledger_transactions (idempotency_key, request_hash, kind) VALUES ('seed', sha256('a'), 'x')"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
				for _, s := range tc.stmts {
					if _, err := tx.Exec(ctx, s); err != nil {
						return err
					}
				}
				return nil
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	problems, err := ledger.Check(ctx, pool)
	if err != nil || len(problems) != 0 {
		t.Fatalf("after all attempts Check = %v, %v", problems, err)
	}
	if b, _ := ledger.Balance(ctx, pool, "user:1:XTR"); b != 100 {
		t.Fatalf("alice = %d, want 100 (nothing changed)", b)
	}
}

// TestCheckFindsTampering disables the guards as a superuser would and shows Check notices.
func TestCheckFindsTampering(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDB(t)
	ctx := t.Context()
	err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, err := ledger.Post(ctx, tx, ledger.Transfer("seed", "test", ledger.TelegramClearing, "user:1:XTR", 100))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = pool.Exec(ctx, `ALTER TABLE ledger_accounts DISABLE TRIGGER ledger_accounts_guard;
		UPDATE ledger_accounts SET balance = 150 WHERE code = 'user:1:XTR';`)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := ledger.Check(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(problems, "\n")
	if !strings.Contains(joined, "account user:1:XTR: balance 150") || !strings.Contains(joined, "currency XTR: account balances sum to 50") {
		t.Fatalf("Check missed the tampering:\n%s", joined)
	}
}

// TestConcurrentTransfers: 8 writers x 500 random transfers among 20 accounts; no deadlock or
// serialization error reaches a caller, and the totals are exact.
func TestConcurrentTransfers(t *testing.T) {
	t.Parallel()
	pool := dbtest.NewDB(t)
	ctx := t.Context()
	const accounts, writers, perWriter, seed = 20, 8, 500, 1000
	code := func(i int) string { return ledger.UserAccount(int64(i+1), ledger.XTR) }
	err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
		for i := range accounts {
			if _, err := ledger.Post(ctx, tx, ledger.Transfer(fmt.Sprintf("seed:%d", i), "test", ledger.TelegramClearing, code(i), seed)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg              sync.WaitGroup
		mu              sync.Mutex
		posted, refused int
		unexpected      []error
	)
	for w := range writers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 42))
			for i := range perWriter {
				from, to := r.IntN(accounts), r.IntN(accounts-1)
				if to >= from {
					to++
				}
				// Three-leg transactions too, to make lock ordering matter.
				third := r.IntN(accounts)
				amt := int64(r.IntN(200) + 2)
				tr := ledger.Transaction{Key: fmt.Sprintf("w%d:%d", w, i), Kind: "transfer", Postings: []ledger.Posting{
					{code(from), -amt}, {code(to), amt - 1}, {code(third), 1},
				}}
				err := db.InTx(ctx, pool, func(tx pgx.Tx) error {
					_, err := ledger.Post(ctx, tx, tr)
					return err
				})
				mu.Lock()
				switch {
				case err == nil:
					posted++
				case errors.Is(err, ledger.ErrInsufficientFunds):
					refused++
				default:
					unexpected = append(unexpected, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(unexpected) > 0 {
		t.Fatalf("%d errors reached callers, first: %v", len(unexpected), unexpected[0])
	}
	if posted+refused != writers*perWriter {
		t.Fatalf("posted %d + refused %d != %d", posted, refused, writers*perWriter)
	}
	problems, err := ledger.Check(ctx, pool)
	if err != nil || len(problems) != 0 {
		t.Fatalf("Check = %v, %v", problems, err)
	}
	var total, n int64
	mustScan(t, pool, "SELECT sum(balance), count(*) FROM ledger_accounts WHERE code LIKE 'user:%'", &total, &n)
	if total != accounts*seed || n != accounts {
		t.Fatalf("users hold %d in %d accounts, want %d in %d", total, n, accounts*seed, accounts)
	}
	var txCount int64
	mustScan(t, pool, "SELECT count(*) FROM ledger_transactions WHERE kind = 'transfer'", &txCount)
	if txCount != int64(posted) {
		t.Fatalf("%d transfer transactions stored, %d reported posted", txCount, posted)
	}
	t.Logf("posted %d, refused for funds %d", posted, refused)
}

func mustScan(t *testing.T, pool *pgxpool.Pool, sql string, dest ...any) {
	t.Helper()
	if err := pool.QueryRow(t.Context(), sql).Scan(dest...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

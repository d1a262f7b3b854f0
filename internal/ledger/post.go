package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
)

var q = dbq.New()

// Post records t inside tx, the caller's transaction; t takes effect when tx commits.
//
// A replay (same Key, same Kind and postings) writes nothing and returns the original ID with
// Replay set. ErrInsufficientFunds and ErrIdempotencyConflict are returned before anything is
// written, so tx stays usable. Accounts are created on first use and locked in id order, so
// concurrent posts never deadlock on each other.
func Post(ctx context.Context, tx pgx.Tx, t Transaction) (Result, error) {
	postings, currencies, hash, err := normalize(t)
	if err != nil {
		return Result{}, err
	}
	if res, done, err := replay(ctx, tx, t.Key, hash); done || err != nil {
		return res, err
	}

	codes := make([]string, len(postings))
	for i, p := range postings {
		codes[i] = p.Account
	}
	if err := q.LedgerEnsureAccounts(ctx, tx, dbq.LedgerEnsureAccountsParams{Codes: codes, Currencies: currencies}); err != nil {
		return Result{}, fmt.Errorf("ledger: create accounts: %w", err)
	}
	locked, err := q.LedgerLockAccounts(ctx, tx, codes)
	if err != nil {
		return Result{}, fmt.Errorf("ledger: lock accounts: %w", err)
	}
	amounts := make(map[string]int64, len(postings))
	for _, p := range postings {
		amounts[p.Account] = p.Amount
	}
	ids := make([]int64, len(locked))
	curs := make([]string, len(locked))
	amts := make([]int64, len(locked))
	for i, a := range locked {
		amt := amounts[a.Code]
		if next, ok := addChecked(a.Balance, amt); !ok || (!a.AllowNegative && next < 0) {
			return Result{}, fmt.Errorf("%w: %s holds %d, needs %d", ErrInsufficientFunds, a.Code, a.Balance, -amt)
		}
		ids[i], curs[i], amts[i] = a.ID, a.Currency, amt
	}

	id, err := q.LedgerInsertTransaction(ctx, tx, dbq.LedgerInsertTransactionParams{
		IdempotencyKey: t.Key, RequestHash: hash, Kind: t.Kind, Memo: t.Memo,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		// Another transaction committed the same key after our first look.
		res, _, err := replay(ctx, tx, t.Key, hash)
		return res, err
	}
	if err != nil {
		return Result{}, fmt.Errorf("ledger: insert transaction: %w", err)
	}
	err = q.LedgerInsertPostings(ctx, tx, dbq.LedgerInsertPostingsParams{
		TransactionID: id, AccountIds: ids, Currencies: curs, Amounts: amts,
	})
	if err != nil {
		if db.ErrorCode(err) == "23514" {
			return Result{}, fmt.Errorf("%w: %v", ErrInsufficientFunds, err)
		}
		return Result{}, fmt.Errorf("ledger: insert postings: %w", err)
	}
	return Result{ID: id}, nil
}

// replay looks the key up; done is true when it was already posted.
func replay(ctx context.Context, tx pgx.Tx, key string, hash []byte) (Result, bool, error) {
	row, err := q.LedgerTransactionByKey(ctx, tx, key)
	if errors.Is(err, pgx.ErrNoRows) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, fmt.Errorf("ledger: look up key: %w", err)
	}
	if !bytes.Equal(row.RequestHash, hash) {
		return Result{}, true, fmt.Errorf("%w: %s", ErrIdempotencyConflict, key)
	}
	return Result{ID: row.ID, Replay: true}, true, nil
}

// Balance returns the balance of the account with this code; an account never used is 0.
func Balance(ctx context.Context, conn dbq.DBTX, code string) (int64, error) {
	b, err := q.LedgerBalance(ctx, conn, code)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("ledger: balance of %s: %w", code, err)
	}
	return b, nil
}

package ledger

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
)

// PostMany records ts inside tx as Post would record each in turn, with a handful of
// statements whatever len(ts) is: one to look up the keys, one to create the accounts, one to
// lock them, one to insert the transactions and one for all their postings. It is the ledger
// side of booking a burst of payments at once.
//
// A transaction whose Key was posted before with the same request is a replay (Replay set, the
// original ID, nothing written); with a different request the whole call fails with
// ErrIdempotencyConflict. Balances are checked in the order of ts, as if each were posted after
// the one before: if any would overdraw an account the call fails with ErrInsufficientFunds.
// Both errors, and ErrInvalid, are returned before anything is written, so tx stays usable.
// Two transactions with the same Key in ts are ErrInvalid. Results are in the order of ts.
func PostMany(ctx context.Context, tx pgx.Tx, ts []Transaction) ([]Result, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	type prepared struct {
		postings   []Posting
		currencies []string
		hash       []byte
	}
	prep := make([]prepared, len(ts))
	keys := make([]string, len(ts))
	seenKey := make(map[string]bool, len(ts))
	for i, t := range ts {
		postings, currencies, hash, err := normalize(t)
		if err != nil {
			return nil, err
		}
		if seenKey[t.Key] {
			return nil, fmt.Errorf("%w: key %s twice in one batch", ErrInvalid, t.Key)
		}
		seenKey[t.Key] = true
		prep[i] = prepared{postings, currencies, hash}
		keys[i] = t.Key
	}

	results := make([]Result, len(ts))
	done := make([]bool, len(ts))
	posted, err := q.LedgerTransactionsByKeys(ctx, tx, keys)
	if err != nil {
		return nil, fmt.Errorf("ledger: look up keys: %w", err)
	}
	if len(posted) > 0 {
		byKey := make(map[string]int, len(ts))
		for i, k := range keys {
			byKey[k] = i
		}
		for _, row := range posted {
			i := byKey[row.IdempotencyKey]
			if !bytes.Equal(row.RequestHash, prep[i].hash) {
				return nil, fmt.Errorf("%w: %s", ErrIdempotencyConflict, row.IdempotencyKey)
			}
			results[i], done[i] = Result{ID: row.ID, Replay: true}, true
		}
	}

	// Every account touched, created on first use and locked once, in id order.
	currencyOf := map[string]string{}
	for i, p := range prep {
		if done[i] {
			continue
		}
		for j, posting := range p.postings {
			currencyOf[posting.Account] = p.currencies[j]
		}
	}
	if len(currencyOf) == 0 {
		return results, nil
	}
	codes := make([]string, 0, len(currencyOf))
	for code := range currencyOf {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	curs := make([]string, len(codes))
	for i, c := range codes {
		curs[i] = currencyOf[c]
	}
	if err := q.LedgerEnsureAccounts(ctx, tx, dbq.LedgerEnsureAccountsParams{Codes: codes, Currencies: curs}); err != nil {
		return nil, fmt.Errorf("ledger: create accounts: %w", err)
	}
	locked, err := q.LedgerLockAccounts(ctx, tx, codes)
	if err != nil {
		return nil, fmt.Errorf("ledger: lock accounts: %w", err)
	}
	type account struct {
		id, balance   int64
		allowNegative bool
	}
	accounts := make(map[string]*account, len(locked))
	for _, a := range locked {
		accounts[a.Code] = &account{id: a.ID, balance: a.Balance, allowNegative: a.AllowNegative}
	}

	// Apply in order, as one Post after another would, refusing before anything is written.
	var (
		insKeys, insKinds, insMemos []string
		insHashes                   [][]byte
		order                       []int // index in ts of each inserted transaction
	)
	for i, t := range ts {
		if done[i] {
			continue
		}
		for _, p := range prep[i].postings {
			a := accounts[p.Account]
			next, ok := addChecked(a.balance, p.Amount)
			if !ok || (!a.allowNegative && next < 0) {
				return nil, fmt.Errorf("%w: %s holds %d, needs %d", ErrInsufficientFunds, p.Account, a.balance, -p.Amount)
			}
			a.balance = next
		}
		insKeys = append(insKeys, t.Key)
		insKinds = append(insKinds, t.Kind)
		insMemos = append(insMemos, t.Memo)
		insHashes = append(insHashes, prep[i].hash)
		order = append(order, i)
	}

	rows, err := q.LedgerInsertTransactions(ctx, tx, dbq.LedgerInsertTransactionsParams{
		Keys: insKeys, Hashes: insHashes, Kinds: insKinds, Memos: insMemos,
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: insert transactions: %w", err)
	}
	if len(rows) != len(insKeys) {
		// Another transaction committed one of the keys after our look: tx now holds some of
		// the batch; the caller rolls it back and posts one by one.
		return nil, fmt.Errorf("%w: a key of the batch was posted meanwhile", ErrIdempotencyConflict)
	}
	idOf := make(map[string]int64, len(rows))
	for _, r := range rows {
		idOf[r.IdempotencyKey] = r.ID
	}
	var txIDs, accIDs, amounts []int64
	var pcurs []string
	for _, i := range order {
		id := idOf[ts[i].Key]
		results[i] = Result{ID: id}
		// Within a transaction, postings go in account id order, as Post inserts them.
		ps := slices.Clone(prep[i].postings)
		slices.SortFunc(ps, func(a, b Posting) int { return cmp.Compare(accounts[a.Account].id, accounts[b.Account].id) })
		for _, p := range ps {
			txIDs = append(txIDs, id)
			accIDs = append(accIDs, accounts[p.Account].id)
			pcurs = append(pcurs, currencyOf[p.Account])
			amounts = append(amounts, p.Amount)
		}
	}
	err = q.LedgerInsertPostingsMany(ctx, tx, dbq.LedgerInsertPostingsManyParams{
		TransactionIds: txIDs, AccountIds: accIDs, Currencies: pcurs, Amounts: amounts,
	})
	if err != nil {
		if db.ErrorCode(err) == "23514" {
			return nil, fmt.Errorf("%w: %v", ErrInsufficientFunds, err)
		}
		return nil, fmt.Errorf("ledger: insert postings: %w", err)
	}
	return results, nil
}

package ledger

import (
	"context"
	"fmt"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
)

// Check re-derives every balance from the postings and returns one line per mismatch; an empty
// list means every invariant holds:
//   - each account's balance and version equal the sum and count of its postings, its last
//     balance_after equals its balance, and only ext:* accounts are negative;
//   - each posting's balance_after follows from the one before it;
//   - each transaction has at least two postings and balances per currency;
//   - the balances, and the postings, of each currency sum to zero.
func Check(ctx context.Context, conn dbq.DBTX) ([]string, error) {
	var problems []string
	accounts, err := q.LedgerCheckAccounts(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("ledger: check accounts: %w", err)
	}
	for _, a := range accounts {
		problems = append(problems, fmt.Sprintf(
			"account %s: balance %d version %d, but postings sum to %d over %d postings (last balance_after %d)",
			a.Code, a.Balance, a.Version, a.PostedTotal, a.PostedCount, a.LastBalanceAfter))
	}
	chains, err := q.LedgerCheckPostingChains(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("ledger: check posting chains: %w", err)
	}
	for _, c := range chains {
		problems = append(problems, fmt.Sprintf("account %s: posting version %d does not follow from the one before", c.Code, c.AccountVersion))
	}
	txs, err := q.LedgerCheckTransactions(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("ledger: check transactions: %w", err)
	}
	for _, t := range txs {
		problems = append(problems, fmt.Sprintf("transaction %d (%s) is unbalanced or has fewer than two postings", t.ID, t.IdempotencyKey))
	}
	curs, err := q.LedgerCheckCurrencies(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("ledger: check currencies: %w", err)
	}
	for _, c := range curs {
		problems = append(problems, fmt.Sprintf("currency %s: account balances sum to %d, not zero", c.Currency, c.Total))
	}
	totals, err := q.LedgerCheckPostingsTotal(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("ledger: check posting totals: %w", err)
	}
	for _, c := range totals {
		problems = append(problems, fmt.Sprintf("currency %s: postings sum to %d, not zero", c.Currency, c.Total))
	}
	return problems, nil
}

-- name: LedgerTransactionByKey :one
SELECT id, request_hash FROM ledger_transactions WHERE idempotency_key = $1;

-- name: LedgerEnsureAccounts :exec
INSERT INTO ledger_accounts (code, currency, allow_negative)
SELECT c.code, c.currency, c.code LIKE 'ext:%'
  FROM (SELECT unnest(@codes::text[]) AS code, unnest(@currencies::text[]) AS currency) AS c
 ORDER BY c.code
ON CONFLICT (code) DO NOTHING;

-- name: LedgerLockAccounts :many
SELECT id, code, currency, allow_negative, balance
  FROM ledger_accounts WHERE code = ANY(@codes::text[])
 ORDER BY id
   FOR UPDATE;

-- name: LedgerInsertTransaction :one
INSERT INTO ledger_transactions (idempotency_key, request_hash, kind, memo)
VALUES ($1, $2, $3, $4)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id;

-- name: LedgerInsertPostings :exec
INSERT INTO ledger_postings (transaction_id, account_id, currency, amount, balance_after, account_version)
SELECT @transaction_id::bigint, p.account_id, p.currency, p.amount, 0, 0
  FROM (SELECT unnest(@account_ids::bigint[]) AS account_id, unnest(@currencies::text[]) AS currency,
               unnest(@amounts::bigint[]) AS amount) AS p
 ORDER BY p.account_id;

-- name: LedgerBalance :one
SELECT balance FROM ledger_accounts WHERE code = $1;

-- name: LedgerBalancesByPrefix :many
SELECT code, currency, balance FROM ledger_accounts WHERE code LIKE @prefix::text || '%' ORDER BY code;

-- name: LedgerCheckAccounts :many
-- Every account whose stored balance, version or last balance_after disagrees with its postings,
-- or that is negative without being allowed to be.
SELECT a.code, a.currency, a.balance, a.version,
       coalesce(p.total, 0)::bigint AS posted_total,
       coalesce(p.n, 0)::bigint AS posted_count,
       coalesce(p.last_balance, 0)::bigint AS last_balance_after
  FROM ledger_accounts a
  LEFT JOIN LATERAL (
       SELECT sum(amount) AS total, count(*) AS n,
              (array_agg(balance_after ORDER BY account_version DESC))[1] AS last_balance
         FROM ledger_postings WHERE account_id = a.id) p ON true
 WHERE a.balance <> coalesce(p.total, 0)
    OR a.version <> coalesce(p.n, 0)
    OR (coalesce(p.n, 0) > 0 AND a.balance <> p.last_balance)
    OR (NOT a.allow_negative AND a.balance < 0)
 ORDER BY a.code;

-- name: LedgerCheckCurrencies :many
SELECT currency, sum(balance)::bigint AS total FROM ledger_accounts GROUP BY currency HAVING sum(balance) <> 0 ORDER BY currency;

-- name: LedgerCheckPostingsTotal :many
SELECT currency, sum(amount)::bigint AS total FROM ledger_postings GROUP BY currency HAVING sum(amount) <> 0 ORDER BY currency;

-- name: LedgerCheckTransactions :many
-- Transactions that do not balance per currency or have fewer than two postings.
SELECT t.id, t.idempotency_key FROM ledger_transactions t
 WHERE (SELECT count(*) FROM ledger_postings p WHERE p.transaction_id = t.id) < 2
    OR EXISTS (SELECT 1 FROM ledger_postings p WHERE p.transaction_id = t.id
                GROUP BY p.currency HAVING sum(p.amount) <> 0)
 ORDER BY t.id;

-- name: LedgerCheckPostingChains :many
-- Postings whose balance_after does not follow from the previous posting of the same account.
SELECT a.code, p.account_version FROM ledger_postings p
  JOIN ledger_accounts a ON a.id = p.account_id
 WHERE p.balance_after <> coalesce(
        (SELECT q.balance_after FROM ledger_postings q
          WHERE q.account_id = p.account_id AND q.account_version = p.account_version - 1), 0) + p.amount
    OR (p.account_version > 1 AND NOT EXISTS (SELECT 1 FROM ledger_postings q
          WHERE q.account_id = p.account_id AND q.account_version = p.account_version - 1))
 ORDER BY a.code, p.account_version;

-- name: LedgerTransactionsByKeys :many
SELECT id, idempotency_key, request_hash FROM ledger_transactions WHERE idempotency_key = ANY(@keys::text[]);

-- name: LedgerInsertTransactions :many
-- Many transactions at once (ledger.PostMany); ids follow the order of the arrays.
INSERT INTO ledger_transactions (idempotency_key, request_hash, kind, memo)
SELECT t.key, t.hash, t.kind, t.memo
  FROM (SELECT unnest(@keys::text[]) AS key, unnest(@hashes::bytea[]) AS hash,
               unnest(@kinds::text[]) AS kind, unnest(@memos::text[]) AS memo) AS t
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING id, idempotency_key;

-- name: LedgerInsertPostingsMany :exec
-- Postings of many transactions, applied in the order of the arrays.
INSERT INTO ledger_postings (transaction_id, account_id, currency, amount, balance_after, account_version)
SELECT p.transaction_id, p.account_id, p.currency, p.amount, 0, 0
  FROM (SELECT unnest(@transaction_ids::bigint[]) AS transaction_id, unnest(@account_ids::bigint[]) AS account_id,
               unnest(@currencies::text[]) AS currency, unnest(@amounts::bigint[]) AS amount) AS p;

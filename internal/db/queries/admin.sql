-- Queries of the admin panel (internal/admin), the Stars reserve check (internal/ops) and the
-- refund of a banned user's entries (internal/raffle/ban.go).

-- name: GetSetting :one
SELECT value FROM settings WHERE key = $1;

-- name: ListSettings :many
SELECT * FROM settings ORDER BY key;

-- name: LockSettingKey :exec
-- Serialises changes of one key (the row may not exist yet, so a row lock would not do).
SELECT pg_advisory_xact_lock(hashtextextended('fairdraw:settings:' || @key::text, 0));

-- name: UpsertSetting :exec
INSERT INTO settings (key, value, updated_at, updated_by) VALUES (@key, @value, @updated_at, @updated_by)
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by;

-- name: DeleteSetting :execrows
DELETE FROM settings WHERE key = $1;

-- name: SumAccountBalances :one
-- The total of the accounts in currency whose code matches pattern (LIKE).
SELECT coalesce(sum(balance), 0)::bigint FROM ledger_accounts WHERE code LIKE @pattern::text AND currency = @currency;

-- name: PrizeTotals :many
SELECT r.currency, count(*)::bigint AS prizes, coalesce(sum(w.prize), 0)::bigint AS total
  FROM winners w JOIN raffles r ON r.id = w.raffle_id
 WHERE r.status = 'settled'
 GROUP BY r.currency ORDER BY r.currency;

-- name: PaymentTotals :many
SELECT currency, status, count(*)::bigint AS n, coalesce(sum(amount), 0)::bigint AS total
  FROM payments GROUP BY currency, status ORDER BY currency, status;

-- name: RubPayoutTotals :many
SELECT status, count(*)::bigint AS n, coalesce(sum(amount), 0)::bigint AS total
  FROM rub_payouts GROUP BY status ORDER BY status;

-- name: FailedRubPayouts :many
-- Payouts that did not go out (canceled: the money went back to the balance) or that wait for a
-- person (review), newest first.
SELECT id, telegram_id, amount, status, cancel_party, cancel_reason, created_at, finished_at
  FROM rub_payouts WHERE status IN ('canceled', 'review') ORDER BY id DESC LIMIT @lim;

-- name: EntriesAfter :many
-- A draw's entries in entry order after seq after_seq, with the payer and how they paid.
SELECT e.seq, e.code, e.telegram_id, e.created_at, u.username, u.first_name, p.provider, p.amount, p.currency
  FROM entries e
  JOIN users u ON u.telegram_id = e.telegram_id
  JOIN payments p ON p.id = e.payment_id
 WHERE e.raffle_id = @raffle_id AND e.seq > @after_seq
 ORDER BY e.seq LIMIT @lim;

-- name: AuditForRafflePage :many
SELECT * FROM audit_log WHERE raffle_id = @raffle_id ORDER BY id DESC LIMIT @lim OFFSET @off;

-- name: CountAuditForRaffle :one
SELECT count(*)::bigint FROM audit_log WHERE raffle_id = $1;

-- name: BannedUsers :many
SELECT * FROM users WHERE banned_at IS NOT NULL ORDER BY banned_at DESC, telegram_id LIMIT @lim;

-- name: CountObservers :one
SELECT count(*)::bigint FROM users WHERE follows_news AND blocked_at IS NULL AND banned_at IS NULL;

-- name: UserOpenRaffles :many
-- The open draws in which a user holds a paid entry.
SELECT DISTINCT e.raffle_id FROM entries e JOIN raffles r ON r.id = e.raffle_id
 WHERE e.telegram_id = @telegram_id AND r.status = 'open'
 ORDER BY e.raffle_id;

-- name: UserEntriesInRaffle :many
-- A user's entries in one draw with their payments, last entry first.
SELECT e.id AS entry_id, e.seq, e.code, p.id AS payment_id, p.provider, p.external_id, p.currency, p.amount, p.status AS payment_status
  FROM entries e JOIN payments p ON p.id = e.payment_id
 WHERE e.raffle_id = @raffle_id AND e.telegram_id = @telegram_id
 ORDER BY e.seq DESC;

-- name: DeleteEntry :execrows
DELETE FROM entries WHERE id = $1;

-- name: LiftEntriesAbove :exec
-- With LowerLiftedEntries, closes the gap a removed entry leaves in a draw's seq 1..n. Two steps,
-- because UNIQUE (raffle_id, seq) is checked row by row and seq - 1 could meet a row not yet moved.
UPDATE entries SET seq = seq + 1000000000 WHERE raffle_id = @raffle_id AND seq > @seq;

-- name: LowerLiftedEntries :exec
UPDATE entries SET seq = seq - 1000000001 WHERE raffle_id = $1 AND seq > 1000000000;

-- name: DecrementEntries :one
UPDATE raffles SET entries_count = entries_count - 1 WHERE id = $1 AND entries_count > 0 RETURNING entries_count;

-- Set-based forms of the entry path, for a batch of payments of one draw (raffle.EnterMany).

-- name: EnsureUsers :exec
INSERT INTO users (telegram_id, first_seen_at, last_seen_at)
SELECT u.id, @now::timestamptz, @now::timestamptz FROM unnest(@ids::bigint[]) AS u(id) ORDER BY u.id
ON CONFLICT DO NOTHING;

-- name: LockUsers :many
SELECT telegram_id, banned_at FROM users WHERE telegram_id = ANY(@ids::bigint[]) ORDER BY telegram_id FOR UPDATE;

-- name: PaymentsSeen :many
SELECT external_id FROM payments WHERE provider = @provider AND external_id = ANY(@external_ids::text[]);

-- name: UserEntryCounts :many
SELECT telegram_id,
       (count(*) FILTER (WHERE raffle_id = @raffle_id))::int AS in_raffle,
       (count(*) FILTER (WHERE created_at >= @since))::int AS since
  FROM entries WHERE telegram_id = ANY(@ids::bigint[])
 GROUP BY telegram_id;

-- name: InsertPayments :many
INSERT INTO payments (provider, external_id, raffle_id, telegram_id, currency, amount, status, refund_reason, created_at)
SELECT @provider, p.external_id, @raffle_id, p.telegram_id, p.currency, p.amount, p.status, p.refund_reason, @created_at
  FROM (SELECT unnest(@external_ids::text[]) AS external_id, unnest(@telegram_ids::bigint[]) AS telegram_id,
               unnest(@currencies::text[]) AS currency, unnest(@amounts::bigint[]) AS amount,
               unnest(@statuses::text[]) AS status, unnest(@refund_reasons::text[]) AS refund_reason) AS p
ON CONFLICT (provider, external_id) DO NOTHING
RETURNING *;

-- name: AddEntries :one
UPDATE raffles SET entries_count = entries_count + @n::int WHERE id = @id RETURNING entries_count;

-- name: EntryCodesTaken :many
SELECT code FROM entries WHERE raffle_id = @raffle_id AND code = ANY(@codes::text[]);

-- name: InsertEntries :many
INSERT INTO entries (raffle_id, seq, telegram_id, code, payment_id, created_at)
SELECT @raffle_id, e.seq, e.telegram_id, e.code, e.payment_id, @created_at
  FROM (SELECT unnest(@seqs::int[]) AS seq, unnest(@telegram_ids::bigint[]) AS telegram_id,
               unnest(@codes::text[]) AS code, unnest(@payment_ids::bigint[]) AS payment_id) AS e
 ORDER BY e.seq
RETURNING id, payment_id;

-- name: InsertAudits :exec
INSERT INTO audit_log (at, actor, action, raffle_id, subject, before, after)
SELECT @at, a.actor, a.action, sqlc.narg(raffle_id), a.subject, NULL, a.after::jsonb
  FROM (SELECT unnest(@actors::text[]) AS actor, unnest(@actions::text[]) AS action,
               unnest(@subjects::text[]) AS subject, unnest(@afters::text[]) AS after) AS a;

-- name: RafflesByIDs :many
SELECT * FROM raffles WHERE id = ANY(@ids::bigint[]);

-- name: EntryChecks :many
-- For pre-checkout queries answered together: each (user, draw) pair's ban and entry counts.
SELECT req.user_id::bigint AS user_id, req.draw_id::bigint AS draw_id,
       coalesce((SELECT u.banned_at IS NOT NULL FROM users u WHERE u.telegram_id = req.user_id), false)::bool AS banned,
       (SELECT count(*) FROM entries e WHERE e.raffle_id = req.draw_id AND e.telegram_id = req.user_id)::int AS in_raffle,
       (SELECT count(*) FROM entries e WHERE e.telegram_id = req.user_id AND e.created_at >= @since)::int AS since
  FROM (SELECT unnest(@user_ids::bigint[]) AS user_id, unnest(@draw_ids::bigint[]) AS draw_id) AS req;

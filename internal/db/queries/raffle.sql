-- name: UpsertUser :one
INSERT INTO users (telegram_id, username, first_name, language_code, first_seen_at, last_seen_at)
VALUES (@telegram_id, @username, @first_name, @language_code, @now, @now)
ON CONFLICT (telegram_id) DO UPDATE
   SET username = EXCLUDED.username, first_name = EXCLUDED.first_name,
       language_code = CASE WHEN EXCLUDED.language_code = '' THEN users.language_code ELSE EXCLUDED.language_code END,
       last_seen_at = EXCLUDED.last_seen_at,
       blocked_at = NULL
RETURNING *;

-- name: GetUser :one
SELECT * FROM users WHERE telegram_id = $1;

-- name: LockUser :one
SELECT * FROM users WHERE telegram_id = $1 FOR UPDATE;

-- name: SetUserBlocked :exec
UPDATE users SET blocked_at = @at WHERE telegram_id = @telegram_id AND blocked_at IS NULL;

-- name: SetUserUnblocked :exec
UPDATE users SET blocked_at = NULL WHERE telegram_id = $1;

-- name: SetFollowsNews :exec
UPDATE users SET follows_news = @follows WHERE telegram_id = @telegram_id;

-- name: SetUserBan :one
UPDATE users SET banned_at = sqlc.narg(banned_at), ban_reason = @reason WHERE telegram_id = @telegram_id RETURNING *;

-- name: InsertRaffle :one
INSERT INTO raffles (title, currency, fee, min_participants, max_participants, winners_count, commission_bp,
                     deadline, close_mode, source, max_entries_per_user, status, created_by, created_at, opened_at)
VALUES (@title, @currency, @fee, @min_participants, sqlc.narg(max_participants), @winners_count, @commission_bp,
        @deadline, @close_mode, @source, @max_entries_per_user, @status, sqlc.narg(created_by), @created_at, sqlc.narg(opened_at))
RETURNING *;

-- name: GetRaffle :one
SELECT * FROM raffles WHERE id = $1;

-- name: LockRaffle :one
SELECT * FROM raffles WHERE id = $1 FOR UPDATE;

-- name: ListRaffles :many
SELECT * FROM raffles ORDER BY id;

-- name: ListRafflesByStatus :many
SELECT * FROM raffles WHERE status = ANY(@statuses::text[]) ORDER BY deadline, id;

-- name: SetRaffleTicket :exec
UPDATE raffles SET ticket_id = @ticket_id WHERE id = @id AND ticket_id IS NULL;

-- name: SetRafflePaused :exec
UPDATE raffles SET entries_paused = @paused WHERE id = @id AND status = 'open';

-- name: CloseRaffle :exec
UPDATE raffles SET status = 'drawing', list_hash = @list_hash, closed_at = @closed_at, drand_round = sqlc.narg(drand_round)
 WHERE id = @id AND status = 'open';

-- name: MarkRaffleDrawn :exec
UPDATE raffles SET status = 'drawn', drawn_at = @at WHERE id = @id AND status = 'drawing';

-- name: MarkRaffleSettled :exec
UPDATE raffles SET status = 'settled', settled_at = @at WHERE id = @id AND status = 'drawn';

-- name: MarkRaffleCancelled :exec
UPDATE raffles SET status = 'cancelled', cancelled_at = @at, cancel_reason = @reason
 WHERE id = @id AND status IN ('draft', 'open', 'drawing');

-- name: MarkRaffleRefunded :execrows
UPDATE raffles r SET status = 'refunded'
 WHERE r.id = @id AND r.status = 'cancelled'
   AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.raffle_id = r.id AND p.status <> 'refunded');

-- name: IncrementEntries :one
UPDATE raffles SET entries_count = entries_count + 1 WHERE id = $1 RETURNING entries_count;

-- name: InsertPayment :one
INSERT INTO payments (provider, external_id, raffle_id, telegram_id, currency, amount, status, refund_reason, created_at)
VALUES (@provider, @external_id, @raffle_id, @telegram_id, @currency, @amount, @status, @refund_reason, @created_at)
ON CONFLICT (provider, external_id) DO NOTHING
RETURNING *;

-- name: GetPaymentByExternal :one
SELECT * FROM payments WHERE provider = @provider AND external_id = @external_id;

-- name: GetPayment :one
SELECT * FROM payments WHERE id = $1;

-- name: LockPayment :one
SELECT * FROM payments WHERE id = $1 FOR UPDATE;

-- name: MarkPaymentRefundPending :exec
UPDATE payments SET status = 'refund_pending', refund_reason = @reason WHERE id = @id AND status = 'entered';

-- name: MarkPaymentRefunded :exec
UPDATE payments SET status = 'refunded', refunded_at = @at, refund_ref = @ref WHERE id = @id AND status = 'refund_pending';

-- name: RafflePayments :many
SELECT * FROM payments WHERE raffle_id = $1 ORDER BY id;

-- name: PendingRefunds :many
SELECT * FROM payments WHERE status = 'refund_pending' ORDER BY id;

-- name: InsertEntry :one
INSERT INTO entries (raffle_id, seq, telegram_id, code, payment_id, created_at)
VALUES (@raffle_id, @seq, @telegram_id, @code, @payment_id, @created_at)
RETURNING *;

-- name: EntryByPayment :one
SELECT * FROM entries WHERE payment_id = $1;

-- name: RaffleEntries :many
SELECT * FROM entries WHERE raffle_id = $1 ORDER BY seq;

-- name: RaffleEntriesPage :many
SELECT e.*, u.username, u.first_name FROM entries e JOIN users u ON u.telegram_id = e.telegram_id
 WHERE e.raffle_id = @raffle_id ORDER BY e.seq LIMIT @lim OFFSET @off;

-- name: CountUserEntriesInRaffle :one
SELECT count(*)::int FROM entries WHERE raffle_id = @raffle_id AND telegram_id = @telegram_id;

-- name: CountUserEntriesSince :one
SELECT count(*)::int FROM entries WHERE telegram_id = @telegram_id AND created_at >= @since;

-- name: RaffleParticipants :many
SELECT DISTINCT telegram_id FROM entries WHERE raffle_id = $1 ORDER BY telegram_id;

-- name: UserRaffles :many
SELECT r.*, e.code AS entry_code, e.seq AS entry_seq,
       coalesce((SELECT w.prize FROM winners w WHERE w.raffle_id = r.id AND w.entry_id = e.id), -1)::bigint AS prize
  FROM entries e JOIN raffles r ON r.id = e.raffle_id
 WHERE e.telegram_id = $1
 ORDER BY r.id DESC, e.seq
 LIMIT 50;

-- name: InsertDrawResult :exec
INSERT INTO draw_results (raffle_id, source, entrants, list_hash, random_raw, signature, ticket_id, hashed_api_key,
                          drand_round, drand_sig, winner_indices, created_at)
VALUES (@raffle_id, @source, @entrants, @list_hash, @random_raw, @signature, @ticket_id, @hashed_api_key,
        sqlc.narg(drand_round), @drand_sig, @winner_indices, @created_at);

-- name: GetDrawResult :one
SELECT * FROM draw_results WHERE raffle_id = $1;

-- name: InsertWinner :exec
INSERT INTO winners (raffle_id, position, entry_id, telegram_id, prize) VALUES (@raffle_id, @position, @entry_id, @telegram_id, @prize);

-- name: RaffleWinners :many
SELECT w.*, e.code AS entry_code, e.seq AS entry_seq FROM winners w JOIN entries e ON e.id = w.entry_id
 WHERE w.raffle_id = $1 ORDER BY w.position;

-- name: InsertAudit :exec
INSERT INTO audit_log (at, actor, action, raffle_id, subject, before, after)
VALUES (@at, @actor, @action, sqlc.narg(raffle_id), @subject, @before, @after);

-- name: AuditSince :many
SELECT * FROM audit_log WHERE at >= @since ORDER BY id;

-- name: AuditForRaffle :many
SELECT * FROM audit_log WHERE raffle_id = $1 ORDER BY id;

-- name: GetBotState :one
SELECT value FROM bot_state WHERE key = $1;

-- name: SetBotState :exec
INSERT INTO bot_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;

-- name: ClaimUpdate :execrows
INSERT INTO processed_updates (update_id, processed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING;

-- name: UpdateProcessed :one
SELECT EXISTS (SELECT 1 FROM processed_updates WHERE update_id = $1);

-- name: MarkNotificationSent :execrows
INSERT INTO notifications_sent (event_key, telegram_id, sent_at, message_id) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING;

-- name: Observers :many
SELECT telegram_id FROM users WHERE follows_news AND blocked_at IS NULL AND banned_at IS NULL ORDER BY telegram_id;

-- name: StatsTotals :one
SELECT (SELECT count(*) FROM raffles)::bigint AS raffles,
       (SELECT count(*) FROM raffles WHERE status = 'open')::bigint AS open_raffles,
       (SELECT count(*) FROM entries)::bigint AS entries,
       (SELECT count(DISTINCT telegram_id) FROM entries)::bigint AS participants,
       (SELECT count(*) FROM winners)::bigint AS winners;

-- name: EnsureUser :exec
INSERT INTO users (telegram_id, first_seen_at, last_seen_at) VALUES ($1, $2, $2) ON CONFLICT DO NOTHING;

-- name: EntryCodeExists :one
SELECT EXISTS (SELECT 1 FROM entries WHERE raffle_id = $1 AND code = $2);

-- name: RaffleEntryCodes :many
SELECT code FROM entries WHERE raffle_id = $1 ORDER BY seq;

-- name: PaymentsToRefund :many
SELECT * FROM payments WHERE raffle_id = $1 AND status = 'entered' ORDER BY id;

-- name: EntriesBySeq :many
SELECT * FROM entries WHERE raffle_id = @raffle_id AND seq = ANY(@seqs::int[]);

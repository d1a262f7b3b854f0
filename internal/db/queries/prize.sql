-- Stars redemptions: gifts and Premium paid from the bot's balance (package prize).

-- name: InsertRedemption :one
-- A repeated request returns nothing (the first one's row is read with RedemptionByRequest).
INSERT INTO star_redemptions (telegram_id, kind, gift_id, gift_emoji, months, price, status, request_key, raffle_id, created_at, updated_at)
VALUES (@telegram_id, @kind, @gift_id, @gift_emoji, @months, @price, 'held', @request_key, sqlc.narg(raffle_id), @now, @now)
ON CONFLICT (request_key) DO NOTHING
RETURNING *;

-- name: RedemptionByRequest :one
SELECT * FROM star_redemptions WHERE request_key = $1;

-- name: GetRedemption :one
SELECT * FROM star_redemptions WHERE id = $1;

-- name: LockRedemption :one
SELECT * FROM star_redemptions WHERE id = $1 FOR UPDATE;

-- name: MarkRedemptionCalling :exec
UPDATE star_redemptions
   SET status = 'calling', attempts = attempts + 1, called_at = COALESCE(called_at, @now), updated_at = @now
 WHERE id = @id;

-- name: SetRedemptionStatus :exec
UPDATE star_redemptions SET status = @status, last_error = @last_error, updated_at = @now WHERE id = @id;

-- name: MarkRedemptionSent :exec
UPDATE star_redemptions SET status = 'sent', star_tx_id = @star_tx_id, sent_at = @now, updated_at = @now, last_error = ''
 WHERE id = @id;

-- name: UnfinishedRedemptions :many
-- Redemptions whose outcome at Telegram is being settled, for the reconciliation.
SELECT * FROM star_redemptions WHERE status IN ('calling', 'purchased') ORDER BY id;

-- name: ClaimedStarTransactions :many
-- Star transaction ids already paying a redemption, among the given ones.
SELECT star_tx_id::text FROM star_redemptions WHERE star_tx_id = ANY(@ids::text[]);

-- name: UnfinishedRedemptionIDs :many
SELECT id FROM star_redemptions WHERE status IN ('held', 'calling', 'purchased', 'waiting') ORDER BY id;

-- name: SentRedemptions :many
SELECT * FROM star_redemptions WHERE status = 'sent' ORDER BY id;

-- name: RedemptionTotals :one
-- Stars held for redemptions not yet sent, and how many of those wait for the reserve.
SELECT COALESCE(sum(price) FILTER (WHERE status IN ('held', 'calling', 'purchased', 'waiting')), 0)::bigint AS held,
       count(*) FILTER (WHERE status = 'waiting')::bigint AS waiting
  FROM star_redemptions;

-- name: SaveStarCheckpoint :exec
INSERT INTO star_tx_checkpoints (page_offset, first_date) VALUES ($1, $2) ON CONFLICT (page_offset) DO NOTHING;

-- name: StarCheckpointBefore :one
-- The furthest page start whose first transaction is older than the given Unix time.
SELECT COALESCE(max(page_offset), 0)::bigint FROM star_tx_checkpoints WHERE first_date < $1;

-- name: TelegramLedgerMovements :many
-- Every posting on the Telegram clearing account with its transaction's key and kind, oldest first.
SELECT t.idempotency_key, t.kind, p.amount, t.created_at
  FROM ledger_postings p
  JOIN ledger_transactions t ON t.id = p.transaction_id
  JOIN ledger_accounts a ON a.id = p.account_id
 WHERE a.code = 'ext:telegram:XTR'
 ORDER BY p.id;

-- name: PaymentExternalIDs :many
-- The charge ids of payments, by payment id (refunds name their payment by id).
SELECT id, external_id FROM payments WHERE id = ANY(@ids::bigint[]);

-- name: RafflePrizeMode :one
SELECT prize_mode FROM raffles WHERE id = $1;

-- name: SetRafflePrizeMode :exec
UPDATE raffles SET prize_mode = @prize_mode WHERE id = @id;

-- Money that needs a person: payouts held for review and ruble refunds that failed too often.

-- name: PayoutsInReview :many
SELECT * FROM rub_payouts WHERE status = 'review' ORDER BY id;

-- name: StuckRubRefunds :many
SELECT p.id AS payment_id, p.telegram_id, p.raffle_id, p.amount, p.external_id, p.refund_reason,
       r.id AS refund_id, r.attempt, r.cancel_party, r.cancel_reason, r.finished_at
FROM payments p
JOIN LATERAL (SELECT * FROM rub_refunds WHERE payment_id = p.id ORDER BY attempt DESC LIMIT 1) r ON true
WHERE p.status = 'refund_pending' AND p.provider = 'yookassa' AND r.status = 'canceled' AND r.attempt >= @min_attempts::integer
ORDER BY p.id;

-- name: InsertManualRubRefund :one
-- A refund an admin made outside fairdraw (in YooKassa's dashboard, by bank transfer): recorded as
-- a succeeded attempt with its own reference, so the usual completion (ledger, payment, the payer
-- told) runs as for any refund.
WITH next AS (SELECT nextval(pg_get_serial_sequence('rub_refunds', 'id'))::bigint AS id)
INSERT INTO rub_refunds (id, payment_id, attempt, idempotence_key, yookassa_payment_id, amount, status, yookassa_id,
                         cancel_party, cancel_reason, created_at, sent_at, checked_at, finished_at)
SELECT next.id, @payment_id::bigint, @attempt::integer, 'fdrefund-' || next.id::text, @yookassa_payment_id::text, @amount::bigint,
       'succeeded', 'manual-' || next.id::text, '', '', @now::timestamptz, @now::timestamptz, @now::timestamptz, @now::timestamptz
  FROM next
RETURNING *;

-- Rubles through YooKassa (package payment/rubles).

-- name: InsertRubPayment :one
-- The row's own id names its Idempotence-Key, so the id is taken first.
WITH next AS (SELECT nextval(pg_get_serial_sequence('rub_payments', 'id'))::bigint AS id)
INSERT INTO rub_payments (id, idempotence_key, raffle_id, telegram_id, amount, locale, receipt_email, status, created_at, sent_at, checked_at)
SELECT next.id, 'fdpay-' || next.id::text, @raffle_id::bigint, @telegram_id::bigint, @amount::bigint, @locale::text,
       @receipt_email::text, 'new', @now::timestamptz, @now::timestamptz, @now::timestamptz
  FROM next
RETURNING *;

-- name: GetRubPayment :one
SELECT * FROM rub_payments WHERE id = $1;

-- name: LockRubPayment :one
SELECT * FROM rub_payments WHERE id = $1 FOR UPDATE;

-- name: LockRubPaymentByYooKassaID :one
SELECT * FROM rub_payments WHERE yookassa_id = $1 FOR UPDATE;

-- name: OpenRubPayment :one
-- The user's latest unfinished checkout for a draw started after since.
SELECT * FROM rub_payments
 WHERE telegram_id = @telegram_id AND raffle_id = @raffle_id AND status IN ('new', 'pending') AND created_at > @since
 ORDER BY id DESC
 LIMIT 1;

-- name: SetRubPaymentCreated :exec
-- Records YooKassa's id of the row's payment; a row that was still new becomes pending.
UPDATE rub_payments
   SET yookassa_id = @yookassa_id,
       status = CASE WHEN status = 'new' THEN 'pending' ELSE status END,
       confirmation_url = CASE WHEN @confirmation_url::text <> '' THEN @confirmation_url::text ELSE confirmation_url END,
       checked_at = @now
 WHERE id = @id AND (yookassa_id IS NULL OR yookassa_id = @yookassa_id);

-- name: SetRubPaymentURLGiven :exec
UPDATE rub_payments SET url_given_at = COALESCE(url_given_at, @now) WHERE id = @id;

-- name: FinishRubPayment :exec
UPDATE rub_payments
   SET status = @status, cancel_party = @cancel_party, cancel_reason = @cancel_reason, finished_at = @now, checked_at = @now
 WHERE id = @id;

-- name: TouchRubPayment :exec
UPDATE rub_payments SET checked_at = @now WHERE id = @id;

-- name: DueRubPayments :many
-- Unfinished payments not looked at since before, oldest look first.
SELECT * FROM rub_payments
 WHERE status IN ('new', 'pending') AND checked_at <= @before
 ORDER BY checked_at, id
 LIMIT @max_rows;

-- name: InsertRubRefund :one
WITH next AS (SELECT nextval(pg_get_serial_sequence('rub_refunds', 'id'))::bigint AS id)
INSERT INTO rub_refunds (id, payment_id, attempt, idempotence_key, yookassa_payment_id, amount, status, created_at, sent_at, checked_at)
SELECT next.id, @payment_id::bigint, @attempt::integer, 'fdrefund-' || next.id::text, @yookassa_payment_id::text, @amount::bigint,
       'new', @now::timestamptz, @now::timestamptz, @now::timestamptz
  FROM next
RETURNING *;

-- name: GetRubRefund :one
SELECT * FROM rub_refunds WHERE id = $1;

-- name: LatestRubRefund :one
SELECT * FROM rub_refunds WHERE payment_id = $1 ORDER BY attempt DESC LIMIT 1;

-- name: LockRubRefund :one
SELECT * FROM rub_refunds WHERE id = $1 FOR UPDATE;

-- name: LockRubRefundByYooKassaID :one
SELECT * FROM rub_refunds WHERE yookassa_id = $1 FOR UPDATE;

-- name: SetRubRefundCreated :exec
UPDATE rub_refunds
   SET yookassa_id = @yookassa_id, status = CASE WHEN status = 'new' THEN 'pending' ELSE status END, checked_at = @now
 WHERE id = @id AND (yookassa_id IS NULL OR yookassa_id = @yookassa_id);

-- name: FinishRubRefund :exec
UPDATE rub_refunds
   SET status = @status, cancel_party = @cancel_party, cancel_reason = @cancel_reason, finished_at = @now, checked_at = @now
 WHERE id = @id;

-- name: TouchRubRefund :exec
UPDATE rub_refunds SET checked_at = @now WHERE id = @id;

-- name: YooKassaRefundsDue :many
-- Ruble payments waiting for their money to go back, with fewer than max_attempts failed
-- refund attempts, whose refund was not looked at since before.
SELECT p.id FROM payments p
 WHERE p.provider = 'yookassa' AND p.status = 'refund_pending'
   AND (SELECT count(*) FROM rub_refunds r WHERE r.payment_id = p.id AND r.status = 'canceled') < @max_attempts::bigint
   AND NOT EXISTS (SELECT 1 FROM rub_refunds r WHERE r.payment_id = p.id AND r.checked_at > @before)
 ORDER BY p.id
 LIMIT @max_rows;

-- name: InsertRubPayout :one
WITH next AS (SELECT nextval(pg_get_serial_sequence('rub_payouts', 'id'))::bigint AS id)
INSERT INTO rub_payouts (id, telegram_id, amount, method, phone, bank_id, account_number, payout_token,
                         card_first6, card_last4, card_type, request_key, attempt, idempotence_key, status,
                         created_at, checked_at)
SELECT next.id, @telegram_id::bigint, @amount::bigint, @method::text, @phone::text, @bank_id::text, @account_number::text,
       @payout_token::text, @card_first6::text, @card_last4::text, @card_type::text, sqlc.narg(request_key)::text, 1,
       'fdpayout-' || next.id::text || '-1', 'new', @now::timestamptz, @now::timestamptz
  FROM next
RETURNING *;

-- name: GetRubPayout :one
SELECT * FROM rub_payouts WHERE id = $1;

-- name: LockRubPayout :one
SELECT * FROM rub_payouts WHERE id = $1 FOR UPDATE;

-- name: LockRubPayoutByYooKassaID :one
SELECT * FROM rub_payouts WHERE yookassa_id = $1 FOR UPDATE;

-- name: RubPayoutByRequestKey :one
SELECT * FROM rub_payouts WHERE request_key = $1;

-- name: UserRubPayouts :many
SELECT * FROM rub_payouts WHERE telegram_id = $1 ORDER BY id DESC LIMIT @max_rows;

-- name: SetRubPayoutSent :exec
-- Records the first use of the current key; a later call keeps the first time.
UPDATE rub_payouts SET sent_at = COALESCE(sent_at, @now) WHERE id = @id AND status = 'new';

-- name: NextRubPayoutAttempt :execrows
-- A new key for a payout YooKassa has no trace of, once the old key has expired.
UPDATE rub_payouts
   SET attempt = attempt + 1, idempotence_key = 'fdpayout-' || id::text || '-' || (attempt + 1)::text, sent_at = NULL, checked_at = @now
 WHERE id = @id AND status = 'new' AND yookassa_id IS NULL AND attempt = @attempt;

-- name: SetRubPayoutCreated :exec
UPDATE rub_payouts
   SET yookassa_id = @yookassa_id, status = CASE WHEN status = 'new' THEN 'pending' ELSE status END, checked_at = @now
 WHERE id = @id AND (yookassa_id IS NULL OR yookassa_id = @yookassa_id);

-- name: FinishRubPayout :exec
UPDATE rub_payouts
   SET status = @status, cancel_party = @cancel_party, cancel_reason = @cancel_reason, finished_at = @now, checked_at = @now
 WHERE id = @id;

-- name: TouchRubPayout :exec
UPDATE rub_payouts SET checked_at = @now WHERE id = @id;

-- name: DueRubPayouts :many
SELECT * FROM rub_payouts
 WHERE status IN ('new', 'pending') AND checked_at <= @before
 ORDER BY checked_at, id
 LIMIT @max_rows;

-- name: RecordOpsCheck :exec
INSERT INTO ops_checks (name, ok, figures, checked_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (name) DO UPDATE SET ok = EXCLUDED.ok, figures = EXCLUDED.figures, checked_at = EXCLUDED.checked_at;

-- name: OpsChecks :many
SELECT name, ok, figures, checked_at FROM ops_checks ORDER BY name;

-- name: EntriesByCurrency :many
SELECT r.currency, count(*)::bigint AS n FROM entries e JOIN raffles r ON r.id = e.raffle_id GROUP BY r.currency;

-- name: PaymentsByOutcome :many
SELECT provider, currency, status, count(*)::bigint AS n FROM payments GROUP BY provider, currency, status;

-- name: PayoutsByState :many
SELECT status, count(*)::bigint AS n, coalesce(sum(amount), 0)::bigint AS amount FROM rub_payouts GROUP BY status;

-- Reads of the public site (internal/web through package raffle). Nothing here writes.

-- name: SiteOpenRaffles :many
SELECT * FROM raffles WHERE status = 'open' ORDER BY deadline, id LIMIT @lim;

-- name: SiteFinishedRaffles :many
SELECT * FROM raffles WHERE status <> 'open' AND status <> 'draft'
 ORDER BY id DESC LIMIT @lim OFFSET @off;

-- name: SiteCountFinishedRaffles :one
SELECT count(*)::bigint FROM raffles WHERE status <> 'open' AND status <> 'draft';

-- name: SiteEntryTimeline :many
-- Entries of a draw counted per bucket of equal time between its first and last entry.
WITH span AS (
  SELECT min(created_at) AS lo, max(created_at) AS hi FROM entries WHERE raffle_id = @raffle_id
)
SELECT width_bucket(extract(epoch FROM e.created_at)::float8, extract(epoch FROM span.lo)::float8,
                    extract(epoch FROM span.hi)::float8 + 1, @buckets::int)::int AS bucket,
       count(*)::bigint AS entries,
       max(e.created_at)::timestamptz AS last_at
  FROM entries e CROSS JOIN span
 WHERE e.raffle_id = @raffle_id
 GROUP BY 1 ORDER BY 1;

-- name: SiteWinnersOf :many
-- The winners of several draws at once (a page of past draws), by draw and position.
SELECT w.raffle_id, w.position, w.telegram_id, w.prize, e.code AS entry_code
  FROM winners w JOIN entries e ON e.id = w.entry_id
 WHERE w.raffle_id = ANY(@ids::bigint[])
 ORDER BY w.raffle_id, w.position;

-- +goose Up
-- The latest result of each periodic self-check (ledger, Stars reserve), whichever replica ran
-- it, so that every replica's /metrics reports the same, current answer.
CREATE TABLE ops_checks (
    name       text        PRIMARY KEY CHECK (name IN ('ledger', 'stars_reserve')),
    ok         boolean     NOT NULL,
    -- The figures of the check (problems count; balance, owed, immature...), whole units.
    figures    jsonb       NOT NULL DEFAULT '{}',
    checked_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE ops_checks;

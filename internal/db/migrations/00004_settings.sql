-- +goose Up
-- Settings an admin changes from the panel (internal/admin): default commission per currency,
-- the daily entry limit, the digest interval, the announcement text, the Stars reserve alert
-- threshold. A key that is absent takes its default from the configuration, so an operator who
-- never opens the panel runs on the environment alone. Values are text in a canonical form that
-- internal/admin validates; every change is also an audit_log row (settings.set) with the value
-- before and after, written in the same transaction.
CREATE TABLE settings (
    key        text        PRIMARY KEY CHECK (key ~ '^[a-z_]+(:[A-Z]{3})?$'),
    value      text        NOT NULL,
    updated_at timestamptz NOT NULL,
    -- "admin:<telegram id>", "cli", "system", as in audit_log.actor.
    updated_by text        NOT NULL CHECK (updated_by <> '')
);

-- +goose Down
DROP TABLE settings;

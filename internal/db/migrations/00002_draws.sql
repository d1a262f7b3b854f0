-- +goose Up
-- Users, draws, entries, the payments that become entries or refunds, results, and the audit log.

CREATE TABLE users (
    telegram_id   bigint PRIMARY KEY CHECK (telegram_id > 0),
    username      text        NOT NULL DEFAULT '',
    first_name    text        NOT NULL DEFAULT '',
    language_code text        NOT NULL DEFAULT '',
    first_seen_at timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    -- The user blocked the bot (403 or my_chat_member); nothing is sent until they come back.
    blocked_at    timestamptz,
    -- Banned by an admin: cannot enter; paid entries are refunded.
    banned_at     timestamptz,
    ban_reason    text        NOT NULL DEFAULT '',
    -- Observers follow announcements of new draws and results; /stop_news turns it off.
    follows_news  boolean     NOT NULL DEFAULT true
);

CREATE TABLE raffles (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title                text        NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    currency             text        NOT NULL CHECK (currency IN ('XTR', 'RUB')),
    fee                  bigint      NOT NULL CHECK (fee > 0),
    min_participants     integer     NOT NULL CHECK (min_participants >= 1),
    max_participants     integer     CHECK (max_participants IS NULL OR max_participants >= min_participants),
    winners_count        integer     NOT NULL DEFAULT 1 CHECK (winners_count >= 1 AND winners_count <= min_participants),
    commission_bp        integer     NOT NULL CHECK (commission_bp BETWEEN 0 AND 10000),
    deadline             timestamptz NOT NULL,
    close_mode           text        NOT NULL CHECK (close_mode IN ('deadline', 'instant')),
    source               text        NOT NULL CHECK (source IN ('randomorg', 'drand')),
    max_entries_per_user integer     NOT NULL DEFAULT 1 CHECK (max_entries_per_user >= 1),
    status               text        NOT NULL CHECK (status IN ('draft', 'open', 'drawing', 'drawn', 'settled', 'cancelled', 'refunded')),
    -- Set while open and taking no more entries (admin "stop accepting entries").
    entries_paused       boolean     NOT NULL DEFAULT false,
    entries_count        integer     NOT NULL DEFAULT 0 CHECK (entries_count >= 0),
    -- Random.org ticket created when the draw opens and published before the draw.
    ticket_id            text,
    -- Commitment: SHA-256 of the frozen entrant list, set at close.
    list_hash            text,
    -- drand round fixed at close (first round after the close time).
    drand_round          bigint,
    cancel_reason        text        NOT NULL DEFAULT '',
    created_by           bigint,
    created_at           timestamptz NOT NULL,
    opened_at            timestamptz,
    closed_at            timestamptz,
    drawn_at             timestamptz,
    settled_at           timestamptz,
    cancelled_at         timestamptz,
    CONSTRAINT raffles_not_over_max CHECK (max_participants IS NULL OR entries_count <= max_participants),
    CONSTRAINT raffles_closed_has_hash CHECK (status IN ('draft', 'open', 'cancelled', 'refunded') OR list_hash IS NOT NULL)
);
CREATE INDEX raffles_status ON raffles (status);

-- A payment is one incoming sum of money meant as one entry: a Telegram Stars charge, a YooKassa
-- payment, or a debit of the user's in-bot balance. It becomes exactly one entry, or it is
-- refunded in full; (provider, external_id) makes every delivery of it after the first a no-op.
CREATE TABLE payments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider      text        NOT NULL CHECK (provider IN ('telegram', 'yookassa', 'balance')),
    external_id   text        NOT NULL CHECK (external_id <> ''),
    -- NULL only for a payment naming a draw that does not exist (it is refunded).
    raffle_id     bigint      REFERENCES raffles (id),
    telegram_id   bigint      NOT NULL REFERENCES users (telegram_id),
    currency      text        NOT NULL CHECK (currency IN ('XTR', 'RUB')),
    amount        bigint      NOT NULL CHECK (amount > 0),
    status        text        NOT NULL CHECK (status IN ('entered', 'refund_pending', 'refunded')),
    -- Why a refund was needed, as a stable code (draw_closed, draw_full, over_limit, cancelled, banned...).
    refund_reason text        NOT NULL DEFAULT '',
    refund_ref    text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL,
    refunded_at   timestamptz,
    CONSTRAINT payments_provider_external_id UNIQUE (provider, external_id)
);
CREATE INDEX payments_raffle ON payments (raffle_id);
CREATE INDEX payments_refund_pending ON payments (id) WHERE status = 'refund_pending';

CREATE TABLE entries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    raffle_id   bigint      NOT NULL REFERENCES raffles (id),
    seq         integer     NOT NULL CHECK (seq >= 1),
    telegram_id bigint      NOT NULL REFERENCES users (telegram_id),
    code        text        NOT NULL CHECK (code ~ '^[0-9A-Z]{4}-[0-9A-Z]{4}$'),
    payment_id  bigint      NOT NULL UNIQUE REFERENCES payments (id),
    created_at  timestamptz NOT NULL,
    UNIQUE (raffle_id, seq),
    UNIQUE (raffle_id, code)
);
CREATE INDEX entries_user_time ON entries (telegram_id, created_at);

-- The randomness a draw used, byte-exact as received, and the winners it gave.
CREATE TABLE draw_results (
    raffle_id      bigint PRIMARY KEY REFERENCES raffles (id),
    source         text        NOT NULL CHECK (source IN ('randomorg', 'drand')),
    entrants       integer     NOT NULL CHECK (entrants >= 1),
    list_hash      text        NOT NULL,
    -- randomorg: the "random" object exactly as received, and its base64 signature.
    random_raw     bytea,
    signature      text        NOT NULL DEFAULT '',
    ticket_id      text        NOT NULL DEFAULT '',
    hashed_api_key text        NOT NULL DEFAULT '',
    -- drand: the round and its signature.
    drand_round    bigint,
    drand_sig      bytea,
    winner_indices integer[]   NOT NULL,
    created_at     timestamptz NOT NULL
);

CREATE TABLE winners (
    raffle_id   bigint  NOT NULL REFERENCES raffles (id),
    position    integer NOT NULL CHECK (position >= 1),
    entry_id    bigint  NOT NULL REFERENCES entries (id),
    telegram_id bigint  NOT NULL REFERENCES users (telegram_id),
    prize       bigint  NOT NULL CHECK (prize >= 0),
    PRIMARY KEY (raffle_id, position),
    UNIQUE (raffle_id, entry_id)
);

-- Results are history: once written they never change.
CREATE TRIGGER draw_results_append_only BEFORE UPDATE OR DELETE ON draw_results
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
CREATE TRIGGER winners_append_only BEFORE UPDATE OR DELETE ON winners
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();

-- Who did what, when, with the before and after, for every operation that changes money, draws,
-- settings or bans. Append-only.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL,
    -- "admin:<telegram id>", "user:<telegram id>", "system", "cli".
    actor      text        NOT NULL CHECK (actor <> ''),
    action     text        NOT NULL CHECK (action <> ''),
    raffle_id  bigint,
    subject    text        NOT NULL DEFAULT '',
    before     jsonb,
    after      jsonb
);
CREATE INDEX audit_log_raffle ON audit_log (raffle_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();

-- Small durable state of the bot: the long-polling offset, settings.
CREATE TABLE bot_state (
    key   text PRIMARY KEY,
    value text NOT NULL
);

-- Telegram updates already handled, so a repeated delivery changes nothing.
CREATE TABLE processed_updates (
    update_id    bigint PRIMARY KEY,
    processed_at timestamptz NOT NULL
);

-- Notifications already sent, one row per (event, user): re-running a send job sends nothing twice.
CREATE TABLE notifications_sent (
    event_key   text        NOT NULL,
    telegram_id bigint      NOT NULL,
    sent_at     timestamptz NOT NULL,
    message_id  bigint,
    PRIMARY KEY (event_key, telegram_id)
);

-- +goose Down
DROP TABLE notifications_sent;
DROP TABLE processed_updates;
DROP TABLE bot_state;
DROP TABLE audit_log;
DROP TABLE winners;
DROP TABLE draw_results;
DROP TABLE entries;
DROP TABLE payments;
DROP TABLE raffles;
DROP TABLE users;

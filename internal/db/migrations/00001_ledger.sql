-- +goose Up
-- The double-entry ledger. Every invariant that keeps money exact is enforced here, by
-- PostgreSQL, so that neither a bug in Go nor a hand-typed SQL statement can break it:
--   * a transaction's postings sum to zero per currency, checked at COMMIT (deferred trigger);
--   * a transaction has at least two postings (deferred trigger);
--   * a posting's currency is its account's currency (composite foreign key);
--   * only ext:* clearing accounts may go negative (CHECK on the balance);
--   * balances are derived by PostgreSQL from the postings (trigger), never written directly;
--   * postings and transactions are append-only (triggers reject UPDATE and DELETE);
--   * every transaction has a unique idempotency key (UNIQUE).

CREATE TABLE ledger_accounts (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code           text        NOT NULL UNIQUE,
    currency       text        NOT NULL CHECK (currency IN ('XTR', 'RUB')),
    allow_negative boolean     NOT NULL,
    balance        bigint      NOT NULL DEFAULT 0,
    version        bigint      NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, currency),
    -- An account's code ends in its currency, and only external clearing accounts may be negative.
    CONSTRAINT ledger_accounts_code_currency CHECK (code LIKE '%:' || currency),
    CONSTRAINT ledger_accounts_negative_only_ext CHECK (allow_negative = (code LIKE 'ext:%')),
    CONSTRAINT ledger_accounts_no_overdraft CHECK (allow_negative OR balance >= 0)
);

CREATE TABLE ledger_transactions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key text        NOT NULL,
    request_hash    bytea       NOT NULL CHECK (length(request_hash) = 32),
    kind            text        NOT NULL CHECK (kind <> ''),
    memo            text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_transactions_idempotency_key UNIQUE (idempotency_key)
);

CREATE TABLE ledger_postings (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id  bigint NOT NULL REFERENCES ledger_transactions (id),
    account_id      bigint NOT NULL,
    currency        text   NOT NULL,
    amount          bigint NOT NULL CHECK (amount <> 0),
    balance_after   bigint NOT NULL,
    account_version bigint NOT NULL,
    FOREIGN KEY (account_id, currency) REFERENCES ledger_accounts (id, currency),
    UNIQUE (account_id, account_version)
);
CREATE INDEX ledger_postings_transaction_id ON ledger_postings (transaction_id);

-- +goose StatementBegin
CREATE FUNCTION ledger_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'fairdraw: % is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
-- +goose StatementEnd

CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
    FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
CREATE TRIGGER ledger_postings_no_truncate BEFORE TRUNCATE ON ledger_postings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
CREATE TRIGGER ledger_transactions_no_truncate BEFORE TRUNCATE ON ledger_transactions
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();

-- A posting moves its account's balance. The trigger does the move, so the stored balance is
-- always the sum of the postings; balance_after and account_version are filled in from it.
-- +goose StatementBegin
CREATE FUNCTION ledger_apply_posting() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    new_balance bigint;
    new_version bigint;
BEGIN
    UPDATE ledger_accounts
       SET balance = balance + NEW.amount, version = version + 1
     WHERE id = NEW.account_id
    RETURNING balance, version INTO new_balance, new_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ledger: account % does not exist', NEW.account_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    NEW.balance_after := new_balance;
    NEW.account_version := new_version;
    RETURN NEW;
END $$;
-- +goose StatementEnd

CREATE TRIGGER ledger_postings_apply BEFORE INSERT ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION ledger_apply_posting();

-- Accounts: the identity of an account never changes, and its balance moves only through a
-- posting (the posting trigger runs at trigger depth 2; a direct UPDATE runs at depth 1).
-- +goose StatementBegin
CREATE FUNCTION ledger_guard_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger: accounts cannot be deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.code <> OLD.code OR NEW.currency <> OLD.currency OR NEW.allow_negative <> OLD.allow_negative
       OR NEW.id <> OLD.id OR NEW.created_at <> OLD.created_at THEN
        RAISE EXCEPTION 'ledger: account % identity cannot change', OLD.code USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.balance <> OLD.balance OR NEW.version <> OLD.version) AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'ledger: balance of % moves only through postings', OLD.code USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

CREATE TRIGGER ledger_accounts_guard BEFORE UPDATE OR DELETE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_guard_account();
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_forbid_change();
-- New accounts start at zero: money only arrives through postings.
-- +goose StatementBegin
CREATE FUNCTION ledger_new_account() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.balance <> 0 OR NEW.version <> 0 THEN
        RAISE EXCEPTION 'ledger: account % must start at zero', NEW.code USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER ledger_accounts_start_at_zero BEFORE INSERT ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_new_account();

-- Balanced at COMMIT: every transaction touched has >= 2 postings summing to zero per currency.
-- The check runs once per transaction row and once per posting row; both defer to commit so a
-- transaction is built up freely inside the database transaction.
-- +goose StatementBegin
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    txid bigint;
    bad  text;
BEGIN
    IF TG_TABLE_NAME = 'ledger_transactions' THEN
        txid := NEW.id;
    ELSE
        txid := NEW.transaction_id;
    END IF;
    IF (SELECT count(*) FROM ledger_postings WHERE transaction_id = txid) < 2 THEN
        RAISE EXCEPTION 'ledger: transaction % has fewer than two postings', txid USING ERRCODE = 'check_violation';
    END IF;
    SELECT string_agg(currency || ' ' || s::text, ', ') INTO bad FROM (
        SELECT currency, sum(amount) AS s FROM ledger_postings WHERE transaction_id = txid
         GROUP BY currency HAVING sum(amount) <> 0) u;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: transaction % is unbalanced (%)', txid, bad USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER ledger_transactions_balanced AFTER INSERT ON ledger_transactions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
CREATE CONSTRAINT TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();

-- +goose Down
DROP TABLE ledger_postings;
DROP TABLE ledger_transactions;
DROP TABLE ledger_accounts;
DROP FUNCTION ledger_check_balanced();
DROP FUNCTION ledger_new_account();
DROP FUNCTION ledger_guard_account();
DROP FUNCTION ledger_apply_posting();
DROP FUNCTION ledger_forbid_change();

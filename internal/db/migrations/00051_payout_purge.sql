-- +goose Up
-- A payout's destination (phone, wallet number, card token) is personal data needed only while
-- the payout may still be sent or asked about. Once it is final (succeeded or canceled) the
-- database itself forgets it, in the transaction that makes it final, whatever code path does
-- that; only the last four digits stay, for the user's history and support.
ALTER TABLE rub_payouts
    ADD COLUMN destination_tail      text NOT NULL DEFAULT '' CHECK (destination_tail ~ '^[0-9]{0,4}$'),
    ADD COLUMN destination_purged_at timestamptz;

ALTER TABLE rub_payouts DROP CONSTRAINT rub_payouts_destination;
ALTER TABLE rub_payouts ADD CONSTRAINT rub_payouts_destination CHECK (
    (destination_purged_at IS NOT NULL AND status IN ('succeeded', 'canceled')
        AND phone = '' AND account_number = '' AND payout_token = '' AND card_first6 = '') OR
    (destination_purged_at IS NULL AND (
        (method = 'sbp' AND phone ~ '^[0-9]{4,15}$' AND bank_id ~ '^[0-9A-Za-z]{12}$' AND account_number = '' AND payout_token = '') OR
        (method = 'yoo_money' AND account_number ~ '^[0-9]{11,33}$' AND phone = '' AND bank_id = '' AND payout_token = '') OR
        (method = 'bank_card' AND payout_token <> '' AND phone = '' AND bank_id = '' AND account_number = ''))));

-- +goose StatementBegin
CREATE FUNCTION rub_payouts_purge_destination() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status IN ('succeeded', 'canceled') AND NEW.destination_purged_at IS NULL THEN
        NEW.destination_tail := CASE NEW.method
            WHEN 'sbp' THEN right(NEW.phone, 4)
            WHEN 'yoo_money' THEN right(NEW.account_number, 4)
            ELSE NEW.card_last4 END;
        NEW.phone := '';
        NEW.account_number := '';
        NEW.payout_token := '';
        NEW.card_first6 := '';
        NEW.destination_purged_at := now();
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER rub_payouts_purge_destination BEFORE INSERT OR UPDATE ON rub_payouts
    FOR EACH ROW EXECUTE FUNCTION rub_payouts_purge_destination();

-- Payouts that were already final forget their destination now.
UPDATE rub_payouts SET status = status WHERE status IN ('succeeded', 'canceled');

-- +goose Down
DROP TRIGGER rub_payouts_purge_destination ON rub_payouts;
DROP FUNCTION rub_payouts_purge_destination();
ALTER TABLE rub_payouts DROP CONSTRAINT rub_payouts_destination;
ALTER TABLE rub_payouts ADD CONSTRAINT rub_payouts_destination CHECK (
    (method = 'sbp' AND phone ~ '^[0-9]{4,15}$' AND bank_id ~ '^[0-9A-Za-z]{12}$' AND account_number = '' AND payout_token = '') OR
    (method = 'yoo_money' AND account_number ~ '^[0-9]{11,33}$' AND phone = '' AND bank_id = '' AND payout_token = '') OR
    (method = 'bank_card' AND payout_token <> '' AND phone = '' AND bank_id = '' AND account_number = ''));
ALTER TABLE rub_payouts DROP COLUMN destination_purged_at, DROP COLUMN destination_tail;

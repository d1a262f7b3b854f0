-- +goose Up
-- Stars payments as they arrive, before they become entries (internal/bot, PaymentIntake).
-- The update handler only records the payment here, in the transaction that marks the update
-- processed, and answers Telegram at once; a drain loop turns what arrived together into
-- entries (or refunds) in one transaction per batch, one draw lock and one commit for many
-- payments. A row is deleted in the transaction that enters it, so a crash anywhere leaves
-- each payment either here or booked (raffle.Enter is idempotent by the charge id besides).
CREATE TABLE payment_intake (
    charge_id   text        PRIMARY KEY CHECK (charge_id <> ''),
    update_id   bigint      NOT NULL,
    draw_id     bigint      NOT NULL,
    payment     jsonb       NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX payment_intake_order ON payment_intake (draw_id, received_at, charge_id);

-- +goose Down
DROP TABLE payment_intake;

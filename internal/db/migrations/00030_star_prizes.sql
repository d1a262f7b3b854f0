-- +goose Up
-- Stars prizes that leave the bot (issue 13): a user's Stars balance redeemed for a Telegram gift
-- (sendGift) or Telegram Premium (giftPremiumSubscription), paid from the bot's own Star balance.
--
-- Telegram gives these calls no idempotency key, so a redemption is recorded, and its Stars held
-- (user:<id>:XTR -> user:<id>:held:XTR), before anything is asked of Telegram. Its status says
-- what may have happened there:
--   held      recorded, never sent to Telegram;
--   calling   a call may have reached Telegram (the outcome is unknown until the purchase is
--             looked for in getStarTransactions: it is never called again before that);
--   purchased Telegram said yes; waiting to find its star transaction id;
--   waiting   Telegram refused (the bot's balance too low, ...): retried when the reserve grows;
--   sent      the purchase is in the ledger (held -> ext:telegram:XTR) with its transaction id;
--   released  refused for good (sold out, the user unreachable): the Stars went back to the balance.
CREATE TABLE star_redemptions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    telegram_id bigint      NOT NULL REFERENCES users (telegram_id),
    kind        text        NOT NULL CHECK (kind IN ('gift', 'premium')),
    gift_id     text        NOT NULL DEFAULT '',
    gift_emoji  text        NOT NULL DEFAULT '',
    months      integer     NOT NULL DEFAULT 0,
    price       bigint      NOT NULL CHECK (price > 0),
    status      text        NOT NULL CHECK (status IN ('held', 'calling', 'purchased', 'waiting', 'sent', 'released')),
    -- What asked for it: the user's confirmation button, or a draw's automatic prize. One request
    -- makes one redemption however often it is repeated.
    request_key text        NOT NULL UNIQUE CHECK (request_key <> ''),
    raffle_id   bigint      REFERENCES raffles (id),
    attempts    integer     NOT NULL DEFAULT 0,
    last_error  text        NOT NULL DEFAULT '',
    -- The purchase's StarTransaction.id, once found; one Telegram purchase pays one redemption.
    star_tx_id  text        UNIQUE,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    called_at   timestamptz,
    sent_at     timestamptz,
    CONSTRAINT star_redemptions_shape CHECK (
        (kind = 'gift' AND gift_id <> '' AND months = 0) OR
        (kind = 'premium' AND gift_id = '' AND months IN (3, 6, 12))),
    CONSTRAINT star_redemptions_sent_has_tx CHECK (status <> 'sent' OR star_tx_id IS NOT NULL)
);
-- One unfinished redemption per user: an unclaimed purchase to that user after its hold can then
-- only be its own.
CREATE UNIQUE INDEX star_redemptions_one_open ON star_redemptions (telegram_id)
    WHERE status IN ('held', 'calling', 'purchased', 'waiting');

-- Where pages of getStarTransactions began: the history is chronological and only grows, so a
-- search for what happened after a moment starts at the last page that began before it.
CREATE TABLE star_tx_checkpoints (
    page_offset bigint PRIMARY KEY CHECK (page_offset >= 0),
    first_date  bigint NOT NULL
);

-- How a Stars draw pays its winners: to the balance (as before), or sent at once as the most
-- valuable gift that fits (the rest to the balance), or as Telegram Premium when the prize covers it.
ALTER TABLE raffles ADD COLUMN prize_mode text NOT NULL DEFAULT 'balance'
    CHECK (prize_mode IN ('balance', 'gift', 'premium'));
ALTER TABLE raffles ADD CONSTRAINT raffles_prize_mode_stars CHECK (prize_mode = 'balance' OR currency = 'XTR');

-- +goose Down
ALTER TABLE raffles DROP CONSTRAINT raffles_prize_mode_stars;
ALTER TABLE raffles DROP COLUMN prize_mode;
DROP TABLE star_tx_checkpoints;
DROP TABLE star_redemptions;

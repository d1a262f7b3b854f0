package prize

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/ledger"
)

// The operator funds the reserve by paying the bot's own Stars invoice. The Stars then belong
// to no user: they are recorded as operator funding, ext:telegram:XTR -> platform:funding:XTR,
// keyed by the charge id, so a payment delivered twice is recorded once.

// FundingAccount holds the Stars the operator put into the reserve.
const FundingAccount = "platform:funding:XTR"

// TopUpPayloadPrefix starts the payload of a top-up invoice: "fdtop:<admin id>:<amount>".
const TopUpPayloadPrefix = "fdtop:"

// TopUpAmounts are the amounts the admin panel offers.
var TopUpAmounts = []int64{100, 500, 1000, 2500, 5000}

// MaxTopUp bounds the amount of a top-up payload, so a forged one cannot claim more than a
// Stars invoice could ever carry.
const MaxTopUp = 100000

// ErrBadTopUp means a payload is not a top-up fairdraw issued.
var ErrBadTopUp = errors.New("prize: not a top-up payload")

// TopUpPayload is the invoice payload of a top-up of amount by admin.
func TopUpPayload(admin, amount int64) string {
	return fmt.Sprintf("%s%d:%d", TopUpPayloadPrefix, admin, amount)
}

// ParseTopUp decodes a top-up payload.
func ParseTopUp(payload string) (admin, amount int64, err error) {
	rest, ok := strings.CutPrefix(payload, TopUpPayloadPrefix)
	if !ok {
		return 0, 0, ErrBadTopUp
	}
	a, b, ok := strings.Cut(rest, ":")
	if !ok {
		return 0, 0, ErrBadTopUp
	}
	admin, err1 := strconv.ParseInt(a, 10, 64)
	amount, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || admin <= 0 || amount <= 0 || amount > MaxTopUp {
		return 0, 0, ErrBadTopUp
	}
	return admin, amount, nil
}

// RecordTopUp records a top-up payer paid at at, inside tx, with its audit row. A charge
// already recorded returns replay true and writes nothing.
func RecordTopUp(ctx context.Context, tx pgx.Tx, at time.Time, payer int64, chargeID string, amount int64) (replay bool, err error) {
	res, err := ledger.Post(ctx, tx, ledger.Transaction{
		Key: TopUpKey(chargeID), Kind: "topup", Memo: "operator funding of the Stars reserve",
		Postings: []ledger.Posting{{Account: ledger.TelegramClearing, Amount: -amount}, {Account: FundingAccount, Amount: amount}},
	})
	if err != nil {
		return false, fmt.Errorf("prize: record top-up: %w", err)
	}
	if res.Replay {
		return true, nil
	}
	if err := audit.Record(ctx, tx, audit.Entry{
		At: at, Actor: "admin:" + strconv.FormatInt(payer, 10), Action: "reserve.topup", Subject: TopUpKey(chargeID),
		After: map[string]any{"amount": amount},
	}); err != nil {
		return false, fmt.Errorf("prize: audit top-up: %w", err)
	}
	return false, nil
}

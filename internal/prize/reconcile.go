package prize

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/alert"
	"github.com/fairdraw/fairdraw/internal/i18n"
)

// StarHistory reads the bot's Star transactions; *telego.Bot has it.
type StarHistory interface {
	GetStarTransactions(ctx context.Context, params *telego.GetStarTransactionsParams) (*telego.StarTransactions, error)
}

// Report is what Reconcile found.
type Report struct {
	// Matched counts the ledger's Telegram-side movements found in getStarTransactions with the
	// same id, direction and amount.
	Matched int
	// Mismatches are differences: a movement on one side only, or with another amount.
	Mismatches []string
	// InFlight are gift purchases Telegram made for a redemption still being settled.
	InFlight []string
	// Foreign are Telegram transactions fairdraw did not make: Fragment withdrawals, ads, paid
	// broadcasts, Stars added in an app, history from before fairdraw. Listed, not counted.
	Foreign []string
}

// OK reports whether the ledger and Telegram agree.
func (r Report) OK() bool { return len(r.Mismatches) == 0 }

// Ledger key prefixes that move ext:telegram:XTR.
const (
	keyCharge = "tg:charge:" // an incoming payment; the id is its telegram_payment_charge_id
	keyRefund = "refund:"    // a refund of payment <id>; Telegram repeats the payment's id
	keyTopUp  = "topup:"     // the operator's top-up payment; the id is its charge id
)

// TopUpKey is the ledger key of the operator's top-up paid with charge id chargeID.
func TopUpKey(chargeID string) string { return keyTopUp + chargeID }

type direction bool

const (
	incoming direction = true
	outgoing direction = false
)

type txRef struct {
	dir direction
	id  string
}

type expected struct {
	amount int64
	what   string
}

// Reconcile compares every movement of the ledger's Telegram clearing account with
// getStarTransactions, read page by page from the start: entry payments and their refunds, gift
// and Premium purchases, top-ups. An incoming payment's transaction id is its
// telegram_payment_charge_id, and a refund repeats the id of the payment it returns.
func Reconcile(ctx context.Context, pool *pgxpool.Pool, api StarHistory) (Report, error) {
	var rep Report
	moves, err := q.TelegramLedgerMovements(ctx, pool)
	if err != nil {
		return rep, fmt.Errorf("prize: ledger movements: %w", err)
	}
	want := map[txRef]expected{}
	charges := map[string]bool{}
	var refundIDs []int64
	refundAmounts := map[int64]int64{}
	var start time.Time
	for i, m := range moves {
		if i == 0 {
			start = m.CreatedAt
		}
		switch {
		case strings.HasPrefix(m.IdempotencyKey, keyCharge), strings.HasPrefix(m.IdempotencyKey, keyTopUp):
			id := strings.TrimPrefix(strings.TrimPrefix(m.IdempotencyKey, keyCharge), keyTopUp)
			charges[id] = true
			want[txRef{incoming, id}] = expected{amount: -m.Amount, what: m.Kind + " " + m.IdempotencyKey}
		case strings.HasPrefix(m.IdempotencyKey, keyRefund):
			pid, err := strconv.ParseInt(strings.TrimPrefix(m.IdempotencyKey, keyRefund), 10, 64)
			if err != nil {
				rep.Mismatches = append(rep.Mismatches, "ledger: "+m.IdempotencyKey+" names no payment")
				continue
			}
			refundIDs = append(refundIDs, pid)
			refundAmounts[pid] = m.Amount
		case strings.HasPrefix(m.IdempotencyKey, "redeem:") && strings.HasSuffix(m.IdempotencyKey, ":purchase"):
			// Matched below through the redemption's star transaction id.
		default:
			rep.Mismatches = append(rep.Mismatches, fmt.Sprintf("ledger: %s (%s, %d) moves ext:telegram:XTR but is no Telegram movement fairdraw knows", m.IdempotencyKey, m.Kind, m.Amount))
		}
	}
	if len(refundIDs) > 0 {
		rows, err := q.PaymentExternalIDs(ctx, pool, refundIDs)
		if err != nil {
			return rep, fmt.Errorf("prize: refunded payments: %w", err)
		}
		for _, r := range rows {
			want[txRef{outgoing, r.ExternalID}] = expected{amount: refundAmounts[r.ID], what: fmt.Sprintf("refund of payment %d", r.ID)}
			delete(refundAmounts, r.ID)
		}
		for pid := range refundAmounts {
			rep.Mismatches = append(rep.Mismatches, fmt.Sprintf("ledger: refund:%d names no payment", pid))
		}
	}
	sent, err := q.SentRedemptions(ctx, pool)
	if err != nil {
		return rep, fmt.Errorf("prize: sent redemptions: %w", err)
	}
	for _, r := range sent {
		want[txRef{outgoing, r.StarTxID.String}] = expected{amount: r.Price, what: fmt.Sprintf("%s redemption %d", r.Kind, r.ID)}
	}
	unfinished, err := q.UnfinishedRedemptions(ctx, pool)
	if err != nil {
		return rep, fmt.Errorf("prize: unfinished redemptions: %w", err)
	}
	inFlight := map[int64]Redemption{}
	for _, r := range unfinished {
		inFlight[r.TelegramID] = r
	}

	for offset := 0; ; {
		page, err := api.GetStarTransactions(ctx, &telego.GetStarTransactionsParams{Offset: offset, Limit: pageSize})
		if err != nil {
			return rep, fmt.Errorf("prize: star transactions from %d: %w", offset, err)
		}
		for _, t := range page.Transactions {
			rep.compare(t, want, charges, inFlight, start)
		}
		if len(page.Transactions) < pageSize {
			break
		}
		offset += len(page.Transactions)
	}
	for ref, e := range want {
		dir := "incoming"
		if ref.dir == outgoing {
			dir = "outgoing"
		}
		rep.Mismatches = append(rep.Mismatches, fmt.Sprintf("ledger: %s of %d (%s %s) is not in Telegram's transactions", e.what, e.amount, dir, ref.id))
	}
	return rep, nil
}

func (rep *Report) compare(t telego.StarTransaction, want map[txRef]expected, charges map[string]bool, inFlight map[int64]Redemption, start time.Time) {
	ref := txRef{dir: t.Source != nil, id: t.ID}
	if e, ok := want[ref]; ok {
		delete(want, ref)
		if e.amount != int64(t.Amount) {
			rep.Mismatches = append(rep.Mismatches, fmt.Sprintf("amount: %s is %d in the ledger, %d at Telegram (%s)", e.what, e.amount, t.Amount, t.ID))
			return
		}
		rep.Matched++
		return
	}
	partner := t.Receiver
	if t.Source != nil {
		partner = t.Source
	}
	line := fmt.Sprintf("%s %s %d on %s", partnerName(partner), t.ID, t.Amount, time.Unix(t.Date, 0).UTC().Format(time.RFC3339))
	u, isUser := partner.(*telego.TransactionPartnerUser)
	switch {
	case !isUser:
		rep.Foreign = append(rep.Foreign, line)
	case t.Source != nil && u.TransactionType == telego.TransactionTypeInvoicePayment && ours(u.InvoicePayload):
		rep.Mismatches = append(rep.Mismatches, "telegram: payment "+line+" is not in the ledger")
	case t.Source == nil && u.TransactionType == telego.TransactionTypeInvoicePayment && charges[t.ID]:
		rep.Mismatches = append(rep.Mismatches, "telegram: refund "+line+" is not in the ledger")
	case t.Source == nil && (u.TransactionType == telego.TransactionTypeGiftPurchase || u.TransactionType == telego.TransactionTypePremiumPurchase):
		if r, ok := inFlight[u.User.ID]; ok && r.Price == int64(t.Amount) {
			rep.InFlight = append(rep.InFlight, fmt.Sprintf("%s (redemption %d)", line, r.ID))
		} else if !start.IsZero() && time.Unix(t.Date, 0).Before(start) {
			rep.Foreign = append(rep.Foreign, line)
		} else {
			rep.Mismatches = append(rep.Mismatches, "telegram: purchase "+line+" for user "+strconv.FormatInt(u.User.ID, 10)+" is not in the ledger")
		}
	default:
		rep.Foreign = append(rep.Foreign, line)
	}
}

// ours reports whether an invoice payload is one fairdraw issues: an entry (fd1:...) or a
// reserve top-up (fdtop:...).
func ours(payload string) bool {
	return strings.HasPrefix(payload, "fd1:") || strings.HasPrefix(payload, TopUpPayloadPrefix)
}

func partnerName(p telego.TransactionPartner) string {
	if p == nil {
		return "unknown"
	}
	if u, ok := p.(*telego.TransactionPartnerUser); ok {
		return "user/" + u.TransactionType
	}
	return p.PartnerType()
}

// ReconcileArgs runs the reconciliation.
type ReconcileArgs struct{}

// Kind is the River job kind.
func (ReconcileArgs) Kind() string { return "prize_reconcile" }

// ReconcileWorker reconciles daily and alerts the admins on a difference.
type ReconcileWorker struct {
	river.WorkerDefaults[ReconcileArgs]
	Pool    *pgxpool.Pool
	API     StarHistory
	Alerter *alert.Alerter
	Logger  *slog.Logger
}

// Timeout allows for a long history.
func (w *ReconcileWorker) Timeout(*river.Job[ReconcileArgs]) time.Duration { return 10 * time.Minute }

// Work reconciles.
func (w *ReconcileWorker) Work(ctx context.Context, j *river.Job[ReconcileArgs]) error {
	rep, err := Reconcile(ctx, w.Pool, w.API)
	if err != nil {
		return err
	}
	attrs := []any{slog.Int("matched", rep.Matched), slog.Int("mismatches", len(rep.Mismatches)), slog.Int("foreign", len(rep.Foreign)), slog.Int("in_flight", len(rep.InFlight))}
	if rep.OK() {
		w.Logger.Info("stars reconciled", attrs...)
		return nil
	}
	w.Logger.Error("stars reconciliation found differences", attrs...)
	summary := strings.Join(rep.Mismatches[:min(len(rep.Mismatches), 5)], "\n")
	return w.Alerter.Alert(ctx, fmt.Sprintf("reconcile:%d", j.ID), "admin.alert_reconcile",
		map[string]i18n.Arg{"count": i18n.I(int64(len(rep.Mismatches))), "problems": i18n.S(summary)})
}

// ReconcilePeriodicJob reconciles once a day.
func ReconcilePeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return ReconcileArgs{}, nil
	}, nil)
}

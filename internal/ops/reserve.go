package ops

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
)

// DefaultReserveThreshold is the spare Stars below which admins are alerted
// (STARS_RESERVE_THRESHOLD's default).
const DefaultReserveThreshold = 3000

// MaturityHold is how long Telegram may keep received Stars from being withdrawn: "up to 21
// days after their receipt" (research/telegram-stars.md §0, §3.1).
const MaturityHold = 21 * 24 * time.Hour

// StarsAPI is the part of the Bot API the reserve check reads; *telego.Bot has it.
type StarsAPI interface {
	GetMyStarBalance(ctx context.Context) (*telego.StarAmount, error)
	GetStarTransactions(ctx context.Context, params *telego.GetStarTransactionsParams) (*telego.StarTransactions, error)
}

var q = dbq.New()

// StarsReserve compares the Stars the bot really holds with what the ledger says users hold.
// Users cannot take Stars out (no Bot API call sends Stars to a user), but every Star on a
// user's balance is one the bot promised; if the owner withdraws them through Fragment, or
// chargebacks eat the balance, the promise is unbacked. It is safe for concurrent use.
type StarsReserve struct {
	Pool  *pgxpool.Pool
	Stars StarsAPI
	// Threshold returns the alert threshold now (an admin may change it); nil means
	// DefaultReserveThreshold.
	Threshold func(ctx context.Context) (int64, error)
	// Now is the clock; default time.Now.
	Now func() time.Time
	// PageSize is how many transactions one getStarTransactions call asks for: 1..100, default 100.
	PageSize int

	mu sync.Mutex
	// skip counts the transactions at the start of the history that are older than any window
	// to come: the history is chronological and only grows, so they are never read again.
	skip int
}

// ReserveFigures is the state of the Stars reserve at one moment. Amounts are whole Stars.
type ReserveFigures struct {
	// Balance is the bot's balance (getMyStarBalance); it can be negative after chargebacks.
	Balance int64
	// Immature are the Stars received in the last MaturityHold (getStarTransactions), less the
	// refunds of those same payments: part of Balance that cannot be withdrawn yet.
	Immature int64
	// Owed is what users hold: the sum of every user:*:XTR account (held ones included).
	Owed int64
	// Pools are the Stars in draws not yet settled (draw:*:pool:XTR) and Refunds the Stars
	// waiting to go back to payers (platform:refunds:XTR): also the users' money, shown
	// alongside, not part of the threshold check.
	Pools, Refunds int64
	// Threshold is the alert threshold in force.
	Threshold int64
	At        time.Time
}

// Spare is what the bot holds beyond what users hold.
func (f ReserveFigures) Spare() int64 { return f.Balance - f.Owed }

// Low reports whether the spare Stars are below the threshold: the admins are alerted.
func (f ReserveFigures) Low() bool { return f.Spare() < f.Threshold }

// Figures reads the balance, the transactions of the last MaturityHold and the ledger.
func (r *StarsReserve) Figures(ctx context.Context) (ReserveFigures, error) {
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	f := ReserveFigures{Threshold: DefaultReserveThreshold, At: now}
	if r.Threshold != nil {
		t, err := r.Threshold(ctx)
		if err != nil {
			return f, fmt.Errorf("ops: reserve threshold: %w", err)
		}
		f.Threshold = t
	}
	bal, err := r.Stars.GetMyStarBalance(ctx)
	if err != nil {
		return f, fmt.Errorf("ops: star balance: %w", err)
	}
	f.Balance = int64(bal.Amount)
	if f.Immature, err = r.immature(ctx, now.Add(-MaturityHold)); err != nil {
		return f, err
	}
	if f.Owed, err = q.SumAccountBalances(ctx, r.Pool, dbq.SumAccountBalancesParams{Pattern: "user:%", Currency: ledger.XTR}); err != nil {
		return f, fmt.Errorf("ops: stars owed to users: %w", err)
	}
	if f.Pools, err = q.SumAccountBalances(ctx, r.Pool, dbq.SumAccountBalancesParams{Pattern: "draw:%:pool:XTR", Currency: ledger.XTR}); err != nil {
		return f, fmt.Errorf("ops: stars in pools: %w", err)
	}
	if f.Refunds, err = ledger.Balance(ctx, r.Pool, ledger.RefundsAccount(ledger.XTR)); err != nil {
		return f, fmt.Errorf("ops: stars to refund: %w", err)
	}
	return f, nil
}

// immature sums the incoming Stars dated at or after since, less the refunds of those
// payments (a refund carries its payment's id). Withdrawals that Fragment returned are not
// revenue and are left out. Pages are read by offset until one comes back short.
func (r *StarsReserve) immature(ctx context.Context, since time.Time) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	limit := r.PageSize
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	cutoff := since.Unix()
	var total int64
	recent := map[string]int64{} // incoming in the window, by transaction id
	offset, old := r.skip, true
	for {
		page, err := r.Stars.GetStarTransactions(ctx, &telego.GetStarTransactionsParams{Offset: offset, Limit: limit})
		if err != nil {
			return 0, fmt.Errorf("ops: star transactions from %d: %w", offset, err)
		}
		for i, t := range page.Transactions {
			if t.Date < cutoff {
				if old {
					r.skip = offset + i + 1
				}
				continue
			}
			old = false
			switch {
			case t.Source != nil && t.Source.PartnerType() != telego.PartnerTypeFragment:
				recent[t.ID] += int64(t.Amount)
				total += int64(t.Amount)
			case t.Receiver != nil && t.Receiver.PartnerType() == telego.PartnerTypeUser:
				if got, ok := recent[t.ID]; ok {
					back := min(got, int64(t.Amount))
					recent[t.ID] -= back
					total -= back
				}
			}
		}
		if len(page.Transactions) < limit {
			return total, nil
		}
		offset += len(page.Transactions)
	}
}

// StarsReserveArgs runs the Stars reserve check.
type StarsReserveArgs struct{}

// Kind is the River job kind.
func (StarsReserveArgs) Kind() string { return "ops_stars_reserve" }

// StarsReserveWorker checks the Stars reserve and alerts admins when it is low.
type StarsReserveWorker struct {
	river.WorkerDefaults[StarsReserveArgs]
	Reserve *StarsReserve
	Alerter Alerter
	Logger  *slog.Logger
}

// Work checks the reserve. A failure to read Telegram or the database is returned (River
// retries); a low reserve is an alert, not an error.
func (w *StarsReserveWorker) Work(ctx context.Context, j *river.Job[StarsReserveArgs]) error {
	f, err := w.Reserve.Figures(ctx)
	if err != nil {
		return err
	}
	if err := record(ctx, w.Reserve.Pool, CheckStarsReserve, !f.Low(), map[string]int64{
		"balance": f.Balance, "immature": f.Immature, "owed": f.Owed, "available": f.Spare(), "threshold": f.Threshold,
	}, f.At); err != nil {
		w.Logger.Warn("stars reserve figures not recorded", slog.Any("error", err))
	}
	attrs := []any{slog.Int64("balance", f.Balance), slog.Int64("owed", f.Owed), slog.Int64("immature", f.Immature), slog.Int64("threshold", f.Threshold)}
	if !f.Low() {
		w.Logger.Info("stars reserve ok", attrs...)
		return nil
	}
	w.Logger.Warn("stars reserve below threshold", attrs...)
	return w.Alerter.Alert(ctx, fmt.Sprintf("stars-reserve:%d", j.ID), "admin.alert_reserve", map[string]i18n.Arg{
		"balance": i18n.M(f.Balance, ledger.XTR), "owed": i18n.M(f.Owed, ledger.XTR), "spare": i18n.M(f.Spare(), ledger.XTR),
		"threshold": i18n.M(f.Threshold, ledger.XTR), "immature": i18n.M(f.Immature, ledger.XTR),
	})
}

// ReservePeriodicJob checks the Stars reserve every hour, and once at start.
func ReservePeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) {
		return StarsReserveArgs{}, nil
	}, &river.PeriodicJobOpts{RunOnStart: true})
}

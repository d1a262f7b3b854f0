package raffle

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/notify"
)

// EnterMany is Enter for a burst: it turns payments for one draw, in the order given, into
// entries or refunds inside tx with the same rules, ledger postings, audit rows and jobs as
// calling Enter for each in turn, but with a fixed number of statements for the whole batch
// instead of some twenty per payment. Results are in the order of ps.
//
// Payments seen before (or twice in ps), and payments for a draw that does not exist, take
// Enter's path one by one. Balance payments are not taken (Enter refuses them without writing
// anything, which a batch cannot do for one of its members). On an error tx may hold part of
// the batch: the caller rolls it back (a savepoint) and may enter the payments one by one.
func (s *Service) EnterMany(ctx context.Context, tx pgx.Tx, ps []Payment) ([]EntryResult, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	drawID, provider := ps[0].DrawID, ps[0].Provider
	ids := make([]string, len(ps))
	users := make([]int64, len(ps))
	for i, p := range ps {
		switch {
		case p.ExternalID == "" || p.Amount <= 0:
			return nil, fmt.Errorf("%w: payment without id or amount", ErrInvalid)
		case p.Provider == ProviderBalance:
			return nil, fmt.Errorf("%w: balance payments are entered one by one", ErrInvalid)
		case p.DrawID != drawID || p.Provider != provider:
			return nil, fmt.Errorf("%w: a batch is one draw and one provider", ErrInvalid)
		}
		ids[i], users[i] = p.ExternalID, p.UserID
	}
	results := make([]EntryResult, len(ps))

	// What was seen before goes Enter's way: it finds the first outcome and records the
	// duplicate, after the batch (so a payment twice in ps finds its first copy booked).
	seenBefore, err := q.PaymentsSeen(ctx, tx, dbq.PaymentsSeenParams{Provider: provider, ExternalIds: ids})
	if err != nil {
		return nil, fmt.Errorf("raffle: look up payments: %w", err)
	}
	oneByOne := make([]bool, len(ps))
	seen := make(map[string]bool, len(ps))
	for _, id := range seenBefore {
		seen[id] = true
	}
	for i, p := range ps {
		if seen[p.ExternalID] {
			oneByOne[i] = true
		}
		seen[p.ExternalID] = true
	}

	// Lock order everywhere: users (in id order), then the draw, then ledger accounts.
	now := s.now()
	if err := q.EnsureUsers(ctx, tx, dbq.EnsureUsersParams{Ids: users, Now: now}); err != nil {
		return nil, fmt.Errorf("raffle: ensure users: %w", err)
	}
	locked, err := q.LockUsers(ctx, tx, users)
	if err != nil {
		return nil, fmt.Errorf("raffle: lock users: %w", err)
	}
	banned := make(map[int64]bool, len(locked))
	for _, u := range locked {
		banned[u.TelegramID] = u.BannedAt != nil
	}
	row, err := q.LockRaffle(ctx, tx, drawID)
	if errors.Is(err, pgx.ErrNoRows) {
		for i := range ps {
			if results[i], err = s.Enter(ctx, tx, ps[i]); err != nil {
				return nil, err
			}
		}
		return results, nil
	}
	if err != nil {
		return nil, fmt.Errorf("raffle: lock draw: %w", err)
	}
	counts, err := q.UserEntryCounts(ctx, tx, dbq.UserEntryCountsParams{RaffleID: drawID, Since: startOfDay(now), Ids: users})
	if err != nil {
		return nil, fmt.Errorf("raffle: count entries: %w", err)
	}
	mine := make(map[int64]int, len(counts))
	daily := make(map[int64]int, len(counts))
	for _, c := range counts {
		mine[c.TelegramID], daily[c.TelegramID] = int(c.InRaffle), int(c.Since)
	}
	perDay := s.entriesPerDay(ctx, tx)

	// Decide each payment in order, as Enter one after another would, keeping the counts.
	d := fromRow(row)
	closeDraw := false
	var taken []int // indexes of ps booked here, entries and refusals
	for i, p := range ps {
		if oneByOne[i] {
			continue
		}
		code := drawRefusal(row, banned[p.UserID], p.Currency, p.Amount)
		if code == "" {
			code = limitRefusal(row, mine[p.UserID], daily[p.UserID], perDay)
		}
		if p.Refuse != "" {
			code = p.Refuse
		}
		taken = append(taken, i)
		if code != "" {
			results[i] = EntryResult{Refusal: &Refusal{code}}
			continue
		}
		row.EntriesCount++
		mine[p.UserID]++
		daily[p.UserID]++
		results[i] = EntryResult{Entered: true, Seq: int(row.EntriesCount)}
		d.Entries = int(row.EntriesCount)
		if d.Full() || (d.CloseMode == ModeInstant && d.Entries >= d.Min) {
			// Closed after this entry: what follows is refused, as it would be after close.
			closeDraw, row.Status = true, StatusDrawing
		}
	}
	if err := s.bookMany(ctx, tx, d, ps, taken, results); err != nil {
		return nil, err
	}
	if closeDraw {
		d.Status = StatusOpen
		if err := s.close(ctx, tx, d); err != nil {
			return nil, err
		}
	}
	for i := range ps {
		if oneByOne[i] {
			if results[i], err = s.Enter(ctx, tx, ps[i]); err != nil {
				return nil, err
			}
		}
	}
	return results, nil
}

// bookMany writes what EnterMany decided for ps[taken]: the payments, their ledger postings,
// the entries with their codes, the audit rows and the jobs, a statement each.
func (s *Service) bookMany(ctx context.Context, tx pgx.Tx, d Draw, ps []Payment, taken []int, results []EntryResult) error {
	if len(taken) == 0 {
		return nil
	}
	now := s.now()
	n := len(taken)
	ins := dbq.InsertPaymentsParams{
		Provider: ps[taken[0]].Provider, RaffleID: pgtype.Int8{Int64: d.ID, Valid: true}, CreatedAt: now,
		ExternalIds: make([]string, n), TelegramIds: make([]int64, n), Currencies: make([]string, n),
		Amounts: make([]int64, n), Statuses: make([]string, n), RefundReasons: make([]string, n),
	}
	for j, i := range taken {
		p := ps[i]
		ins.ExternalIds[j], ins.TelegramIds[j], ins.Currencies[j], ins.Amounts[j] = p.ExternalID, p.UserID, p.Currency, p.Amount
		ins.Statuses[j] = "entered"
		if r := results[i].Refusal; r != nil {
			ins.Statuses[j], ins.RefundReasons[j] = "refund_pending", r.Code
		}
	}
	rows, err := q.InsertPayments(ctx, tx, ins)
	if err != nil {
		return fmt.Errorf("raffle: insert payments: %w", err)
	}
	if len(rows) != n {
		return fmt.Errorf("raffle: insert payments: %d of %d were new (delivered meanwhile?)", len(rows), n)
	}
	payment := make(map[string]dbq.Payment, n)
	for _, r := range rows {
		payment[r.ExternalID] = r
	}

	var (
		postings []ledger.Transaction
		refunds  []river.InsertManyParams
		entered  []int // indexes of ps that became entries
		audits   auditBatch
	)
	for _, i := range taken {
		p := ps[i]
		pay := payment[p.ExternalID]
		results[i].PaymentID = pay.ID
		actor, subject := fmt.Sprintf("user:%d", p.UserID), p.Provider+":"+p.ExternalID
		if r := results[i].Refusal; r != nil {
			postings = append(postings, ledger.Transaction{
				Key: ledgerKey(p.Provider, p.ExternalID), Kind: "payment_refused",
				Memo:     fmt.Sprintf("draw %d refused: %s", p.DrawID, r.Code),
				Postings: []ledger.Posting{{Account: clearingAccount(p), Amount: -p.Amount}, {Account: ledger.RefundsAccount(p.Currency), Amount: p.Amount}},
			})
			refunds = append(refunds, river.InsertManyParams{Args: RefundArgs{PaymentID: pay.ID}})
			if err := audits.add(audit.Entry{Actor: actor, Action: "payment.refused", Subject: subject, After: pay}); err != nil {
				return err
			}
			continue
		}
		postings = append(postings, ledger.Transaction{
			Key: ledgerKey(p.Provider, p.ExternalID), Kind: "entry",
			Memo:     fmt.Sprintf("entry to draw %d", p.DrawID),
			Postings: []ledger.Posting{{Account: clearingAccount(p), Amount: -p.Amount}, {Account: ledger.PoolAccount(p.DrawID, p.Currency), Amount: p.Amount}},
		})
		entered = append(entered, i)
	}
	if _, err := ledger.PostMany(ctx, tx, postings); err != nil {
		return fmt.Errorf("raffle: post payments: %w", err)
	}

	var msgs []notify.Message
	if len(entered) > 0 {
		total, err := q.AddEntries(ctx, tx, dbq.AddEntriesParams{ID: d.ID, N: int32(len(entered))})
		if err != nil {
			return fmt.Errorf("raffle: count entries: %w", err)
		}
		if last := results[entered[len(entered)-1]].Seq; int(total) != last {
			return fmt.Errorf("raffle: draw %d has %d entries, the batch expected %d", d.ID, total, last)
		}
		codes, err := newEntryCodes(ctx, tx, d.ID, len(entered))
		if err != nil {
			return err
		}
		e := dbq.InsertEntriesParams{
			RaffleID: d.ID, CreatedAt: now, Seqs: make([]int32, len(entered)), TelegramIds: make([]int64, len(entered)),
			Codes: codes, PaymentIds: make([]int64, len(entered)),
		}
		for j, i := range entered {
			results[i].Code = codes[j]
			e.Seqs[j], e.TelegramIds[j], e.PaymentIds[j] = int32(results[i].Seq), ps[i].UserID, results[i].PaymentID
		}
		rows, err := q.InsertEntries(ctx, tx, e)
		if err != nil {
			return fmt.Errorf("raffle: insert entries: %w", err)
		}
		entryOf := make(map[int64]int64, len(rows))
		for _, r := range rows {
			entryOf[r.PaymentID] = r.ID
		}
		for _, i := range entered {
			p, res := ps[i], results[i]
			entryID := entryOf[res.PaymentID]
			if err := audits.add(audit.Entry{Actor: fmt.Sprintf("user:%d", p.UserID), Action: "entry.create", Subject: p.Provider + ":" + p.ExternalID,
				After: map[string]any{"payment_id": res.PaymentID, "entry_id": entryID, "seq": res.Seq, "code": res.Code, "amount": p.Amount, "currency": p.Currency},
			}); err != nil {
				return err
			}
			msgs = append(msgs, notify.Message{
				EventKey: fmt.Sprintf("entry:%d", entryID), ChatID: p.UserID, Key: "entry.confirmed",
				Args: map[string]i18n.Arg{"id": i18n.I(d.ID), "title": i18n.S(d.Title), "code": i18n.S(res.Code)},
			})
		}
	}
	if err := q.InsertAudits(ctx, tx, dbq.InsertAuditsParams{
		At: now, RaffleID: pgtype.Int8{Int64: d.ID, Valid: true},
		Actors: audits.actors, Actions: audits.actions, Subjects: audits.subjects, Afters: audits.afters,
	}); err != nil {
		return fmt.Errorf("raffle: audit: %w", err)
	}
	if len(refunds) > 0 {
		if _, err := s.jobs.InsertManyTx(ctx, tx, refunds); err != nil {
			return fmt.Errorf("raffle: schedule refunds: %w", err)
		}
	}
	if err := notify.Enqueue(ctx, tx, s.jobs, msgs...); err != nil {
		return err
	}
	if len(entered) > 0 {
		if _, err := s.jobs.InsertTx(ctx, tx, DigestArgs{DrawID: d.ID}, digestOpts(now, s.joinDigestInterval(ctx, tx))); err != nil {
			return fmt.Errorf("raffle: schedule digest: %w", err)
		}
	}
	return nil
}

// auditBatch collects audit rows of one draw (At and DrawID are the batch's) for one
// InsertAudits, stored as audit.Record stores them. Entries have no Before.
type auditBatch struct{ actors, actions, subjects, afters []string }

func (a *auditBatch) add(e audit.Entry) error {
	data, err := json.Marshal(e.After)
	if err != nil {
		return fmt.Errorf("raffle: audit: %w", err)
	}
	a.actors = append(a.actors, db.StorableText(e.Actor))
	a.actions = append(a.actions, e.Action)
	a.subjects = append(a.subjects, db.StorableText(e.Subject))
	a.afters = append(a.afters, string(db.NoNULEscapes(data)))
	return nil
}

// newEntryCodes returns n random public codes, distinct and not yet used in the draw (whose
// row the caller has locked).
func newEntryCodes(ctx context.Context, tx pgx.Tx, drawID int64, n int) ([]string, error) {
	codes := make([]string, 0, n)
	inBatch := make(map[string]bool, n)
	for range 10 {
		var fresh []string
		for len(codes)+len(fresh) < n {
			c := randomEntryCode()
			if !inBatch[c] {
				inBatch[c] = true
				fresh = append(fresh, c)
			}
		}
		taken, err := q.EntryCodesTaken(ctx, tx, dbq.EntryCodesTakenParams{RaffleID: drawID, Codes: fresh})
		if err != nil {
			return nil, fmt.Errorf("raffle: entry codes: %w", err)
		}
		used := make(map[string]bool, len(taken))
		for _, c := range taken {
			used[c] = true
		}
		for _, c := range fresh {
			if !used[c] {
				codes = append(codes, c)
			}
		}
		if len(codes) == n {
			return codes, nil
		}
	}
	return nil, errors.New("raffle: could not find free entry codes")
}

// randomEntryCode is one code of Crockford's alphabet, "7KQF-2M9X".
func randomEntryCode() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	c := make([]byte, 0, 9)
	for i, x := range b {
		if i == 4 {
			c = append(c, '-')
		}
		c = append(c, entryAlphabet[int(x)%len(entryAlphabet)])
	}
	return string(c)
}

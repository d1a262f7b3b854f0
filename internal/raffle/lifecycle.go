package raffle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/fairness/drand"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/notify"
)

// withLockedDraw runs fn in a transaction that holds the draw's row lock.
func (s *Service) withLockedDraw(ctx context.Context, id int64, fn func(tx pgx.Tx, row dbq.Raffle) error) error {
	return db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		row, err := q.LockRaffle(ctx, tx, id)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("%w: draw %d", ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("raffle: lock %d: %w", id, err)
		}
		return fn(tx, row)
	})
}

// close freezes the entrant list of an open draw inside tx: the list hash becomes the public
// commitment, the drand round is fixed, and the draw job is scheduled. The draw row must be
// locked by the caller.
func (s *Service) close(ctx context.Context, tx pgx.Tx, d Draw) error {
	codes, err := q.RaffleEntryCodes(ctx, tx, d.ID)
	if err != nil {
		return fmt.Errorf("raffle: entry codes: %w", err)
	}
	hash := fairness.ListHash(codes)
	// PostgreSQL keeps microseconds; the drand round must follow from the stored close time.
	now := s.now().Truncate(time.Microsecond)
	params := dbq.CloseRaffleParams{ID: d.ID, ListHash: pgtype.Text{String: hash, Valid: true}, ClosedAt: &now}
	if d.Source == SourceDrand {
		params.DrandRound = pgtype.Int8{Int64: int64(drand.FirstRoundAfter(now)), Valid: true}
	}
	if err := q.CloseRaffle(ctx, tx, params); err != nil {
		return fmt.Errorf("raffle: close: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Entry{
		At: s.now(), Actor: "system", Action: "raffle.close", DrawID: d.ID,
		Before: map[string]any{"status": d.Status},
		After:  map[string]any{"status": StatusDrawing, "list_hash": hash, "entries": len(codes), "drand_round": params.DrandRound.Int64},
	}); err != nil {
		return err
	}
	_, err = s.jobs.InsertManyTx(ctx, tx, []river.InsertManyParams{
		{Args: DrawArgs{DrawID: d.ID}},
		{Args: FanoutArgs{DrawID: d.ID, Event: FanoutClosed}},
	})
	if err != nil {
		return fmt.Errorf("raffle: schedule draw: %w", err)
	}
	return nil
}

// closeOrCancelAtDeadline is the deadline job's work.
func (s *Service) closeOrCancelAtDeadline(ctx context.Context, id int64) error {
	return s.withLockedDraw(ctx, id, func(tx pgx.Tx, row dbq.Raffle) error {
		if row.Status != StatusOpen {
			return nil // closed early (full, instant), or cancelled: nothing to do
		}
		d := fromRow(row)
		if d.Entries >= d.Min {
			return s.close(ctx, tx, d)
		}
		return s.cancel(ctx, tx, row, "below_min", "system")
	})
}

// ForceDraw closes an open draw now, whatever its deadline (`fairdraw raffle draw`). A draw below
// its minimum is refused: it could not have a fair set of winners.
func (s *Service) ForceDraw(ctx context.Context, id int64, actor string) error {
	return s.withLockedDraw(ctx, id, func(tx pgx.Tx, row dbq.Raffle) error {
		if row.Status != StatusOpen {
			return fmt.Errorf("%w: draw %d is %s", ErrWrongState, id, row.Status)
		}
		d := fromRow(row)
		if d.Entries < d.Min || d.Entries < d.WinnersCount {
			return fmt.Errorf("%w: draw %d has %d of at least %d entries", ErrWrongState, id, d.Entries, d.Min)
		}
		if err := audit.Record(ctx, tx, audit.Entry{
			At: s.now(), Actor: actor, Action: "raffle.force_draw", DrawID: id,
		}); err != nil {
			return err
		}
		return s.close(ctx, tx, d)
	})
}

// Cancel cancels a draw that has not been drawn and refunds every entry: Stars and rubles
// through their providers (by jobs), balance entries straight back to the balance.
func (s *Service) Cancel(ctx context.Context, id int64, actor string) error {
	return s.withLockedDraw(ctx, id, func(tx pgx.Tx, row dbq.Raffle) error {
		switch row.Status {
		case StatusDraft, StatusOpen, StatusDrawing:
		default:
			return fmt.Errorf("%w: draw %d is %s", ErrWrongState, id, row.Status)
		}
		return s.cancel(ctx, tx, row, "by_admin", actor)
	})
}

func (s *Service) cancel(ctx context.Context, tx pgx.Tx, row dbq.Raffle, reason, actor string) error {
	now := s.now()
	if err := q.MarkRaffleCancelled(ctx, tx, dbq.MarkRaffleCancelledParams{ID: row.ID, At: &now, Reason: reason}); err != nil {
		return fmt.Errorf("raffle: cancel: %w", err)
	}
	if err := audit.Record(ctx, tx, audit.Entry{
		At: s.now(), Actor: actor, Action: "raffle.cancel", DrawID: row.ID,
		Before: map[string]any{"status": row.Status}, After: map[string]any{"status": StatusCancelled, "reason": reason},
	}); err != nil {
		return err
	}
	pays, err := q.PaymentsToRefund(ctx, tx, pgtype.Int8{Int64: row.ID, Valid: true})
	if err != nil {
		return fmt.Errorf("raffle: payments to refund: %w", err)
	}
	var r refunds
	for _, p := range pays {
		pay := refundable{ID: p.ID, Provider: p.Provider, UserID: p.TelegramID, Currency: p.Currency, Amount: p.Amount}
		if _, err := r.add(ctx, tx, now, row.ID, pay, RefuseCancelled, fmt.Sprintf("draw:%d:cancel:%d", row.ID, p.ID)); err != nil {
			return err
		}
	}
	if err := r.flush(ctx, tx, s.jobs); err != nil {
		return err
	}
	if _, err := q.MarkRaffleRefunded(ctx, tx, row.ID); err != nil {
		return fmt.Errorf("raffle: mark refunded: %w", err)
	}
	return nil
}

// draw obtains verified randomness for a closed draw and records the result and the winners,
// then schedules settlement, in one transaction. Run again, it finds the result and stops.
func (s *Service) draw(ctx context.Context, id int64, sources map[string]Source) error {
	row, err := q.GetRaffle(ctx, s.pool, id)
	if err != nil {
		return fmt.Errorf("raffle: get %d: %w", id, err)
	}
	if row.Status != StatusDrawing {
		return nil
	}
	src, ok := sources[row.Source]
	if !ok {
		return fmt.Errorf("raffle: draw %d: source %q is not configured", id, row.Source)
	}
	codes, err := q.RaffleEntryCodes(ctx, s.pool, id)
	if err != nil {
		return fmt.Errorf("raffle: entry codes: %w", err)
	}
	if hash := fairness.ListHash(codes); hash != row.ListHash.String {
		return fmt.Errorf("raffle: draw %d: entrant list changed after close (%s != %s)", id, hash, row.ListHash.String)
	}
	ticket := row.TicketID.String
	if row.Source == SourceRandomOrg && ticket == "" {
		// The ticket should have been made when the draw opened; make it now rather than draw unbound.
		if ticket, err = s.ensureTicket(ctx, id, src); err != nil {
			return err
		}
	}
	in := DrawInput{DrawID: id, N: len(codes), K: int(row.WinnersCount), ListHash: row.ListHash.String, TicketID: ticket,
		DrandRound: uint64(row.DrandRound.Int64)}
	if row.ClosedAt != nil {
		in.ClosedAt = *row.ClosedAt
	}
	out, err := src.Draw(ctx, in)
	if err != nil {
		return err
	}
	if len(out.Indices) != in.K {
		return fmt.Errorf("%w: %d winners for k=%d", ErrBadEvidence, len(out.Indices), in.K)
	}
	return s.withLockedDraw(ctx, id, func(tx pgx.Tx, row dbq.Raffle) error {
		if row.Status != StatusDrawing {
			return nil
		}
		// The list was frozen at close and checked against its hash above; only the winners'
		// rows are needed now.
		n := int(row.EntriesCount)
		if n != in.N {
			return fmt.Errorf("raffle: draw %d: %d entries now, %d when drawn", id, n, in.N)
		}
		pool, err := fairness.Pool(row.Fee, n)
		if err != nil {
			return fmt.Errorf("raffle: pool: %w", err)
		}
		commission, prizes, err := fairness.Split(pool, int(row.CommissionBp), int(row.WinnersCount))
		if err != nil {
			return fmt.Errorf("raffle: prizes: %w", err)
		}
		now := s.now()
		idx := make([]int32, len(out.Indices))
		seqs := make([]int32, len(out.Indices))
		for i, v := range out.Indices {
			if v < 0 || v >= n {
				return fmt.Errorf("%w: index %d of %d entries", ErrBadEvidence, v, n)
			}
			idx[i], seqs[i] = int32(v), int32(v+1)
		}
		rows, err := q.EntriesBySeq(ctx, tx, dbq.EntriesBySeqParams{RaffleID: id, Seqs: seqs})
		if err != nil {
			return fmt.Errorf("raffle: winning entries: %w", err)
		}
		bySeq := make(map[int32]dbq.Entry, len(rows))
		for _, e := range rows {
			bySeq[e.Seq] = e
		}
		res := dbq.InsertDrawResultParams{
			RaffleID: id, Source: row.Source, Entrants: int32(n), ListHash: row.ListHash.String,
			RandomRaw: out.RandomRaw, Signature: out.Signature, TicketID: out.TicketID, HashedApiKey: out.HashedAPIKey,
			DrandSig: out.DrandSig, WinnerIndices: idx, CreatedAt: now,
		}
		if row.Source == SourceDrand {
			res.DrandRound = pgtype.Int8{Int64: int64(out.DrandRound), Valid: true}
		}
		if err := q.InsertDrawResult(ctx, tx, res); err != nil {
			return fmt.Errorf("raffle: record result: %w", err)
		}
		winners := make([]map[string]any, 0, len(idx))
		for i, v := range out.Indices {
			e, ok := bySeq[int32(v+1)]
			if !ok {
				return fmt.Errorf("raffle: draw %d: no entry at position %d", id, v+1)
			}
			if err := q.InsertWinner(ctx, tx, dbq.InsertWinnerParams{RaffleID: id, Position: int32(i + 1), EntryID: e.ID, TelegramID: e.TelegramID, Prize: prizes[i]}); err != nil {
				return fmt.Errorf("raffle: record winner: %w", err)
			}
			winners = append(winners, map[string]any{"position": i + 1, "entry_code": e.Code, "telegram_id": e.TelegramID, "prize": prizes[i]})
		}
		if err := q.MarkRaffleDrawn(ctx, tx, dbq.MarkRaffleDrawnParams{ID: id, At: &now}); err != nil {
			return fmt.Errorf("raffle: mark drawn: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{
			At: s.now(), Actor: "system", Action: "raffle.drawn", DrawID: id,
			After: map[string]any{
				"winners": winners, "commission": commission, "source": row.Source,
			},
		}); err != nil {
			return err
		}
		if _, err := s.jobs.InsertTx(ctx, tx, SettleArgs{DrawID: id}, nil); err != nil {
			return fmt.Errorf("raffle: schedule settle: %w", err)
		}
		return nil
	})
}

func (s *Service) ensureTicket(ctx context.Context, id int64, src Source) (string, error) {
	ticket, err := src.Ticket(ctx)
	if err != nil {
		return "", fmt.Errorf("raffle: ticket for draw %d: %w", id, err)
	}
	if ticket == "" {
		return "", nil
	}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := q.SetRaffleTicket(ctx, tx, dbq.SetRaffleTicketParams{ID: id, TicketID: pgtype.Text{String: ticket, Valid: true}}); err != nil {
			return fmt.Errorf("raffle: save ticket: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{
			At: s.now(), Actor: "system", Action: "raffle.ticket", DrawID: id, Subject: ticket,
			After: map[string]string{"ticket_id": ticket},
		})
	})
	if err != nil {
		return "", err
	}
	row, err := q.GetRaffle(ctx, s.pool, id)
	if err != nil {
		return "", fmt.Errorf("raffle: get %d: %w", id, err)
	}
	return row.TicketID.String, nil // the first ticket saved wins if two raced
}

// settle pays a drawn draw's pool out to its winners and the commission account, in one ledger
// transaction keyed draw:<id>:settle, and schedules the result messages.
func (s *Service) settle(ctx context.Context, id int64) error {
	return s.withLockedDraw(ctx, id, func(tx pgx.Tx, row dbq.Raffle) error {
		if row.Status != StatusDrawn {
			return nil
		}
		winners, err := q.RaffleWinners(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("raffle: winners: %w", err)
		}
		pool, err := fairness.Pool(row.Fee, int(row.EntriesCount))
		if err != nil {
			return fmt.Errorf("raffle: pool: %w", err)
		}
		held, err := ledger.Balance(ctx, tx, ledger.PoolAccount(id, row.Currency))
		if err != nil {
			return err
		}
		if held != pool {
			return fmt.Errorf("raffle: draw %d pool account holds %d, expected fee x entries = %d", id, held, pool)
		}
		postings := []ledger.Posting{{Account: ledger.PoolAccount(id, row.Currency), Amount: -pool}}
		var paid int64
		for _, w := range winners {
			if w.Prize > 0 {
				postings = append(postings, ledger.Posting{Account: ledger.UserAccount(w.TelegramID, row.Currency), Amount: w.Prize})
			}
			paid += w.Prize
		}
		if commission := pool - paid; commission > 0 {
			postings = append(postings, ledger.Posting{Account: ledger.CommissionAccount(row.Currency), Amount: commission})
		}
		if pool > 0 {
			if _, err := ledger.Post(ctx, tx, ledger.Transaction{Key: fmt.Sprintf("draw:%d:settle", id), Kind: "settle", Postings: postings}); err != nil {
				return fmt.Errorf("raffle: settle ledger: %w", err)
			}
		}
		now := s.now()
		if err := q.MarkRaffleSettled(ctx, tx, dbq.MarkRaffleSettledParams{ID: id, At: &now}); err != nil {
			return fmt.Errorf("raffle: mark settled: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{
			At: s.now(), Actor: "system", Action: "raffle.settle", DrawID: id,
			After: map[string]any{"pool": pool, "paid": paid, "commission": pool - paid},
		}); err != nil {
			return err
		}
		if _, err := s.jobs.InsertTx(ctx, tx, FanoutArgs{DrawID: id, Event: FanoutResult}, nil); err != nil {
			return fmt.Errorf("raffle: schedule results: %w", err)
		}
		return s.schedulePrizeDelivery(ctx, tx, row)
	})
}

// refund returns one payment through its provider and, once the provider confirms, records it.
func (s *Service) refund(ctx context.Context, paymentID int64, refunders map[string]Refunder) (RefundState, error) {
	p, err := q.GetPayment(ctx, s.pool, paymentID)
	if err != nil {
		return RefundState{}, fmt.Errorf("raffle: payment %d: %w", paymentID, err)
	}
	if p.Status != PaymentRefundPending {
		return RefundState{Done: true}, nil
	}
	r, ok := refunders[p.Provider]
	if !ok {
		return RefundState{}, fmt.Errorf("raffle: no refunder for %s", p.Provider)
	}
	st, err := r.Refund(ctx, RefundRequest{
		PaymentID: p.ID, ExternalID: p.ExternalID, UserID: p.TelegramID, Currency: p.Currency, Amount: p.Amount,
		Key: fmt.Sprintf("refund-%d", p.ID),
	})
	if err != nil || !st.Done {
		return st, err
	}
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		p, err := q.LockPayment(ctx, tx, paymentID)
		if err != nil {
			return fmt.Errorf("raffle: lock payment: %w", err)
		}
		if p.Status != PaymentRefundPending {
			return nil
		}
		now := s.now()
		if err := q.MarkPaymentRefunded(ctx, tx, dbq.MarkPaymentRefundedParams{ID: p.ID, At: &now, Ref: st.Ref}); err != nil {
			return fmt.Errorf("raffle: mark refunded: %w", err)
		}
		ext := ledger.TelegramClearing
		if p.Provider == ProviderYooKassa {
			ext = ledger.YooKassaClearing
		}
		if _, err := ledger.Post(ctx, tx, ledger.Transfer(fmt.Sprintf("refund:%d", p.ID), "refund", ledger.RefundsAccount(p.Currency), ext, p.Amount)); err != nil {
			return fmt.Errorf("raffle: refund ledger: %w", err)
		}
		if err := audit.Record(ctx, tx, audit.Entry{
			At: s.now(), Actor: "system", Action: "payment.refunded", DrawID: p.RaffleID.Int64, Subject: p.Provider + ":" + p.ExternalID,
			Before: map[string]string{"status": PaymentRefundPending},
			After:  map[string]any{"status": PaymentRefunded, "ref": st.Ref, "amount": p.Amount},
		}); err != nil {
			return err
		}
		reason := p.RefundReason
		if reason == "" {
			reason = RefuseCancelled
		}
		if err := notify.Enqueue(ctx, tx, s.jobs, notify.Message{
			EventKey: fmt.Sprintf("refund:%d", p.ID), ChatID: p.TelegramID, Key: "entry.refunded",
			Args: map[string]i18n.Arg{"id": i18n.I(p.RaffleID.Int64), "reason": i18n.K("reason." + reason), "amount": i18n.M(p.Amount, p.Currency)},
		}); err != nil {
			return err
		}
		if p.RaffleID.Valid {
			if _, err := q.MarkRaffleRefunded(ctx, tx, p.RaffleID.Int64); err != nil {
				return fmt.Errorf("raffle: mark draw refunded: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return RefundState{}, err
	}
	s.logger.Info("payment refunded", slog.Int64("payment_id", paymentID), slog.String("provider", p.Provider))
	return st, nil
}

package raffle

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
)

// checkQueryTimeout bounds one query of a batch of entry checks; each caller also has its own
// deadline and stops waiting at it.
const checkQueryTimeout = 4 * time.Second

// entryCheck is one CheckEntry call waiting for its batch.
type entryCheck struct {
	drawID, userID int64
	currency       string
	amount         int64
	err            error
	done           chan struct{}
}

// checkBatcher answers concurrent CheckEntry calls together. While a batch's queries run, the
// calls that arrive wait and form the next batch, so a quiet bot answers each call at once
// and 2,000 pre-checkout queries arriving together cost a few queries instead of thousands
// queued on the connection pool.
type checkBatcher struct {
	mu      sync.Mutex
	pending []*entryCheck
	running bool
}

// CheckEntry tells whether userID may pay amount in currency for drawID now, without writing
// anything. It is the pre-checkout check; Enter checks again under locks. A refusal is a
// *Refusal; any other error means the database did not answer.
func (s *Service) CheckEntry(ctx context.Context, drawID, userID int64, currency string, amount int64) error {
	c := &entryCheck{drawID: drawID, userID: userID, currency: currency, amount: amount, done: make(chan struct{})}
	b := &s.checks
	b.mu.Lock()
	b.pending = append(b.pending, c)
	if !b.running {
		b.running = true
		go s.runChecks()
	}
	b.mu.Unlock()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return fmt.Errorf("raffle: check entry: %w", ctx.Err())
	}
}

// runChecks answers batches until none is waiting.
func (s *Service) runChecks() {
	b := &s.checks
	for {
		b.mu.Lock()
		batch := b.pending
		b.pending = nil
		if len(batch) == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), checkQueryTimeout)
		err := s.checkBatch(ctx, batch)
		cancel()
		for _, c := range batch {
			if err != nil {
				c.err = err
			}
			close(c.done)
		}
	}
}

// checkBatch applies the entry rules to every call of batch with three queries, setting each
// call's err to its refusal. A returned error is for the whole batch.
func (s *Service) checkBatch(ctx context.Context, batch []*entryCheck) error {
	draws := make([]int64, len(batch))
	users := make([]int64, len(batch))
	for i, c := range batch {
		draws[i], users[i] = c.drawID, c.userID
	}
	rows, err := q.RafflesByIDs(ctx, s.pool, draws)
	if err != nil {
		return fmt.Errorf("raffle: check entry: %w", err)
	}
	raffles := make(map[int64]dbq.Raffle, len(rows))
	for _, r := range rows {
		raffles[r.ID] = r
	}
	counts, err := q.EntryChecks(ctx, s.pool, dbq.EntryChecksParams{UserIds: users, DrawIds: draws, Since: startOfDay(s.now())})
	if err != nil {
		return fmt.Errorf("raffle: check entry: %w", err)
	}
	if len(counts) != len(batch) {
		return fmt.Errorf("raffle: check entry: %d answers for %d checks", len(counts), len(batch))
	}
	perDay := s.entriesPerDay(ctx, s.pool)
	for i, c := range batch {
		r, ok := raffles[c.drawID]
		if !ok {
			c.err = &Refusal{RefuseNotFound}
			continue
		}
		// The answers come in the order of the arrays (one row per element of unnest).
		n := counts[i]
		if n.UserID != c.userID || n.DrawID != c.drawID {
			return fmt.Errorf("raffle: check entry: answers out of order")
		}
		code := drawRefusal(r, n.Banned, c.currency, c.amount)
		if code == "" {
			code = limitRefusal(r, int(n.InRaffle), int(n.Since), perDay)
		}
		if code != "" {
			c.err = &Refusal{code}
		}
	}
	return nil
}

package raffle_test

import (
	"fmt"
	"testing"

	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
)

// When a draw's result is enqueued, its unsent "entries closed" and digest messages are
// dropped in the same transaction, so the result does not queue behind them; other draws'
// and other events' messages stay.
func TestResultDropsStaleNews(t *testing.T) {
	b := raffletest.Setup(t, raffletest.Options{HoldMessages: true})
	d, err := b.Svc.Create(t.Context(), params(func(p *raffle.Params) { p.Min = 3 }), "cli")
	if err != nil {
		t.Fatal(err)
	}
	raffletest.WaitFor(t, "ticket", func() bool { d, _ := b.Svc.Get(t.Context(), d.ID); return d.TicketID != "" })
	other, err := b.Svc.Create(t.Context(), params(nil), "cli")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		b.Pay(t, d, int64(3000+i), fmt.Sprintf("stale-%d", i))
	}
	b.Pay(t, other, 3000, "stale-other")
	// A digest of this draw and one of the other draw, still unsent.
	for _, id := range []int64{d.ID, other.ID} {
		if err := raffletest.EnqueueMessage(t, b, notify.Message{EventKey: fmt.Sprintf("draw:%d:digest:3", id), ChatID: 3000, Key: "notify.joined_digest",
			Priority: notify.PriorityParticipant}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Svc.ForceDraw(t.Context(), d.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	b.WaitStatus(t, d.ID, raffle.StatusSettled)
	count := func(event string) int {
		return b.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'notify_send' AND args->>'event' = $1", event)
	}
	raffletest.WaitFor(t, "result enqueued", func() bool { return count(fmt.Sprintf("draw:%d:result", d.ID)) > 0 })
	if n := count(fmt.Sprintf("draw:%d:closed", d.ID)); n != 0 {
		t.Fatalf("%d 'entries closed' messages still queued after the result", n)
	}
	if n := count(fmt.Sprintf("draw:%d:digest:3", d.ID)); n != 0 {
		t.Fatalf("the draw's digest is still queued after the result")
	}
	if n := count(fmt.Sprintf("draw:%d:digest:3", other.ID)); n != 1 {
		t.Fatalf("the other draw's digest was dropped")
	}
	for i := range 3 {
		if n := b.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'notify_send' AND args->>'event' = $1 AND (args->>'chat_id')::bigint = $2",
			fmt.Sprintf("entry:%d", i+1), 3000+i); n > 1 {
			t.Fatalf("confirmation of entry %d queued %d times", i+1, n)
		}
	}
	if n := b.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'notify_send' AND starts_with(args->>'event', 'entry:')"); n != 4 {
		t.Fatalf("%d entry confirmations queued, want all 4 kept", n)
	}
}

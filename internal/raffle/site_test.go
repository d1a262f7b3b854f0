package raffle_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/fairness/drand/drandtest"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
)

// TestSiteReads: the public site's bounded reads on a real database.
func TestSiteReads(t *testing.T) {
	b := raffletest.Setup(t, raffletest.Options{NoStart: true})
	ctx := t.Context()
	start := time.Now().Truncate(time.Second)
	b.Clock.Set(start)
	var ids []int64
	for i := range 5 {
		d, err := b.Svc.Create(ctx, params(func(p *raffle.Params) {
			p.Title = fmt.Sprintf("draw %d", i)
			p.Deadline = start.Add(time.Duration(10-i) * time.Hour) // later draws end sooner
		}), "cli")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	d0, _ := b.Svc.Get(ctx, ids[0])
	for i, user := range []int64{501, 502, 503} {
		b.Clock.Set(start.Add(time.Duration(i) * time.Minute))
		b.Pay(t, d0, user, fmt.Sprintf("site-charge-%d", i))
	}
	for _, id := range ids[3:] {
		if err := b.Svc.Cancel(ctx, id, "cli"); err != nil {
			t.Fatal(err)
		}
	}

	open, err := b.Svc.OpenDraws(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 || open[0].ID != ids[2] || open[1].ID != ids[1] {
		t.Fatalf("open draws soonest first, at most 2: %+v", open)
	}
	page1, total, err := b.Svc.FinishedPage(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	page2, _, err := b.Svc.FinishedPage(ctx, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || len(page1) != 1 || page1[0].ID != ids[4] || len(page2) != 1 || page2[0].ID != ids[3] {
		t.Fatalf("finished pages: total %d, %+v, %+v", total, page1, page2)
	}
	points, err := b.Svc.Timeline(ctx, ids[0], 48)
	if err != nil {
		t.Fatal(err)
	}
	if len(points) != 3 || points[2].Entries != 3 || !points[2].At.Equal(start.Add(2*time.Minute)) || points[0].Entries != 1 {
		t.Fatalf("timeline: %+v", points)
	}
	if none, err := b.Svc.Timeline(ctx, ids[1], 48); err != nil || len(none) != 0 {
		t.Fatalf("timeline of an empty draw: %v %v", none, err)
	}
	mine, err := b.Svc.UserEntries(ctx, 502)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine) != 1 || mine[0].Draw.ID != ids[0] || mine[0].Code == "" || mine[0].Prize != -1 || mine[0].Draw.Title != "draw 0" {
		t.Fatalf("entries of user 502: %+v", mine)
	}
}

// TestChannelPosts: with CHANNEL_ID set, a drand draw's opening, closing (list hash and round)
// and result (winners and proof link) are posted to the channel through the send queue, once.
func TestChannelPosts(t *testing.T) {
	const channel = -1001234567890
	b := raffletest.Setup(t, raffletest.Options{NoStart: true, ChannelID: channel})
	beacons, err := drandtest.Recorded()
	if err != nil {
		t.Fatal(err)
	}
	target := beacons[len(beacons)-1]
	chain := b.Drand.Chain()
	closeAt := chain.TimeOfRound(target.Round).Add(-time.Second)
	b.Clock.Set(closeAt)
	d, err := b.Svc.Create(t.Context(), params(func(p *raffle.Params) {
		p.Source, p.Min, p.Winners, p.Deadline, p.Title = raffle.SourceDrand, 2, 1, closeAt.Add(time.Hour), "Канал"
	}), "cli")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		b.Pay(t, d, int64(60+i), fmt.Sprintf("ch-%d", i))
	}
	if err := b.Svc.ForceDraw(t.Context(), d.ID, "cli"); err != nil {
		t.Fatal(err)
	}
	b.Clock.Set(chain.TimeOfRound(target.Round).Add(time.Second))
	b.Start()
	got := b.WaitStatus(t, d.ID, raffle.StatusSettled)
	raffletest.WaitFor(t, "three channel posts", func() bool { return len(b.Sent.To(channel)) >= 3 })
	b.Stop()
	page, _, err := b.Svc.FinishedPage(t.Context(), 1, 20)
	if err != nil || len(page) != 1 || len(page[0].Winners) != 1 || page[0].Winners[0] != got.Winners[0] {
		t.Fatalf("finished page with winners: %+v %v, want %+v", page, err, got.Winners)
	}
	posts := b.Sent.To(channel)
	if len(posts) != 3 {
		t.Fatalf("%d channel posts: %+v", len(posts), posts)
	}
	wants := map[string][]string{
		"opened": {"Новый розыгрыш #", "«Канал»", "комиссия 10%", "https://draws.test/raffles/"},
		"closed": {"закрыт", got.ListHash, fmt.Sprintf("раунд %d", target.Round)},
		"result": {"Итоги розыгрыша", got.Winners[0].EntryCode, fmt.Sprintf("https://draws.test/raffles/%d", d.ID)},
	}
	for name, want := range wants {
		found := false
		for _, p := range posts {
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(p.Text, w)
			}
			found = found || ok
		}
		if !found {
			t.Errorf("no %s post with %q among %+v", name, want, posts)
		}
	}
}

package bot

import (
	"context"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/obs/sentrytest"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// panickyAdmin is an admin panel with a bug: every command panics.
type panickyAdmin struct{}

func (panickyAdmin) HandleCommand(context.Context, *telego.Message, string) error {
	var m map[string]int
	m["boom"]++ // nil map write: a real runtime panic
	return nil
}
func (panickyAdmin) HandleCallback(context.Context, *tgui.Press) error         { return nil }
func (panickyAdmin) HandleText(context.Context, *telego.Message) (bool, error) { return false, nil }

// TestPanicInUpdateHandlerReachesSentry: a handler that panics does not take the poller down;
// the update is retried like one that failed, and Sentry gets the panic with the user and the
// update.
func TestPanicInUpdateHandlerReachesSentry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	logger, tr := sentrytest.Init(t, f.rt.Logger)
	api, err := telegram.NewBot(f.tg.Token(), f.tg.URL(), f.tg.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	b := New(Config{API: api, Pool: f.rt.Pool, Draws: f.rt.Svc, Logger: logger, Currencies: []string{"XTR"},
		PublicURL: "https://draws.test", AdminIDs: []int64{900}, Admin: panickyAdmin{}})
	p := &Poller{Bot: b, Pool: f.rt.Pool, APIURL: f.tg.URL(), Token: f.tg.Token(), HTTP: f.tg.Client(), Logger: logger, Parallel: 4}

	f.tg.SendText(user(900), "/admin")
	raws, err := p.getUpdates(t.Context(), 0)
	if err != nil || len(raws) != 1 {
		t.Fatalf("updates %d %v", len(raws), err)
	}
	// The update was claimed before the panic, so the batch is confirmed and the poller tries
	// the update again itself; each try is recovered and reported.
	bctx, stopRetries := context.WithCancel(t.Context())
	if _, err := p.handleBatch(bctx, raws); err != nil {
		t.Fatalf("handleBatch after a panic: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for tr.Find("update handler panicked") == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stopRetries()
	p.inflight.Wait()
	e := tr.Find("update handler panicked")
	if e == nil {
		t.Fatalf("no Sentry event; got %d others", len(tr.Events()))
	}
	if e.User.ID != "900" || e.Tags["update_kind"] != "message" || e.Tags["update_id"] == "" ||
		len(e.Exception) != 1 || e.Exception[0].Type != "panic" || e.Release != "test-release" {
		t.Fatalf("event %+v tags %v exception %+v", e, e.Tags, e.Exception)
	}
	if stack, _ := e.Contexts["log"]["stack"].(string); stack == "" {
		t.Fatalf("no stack in the event")
	}

	// The same bot still answers the next user.
	f.tg.SendText(user(901), "/start")
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	raws, err = p.getUpdates(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range raws {
		u, err := decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		if u.Message != nil && u.Message.From.ID == 901 {
			if err := b.HandleUpdate(ctx, u); err != nil {
				t.Fatalf("next update: %v", err)
			}
		}
	}
	if len(f.tg.Messages(901)) == 0 {
		t.Fatal("the next user got no answer")
	}
}

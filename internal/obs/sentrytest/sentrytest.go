// Package sentrytest captures the events fairdraw sends to Sentry, for tests: a sentry.Transport
// that keeps every event (after BeforeSend, so after scrubbing) instead of sending it.
package sentrytest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/fairdraw/fairdraw/internal/obs"
)

// Transport keeps the events it is given.
type Transport struct {
	mu     sync.Mutex
	events []*sentry.Event
	opts   sentry.ClientOptions
}

// Configure records the client's options (release, environment).
func (t *Transport) Configure(o sentry.ClientOptions) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.opts = o
}

// SendEvent keeps e.
func (t *Transport) SendEvent(e *sentry.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events = append(t.events, e)
}

// Flush has nothing to wait for.
func (t *Transport) Flush(time.Duration) bool { return true }

// FlushWithContext has nothing to wait for.
func (t *Transport) FlushWithContext(context.Context) bool { return true }

// Close does nothing.
func (t *Transport) Close() {}

// Events returns a copy of the events kept so far.
func (t *Transport) Events() []*sentry.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*sentry.Event(nil), t.events...)
}

// Find returns the first event whose message is msg, or nil.
func (t *Transport) Find(msg string) *sentry.Event {
	for _, e := range t.Events() {
		if e.Message == msg {
			return e
		}
	}
	return nil
}

// Init initialises Sentry (process-wide, as serve does) with a capturing transport and returns
// the logger that reports Error records, and the transport. Sentry is closed when the test ends.
// Tests that call it must not run in parallel with each other.
func Init(t testing.TB, logger *slog.Logger) (*slog.Logger, *Transport) {
	t.Helper()
	tr := &Transport{}
	l, flush, err := obs.InitSentry(obs.SentryOptions{DSN: "https://public@sentry.example/1", Release: "test-release",
		Environment: "test", Transport: tr}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(flush) // closes the client and detaches it: later events go nowhere
	return l, tr
}

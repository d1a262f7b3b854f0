// Package obs is fairdraw's observability: the slog logger, Sentry, and the Prometheus registry.
//
// The logger writes JSON when its output is not a terminal (containers, files) and text when it
// is. When a Sentry DSN is configured, records at Error level and above are also sent to Sentry;
// with no DSN Sentry is never initialised and costs nothing.
package obs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// NewLogger returns the process logger writing to w at level.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if isTerminal(w) {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// InitSentry initialises Sentry when dsn is set and returns a logger that also reports errors
// to it, and a flush function to call on shutdown. With an empty dsn both are no-ops.
func InitSentry(dsn, release string, logger *slog.Logger) (*slog.Logger, func(), error) {
	if dsn == "" {
		return logger, func() {}, nil
	}
	if err := sentry.Init(sentry.ClientOptions{Dsn: dsn, Release: release}); err != nil {
		return logger, func() {}, fmt.Errorf("obs: sentry: %w", err)
	}
	return slog.New(&sentryHandler{next: logger.Handler()}), func() { sentry.Flush(2 * time.Second) }, nil
}

// sentryHandler forwards Error records to Sentry and passes every record on.
type sentryHandler struct {
	next  slog.Handler
	attrs []slog.Attr
}

func (h *sentryHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *sentryHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		event := sentry.NewEvent()
		event.Level = sentry.LevelError
		event.Message = r.Message
		event.Tags = map[string]string{}
		for _, a := range h.attrs {
			event.Tags[a.Key] = a.Value.String()
		}
		r.Attrs(func(a slog.Attr) bool {
			event.Tags[a.Key] = a.Value.String()
			return true
		})
		sentry.CaptureEvent(event)
	}
	return h.next.Handle(ctx, r)
}

func (h *sentryHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &sentryHandler{next: h.next.WithAttrs(attrs), attrs: append(append([]slog.Attr{}, h.attrs...), attrs...)}
}

func (h *sentryHandler) WithGroup(name string) slog.Handler {
	return &sentryHandler{next: h.next.WithGroup(name), attrs: h.attrs}
}

// NewRegistry returns a Prometheus registry of our own (never the global one) with the Go
// runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

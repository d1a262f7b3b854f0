package obs

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/getsentry/sentry-go"
)

// SentryOptions configure InitSentry.
type SentryOptions struct {
	DSN         string // empty: Sentry stays off
	Release     string // the binary's version
	Environment string // SENTRY_ENVIRONMENT
	// Transport replaces the HTTP transport (tests capture events with it).
	Transport sentry.Transport
}

// InitSentry initialises Sentry when a DSN is set and returns a logger that also reports every
// Error record to it, and a flush function to call on shutdown. With an empty DSN both are
// no-ops; the flush function also closes the client. Every event passes through Scrub before it leaves: tokens, keys, card numbers and phone
// numbers never reach Sentry, whatever a log line carried.
func InitSentry(o SentryOptions, logger *slog.Logger) (*slog.Logger, func(), error) {
	if o.DSN == "" {
		return logger, func() {}, nil
	}
	err := sentry.Init(sentry.ClientOptions{
		Dsn: o.DSN, Release: o.Release, Environment: o.Environment, Transport: o.Transport,
		SendDefaultPII: false, AttachStacktrace: false,
		BeforeSend:       func(e *sentry.Event, _ *sentry.EventHint) *sentry.Event { return Scrub(e) },
		BeforeBreadcrumb: func(b *sentry.Breadcrumb, _ *sentry.BreadcrumbHint) *sentry.Breadcrumb { scrubBreadcrumb(b); return b },
	})
	if err != nil {
		return logger, func() {}, fmt.Errorf("obs: sentry: %w", err)
	}
	// On shutdown: send what is queued, stop the client's goroutines, and detach it, so a late
	// Error record goes nowhere instead of to a closed client.
	stop := func() {
		sentry.Flush(2 * time.Second)
		if c := sentry.CurrentHub().Client(); c != nil {
			c.Close()
		}
		sentry.CurrentHub().BindClient(nil)
	}
	return slog.New(&sentryHandler{next: logger.Handler()}), stop, nil
}

// contextTags are the attributes that identify what an error was about; they become searchable
// Sentry tags. Every other attribute goes into the event's "log" context.
var contextTags = map[string]bool{
	"update_id": true, "user_id": true, "telegram_id": true, "chat_id": true, "raffle_id": true, "draw_id": true,
	"payout_id": true, "payment_id": true, "refund_id": true, "job_id": true, "job_kind": true, "attempt": true,
	"event": true, "key": true, "update_kind": true, "path": true, "method": true,
}

// sentryHandler forwards Error records to Sentry and passes every record on.
type sentryHandler struct {
	next   slog.Handler
	attrs  []slog.Attr
	prefix string // group prefix of later attributes
}

func (h *sentryHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.next.Enabled(ctx, l)
}

func (h *sentryHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		sentry.CaptureEvent(h.event(r))
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

// event builds the Sentry event of an Error record: the message as the title, the "error"
// attribute as the exception, identifying attributes as tags (user_id also as the event's user),
// the rest as the "log" context.
func (h *sentryHandler) event(r slog.Record) *sentry.Event {
	e := sentry.NewEvent()
	e.Level = sentry.LevelError
	e.Message = r.Message
	e.Logger = "slog"
	e.Tags = map[string]string{}
	extra := sentry.Context{}
	add := func(a slog.Attr) {
		key := a.Key
		v := a.Value.Resolve()
		if v.Kind() == slog.KindGroup {
			for _, g := range v.Group() {
				extra[key+"."+g.Key] = g.Value.String()
			}
			return
		}
		val := v.String()
		switch {
		case key == "error":
			e.Exception = []sentry.Exception{{Type: r.Message, Value: val}}
		case key == "panic":
			e.Exception = []sentry.Exception{{Type: "panic", Value: val}}
		case key == "stack":
			extra[key] = val
		case contextTags[key]:
			e.Tags[key] = val
		default:
			extra[key] = val
		}
		if key == "user_id" || key == "telegram_id" {
			e.User.ID = val
		}
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(func(a slog.Attr) bool {
		if h.prefix != "" {
			a.Key = h.prefix + a.Key
		}
		add(a)
		return true
	})
	if len(extra) > 0 {
		e.Contexts = map[string]sentry.Context{"log": extra}
	}
	return e
}

func (h *sentryHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := append([]slog.Attr{}, h.attrs...)
	for _, a := range attrs {
		if h.prefix != "" {
			a.Key = h.prefix + a.Key
		}
		out = append(out, a)
	}
	return &sentryHandler{next: h.next.WithAttrs(attrs), attrs: out, prefix: h.prefix}
}

func (h *sentryHandler) WithGroup(name string) slog.Handler {
	return &sentryHandler{next: h.next.WithGroup(name), attrs: h.attrs, prefix: h.prefix + name + "."}
}

// Redaction markers put where a secret or a personal number was.
const (
	redactedToken = "[token]"
	redactedCard  = "[card]"
	redactedPhone = "[phone]"
	redacted      = "[redacted]"
)

var (
	// A Telegram bot token: bot id, colon, 35 characters (also inside /bot<token>/ URLs).
	tokenRE = regexp.MustCompile(`\d{5,12}:[A-Za-z0-9_-]{30,}`)
	// YooKassa secret keys (live_..., test_...), and credentials after Bearer/Basic.
	keyRE  = regexp.MustCompile(`\b(?:live|test)_[A-Za-z0-9_-]{16,}`)
	authRE = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}`)
	// user:password@ in URLs (DATABASE_URL, REDIS_URL, SENTRY_DSN).
	userinfoRE = regexp.MustCompile(`://[^/\s@:]+:[^/\s@]+@`)
	// Card numbers: 13 to 19 digits, maybe grouped by spaces or dashes; only Luhn-valid ones.
	cardRE = regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`)
	// Phone numbers: +7/8 and ten digits in the usual groupings, or + and 10 to 15 digits, or
	// the bare 11-digit 7XXXXXXXXXX form fairdraw stores for SBP.
	phoneRE = regexp.MustCompile(`(?:\+?[78][\s(-]*\d{3}[\s)-]*\d{3}[\s-]*\d{2}[\s-]*\d{2}\b|\+\d{10,15}\b)`)
	// Attribute names whose values are secrets or personal data as a whole.
	secretKeyRE = regexp.MustCompile(`(?i)(token|secret|password|passwd|api_?key|dsn|authorization|cookie|phone|card|account_number|payout_token|email)`)
)

// ScrubString removes bot tokens, API keys, credentials in URLs and headers, card numbers and
// phone numbers from s.
func ScrubString(s string) string {
	s = tokenRE.ReplaceAllString(s, redactedToken)
	s = keyRE.ReplaceAllString(s, redacted)
	s = authRE.ReplaceAllString(s, "$1 "+redacted)
	s = userinfoRE.ReplaceAllString(s, "://"+redacted+"@")
	s = cardRE.ReplaceAllStringFunc(s, func(m string) string {
		if luhn(m) {
			return redactedCard
		}
		return m
	})
	return phoneRE.ReplaceAllString(s, redactedPhone)
}

func luhn(s string) bool {
	sum, n := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			continue
		}
		d := int(c - '0')
		if n%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n >= 13 && sum%10 == 0
}

// scrubValue scrubs one named value: a secret-sounding name hides it whole.
func scrubValue(name, v string) string {
	if secretKeyRE.MatchString(name) && v != "" {
		return redacted
	}
	return ScrubString(v)
}

// Scrub removes secrets and personal numbers from every text of an event before it is sent.
func Scrub(e *sentry.Event) *sentry.Event {
	if e == nil {
		return nil
	}
	e.Message = ScrubString(e.Message)
	for i := range e.Exception {
		e.Exception[i].Value = ScrubString(e.Exception[i].Value)
		e.Exception[i].Type = ScrubString(e.Exception[i].Type)
	}
	for k, v := range e.Tags {
		e.Tags[k] = scrubValue(k, v)
	}
	for name, c := range e.Contexts {
		for k, v := range c {
			if sv, ok := v.(string); ok {
				c[k] = scrubValue(k, sv)
			} else if !isNumber(v) {
				c[k] = ScrubString(fmt.Sprint(v))
			}
		}
		e.Contexts[name] = c
	}
	for _, b := range e.Breadcrumbs {
		scrubBreadcrumb(b)
	}
	if r := e.Request; r != nil {
		r.URL, r.QueryString, r.Cookies = ScrubString(r.URL), ScrubString(r.QueryString), ""
		r.Data = ScrubString(r.Data)
		for k, v := range r.Headers {
			r.Headers[k] = scrubValue(k, v)
		}
		r.Env = nil
	}
	// Only the Telegram id identifies a user; nothing else about them is sent.
	e.User = sentry.User{ID: e.User.ID}
	return e
}

func scrubBreadcrumb(b *sentry.Breadcrumb) {
	if b == nil {
		return
	}
	b.Message = ScrubString(b.Message)
	for k, v := range b.Data {
		b.Data[k] = scrubValue(k, fmt.Sprint(v))
	}
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, int32, int64, uint32, uint64, float64, bool:
		return true
	}
	return false
}

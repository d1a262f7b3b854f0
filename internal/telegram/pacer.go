package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	ta "github.com/mymmrac/telego/telegoapi"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fairdraw/fairdraw/internal/notify/sender"
)

// DefaultReplyWithin is how long a reply may wait for the send budget (and for Telegram's
// retry_after) before it is handed to a durable job instead. It is short because the update
// handler waits for it, and intake takes the next batch of updates only when the whole
// batch is handled: waiting longer would bound intake by the send rate, and a burst of
// replies would hold back the pre-checkout queries queued behind it (Telegram gives those 10
// seconds). A deferred reply keeps its place: jobs are sent as replies, ahead of bulk news.
const DefaultReplyWithin = 100 * time.Millisecond

// noDeferWithin bounds a reply's wait when there is no Deferrer and its context has no
// deadline.
const noDeferWithin = time.Minute

// ReplyLimiter is the part of the shared send limiter (*sender.RedisLimiter) the pacer uses.
type ReplyLimiter interface {
	// WaitReply blocks until a reply to chatID may go, ahead of bulk messages; it returns a
	// *sender.RetryAfterError at once when that would take longer than within.
	WaitReply(ctx context.Context, chatID int64, within time.Duration) (end func(context.Context), err error)
	// Throttled records Telegram's 429 for chatID.
	Throttled(ctx context.Context, chatID int64, retryAfter time.Duration) error
}

// Deferrer keeps a reply that could not go in time, durably, to be sent later (ReplyQueue).
type Deferrer interface {
	Defer(ctx context.Context, call DeferredCall) error
	// Pending reports whether a reply to chatID is still waiting in the queue: then a new
	// one goes behind it, so the chat reads its replies in order.
	Pending(ctx context.Context, chatID int64) (bool, error)
}

// DeferredCall is one Bot API request kept for later: the method and its exact body.
type DeferredCall struct {
	Method      string `json:"method"`
	ChatID      int64  `json:"chat_id"`
	ContentType string `json:"content_type"`
	Body        []byte `json:"body"`
}

// Pacing puts every Bot API call that places a message in a chat (sendMessage, sendInvoice,
// sendDocument, editMessageText, ... see PutsMessage) on the shared Redis send budget,
// whatever code makes it: the bot's replies, the admin panel, the ruble side. Calls that put
// no message in a chat (answerCallbackQuery, answerPreCheckoutQuery, getUpdates, refunds)
// pass straight through and are never delayed.
//
// A call is a reply unless its context says it was paced already (AlreadyPaced: the notify
// worker takes its slot from the bulk class itself and handles 429 by snoozing its job).
// A reply takes its slot ahead of bulk messages; if Telegram still answers 429 it waits
// retry_after and sends again. If the slot (or the retry) cannot come within ReplyWithin, the
// request goes to Deferrer, a durable job, and the caller gets a success whose message has
// message_id 0: the reply is not lost and the update is not handled twice. (A gift purchase,
// sendGift, is never deferred: its caller waits as long as its context allows, see
// deferrable.)
//
// Build it with NewPacedBot; the zero value of every optional field takes its default.
type Pacing struct {
	// Limiter is the shared budget; required.
	Limiter ReplyLimiter
	// Deferrer keeps replies that cannot go within ReplyWithin; nil means such a reply waits
	// as long as its context allows.
	Deferrer Deferrer
	// ReplyWithin defaults to DefaultReplyWithin.
	ReplyWithin time.Duration
	// Registry receives the pacing counters; nil: not registered.
	Registry prometheus.Registerer
	Logger   *slog.Logger

	next    ta.Caller // the redacting HTTP caller, set by NewPacedBot
	base    string    // apiURL/bot<token>/, set by NewPacedBot; never logged
	metrics *pacingMetrics
}

type pacingMetrics struct {
	delayed, retried, deferred, sent, dropped prometheus.Counter
}

func newPacingMetrics(reg prometheus.Registerer) *pacingMetrics {
	c := func(name, help string) prometheus.Counter {
		ctr := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "fairdraw", Subsystem: "telegram", Name: name, Help: help})
		if reg != nil {
			reg.MustRegister(ctr)
		}
		return ctr
	}
	return &pacingMetrics{
		sent:     c("replies_sent_total", "Replies (messages answering a user's own action) sent through the shared budget."),
		delayed:  c("replies_delayed_total", "Replies that waited for the shared send budget before going out."),
		retried:  c("replies_retried_total", "Replies answered 429 by Telegram and sent again after retry_after."),
		deferred: c("replies_deferred_total", "Replies that could not go within a few seconds and were handed to a durable job."),
		dropped:  c("replies_dropped_total", "Deferred replies given up: refused by Telegram, failed every attempt, or not sent within 15 minutes."),
	}
}

type pacedKey struct{}

// AlreadyPaced marks ctx as carrying a call whose sender took its slot from the limiter
// itself (the notify worker): the pacer passes it through unchanged.
func AlreadyPaced(ctx context.Context) context.Context {
	return context.WithValue(ctx, pacedKey{}, true)
}

func isAlreadyPaced(ctx context.Context) bool {
	v, _ := ctx.Value(pacedKey{}).(bool)
	return v
}

// PutsMessage reports whether a Bot API method places (or changes) a message in a chat, and so
// counts against Telegram's sending limits: every send*, copy*, forward* and editMessage*
// method, except sendChatAction (a typing indicator). Method names are case-insensitive, as
// in the Bot API.
func PutsMessage(method string) bool {
	m := strings.ToLower(method)
	switch {
	case m == "sendchataction":
		return false
	case strings.HasPrefix(m, "send"), strings.HasPrefix(m, "copymessage"), strings.HasPrefix(m, "forwardmessage"),
		strings.HasPrefix(m, "editmessage"), m == "stoppoll":
		return true
	}
	return false
}

// Call implements telego's caller.
func (p *Pacing) Call(ctx context.Context, url string, data *ta.RequestData) (*ta.Response, error) {
	method := url[strings.LastIndexByte(url, '/')+1:]
	if !PutsMessage(method) || isAlreadyPaced(ctx) {
		return p.next.Call(ctx, url, data)
	}
	call, err := capture(method, data)
	if err != nil {
		return nil, err
	}
	deferrer := p.Deferrer
	if !deferrable(method) {
		deferrer = nil
	}
	if deferrer != nil {
		pending, err := deferrer.Pending(ctx, call.ChatID)
		if err != nil {
			return nil, err
		}
		if pending {
			return p.deferCall(ctx, call, 0)
		}
	}
	within := p.within()
	if deferrer == nil {
		// Nowhere to hand the reply to: it waits as long as its context allows.
		within = noDeferWithin
		if dl, ok := ctx.Deadline(); ok {
			within = time.Until(dl)
		}
	}
	resp, err := p.send(ctx, call, within, true)
	if ra, ok := errors.AsType[*sender.RetryAfterError](err); ok && deferrer != nil {
		return p.deferCall(ctx, call, ra.After)
	}
	return resp, err
}

// deferrable reports whether a paced method may be handed to a job, its caller answered with
// a stand-in message. Not a purchase (sendGift): its caller must know whether Telegram took
// the Stars, and expects True, not a message. Not stopPoll, whose answer is a poll.
func deferrable(method string) bool {
	switch strings.ToLower(method) {
	case "sendgift", "stoppoll":
		return false
	}
	return true
}

func (p *Pacing) within() time.Duration {
	if p.ReplyWithin > 0 {
		return p.ReplyWithin
	}
	return DefaultReplyWithin
}

// send sends call as a reply within (> 0) from now. A 429 is recorded in the limiter, waited
// out and sent again; if the wait would end past within, or the limiter cannot give a slot in
// time, it returns a *sender.RetryAfterError with the time still to wait (Telegram's 429
// wrapped in it if that was the cause) and nothing was sent.
func (p *Pacing) send(ctx context.Context, call DeferredCall, within time.Duration, reply bool) (*ta.Response, error) {
	start := time.Now()
	deadline := start.Add(within)
	delayed := false
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, &sender.RetryAfterError{After: time.Second}
		}
		slot := time.Now()
		end, err := p.Limiter.WaitReply(ctx, call.ChatID, left)
		if err != nil {
			if _, ok := errors.AsType[*sender.RetryAfterError](err); ok {
				return nil, err
			}
			return nil, fmt.Errorf("telegram: pace %s: %w", call.Method, err)
		}
		if !delayed && time.Since(slot) > 10*time.Millisecond && reply {
			delayed = true
			p.metrics.delayed.Inc()
		}
		// Once the slot is taken the request goes out and its end is recorded, even if ctx ends.
		sctx := context.WithoutCancel(ctx)
		if dl, ok := ctx.Deadline(); ok {
			var cancel context.CancelFunc
			sctx, cancel = context.WithDeadline(sctx, dl.Add(time.Second))
			defer cancel()
		}
		resp, err := p.next.Call(sctx, p.base+call.Method, &ta.RequestData{ContentType: call.ContentType, BodyRaw: call.Body})
		end(sctx)
		if err != nil {
			return nil, err
		}
		after, throttled := retryAfterOf(resp)
		if !throttled {
			if reply {
				p.metrics.sent.Inc()
			}
			return resp, nil
		}
		if terr := p.Limiter.Throttled(sctx, call.ChatID, after); terr != nil {
			p.logger().Error("record 429 in the limiter", slog.Int64("chat_id", call.ChatID), slog.Any("error", terr))
		}
		if time.Now().Add(after).After(deadline) {
			return nil, &sender.RetryAfterError{After: after, Err: resp.Error}
		}
		if reply {
			p.metrics.retried.Inc()
		}
		p.logger().Info("reply answered 429; sending again after retry_after", slog.String("method", call.Method),
			slog.Int64("chat_id", call.ChatID), slog.Duration("retry_after", after))
		if err := sleepCtx(ctx, after); err != nil {
			return nil, err
		}
	}
}

// deferCall hands call to the Deferrer and answers the caller with a success.
func (p *Pacing) deferCall(ctx context.Context, call DeferredCall, after time.Duration) (*ta.Response, error) {
	if err := p.Deferrer.Defer(context.WithoutCancel(ctx), call); err != nil {
		return nil, fmt.Errorf("telegram: defer %s: %w", call.Method, err)
	}
	p.metrics.deferred.Inc()
	p.logger().Info("reply deferred to a job", slog.String("method", call.Method), slog.Int64("chat_id", call.ChatID),
		slog.Duration("wait", after))
	return &ta.Response{Ok: true, Result: deferredResult(call)}, nil
}

// deferredResult stands in for the message a deferred call will create: message_id 0 (no
// message exists yet), the chat, the current date.
func deferredResult(call DeferredCall) json.RawMessage {
	msg := fmt.Sprintf(`{"message_id":0,"date":%d,"chat":{"id":%d,"type":"private"}}`, time.Now().Unix(), call.ChatID)
	if strings.EqualFold(call.Method, "sendMediaGroup") || strings.EqualFold(call.Method, "forwardMessages") || strings.EqualFold(call.Method, "copyMessages") {
		msg = "[" + msg + "]"
	}
	return json.RawMessage(msg)
}

func (p *Pacing) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// retryAfterOf reports whether resp is a 429 and how long it asks to wait (1s if it names no
// time).
func retryAfterOf(resp *ta.Response) (time.Duration, bool) {
	if resp == nil || resp.Ok || resp.Error == nil {
		return 0, false
	}
	after, ok := RetryAfter(resp.Error)
	if !ok {
		return 0, false
	}
	return max(after, time.Second), true
}

// capture reads a request's body (so it can be sent again or kept in a job) and finds its
// chat_id: a number in JSON or a multipart field. A chat named by @username, or none
// (inline messages), is paced as chat 0.
func capture(method string, data *ta.RequestData) (DeferredCall, error) {
	call := DeferredCall{Method: method, ContentType: data.ContentType, Body: data.BodyRaw}
	if call.Body == nil && data.BodyStream != nil {
		b, err := io.ReadAll(data.BodyStream)
		if err != nil {
			return call, fmt.Errorf("telegram: read %s request: %w", method, err)
		}
		call.Body = b
	}
	mt, params, _ := mime.ParseMediaType(data.ContentType)
	switch mt {
	case "multipart/form-data":
		r := multipart.NewReader(bytes.NewReader(call.Body), params["boundary"])
		for {
			part, err := r.NextPart()
			if err != nil {
				break
			}
			if part.FormName() == "chat_id" {
				v, _ := io.ReadAll(io.LimitReader(part, 64))
				call.ChatID, _ = strconv.ParseInt(strings.TrimSpace(string(v)), 10, 64)
				break
			}
		}
	default:
		var head struct {
			ChatID json.RawMessage `json:"chat_id"`
		}
		if json.Unmarshal(call.Body, &head) == nil && len(head.ChatID) > 0 {
			call.ChatID, _ = strconv.ParseInt(strings.Trim(string(head.ChatID), `"`), 10, 64)
		}
	}
	return call, nil
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// statusOf is the HTTP-like status of an API answer, for the job's decisions.
func statusOf(resp *ta.Response) int {
	if resp == nil || resp.Ok || resp.Error == nil {
		return http.StatusOK
	}
	return resp.Error.ErrorCode
}

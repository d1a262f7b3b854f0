//go:build faults

package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Enabled reports whether the binary was built with crash points.
const Enabled = true

var (
	mu     sync.Mutex
	hits   = map[string]int{}
	target = os.Getenv("FAIRDRAW_FAULT")
	atHit  = func() int {
		if n, err := strconv.Atoi(os.Getenv("FAIRDRAW_FAULT_HIT")); err == nil && n > 0 {
			return n
		}
		return 1
	}()
	logPath = os.Getenv("FAIRDRAW_FAULT_LOG")
)

// Point records that name was reached and kills the process if it is the configured crash
// point at the configured hit.
func Point(name string) {
	mu.Lock()
	defer mu.Unlock()
	hits[name]++
	crash := name == target && hits[name] == atHit
	if logPath != "" {
		line := name + "\n"
		if crash {
			line += "crash " + name + "\n"
		}
		if f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
			_, _ = f.WriteString(line)
			_ = f.Sync()
			_ = f.Close()
		}
	}
	if crash {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way; run nothing more
	}
}

// WrapTransport adds the points "<service>:<operation>:before" (the request is about to be
// sent) and ":after" (the answer came, nobody has read it yet) around every request rt sends.
func WrapTransport(service string, rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return transport{service: service, next: rt}
}

type transport struct {
	service string
	next    http.RoundTripper
}

func (t transport) RoundTrip(r *http.Request) (*http.Response, error) {
	op := operation(t.service, r)
	if op == "" {
		return t.next.RoundTrip(r)
	}
	name := t.service + ":" + op
	Point(name + ":before")
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		Point(name + ":after")
	}
	return resp, err
}

var idSegment = regexp.MustCompile(`^[0-9a-f]{8}-|^po-|^[0-9]+$|^[0-9a-zA-Z-]{20,}$`)

// operation names a request: the Bot API method, YooKassa's "POST payouts" (ids dropped), the
// JSON-RPC method of Random.org, "beacon" for drand. Long polls are not points ("").
func operation(service string, r *http.Request) string {
	switch service {
	case "telegram":
		method := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if method == "getUpdates" {
			return ""
		}
		return method
	case "yookassa":
		var parts []string
		for _, seg := range strings.Split(strings.Trim(r.URL.Path, "/"), "/") {
			if seg == "v3" || idSegment.MatchString(seg) {
				continue
			}
			parts = append(parts, seg)
		}
		return r.Method + " " + strings.Join(parts, "/")
	case "randomorg":
		if r.Body == nil || r.GetBody == nil {
			return "call"
		}
		body, err := r.GetBody()
		if err != nil {
			return "call"
		}
		defer body.Close()
		data, _ := io.ReadAll(io.LimitReader(body, 1<<16))
		var rpc struct {
			Method string `json:"method"`
		}
		if json.Unmarshal(bytes.TrimSpace(data), &rpc) != nil || rpc.Method == "" {
			return "call"
		}
		return rpc.Method
	default:
		return "request"
	}
}

// Tracer returns a pgx tracer that puts the points "commit:<step>:before" and ":after" around
// the commit of every transaction whose queries name a domain step (steps).
func Tracer() pgx.QueryTracer { return &tracer{txs: map[*pgx.Conn][]string{}} }

type tracer struct {
	mu  sync.Mutex
	txs map[*pgx.Conn][]string // sqlc query names run in each connection's open transaction
}

type traceKey struct{}

func (t *tracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	sql := strings.TrimSpace(data.SQL)
	lower := strings.ToLower(sql)
	var step string
	t.mu.Lock()
	queries, inTx := t.txs[conn]
	switch {
	case strings.HasPrefix(lower, "begin"):
		t.txs[conn] = []string{}
	case lower == "rollback":
		delete(t.txs, conn)
	case lower == "commit":
		step = stepOf(queries)
		delete(t.txs, conn)
	default:
		name, ok := strings.CutPrefix(sql, "-- name: ")
		if i := strings.IndexByte(name, ' '); ok && i > 0 {
			if inTx {
				t.txs[conn] = append(queries, name[:i])
			} else {
				step = stepOf([]string{name[:i]}) // a statement on its own commits by itself
			}
		}
	}
	t.mu.Unlock()
	if step == "" {
		return ctx
	}
	Point("commit:" + step + ":before")
	return context.WithValue(ctx, traceKey{}, step)
}

func (t *tracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	if step, ok := ctx.Value(traceKey{}).(string); ok && data.Err == nil {
		Point("commit:" + step + ":after")
	}
}

// steps names a transaction by the most telling query it ran, in this order.
var steps = []struct{ query, step string }{
	{"MarkRaffleSettled", "settle"},
	{"InsertDrawResult", "draw"},
	{"CloseRaffle", "close"},
	{"MarkRaffleCancelled", "cancel"},
	{"MarkRedemptionSent", "gift_sent"},
	{"MarkRedemptionCalling", "gift_calling"},
	{"InsertRedemption", "gift_request"},
	{"MarkPaymentRefunded", "refund"},
	{"InsertEntry", "entry"},
	{"MarkPaymentRefundPending", "refund_start"},
	{"FinishRubPayout", "payout_finish"},
	{"SetRubPayoutCreated", "payout_created"},
	{"SetRubPayoutSent", "payout_sent"},
	{"InsertRubPayout", "payout_request"},
	{"FinishRubRefund", "rub_refund_finish"},
	{"SetRubRefundCreated", "rub_refund_created"},
	{"FinishRubPayment", "rub_payment_finish"},
	{"SetRubPaymentCreated", "rub_payment_created"},
	{"MarkNotificationSent", "message_sent"},
}

func stepOf(queries []string) string {
	for _, s := range steps {
		for _, q := range queries {
			if q == s.query {
				return s.step
			}
		}
	}
	return ""
}

// String is for debugging: the points reached so far and how often.
func String() string {
	mu.Lock()
	defer mu.Unlock()
	return fmt.Sprint(hits)
}

// JobTimes returns River's job timeout and rescue delay for a faults build: a job killed mid-run
// is rescued four seconds after it started instead of rescueAfter.
func JobTimes(time.Duration) (timeout, rescue time.Duration) { return 4 * time.Second, 4 * time.Second }

// JobTimeout returns the short timeout of JobTimes instead of d.
func JobTimeout(time.Duration) time.Duration { return 4 * time.Second }

package yookassatest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// Delivery is one attempt to deliver a notification.
type Delivery struct {
	Event    yookassa.Event
	ObjectID string
	URL      string
	Copy     int    // 1-based copy number when Options.NotifyCopies > 1
	Attempt  int    // 1-based
	Status   int    // HTTP status answered; 0 when the request failed
	Err      string // transport error, if any
}

// notify queues a notification about obj (marshalled now, as YooKassa sends the object as it
// was at the event) to url. Called with s.mu held.
func (s *Server) notify(url string, event yookassa.Event, id string, obj any) {
	if url == "" {
		return
	}
	body, err := json.Marshal(map[string]any{"type": "notification", "event": event, "object": obj})
	if err != nil {
		s.log.Error("yookassatest: encode notification", slog.String("event", string(event)), slog.Any("error", err))
		return
	}
	s.note.enqueue(url, event, id, body)
}

type job struct {
	url       string
	event     yookassa.Event
	objectID  string
	body      []byte
	copy      int
	attempt   int
	notBefore time.Time
}

// notifier delivers notifications from one goroutine, oldest ready job first, retrying failed
// ones after a delay. close stops it.
type notifier struct {
	client      *http.Client
	transport   *http.Transport
	copies      int
	maxAttempts int
	retryDelay  time.Duration
	forwarded   string
	log         *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{}

	mu         sync.Mutex
	queue      []*job
	inflight   bool
	idle       chan struct{} // closed while there is nothing to deliver
	deliveries []Delivery
}

func newNotifier(opts Options) *notifier {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if opts.NotifyLocalAddr.IsValid() {
		dialer.LocalAddr = &net.TCPAddr{IP: opts.NotifyLocalAddr.AsSlice()}
	}
	tr := &http.Transport{DialContext: dialer.DialContext, DisableKeepAlives: true}
	n := &notifier{
		client:      &http.Client{Transport: tr, Timeout: 10 * time.Second},
		transport:   tr,
		copies:      min(max(opts.NotifyCopies, 1), 3),
		maxAttempts: opts.NotifyMaxAttempts,
		retryDelay:  opts.NotifyRetryDelay,
		forwarded:   opts.NotifyForwardedFor,
		log:         opts.Logger,
		done:        make(chan struct{}),
		wake:        make(chan struct{}, 1),
		idle:        make(chan struct{}),
	}
	if n.maxAttempts <= 0 {
		n.maxAttempts = 5
	}
	if n.retryDelay <= 0 {
		n.retryDelay = 10 * time.Millisecond
	}
	close(n.idle)
	n.ctx, n.cancel = context.WithCancel(context.Background())
	go n.run()
	return n
}

func (n *notifier) enqueue(url string, event yookassa.Event, objectID string, body []byte) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.busy()
	for c := 1; c <= n.copies; c++ {
		n.queue = append(n.queue, &job{url: url, event: event, objectID: objectID, body: body, copy: c})
	}
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// busy marks the notifier as having work; called with n.mu held.
func (n *notifier) busy() {
	select {
	case <-n.idle:
		n.idle = make(chan struct{})
	default:
	}
}

func (n *notifier) run() {
	defer close(n.done)
	for {
		n.mu.Lock()
		now := time.Now()
		var next *job
		var wait time.Duration = -1
		for i, j := range n.queue {
			if !j.notBefore.After(now) {
				next = j
				n.queue = slices.Delete(n.queue, i, i+1)
				break
			}
			if d := j.notBefore.Sub(now); wait < 0 || d < wait {
				wait = d
			}
		}
		if next == nil {
			if len(n.queue) == 0 && !n.inflight {
				select {
				case <-n.idle:
				default:
					close(n.idle)
				}
			}
			n.mu.Unlock()
			var timer *time.Timer
			var fire <-chan time.Time
			if wait >= 0 {
				timer = time.NewTimer(wait)
				fire = timer.C
			}
			select {
			case <-n.ctx.Done():
			case <-n.wake:
			case <-fire:
			}
			if timer != nil {
				timer.Stop()
			}
			if n.ctx.Err() != nil {
				return
			}
			continue
		}
		n.inflight = true
		n.mu.Unlock()

		next.attempt++
		status, err := n.post(next)
		d := Delivery{Event: next.event, ObjectID: next.objectID, URL: next.url, Copy: next.copy,
			Attempt: next.attempt, Status: status}
		if err != nil {
			d.Err = err.Error()
		}

		n.mu.Lock()
		n.inflight = false
		n.deliveries = append(n.deliveries, d)
		if status != http.StatusOK && next.attempt < n.maxAttempts && n.ctx.Err() == nil {
			next.notBefore = time.Now().Add(n.retryDelay)
			n.queue = append(n.queue, next)
		}
		n.mu.Unlock()
		if n.ctx.Err() != nil {
			return
		}
	}
}

func (n *notifier) post(j *job) (int, error) {
	req, err := http.NewRequestWithContext(n.ctx, http.MethodPost, j.url, bytes.NewReader(j.body))
	if err != nil {
		return 0, fmt.Errorf("build notification request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if n.forwarded != "" {
		req.Header.Set("X-Forwarded-For", n.forwarded)
	}
	resp, err := n.client.Do(req)
	if err != nil {
		n.log.Debug("yookassatest: notification failed", slog.String("event", string(j.event)), slog.Any("error", err))
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// flush waits until the queue is empty and nothing is in flight, ctx is done or the notifier
// is closed.
func (n *notifier) flush(ctx context.Context) error {
	n.mu.Lock()
	idle := n.idle
	n.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-n.done:
		return fmt.Errorf("yookassatest: flush: server closed")
	case <-ctx.Done():
		return fmt.Errorf("yookassatest: flush: %w", ctx.Err())
	}
}

func (n *notifier) snapshot() []Delivery {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.deliveries)
}

func (n *notifier) close() {
	n.cancel()
	<-n.done
	n.transport.CloseIdleConnections()
}

package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"
)

// queuedUpdate is an update not yet confirmed by the bot.
type queuedUpdate struct {
	id   int64
	kind string // "message", "callback_query", ...; "" for raw updates
	raw  []byte
	// queue is the chat (or, without one, the user) the update is about: a webhook gets one
	// update of a queue at a time, in order, and different queues in parallel, as Telegram's
	// Bot API server delivers them. 0 (no chat or user found) is a queue of its own.
	queue int64
}

// queueOf finds the chat an update's payload is about, or else its sender.
func queueOf(payload []byte) int64 {
	var p struct {
		Chat    *struct{ ID int64 } `json:"chat"`
		From    *struct{ ID int64 } `json:"from"`
		User    *struct{ ID int64 } `json:"user"`
		Message *struct {
			Chat struct{ ID int64 } `json:"chat"`
		} `json:"message"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return 0
	}
	switch {
	case p.Chat != nil:
		return p.Chat.ID
	case p.Message != nil && p.Message.Chat.ID != 0:
		return p.Message.Chat.ID
	case p.From != nil:
		return p.From.ID
	case p.User != nil:
		return p.User.ID
	}
	return 0
}

// rawQueue is queueOf for a whole raw update: the payload beside update_id.
func rawQueue(raw []byte) int64 {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return 0
	}
	for k, v := range fields {
		if k != "update_id" {
			return queueOf(v)
		}
	}
	return 0
}

// enqueue adds an update of kind with payload, one of the fake's own types; call with mu held.
func (s *Server) enqueue(kind string, payload any) int64 {
	data, err := json.Marshal(payload)
	if err != nil {
		// Payloads are the fake's own types: a failure is a bug in the fake.
		panic(fmt.Sprintf("telegramtest: encode %s update: %v", kind, err))
	}
	var queue int64
	switch p := payload.(type) {
	case *Message:
		queue = p.Chat.ID
	case preCheckoutQuery:
		queue = p.From.ID
	case callbackQuery:
		queue = p.From.ID
	case chatMemberUpdated:
		queue = p.Chat.ID
	default:
		queue = queueOf(data)
	}
	return s.enqueueJSON(kind, data, queue)
}

func (s *Server) enqueueJSON(kind string, payload []byte, queue int64) int64 {
	id := s.nextUpdateID
	s.nextUpdateID++
	var buf bytes.Buffer
	buf.WriteString(`{"update_id":`)
	buf.WriteString(strconv.FormatInt(id, 10))
	buf.WriteString(`,"`)
	buf.WriteString(kind)
	buf.WriteString(`":`)
	buf.Write(payload)
	buf.WriteByte('}')
	s.checkObject("update", "Update", buf.Bytes())
	s.updates = append(s.updates, queuedUpdate{id: id, kind: kind, raw: buf.Bytes(), queue: queue})
	s.notify()
	return id
}

// Update queues an update of the given kind ("message", "edited_message",
// "callback_query", ...) whose payload is marshalled to JSON, assigning the
// next update_id, which it returns. The update is checked against the spec
// like every update the fake emits.
func (s *Server) Update(kind string, payload any) (int64, error) {
	data, err := json.Marshal(payload)
	if err != nil {
		return 0, fmt.Errorf("telegramtest: encode %s update: %w", kind, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.enqueueJSON(kind, data, queueOf(data)), nil
}

// DeliverRaw queues raw exactly as given, malformed or not, as the next
// update (in a getUpdates result or as a webhook body). It consumes an
// update_id, which it returns; the bot confirms the update by polling with an
// offset above it. raw is not checked against the spec.
func (s *Server) DeliverRaw(raw []byte) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextUpdateID
	s.nextUpdateID++
	s.updates = append(s.updates, queuedUpdate{id: id, raw: slices.Clone(raw), queue: rawQueue(raw)})
	s.notify()
	return id
}

// PendingUpdates is the number of updates the bot has not confirmed yet.
func (s *Server) PendingUpdates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.updates)
}

// WaitUntilDelivered waits until no update is pending: every one was
// confirmed by a getUpdates offset or accepted by the webhook.
func (s *Server) WaitUntilDelivered(ctx context.Context) error {
	if err := s.waitFor(ctx, func() bool { return len(s.updates) == 0 }); err != nil {
		return fmt.Errorf("telegramtest: waiting for updates to be delivered: %w", err)
	}
	return nil
}

func allowed(kind string, list []string) bool {
	if kind == "" {
		return true
	}
	if len(list) == 0 { // Telegram's default leaves these out
		return kind != "chat_member" && kind != "message_reaction" && kind != "message_reaction_count"
	}
	return slices.Contains(list, kind)
}

// confirm forgets updates below offset; a negative offset keeps only the
// last -offset updates, as Telegram does.
func (s *Server) confirm(offset int64) {
	switch {
	case offset > 0:
		i := 0
		for i < len(s.updates) && s.updates[i].id < offset {
			i++
		}
		s.updates = s.updates[i:]
	case offset < 0:
		if keep := int(-offset); keep < len(s.updates) {
			s.updates = s.updates[len(s.updates)-keep:]
		}
	}
}

// collect returns up to limit deliverable updates, dropping the ones the
// allowed_updates setting excludes.
func (s *Server) collect(limit int) [][]byte {
	var out [][]byte
	kept := s.updates[:0]
	for _, u := range s.updates {
		if !allowed(u.kind, s.allowedUpdates) {
			continue
		}
		kept = append(kept, u)
		if len(out) < limit {
			out = append(out, u.raw)
		}
	}
	s.updates = kept
	return out
}

// poller is the getUpdates request currently waiting.
type poller struct {
	stop   chan struct{}
	reason *apiError
}

// getUpdates is a real long poll: it answers at once when updates are
// pending, else waits up to timeout seconds for one to arrive. A newer
// getUpdates ends the waiting one with 409; so does setting a webhook.
func (s *Server) getUpdates(r *request, contentType string) (result, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.call = s.startCall(r.method, contentType, r.params)
	if err := s.injectedFailure(r.method); err != nil {
		return result{}, err
	}
	if s.webhook != nil {
		return result{}, errConflictHook
	}
	if r.has("allowed_updates") {
		var list []string
		if err := r.decode("allowed_updates", &list); err == nil {
			s.allowedUpdates = list
		}
	}
	s.confirm(r.int("offset"))
	limit := int(r.int("limit"))
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout := time.Duration(r.int("timeout")) * time.Second

	if s.poller != nil {
		s.poller.reason = errConflictPoll
		close(s.poller.stop)
	}
	p := &poller{stop: make(chan struct{})}
	s.poller = p
	defer func() {
		if s.poller == p {
			s.poller = nil
		}
	}()
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	for {
		if batch := s.collect(limit); len(batch) > 0 || timeout <= 0 {
			return result{json: joinArray(batch)}, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-p.stop:
		case <-expired:
			timeout = 0
		case <-r.ctx.Done():
			timeout = 0
		case <-s.done:
			timeout = 0
		}
		s.mu.Lock()
		if p.reason != nil {
			return result{}, p.reason
		}
	}
}

func joinArray(items [][]byte) []byte {
	if len(items) == 0 {
		return []byte("[]")
	}
	return append(append([]byte{'['}, bytes.Join(items, []byte{','})...), ']')
}

// webhookState is an active webhook and its delivery loop.
type webhookState struct {
	url            string
	secret         string
	maxConnections int
	allowed        []string
	lastErrorDate  int64
	lastErrorMsg   string
	ctx            context.Context
	cancel         context.CancelFunc
}

var secretTokenRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (s *Server) setWebhook(r *request) (result, *apiError) {
	raw := r.str("url")
	if raw == "" {
		return s.deleteWebhook(r)
	}
	u, err := url.Parse(raw)
	if err != nil || !webhookURLAllowed(u) {
		return result{}, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	secret := r.str("secret_token")
	if r.has("secret_token") && !secretTokenRe.MatchString(secret) {
		return result{}, badRequest("secret token contains unallowed characters")
	}
	maxConn := 40
	if r.has("max_connections") {
		maxConn = int(r.int("max_connections"))
		if maxConn < 1 || maxConn > 100 {
			return result{}, badRequest("bad webhook: max_connections must be between 1 and 100")
		}
	}
	var allowedList []string
	if r.has("allowed_updates") {
		if err := r.decode("allowed_updates", &allowedList); err != nil {
			return result{}, badRequest("can't parse allowed_updates")
		}
		s.allowedUpdates = allowedList
	}
	if r.boolean("drop_pending_updates") {
		s.updates = nil
	}
	if w := s.webhook; w != nil && w.url == raw && w.secret == secret && w.maxConnections == maxConn {
		return result{json: []byte("true"), description: "Webhook is already set"}, nil
	}
	if s.webhook != nil {
		s.webhook.cancel()
	}
	if s.poller != nil {
		s.poller.reason = errConflictHook
		close(s.poller.stop)
		s.poller = nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &webhookState{url: raw, secret: secret, maxConnections: maxConn, allowed: allowedList, ctx: ctx, cancel: cancel}
	s.webhook = w
	s.wg.Add(1)
	go s.deliverWebhook(w)
	return result{json: []byte("true"), description: "Webhook was set"}, nil
}

// webhookURLAllowed wants HTTPS like Telegram, but lets a loopback http URL
// through so tests can use httptest.NewServer.
func webhookURLAllowed(u *url.URL) bool {
	switch u.Scheme {
	case "https":
		return u.Host != ""
	case "http":
		ip := net.ParseIP(u.Hostname())
		return u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())
	}
	return false
}

func (s *Server) deleteWebhook(r *request) (result, *apiError) {
	if r.boolean("drop_pending_updates") {
		s.updates = nil
	}
	if s.webhook == nil {
		return result{json: []byte("true"), description: "Webhook is already deleted"}, nil
	}
	s.webhook.cancel()
	s.webhook = nil
	return result{json: []byte("true"), description: "Webhook was deleted"}, nil
}

type webhookInfo struct {
	URL                  string   `json:"url"`
	HasCustomCertificate bool     `json:"has_custom_certificate"`
	PendingUpdateCount   int      `json:"pending_update_count"`
	LastErrorDate        int64    `json:"last_error_date,omitempty"`
	LastErrorMessage     string   `json:"last_error_message,omitempty"`
	MaxConnections       int      `json:"max_connections,omitempty"`
	AllowedUpdates       []string `json:"allowed_updates,omitempty"`
}

func (s *Server) getWebhookInfo(*request) (result, *apiError) {
	info := webhookInfo{PendingUpdateCount: len(s.updates)}
	if w := s.webhook; w != nil {
		info.URL = w.url
		info.LastErrorDate = w.lastErrorDate
		info.LastErrorMessage = w.lastErrorMsg
		info.MaxConnections = w.maxConnections
		info.AllowedUpdates = s.allowedUpdates
	}
	return marshalResult(info)
}

// deliverWebhook POSTs pending updates with the secret header over up to max_connections
// requests at once, as Telegram's Bot API server does: one update of a queue (a chat, see
// queuedUpdate) at a time and in order, different queues in parallel. A non-2xx answer or a
// transport error is retried after WebhookRetryDelay, holding back the rest of its queue, as
// Telegram keeps retrying. It stops when the webhook is deleted or replaced, or the server
// closes, once its requests in flight have ended.
func (s *Server) deliverWebhook(w *webhookState) {
	defer s.wg.Done()
	var posts sync.WaitGroup
	defer posts.Wait()
	inFlight := map[int64]bool{}     // update ids being posted
	busy := map[int64]bool{}         // queues with an update being posted
	retryAt := map[int64]time.Time{} // queues waiting after a failed delivery
	for {
		s.mu.Lock()
		s.collect(0) // drop updates the allowed_updates setting excludes
		now := time.Now()
		var wake time.Time
		blocked := map[int64]bool{} // queues whose first pending update cannot go now
		for _, u := range s.updates {
			if len(inFlight) >= w.maxConnections {
				break
			}
			q := u.queue
			if q == 0 {
				q = -1<<62 - u.id // a queue of its own
			}
			if inFlight[u.id] || busy[q] || blocked[q] {
				blocked[q] = true
				continue
			}
			if at, ok := retryAt[q]; ok && now.Before(at) {
				blocked[q] = true
				if wake.IsZero() || at.Before(wake) {
					wake = at
				}
				continue
			}
			delete(retryAt, q)
			inFlight[u.id], busy[q] = true, true
			posts.Go(func() {
				errMsg := s.post(w, u.raw)
				s.mu.Lock()
				defer s.mu.Unlock()
				delete(inFlight, u.id)
				delete(busy, q)
				if errMsg == "" {
					// Delivered updates are near the front: find it from there.
					if i := slices.IndexFunc(s.updates, func(p queuedUpdate) bool { return p.id == u.id }); i >= 0 {
						s.updates = slices.Delete(s.updates, i, i+1)
					}
				} else {
					w.lastErrorDate = s.now().Unix()
					w.lastErrorMsg = errMsg
					retryAt[q] = time.Now().Add(s.cfg.WebhookRetryDelay)
					s.log.Info("telegramtest: webhook delivery failed", slog.String("error", errMsg))
				}
				s.notify()
			})
		}
		changed := s.changed
		s.mu.Unlock()
		var timer <-chan time.Time
		var t *time.Timer
		if !wake.IsZero() {
			t = time.NewTimer(time.Until(wake))
			timer = t.C
		}
		select {
		case <-changed:
		case <-timer:
		case <-w.ctx.Done():
		}
		if t != nil {
			t.Stop()
		}
		if w.ctx.Err() != nil {
			return
		}
	}
}

// SetWebhookTarget makes the fake deliver webhook requests to h in-process
// instead of dialling the webhook URL, so a bot can register its real public
// https:// URL and the test still receives the POSTs (same URL path, headers
// and body). nil goes back to dialling.
func (s *Server) SetWebhookTarget(h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookTarget = h
}

// post sends one update and returns "" on success or the error text
// getWebhookInfo shows.
func (s *Server) post(w *webhookState, body []byte) string {
	req, err := http.NewRequestWithContext(w.ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return "Invalid webhook URL"
	}
	req.Header.Set("Content-Type", "application/json")
	if w.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", w.secret)
	}
	s.mu.Lock()
	target := s.webhookTarget
	s.mu.Unlock()
	if target != nil {
		rec := httptest.NewRecorder()
		target.ServeHTTP(rec, req)
		if rec.Code < 200 || rec.Code > 299 {
			return "Wrong response from the webhook: " + strconv.Itoa(rec.Code) + " " + http.StatusText(rec.Code)
		}
		s.replyCall(w.ctx, rec.Header().Get("Content-Type"), rec.Body.Bytes())
		return ""
	}
	resp, err := s.webhookClient.Do(req)
	if err != nil {
		return "Connection refused"
	}
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_, _ = io.Copy(io.Discard, resp.Body) // drain so the connection is reused
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "Wrong response from the webhook: " + resp.Status
	}
	s.replyCall(w.ctx, resp.Header.Get("Content-Type"), reply)
	return ""
}

// replyCall carries out the Bot API call a webhook made in its response, as Telegram does
// ("Making requests when getting updates"): a JSON object naming the method in "method",
// with the method's parameters beside it. It is served and recorded like any call (spec
// checks included); nobody learns its outcome. A response that is not such a call is ignored.
func (s *Server) replyCall(ctx context.Context, contentType string, body []byte) {
	if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/json" || len(bytes.TrimSpace(body)) == 0 {
		return
	}
	var params map[string]json.RawMessage
	if json.Unmarshal(body, &params) != nil {
		return
	}
	var method string
	if json.Unmarshal(params["method"], &method) != nil || method == "" {
		return
	}
	delete(params, "method")
	rest, err := json.Marshal(params)
	if err != nil {
		return
	}
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/bot"+s.cfg.Token+"/"+method, bytes.NewReader(rest))
	req.Header.Set("Content-Type", "application/json")
	s.ServeHTTP(httptest.NewRecorder(), req)
}

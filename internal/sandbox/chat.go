package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// Telegram's limits on what a user can send, kept by the chat as a Telegram app keeps them.
const (
	// maxMessageRunes: a Telegram app splits a longer text into several messages of at most
	// 4096 characters (the Bot API's limit for message text).
	maxMessageRunes = 4096
	// maxCallbackData: callback_data is 1-64 bytes (Bot API, InlineKeyboardButton).
	maxCallbackData = 64
	// maxRequestBody bounds one chat request; a longer text is refused, not cut.
	maxRequestBody = 64 << 10
	// answerWait is how long a button press waits for the bot's answer: Telegram's app shows
	// its spinner for about as long before giving up.
	answerWait = 15 * time.Second
)

// Chat is the browser chat: it serves /sandbox and drives the Telegram and YooKassa stand-ins
// as the simulated users' apps would.
type Chat struct {
	tg     *telegramtest.Server
	yk     *yookassatest.Server
	logger *slog.Logger
	ctx    context.Context
	crowd  *crowd

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when the chat's own state (crowd) changes
}

// NewChat returns the chat over the stand-ins in f. ctx bounds every background action and
// every open event stream: cancel it before shutting the HTTP server down.
func NewChat(ctx context.Context, f *Fakes, logger *slog.Logger) *Chat {
	c := &Chat{tg: f.Telegram, yk: f.YooKassa, logger: logger, ctx: ctx, changed: make(chan struct{})}
	c.crowd = &crowd{chat: c}
	for _, p := range People {
		c.tg.AddUser(p.User)
	}
	return c
}

// Wait waits for the background actions (payments, the crowd) to end after ctx is cancelled.
func (c *Chat) Wait() { c.crowd.wg.Wait() }

// Handler serves the chat under /sandbox and everything else with next, each HTML page with the
// sandbox banner.
func (c *Chat) Handler(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sandbox", c.page)
	mux.HandleFunc("GET /sandbox/{$}", c.page)
	mux.HandleFunc("GET /sandbox/events", c.events)
	mux.HandleFunc("GET /sandbox/state", c.stateJSON)
	mux.HandleFunc("POST /sandbox/send", c.send)
	mux.HandleFunc("POST /sandbox/press", c.press)
	mux.HandleFunc("POST /sandbox/pay", c.pay)
	mux.HandleFunc("POST /sandbox/crowd", c.crowdJoin)
	mux.HandleFunc("GET /sandbox/checkout", c.checkoutPage)
	mux.HandleFunc("POST /sandbox/checkout", c.checkoutAction)
	mux.Handle("/", next)
	return WithBanner(mux)
}

// touch wakes the event streams after a change of the chat's own state.
func (c *Chat) touch() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *Chat) ownChanged() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// State is what the page shows: each named user's chat and the crowd's progress.
type State struct {
	People []PersonState `json:"people"`
	Crowd  CrowdState    `json:"crowd"`
	Stars  int64         `json:"bot_stars"`
}

// PersonState is one named user and their chat with the bot, oldest message first.
type PersonState struct {
	ID       int64         `json:"id"`
	Name     string        `json:"name"`
	Language string        `json:"language"`
	Admin    bool          `json:"admin"`
	Messages []ChatMessage `json:"messages"`
}

// ChatMessage is one message as the user's app shows it.
type ChatMessage struct {
	ID       int64      `json:"id"`
	FromBot  bool       `json:"from_bot"`
	Time     string     `json:"time"`
	Edited   bool       `json:"edited,omitempty"`
	Text     string     `json:"text,omitempty"`
	Service  string     `json:"service,omitempty"`
	Invoice  *Invoice   `json:"invoice,omitempty"`
	Document string     `json:"document,omitempty"`
	Buttons  [][]Button `json:"buttons,omitempty"`
}

// Invoice is an invoice message's visible part.
type Invoice struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
}

// Button is an inline button: Data for a callback button, URL for a link, Pay for an
// invoice's pay button.
type Button struct {
	Text string `json:"text"`
	Data string `json:"data,omitempty"`
	URL  string `json:"url,omitempty"`
	Pay  bool   `json:"pay,omitempty"`
}

// State returns what the page shows now.
func (c *Chat) State() State {
	st := State{Crowd: c.crowd.state(), Stars: c.tg.StarBalance()}
	for _, p := range People {
		ps := PersonState{ID: p.User.ID, Name: strings.TrimSpace(p.User.FirstName + " " + p.User.LastName),
			Language: p.User.LanguageCode, Admin: p.Admin, Messages: []ChatMessage{}}
		for _, m := range c.tg.Messages(p.User.ID) {
			ps.Messages = append(ps.Messages, c.view(m))
		}
		st.People = append(st.People, ps)
	}
	return st
}

func (c *Chat) view(m telegramtest.Message) ChatMessage {
	v := ChatMessage{ID: m.MessageID, FromBot: m.FromBot(), Time: m.Time().Format("15:04:05"), Edited: m.EditDate != 0, Text: m.Text}
	if m.Caption != "" {
		v.Text = m.Caption
	}
	if m.Document != nil {
		v.Document = m.Document.FileName
	}
	if i := m.Invoice; i != nil {
		v.Invoice = &Invoice{Title: i.Title, Description: i.Description, Amount: i.TotalAmount, Currency: i.Currency}
	}
	if p := m.SuccessfulPayment; p != nil {
		v.Service = fmt.Sprintf("payment: %d %s", p.TotalAmount, p.Currency)
	}
	if p := m.RefundedPayment; p != nil {
		v.Service = fmt.Sprintf("refund: %d %s", p.TotalAmount, p.Currency)
	}
	if m.ReplyMarkup != nil {
		for _, row := range m.ReplyMarkup.InlineKeyboard {
			var out []Button
			for _, b := range row {
				btn := Button{Text: b.Text, URL: c.localURL(b.URL), Pay: b.Pay}
				if b.CallbackData != nil {
					btn.Data = *b.CallbackData
				}
				out = append(out, btn)
			}
			v.Buttons = append(v.Buttons, out)
		}
	}
	if v.Invoice != nil && !hasPay(v.Buttons) {
		// Telegram's apps show a Pay button under an invoice that has no keyboard of its own.
		label := fmt.Sprintf("Pay %d %s", v.Invoice.Amount, v.Invoice.Currency)
		if v.Invoice.Currency == ledger.XTR {
			label = fmt.Sprintf("Pay ⭐ %d", v.Invoice.Amount)
		}
		v.Buttons = append([][]Button{{{Text: label, Pay: true}}}, v.Buttons...)
	}
	return v
}

func hasPay(rows [][]Button) bool {
	for _, r := range rows {
		for _, b := range r {
			if b.Pay {
				return true
			}
		}
	}
	return false
}

// localURL sends the YooKassa stand-in's payment page to the sandbox's own checkout page,
// which can pay, decline or be left; other links are kept.
func (c *Chat) localURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || raw == "" {
		return raw
	}
	if u.Path == yookassatest.CheckoutPath && strings.HasPrefix(c.yk.URL(), u.Scheme+"://"+u.Host) {
		return "/sandbox/checkout?orderId=" + url.QueryEscape(u.Query().Get("orderId"))
	}
	return raw
}

func (c *Chat) stateJSON(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, c.State())
}

// events streams the state as server-sent events: one "state" event at once and one after
// every change, coalesced so a burst of messages makes a few events, not hundreds.
func (c *Chat) events(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// The server's write timeout is for ordinary answers; a stream lives as long as the page.
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	var last []byte
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	for {
		tgChanged, own := c.tg.Changed(), c.ownChanged()
		body, err := json.Marshal(c.State())
		if err != nil {
			c.logger.Error("sandbox state", slog.Any("error", err))
			return
		}
		if string(body) != string(last) {
			if _, err := fmt.Fprintf(w, "event: state\ndata: %s\n\n", body); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			last = body
		}
		select {
		case <-r.Context().Done():
			return
		case <-c.ctx.Done():
			return
		case <-keepAlive.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			_ = rc.Flush()
			continue
		case <-tgChanged:
		case <-own:
		}
		// Coalesce a burst of changes into one event.
		select {
		case <-time.After(100 * time.Millisecond):
		case <-r.Context().Done():
			return
		case <-c.ctx.Done():
			return
		}
	}
}

// request is the body of every chat action.
type request struct {
	User      int64  `json:"user"`
	Text      string `json:"text"`
	MessageID int64  `json:"message_id"`
	Data      string `json:"data"`
	N         int    `json:"n"`
	DrawID    int64  `json:"draw_id"`
}

// actionError is a refused action: the page shows Message to the person.
type actionError struct {
	Status  int
	Message string
}

func (e *actionError) Error() string { return e.Message }

func refuse(status int, format string, args ...any) error {
	return &actionError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// action decodes a request, runs fn and writes its answer as JSON: {"ok":true,...} or
// {"error":"..."} with a 4xx status for bad input.
func (c *Chat) action(w http.ResponseWriter, r *http.Request, fn func(request) (map[string]any, error)) {
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	var req request
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("request over %d bytes", maxRequestBody)})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad request: " + err.Error()})
		return
	}
	out, err := fn(req)
	var ae *actionError
	switch {
	case errors.As(err, &ae):
		writeJSON(w, ae.Status, map[string]string{"error": ae.Message})
	case err != nil:
		c.logger.Warn("sandbox action", slog.String("path", r.URL.Path), slog.Any("error", err))
		writeJSON(w, http.StatusBadGateway, map[string]string{"error": err.Error()})
	default:
		if out == nil {
			out = map[string]any{}
		}
		out["ok"] = true
		writeJSON(w, http.StatusOK, out)
	}
}

func (c *Chat) user(id int64) (telegramtest.User, error) {
	p, ok := person(id)
	if !ok {
		return telegramtest.User{}, refuse(http.StatusNotFound, "no sandbox user %d", id)
	}
	return p.User, nil
}

// send is the user typing a message. Like a Telegram app it sends nothing for blank text and
// splits a text over 4096 characters into several messages.
func (c *Chat) send(w http.ResponseWriter, r *http.Request) {
	c.action(w, r, func(req request) (map[string]any, error) {
		u, err := c.user(req.User)
		if err != nil {
			return nil, err
		}
		if !utf8.ValidString(req.Text) {
			return nil, refuse(http.StatusBadRequest, "text is not valid UTF-8")
		}
		if strings.TrimSpace(req.Text) == "" {
			return nil, refuse(http.StatusBadRequest, "empty message: Telegram sends nothing")
		}
		parts := splitText(req.Text, maxMessageRunes)
		for _, p := range parts {
			c.tg.SendText(u, p)
		}
		return map[string]any{"messages": len(parts)}, nil
	})
}

// splitText cuts s into pieces of at most n runes.
func splitText(s string, n int) []string {
	var out []string
	for utf8.RuneCountInString(s) > n {
		i, count := 0, 0
		for i < len(s) && count < n {
			_, size := utf8.DecodeRuneInString(s[i:])
			i += size
			count++
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return append(out, s)
}

func (c *Chat) message(u telegramtest.User, id int64) (telegramtest.Message, error) {
	for _, m := range c.tg.Messages(u.ID) {
		if m.MessageID == id {
			return m, nil
		}
	}
	return telegramtest.Message{}, refuse(http.StatusNotFound, "message %d is not in %s's chat", id, u.FirstName)
}

// press is the user pressing an inline button. Data that no button under the message carries
// (an edited page, a replayed request) still reaches the bot, as from a modified client: the
// bot must answer it as untrusted input. The bot's answer (a toast or an alert) is returned.
func (c *Chat) press(w http.ResponseWriter, r *http.Request) {
	c.action(w, r, func(req request) (map[string]any, error) {
		u, err := c.user(req.User)
		if err != nil {
			return nil, err
		}
		if n := len(req.Data); n < 1 || n > maxCallbackData {
			return nil, refuse(http.StatusBadRequest, "button data must be 1-%d bytes, as in Telegram (got %d)", maxCallbackData, n)
		}
		m, err := c.message(u, req.MessageID)
		if err != nil {
			return nil, err
		}
		var id string
		if _, ok := m.Button(req.Data); ok {
			id, err = c.tg.PressButton(u, m, req.Data)
		} else {
			id, err = c.tg.PressForgedButton(u, m, req.Data)
		}
		if err != nil {
			return nil, refuse(http.StatusBadRequest, "%v", err)
		}
		ctx, cancel := context.WithTimeout(c.ctx, answerWait)
		defer cancel()
		a, err := c.tg.WaitForCallbackAnswer(ctx, id)
		if err != nil {
			return map[string]any{"answered": false}, nil
		}
		return map[string]any{"answered": true, "answer": a.Text, "alert": a.ShowAlert, "url": a.URL}, nil
	})
}

// pay is the user pressing Pay under a Stars invoice and confirming: Telegram sends the bot a
// pre_checkout_query and, if the bot accepts within 10 seconds, charges the user and sends
// successful_payment. A declined payment returns the bot's error_message, as the app shows it.
func (c *Chat) pay(w http.ResponseWriter, r *http.Request) {
	c.action(w, r, func(req request) (map[string]any, error) {
		u, err := c.user(req.User)
		if err != nil {
			return nil, err
		}
		m, err := c.message(u, req.MessageID)
		if err != nil {
			return nil, err
		}
		if m.Invoice == nil {
			return nil, refuse(http.StatusBadRequest, "message %d is not an invoice", m.MessageID)
		}
		ctx, cancel := waitCtx(c.ctx)
		defer cancel()
		charge, err := c.tg.PayInvoice(ctx, u, m)
		if de, ok := errors.AsType[*telegramtest.DeclinedError](err); ok {
			return nil, refuse(http.StatusConflict, "%s", de.Message)
		}
		if errors.Is(err, telegramtest.ErrPreCheckoutTimeout) {
			return nil, refuse(http.StatusGatewayTimeout, "the bot did not confirm the payment in time; nothing was charged")
		}
		if err != nil {
			return nil, err
		}
		return map[string]any{"charge_id": charge}, nil
	})
}

func (c *Chat) crowdJoin(w http.ResponseWriter, r *http.Request) {
	c.action(w, r, func(req request) (map[string]any, error) {
		if req.N < 1 || req.N > maxCrowd {
			return nil, refuse(http.StatusBadRequest, "a crowd is 1 to %d users", maxCrowd)
		}
		if req.DrawID < 1 {
			return nil, refuse(http.StatusBadRequest, "choose the draw the crowd joins (its number)")
		}
		if err := c.crowd.start(req.N, req.DrawID); err != nil {
			return nil, err
		}
		return nil, nil
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// waitMessage waits until the chat with u has a bot message newer than after that ok accepts.
func (c *Chat) waitMessage(ctx context.Context, u telegramtest.User, after int64, ok func(telegramtest.Message) bool) (telegramtest.Message, error) {
	for {
		ch := c.tg.Changed()
		for _, m := range c.tg.Messages(u.ID) {
			if m.MessageID > after && m.FromBot() && ok(m) {
				return m, nil
			}
		}
		select {
		case <-ctx.Done():
			return telegramtest.Message{}, fmt.Errorf("sandbox: waiting for the bot's message to %d: %w", u.ID, ctx.Err())
		case <-ch:
		}
	}
}

func lastID(msgs []telegramtest.Message) int64 {
	if len(msgs) == 0 {
		return 0
	}
	return msgs[len(msgs)-1].MessageID
}

// formatID is a draw id as the bot writes it in button data.
func formatID(id int64) string { return strconv.FormatInt(id, 10) }

package telegramtest

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
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest/internal/botspec"
)

// Token is a bot token in the format Telegram issues (and telego insists on:
// digits, a colon, 35 characters of [A-Za-z0-9_-]). The fake accepts it by
// default.
const Token = "7000000001:AAFakeTokenForFairdrawTestsOnly_012"

// BotID is the bot's user id, the digits before the colon of [Token].
const BotID int64 = 7000000001

// Defaults written down in one place.
const (
	// DefaultPreCheckoutTimeout is Telegram's limit: "The Bot API must
	// receive an answer within 10 seconds after the pre-checkout query was
	// sent."
	DefaultPreCheckoutTimeout = 10 * time.Second
	// DefaultWebhookRetryDelay is the pause before the fake re-sends an
	// update a webhook did not accept.
	DefaultWebhookRetryDelay = time.Second
	defaultBotUsername       = "fairdraw_test_bot"
	firstUpdateID            = 100000001
	maxMultipartMemory       = 32 << 20
)

// Errors returned by the user simulation.
var (
	// ErrServerClosed is returned by waits that were cut short by Close.
	ErrServerClosed = errors.New("telegramtest: server closed")
	// ErrPreCheckoutTimeout means the bot did not answer the
	// pre_checkout_query in time, so the payment failed.
	ErrPreCheckoutTimeout = errors.New("telegramtest: pre-checkout query was not answered in time")
	// ErrMessageNotFound means the message is not in the user's chat.
	ErrMessageNotFound = errors.New("telegramtest: message not found in the chat")
	// ErrNoSuchButton means the message has no inline button with that
	// callback data, so a real user could not press it.
	ErrNoSuchButton = errors.New("telegramtest: message has no such button")
	// ErrNotInvoice means the message is not an invoice.
	ErrNotInvoice = errors.New("telegramtest: message is not an invoice")
)

// DeclinedError is returned by [Server.PayInvoice] when the bot answered
// the pre-checkout query with ok=false. Message is the error_message the
// user was shown.
type DeclinedError struct{ Message string }

func (e *DeclinedError) Error() string { return "telegramtest: payment declined: " + e.Message }

// Config tunes a [Server]. The zero value is a Telegram with real limits off.
type Config struct {
	// Token the fake accepts; default [Token].
	Token string
	// BotUsername returned by getMe; default "fairdraw_test_bot".
	BotUsername string
	// Now is the clock for message dates, star transaction dates, the
	// pre-checkout deadline and the rate limiter windows; default time.Now.
	// See [Clock] for a manual one.
	Now func() time.Time
	// PreCheckoutTimeout is how long the fake waits for
	// answerPreCheckoutQuery; default [DefaultPreCheckoutTimeout]. An answer
	// is late if Now has moved past the deadline when it arrives, or if this
	// much real time has passed.
	PreCheckoutTimeout time.Duration
	// GlobalRate is the most messages per second the bot may send across all
	// chats (Telegram: about 30); 0 means no limit.
	GlobalRate int
	// PerChatRate is the most messages per second to one chat (Telegram: 1);
	// 0 means no limit.
	PerChatRate int
	// WebhookRetryDelay is the pause between webhook delivery attempts;
	// default [DefaultWebhookRetryDelay].
	WebhookRetryDelay time.Duration
	// Logger receives the fake's own diagnostics; default discards.
	Logger *slog.Logger
}

// Server is a fake Bot API server. It is safe for concurrent use. Create it
// with [NewServer]; it is closed when the test ends.
type Server struct {
	cfg           Config
	spec          *botspec.Spec
	handlers      map[string]handler // lower-case method name -> handler
	http          *httptest.Server
	log           *slog.Logger
	webhookClient *http.Client
	done          chan struct{}
	checkWake     chan struct{} // a pendingCheck was queued
	wg            sync.WaitGroup

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced on every state change
	closed     bool
	calls      []*Call
	violations []Violation
	failures   map[string][]int
	tooMany    int
	limiter    limiter
	seq        int64

	users        map[int64]*userState
	chats        map[int64]*chatState
	callbacks    map[string]*callbackState
	preCheckouts map[string]*preCheckout
	payments     map[string]*Payment
	transactions []StarTransaction
	balance      int64
	gifts        []Gift
	sentGifts    []SentGift
	files        map[string]*Document
	commands     map[string][]BotCommand
	menuButtons  map[int64]MenuButton // by chat; 0 is the default button

	updates        []queuedUpdate
	unchecked      []pendingCheck
	answerWaits    []time.Duration // see PreCheckoutAnswerTimes
	nextUpdateID   int64
	allowedUpdates []string
	poller         *poller
	webhook        *webhookState
	webhookTarget  http.Handler
}

type userState struct {
	user        User
	blocked     bool
	deactivated bool
}

type chatState struct {
	messages []*Message
	nextID   int64
}

type callbackState struct {
	answered bool
	answer   CallbackAnswer
}

// NewServer starts a fake Bot API server and registers its Close with
// tb.Cleanup.
func NewServer(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	s, err := newServer(cfg)
	if err != nil {
		tb.Fatalf("telegramtest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a fake Bot API server outside a test (the sandbox runs one
// for as long as it serves). Close stops it.
func Start(cfg Config) (*Server, error) { return newServer(cfg) }

// Changed returns a channel that is closed at the next change of the fake's
// state (a message sent, edited or received, a payment, an answer): a
// watcher reads what it needs, then waits on a fresh Changed.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

func newServer(cfg Config) (*Server, error) {
	if cfg.Token == "" {
		cfg.Token = Token
	}
	if cfg.BotUsername == "" {
		cfg.BotUsername = defaultBotUsername
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PreCheckoutTimeout <= 0 {
		cfg.PreCheckoutTimeout = DefaultPreCheckoutTimeout
	}
	if cfg.WebhookRetryDelay <= 0 {
		cfg.WebhookRetryDelay = DefaultWebhookRetryDelay
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	spec, err := loadSpec()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:           cfg,
		spec:          spec,
		log:           log,
		webhookClient: webhookClient(),
		done:          make(chan struct{}),
		checkWake:     make(chan struct{}, 1),
		changed:       make(chan struct{}),
		failures:      make(map[string][]int),
		limiter:       newLimiter(cfg.GlobalRate, cfg.PerChatRate),
		users:         make(map[int64]*userState),
		chats:         make(map[int64]*chatState),
		callbacks:     make(map[string]*callbackState),
		preCheckouts:  make(map[string]*preCheckout),
		payments:      make(map[string]*Payment),
		files:         make(map[string]*Document),
		commands:      make(map[string][]BotCommand),
		menuButtons:   make(map[int64]MenuButton),
		nextUpdateID:  firstUpdateID,
	}
	s.handlers = s.methodHandlers()
	for name := range s.handlers {
		if _, ok := s.specMethod(name); !ok {
			return nil, fmt.Errorf("handler %q has no method in the embedded spec", name)
		}
	}
	s.wg.Add(1)
	go s.runChecks()
	s.http = httptest.NewServer(s)
	return s, nil
}

// URL is the API server URL to give the client (telego.WithAPIServer).
func (s *Server) URL() string { return s.http.URL }

// Client is an HTTP client for the server whose idle connections are closed
// with it.
func (s *Server) Client() *http.Client { return s.http.Client() }

// Token is the token the server accepts.
func (s *Server) Token() string { return s.cfg.Token }

// Close stops long polls (they return no updates), webhook delivery, pending
// payments (ErrServerClosed) and the HTTP server. It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	if s.webhook != nil {
		s.webhook.cancel()
	}
	s.notify()
	s.mu.Unlock()
	s.wg.Wait()
	s.http.Close()
	s.webhookClient.CloseIdleConnections()
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// notify wakes every waiter; call with mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor blocks until cond (called with mu held) is true.
func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		if cond() {
			s.mu.Unlock()
			return nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return ErrServerClosed
		}
	}
}

func (s *Server) nextSeq() int64 {
	s.seq++
	return s.seq
}

// apiError is a failed Bot API answer.
type apiError struct {
	code        int
	description string
	retryAfter  int
}

func badRequest(description string) *apiError {
	return &apiError{code: http.StatusBadRequest, description: "Bad Request: " + description}
}

var (
	errUnauthorized   = &apiError{code: http.StatusUnauthorized, description: "Unauthorized"}
	errNotFound       = &apiError{code: http.StatusNotFound, description: "Not Found"}
	errMethodNotFound = &apiError{code: http.StatusNotFound, description: "Not Found: method not found"}
	errBlocked        = &apiError{code: http.StatusForbidden, description: "Forbidden: bot was blocked by the user"}
	errDeactivated    = &apiError{code: http.StatusForbidden, description: "Forbidden: user is deactivated"}
	errChatNotFound   = badRequest("chat not found")
	errQueryInvalid   = badRequest("query is too old and response timeout expired or query ID is invalid")
	errConflictPoll   = &apiError{code: http.StatusConflict, description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
	errConflictHook   = &apiError{code: http.StatusConflict, description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
)

func tooManyRequests(retryAfter int) *apiError {
	return &apiError{
		code:        http.StatusTooManyRequests,
		description: "Too Many Requests: retry after " + strconv.Itoa(retryAfter),
		retryAfter:  retryAfter,
	}
}

// errorBody keeps Telegram's key order: ok, error_code, description,
// parameters.
type errorBody struct {
	OK          bool            `json:"ok"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *errorParameter `json:"parameters,omitempty"`
}

type errorParameter struct {
	RetryAfter int `json:"retry_after"`
}

func (e *apiError) body() []byte {
	b := errorBody{ErrorCode: e.code, Description: e.description}
	if e.retryAfter > 0 {
		b.Parameters = &errorParameter{RetryAfter: e.retryAfter}
	}
	data, _ := json.Marshal(b) // plain struct: cannot fail
	return data
}

// result is a successful answer: the JSON of the result and the optional
// description Telegram adds to some answers ("Webhook was set").
type result struct {
	json        []byte
	description string
}

func (r result) body() []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"ok":true,"result":`)
	buf.Write(r.json)
	if r.description != "" {
		buf.WriteString(`,"description":`)
		d, _ := json.Marshal(r.description) // a string: cannot fail
		buf.Write(d)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// request is a parsed, spec-checked Bot API call.
type request struct {
	ctx    context.Context
	method string
	params map[string]any
	files  map[string]*multipart.FileHeader
	call   *Call
}

func (r *request) has(name string) bool { _, ok := r.params[name]; return ok }

func (r *request) str(name string) string { s, _ := r.params[name].(string); return s }

func (r *request) boolean(name string) bool { b, _ := r.params[name].(bool); return b }

func (r *request) int(name string) int64 {
	n, _ := r.params[name].(json.Number)
	i, _ := strconv.ParseInt(string(n), 10, 64)
	return i
}

// decode converts one parameter into v.
func (r *request) decode(name string, v any) error {
	data, err := json.Marshal(r.params[name])
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

type handler func(r *request) (result, *apiError)

// ServeHTTP implements the Bot API: /bot<token>/<method>.
func (s *Server) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	token, method, ok := splitPath(hr.URL.Path)
	if !ok {
		writeError(w, errNotFound)
		return
	}
	contentType, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type"))
	params, files, parseErr := s.parseParams(hr, contentType)
	if hr.MultipartForm != nil {
		defer hr.MultipartForm.RemoveAll() // large uploads spill to temp files
	}

	name, known := s.canonicalMethod(method)
	if !known {
		name = method
	}
	var checked map[string]any
	if known && parseErr == nil {
		// The spec is read-only: checked outside mu.
		checked, parseErr = s.checkParams(name, params, files)
	}
	s.mu.Lock()
	if token != s.cfg.Token {
		call := s.startCall(name, contentType, nil)
		s.finish(w, call, errUnauthorized, result{})
		return
	}
	if !known {
		call := s.startCall(name, contentType, nil)
		s.violate(name, "method not found")
		s.finish(w, call, errMethodNotFound, result{})
		return
	}
	req := &request{ctx: hr.Context(), method: name, files: files, params: checked}
	if name == "getUpdates" && parseErr == nil {
		// The long poll records its call when it becomes the active poller.
		s.mu.Unlock()
		res, apiErr := s.getUpdates(req, contentType)
		s.mu.Lock()
		s.finish(w, req.call, apiErr, res)
		return
	}
	req.call = s.startCall(name, contentType, req.params)
	if parseErr != nil {
		s.violate(name, parseErr.Error())
		s.finish(w, req.call, badRequest(parseErr.Error()), result{})
		return
	}
	if apiErr := s.injectedFailure(name); apiErr != nil {
		s.finish(w, req.call, apiErr, result{})
		return
	}
	res, apiErr := s.handlers[strings.ToLower(name)](req)
	if apiErr == nil {
		s.checkResult(name, res.json)
	}
	s.finish(w, req.call, apiErr, res)
}

// finish records the outcome of call, releases mu and writes the answer.
func (s *Server) finish(w http.ResponseWriter, call *Call, apiErr *apiError, res result) {
	var body []byte
	status := http.StatusOK
	if apiErr != nil {
		status, body = apiErr.code, apiErr.body()
		if apiErr.code == http.StatusTooManyRequests {
			s.tooMany++
		}
	} else {
		body = res.body()
	}
	if apiErr != nil && apiErr.code == http.StatusBadGateway {
		body = []byte(badGatewayPage)
	}
	if call != nil {
		call.Status = status
		call.Response = body
	}
	s.notify()
	s.mu.Unlock()
	if apiErr != nil && apiErr.code == http.StatusBadGateway {
		w.Header().Set("Content-Type", "text/html")
	} else {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body) // the client went away: nothing to do
}

// badGatewayPage is what Telegram's front end serves when the Bot API server
// behind it is down.
const badGatewayPage = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.code)
	_, _ = w.Write(e.body())
}

func splitPath(path string) (token, method string, ok bool) {
	rest, ok := strings.CutPrefix(path, "/bot")
	if !ok {
		return "", "", false
	}
	token, method, ok = strings.Cut(rest, "/")
	if !ok || token == "" || method == "" || strings.Contains(method, "/") {
		return "", "", false
	}
	return token, method, true
}

// canonicalMethod finds a method the way Telegram does: case-insensitively.
func (s *Server) canonicalMethod(method string) (string, bool) {
	m, ok := s.specMethod(method)
	if _, served := s.handlers[strings.ToLower(method)]; !ok || !served {
		return "", false
	}
	return m.Name, true
}

func (s *Server) specMethod(method string) (*botspec.Method, bool) {
	if m, ok := s.spec.Methods[method]; ok {
		return m, true
	}
	for name, m := range s.spec.Methods {
		if strings.EqualFold(name, method) {
			return m, true
		}
	}
	return nil, false
}

// formValue is a parameter that arrived as a string (query, urlencoded or
// multipart form), to be converted following the spec; values from a JSON
// body are kept as decoded.
type formValue string

// parseParams reads the parameters from the query string and the body in any
// encoding Telegram accepts.
func (s *Server) parseParams(hr *http.Request, contentType string) (map[string]any, map[string]*multipart.FileHeader, error) {
	params := make(map[string]any)
	for k, v := range hr.URL.Query() {
		params[k] = formValue(v[0])
	}
	switch contentType {
	case "application/json":
		body, err := io.ReadAll(hr.Body)
		if err != nil {
			return nil, nil, fmt.Errorf("can't read request body: %w", err)
		}
		body = bytes.TrimSpace(body)
		if len(body) == 0 || string(body) == "null" {
			return params, nil, nil
		}
		v, err := botspec.Decode(body)
		if err != nil {
			return nil, nil, fmt.Errorf("can't parse JSON object: %w", err)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, nil, errors.New("can't parse JSON object: request body must be an object")
		}
		for k, v := range obj {
			if v != nil { // Telegram treats null as absent
				params[k] = v
			}
		}
		return params, nil, nil
	case "application/x-www-form-urlencoded":
		if err := hr.ParseForm(); err != nil {
			return nil, nil, fmt.Errorf("can't parse form: %w", err)
		}
		for k, v := range hr.PostForm {
			params[k] = formValue(v[0])
		}
		return params, nil, nil
	case "multipart/form-data":
		if err := hr.ParseMultipartForm(maxMultipartMemory); err != nil {
			return nil, nil, fmt.Errorf("can't parse multipart form: %w", err)
		}
		for k, v := range hr.MultipartForm.Value {
			params[k] = formValue(v[0])
		}
		files := make(map[string]*multipart.FileHeader, len(hr.MultipartForm.File))
		for k, v := range hr.MultipartForm.File {
			files[k] = v[0]
		}
		return params, files, nil
	case "":
		return params, nil, nil
	}
	return nil, nil, fmt.Errorf("unsupported Content-Type %q", contentType)
}

// checkParams checks params against the method in the spec and returns them
// as JSON values. Problems are spec violations.
func (s *Server) checkParams(method string, params map[string]any, files map[string]*multipart.FileHeader) (map[string]any, error) {
	m, _ := s.specMethod(method)
	out := make(map[string]any, len(params))
	for _, f := range m.Fields {
		raw, present := params[f.Name]
		if !present && files[f.Name] != nil && slices.Contains(f.Types, "InputFile") {
			out[f.Name] = "attach://" + f.Name
			continue
		}
		if !present {
			if f.Required {
				return nil, missingParam(method, f.Name)
			}
			continue
		}
		var v any
		switch x := raw.(type) {
		case formValue:
			conv, err := s.spec.FromForm(f.Name, f.Types, string(x))
			if err != nil {
				return nil, err
			}
			v = conv
		case string:
			// Objects and arrays may come JSON-serialized inside JSON too.
			v = x
			if structured(f.Types) && !slices.Contains(f.Types, "String") {
				conv, err := s.spec.FromForm(f.Name, f.Types, x)
				if err != nil {
					return nil, err
				}
				v = conv
			}
		default:
			v = x
		}
		if err := s.spec.Check(f.Name, f.Types, v); err != nil {
			return nil, err
		}
		if name, ok := strings.CutPrefix(asString(v), "attach://"); ok && files[name] == nil {
			return nil, fmt.Errorf("%s: file part %q is missing", f.Name, name)
		}
		out[f.Name] = v
	}
	var unknown []string
	for k := range params {
		if m.Field(k) == nil {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("unknown parameter %q", unknown[0])
	}
	return out, nil
}

// structured reports whether a parameter takes an object or an array, which
// Telegram also accepts JSON-serialized in a string.
func structured(types []string) bool {
	for _, t := range types {
		switch t {
		case "Integer", "String", "Boolean", "Float", "True", "InputFile":
		default:
			return true
		}
	}
	return false
}

func asString(v any) string { s, _ := v.(string); return s }

// missingParam words a missing required parameter the way the real server
// does where its wording is known.
func missingParam(method, name string) error {
	switch {
	case name == "chat_id":
		return errors.New("chat_id is empty")
	case name == "text" && method == "sendMessage":
		return errors.New("message text is empty")
	}
	return fmt.Errorf("parameter %q is required", name)
}

// startCall records a call; call with mu held.
func (s *Server) startCall(method, contentType string, params map[string]any) *Call {
	c := &Call{At: s.now(), Method: method, ContentType: contentType, Params: make(map[string]json.RawMessage, len(params))}
	for k, v := range params {
		data, err := json.Marshal(v)
		if err != nil {
			continue // values come from JSON decoding: always encodable
		}
		c.Params[k] = data
	}
	s.calls = append(s.calls, c)
	s.notify()
	return c
}

func (s *Server) violate(method, problem string) {
	s.violations = append(s.violations, Violation{Method: method, Problem: problem})
	s.log.Warn("telegramtest: spec violation", slog.String("method", method), slog.String("problem", problem))
}

// checkResult checks an answer against the method's declared result types; call with mu
// held. Like checkObject, the check itself runs outside mu (see pendingCheck).
func (s *Server) checkResult(method string, data []byte) {
	m, _ := s.specMethod(method)
	s.deferCheck(pendingCheck{who: method, path: "result", types: m.Returns, data: data, problem: "fake answered outside the spec: "})
}

// checkObject checks an emitted object (an update) against a spec type; call with mu held.
func (s *Server) checkObject(what, typ string, data []byte) {
	s.deferCheck(pendingCheck{who: what, path: what, types: []string{typ}, data: data, problem: "fake emitted an object outside the spec: "})
}

// pendingCheck is a spec check of what the fake itself produced (an answer, an update). It
// is queued under mu and run outside it, by a goroutine of the fake's own and by Violations
// before it answers: decoding and walking the spec under the one lock every call takes would
// make the fake, not the bot, the slowest part of a burst of thousands of calls.
type pendingCheck struct {
	who, path, problem string
	types              []string
	data               []byte
}

// deferCheck queues c; call with mu held.
func (s *Server) deferCheck(c pendingCheck) {
	s.unchecked = append(s.unchecked, c)
	select {
	case s.checkWake <- struct{}{}:
	default:
	}
}

// runChecks runs queued checks until the server closes.
func (s *Server) runChecks() {
	defer s.wg.Done()
	for {
		select {
		case <-s.checkWake:
			s.drainChecks()
		case <-s.done:
			return
		}
	}
}

// drainChecks runs the checks queued so far and records their violations.
func (s *Server) drainChecks() {
	s.mu.Lock()
	checks := s.unchecked
	s.unchecked = nil
	s.mu.Unlock()
	type found struct{ who, problem string }
	var problems []found
	for _, c := range checks {
		v, err := botspec.Decode(c.data)
		if err == nil {
			err = s.spec.Check(c.path, c.types, v)
		}
		if err != nil {
			problems = append(problems, found{c.who, c.problem + err.Error()})
		}
	}
	if len(problems) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range problems {
		s.violate(p.who, p.problem)
	}
}

func marshalResult(v any) (result, *apiError) {
	data, err := json.Marshal(v)
	if err != nil {
		return result{}, &apiError{code: http.StatusInternalServerError, description: "Internal Server Error: " + err.Error()}
	}
	return result{json: data}, nil
}

var resultTrue = result{json: []byte("true")}

// FailNext makes the next n calls of method fail with the given HTTP status,
// after the spec check. The body is what Telegram sends for that status:
// 429 carries retry_after 1, 403 is "bot was blocked by the user", 409 is the
// getUpdates conflict, 502 is the front end's HTML page, 5xx otherwise is
// "Internal Server Error".
func (s *Server) FailNext(method string, n int, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	name, ok := s.canonicalMethod(method)
	if !ok {
		name = method
	}
	for range n {
		s.failures[name] = append(s.failures[name], status)
	}
}

func (s *Server) injectedFailure(method string) *apiError {
	q := s.failures[method]
	if len(q) == 0 {
		return nil
	}
	status := q[0]
	s.failures[method] = q[1:]
	switch status {
	case http.StatusTooManyRequests:
		return tooManyRequests(1)
	case http.StatusForbidden:
		return errBlocked
	case http.StatusConflict:
		return errConflictPoll
	case http.StatusUnauthorized:
		return errUnauthorized
	case http.StatusNotFound:
		return errNotFound
	case http.StatusBadRequest:
		return badRequest("injected failure")
	}
	if status >= 500 {
		return &apiError{code: status, description: "Internal Server Error"}
	}
	return &apiError{code: status, description: http.StatusText(status)}
}

// Calls returns the calls of method received so far, oldest first; method ""
// returns every call. A call appears as soon as the fake starts on it (a long
// poll: once it is the active poller); Status and Response are set when it
// has been answered.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callsLocked(method)
}

func (s *Server) callsLocked(method string) []Call {
	var out []Call
	for _, c := range s.calls {
		if method == "" || strings.EqualFold(c.Method, method) {
			cp := *c
			cp.Params = make(map[string]json.RawMessage, len(c.Params))
			for k, v := range c.Params {
				cp.Params[k] = v
			}
			out = append(out, cp)
		}
	}
	return out
}

// WaitForCalls waits until at least n calls of method have arrived and
// returns them all.
func (s *Server) WaitForCalls(ctx context.Context, method string, n int) ([]Call, error) {
	var out []Call
	err := s.waitFor(ctx, func() bool {
		out = s.callsLocked(method)
		return len(out) >= n
	})
	if err != nil {
		return nil, fmt.Errorf("telegramtest: waiting for %d %s calls (have %d): %w", n, method, len(out), err)
	}
	return out, nil
}

// Violations returns every request (and emitted object) that broke the Bot
// API spec. A healthy test ends with none.
func (s *Server) Violations() []Violation {
	s.drainChecks()
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

// TooManyRequests counts the 429 answers sent so far.
func (s *Server) TooManyRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tooMany
}

// SetRateLimits changes the limits of [Config.GlobalRate] and
// [Config.PerChatRate]; 0 turns one off.
func (s *Server) SetRateLimits(global, perChat int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limiter.global, s.limiter.perChat = global, perChat
}

// webhookClient keeps up to max_connections' limit of connections to the webhook open, as
// Telegram holds its connections to a bot's webhook, instead of net/http's default of two
// idle connections per host, which would dial again for most deliveries of a burst.
func webhookClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost = 100, 100
	return &http.Client{Timeout: 30 * time.Second, Transport: tr}
}

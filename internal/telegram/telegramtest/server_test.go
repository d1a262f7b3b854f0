package telegramtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest/internal/botspec"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var alice = telegramtest.User{ID: 1111111, FirstName: "Alice", Username: "alice", LanguageCode: "ru"}

// post sends a raw request and returns the status and body.
func post(t testing.TB, srv *telegramtest.Server, path, contentType string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp.StatusCode, string(data)
}

func method(name string) string { return "/bot" + telegramtest.Token + "/" + name }

func postJSON(t testing.TB, srv *telegramtest.Server, name, body string) (int, string) {
	t.Helper()
	return post(t, srv, method(name), "application/json", []byte(body))
}

func multipartBody(t *testing.T, fields map[string]string, fileField, fileName string, content []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatalf("write field: %v", err)
		}
	}
	if fileField != "" {
		fw, err := w.CreateFormFile(fileField, fileName)
		if err != nil {
			t.Fatalf("create file: %v", err)
		}
		if _, err := fw.Write(content); err != nil {
			t.Fatalf("write file: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close multipart: %v", err)
	}
	return w.FormDataContentType(), buf.Bytes()
}

func TestErrorBodiesAreTelegrams(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(*telegramtest.Server)
		path       string
		body       string
		wantStatus int
		wantBody   string
	}{
		{
			name:       "wrong token",
			path:       "/bot1:" + strings.Repeat("x", 35) + "/getMe",
			wantStatus: 401,
			wantBody:   `{"ok":false,"error_code":401,"description":"Unauthorized"}`,
		},
		{
			name:       "unknown method",
			path:       method("sendPrize"),
			wantStatus: 404,
			wantBody:   `{"ok":false,"error_code":404,"description":"Not Found: method not found"}`,
		},
		{
			name:       "not a bot path",
			path:       "/favicon.ico",
			wantStatus: 404,
			wantBody:   `{"ok":false,"error_code":404,"description":"Not Found"}`,
		},
		{
			name:       "flood control",
			setup:      func(s *telegramtest.Server) { s.FailNext("sendMessage", 1, 429) },
			path:       method("sendMessage"),
			body:       `{"chat_id":1111111,"text":"hi"}`,
			wantStatus: 429,
			wantBody:   `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`,
		},
		{
			name:       "blocked by the user",
			setup:      func(s *telegramtest.Server) { s.BlockUser(alice) },
			path:       method("sendMessage"),
			body:       `{"chat_id":1111111,"text":"hi"}`,
			wantStatus: 403,
			wantBody:   `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`,
		},
		{
			name:       "deactivated user",
			setup:      func(s *telegramtest.Server) { s.DeactivateUser(alice) },
			path:       method("sendMessage"),
			body:       `{"chat_id":1111111,"text":"hi"}`,
			wantStatus: 403,
			wantBody:   `{"ok":false,"error_code":403,"description":"Forbidden: user is deactivated"}`,
		},
		{
			name:       "unknown chat",
			path:       method("sendMessage"),
			body:       `{"chat_id":5,"text":"hi"}`,
			wantStatus: 400,
			wantBody:   `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`,
		},
		{
			name:       "empty text",
			setup:      func(s *telegramtest.Server) { s.AddUser(alice) },
			path:       method("sendMessage"),
			body:       `{"chat_id":1111111,"text":""}`,
			wantStatus: 400,
			wantBody:   `{"ok":false,"error_code":400,"description":"Bad Request: message text is empty"}`,
		},
		{
			name:       "unknown callback query",
			path:       method("answerCallbackQuery"),
			body:       `{"callback_query_id":"1"}`,
			wantStatus: 400,
			wantBody:   `{"ok":false,"error_code":400,"description":"Bad Request: query is too old and response timeout expired or query ID is invalid"}`,
		},
		{
			name:       "server outage",
			setup:      func(s *telegramtest.Server) { s.FailNext("getMe", 1, 500) },
			path:       method("getMe"),
			wantStatus: 500,
			wantBody:   `{"ok":false,"error_code":500,"description":"Internal Server Error"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, telegramtest.Config{})
			if tc.setup != nil {
				tc.setup(srv)
			}
			status, body := post(t, srv, tc.path, "application/json", []byte(tc.body))
			if status != tc.wantStatus || body != tc.wantBody {
				t.Fatalf("got %d %s\nwant %d %s", status, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

func TestSpecViolationsAreRejectedAndRecorded(t *testing.T) {
	const invoice = `"chat_id":1111111,"title":"Entry","description":"Draw #1","payload":"draw:1","currency":"XTR"`
	tests := []struct {
		name        string
		method      string
		contentType string
		body        []byte
		wantBody    string
		wantProblem string
	}{
		{
			name:        "missing required parameter",
			method:      "sendMessage",
			contentType: "application/json",
			body:        []byte(`{"text":"hi"}`),
			wantBody:    `{"ok":false,"error_code":400,"description":"Bad Request: chat_id is empty"}`,
			wantProblem: "sendMessage: chat_id is empty",
		},
		{
			name:        "missing required parameter named by the spec",
			method:      "refundStarPayment",
			contentType: "application/json",
			body:        []byte(`{"user_id":1111111}`),
			wantBody:    `{"ok":false,"error_code":400,"description":"Bad Request: parameter \"telegram_payment_charge_id\" is required"}`,
			wantProblem: `refundStarPayment: parameter "telegram_payment_charge_id" is required`,
		},
		{
			name:        "string where an Integer belongs",
			method:      "refundStarPayment",
			contentType: "application/json",
			body:        []byte(`{"user_id":"1111111","telegram_payment_charge_id":"x"}`),
			wantBody:    `{"ok":false,"error_code":400,"description":"Bad Request: user_id: must be Integer, got String"}`,
			wantProblem: "refundStarPayment: user_id: must be Integer, got String",
		},
		{
			name:        "object where Integer or String belongs",
			method:      "sendMessage",
			contentType: "application/json",
			body:        []byte(`{"chat_id":{"id":1},"text":"hi"}`),
			wantBody:    `{"ok":false,"error_code":400,"description":"Bad Request: chat_id: must be Integer or String, got Object"}`,
			wantProblem: "sendMessage: chat_id: must be Integer or String, got Object",
		},
		{
			name:        "wrong type inside LabeledPrice",
			method:      "sendInvoice",
			contentType: "application/json",
			body:        []byte(`{` + invoice + `,"prices":[{"label":"Entry","amount":"50"}]}`),
			wantBody:    `{"ok":false,"error_code":400,"description":"Bad Request: prices[0].amount: must be Integer, got String"}`,
			wantProblem: "sendInvoice: prices[0].amount: must be Integer, got String",
		},
		{
			name:        "missing field of LabeledPrice",
			method:      "sendInvoice",
			contentType: "application/json",
			body:        []byte(`{` + invoice + `,"prices":[{"amount":50}]}`),
			wantBody:    `{"ok":false,"error_code":400,"description":"Bad Request: prices[0].label: is required in LabeledPrice"}`,
			wantProblem: "sendInvoice: prices[0].label: is required in LabeledPrice",
		},
		{
			name:        "unknown field in an inline button",
			method:      "sendMessage",
			contentType: "application/json",
			body:        []byte(`{"chat_id":1111111,"text":"hi","reply_markup":{"inline_keyboard":[[{"text":"Join","callback":"join"}]]}}`),
			wantBody:    `{"ok":false,"error_code":400,"description":"Bad Request: reply_markup.inline_keyboard[0][0].callback: is not a field of InlineKeyboardButton"}`,
			wantProblem: "sendMessage: reply_markup.inline_keyboard[0][0].callback: is not a field of InlineKeyboardButton",
		},
		{
			name:        "unknown parameter",
			method:      "sendMessage",
			contentType: "application/json",
			body:        []byte(`{"chat_id":1111111,"text":"hi","parse_mod":"HTML"}`),
			wantBody:    `{"ok":false,"error_code":400,"description":"Bad Request: unknown parameter \"parse_mod\""}`,
			wantProblem: `sendMessage: unknown parameter "parse_mod"`,
		},
		{
			name:        "form value that is not an Integer",
			method:      "getStarTransactions",
			contentType: "application/x-www-form-urlencoded",
			body:        []byte(url.Values{"limit": {"ten"}}.Encode()),
			wantBody:    `{"ok":false,"error_code":400,"description":"Bad Request: limit: must be Integer, got \"ten\""}`,
			wantProblem: `getStarTransactions: limit: must be Integer, got "ten"`,
		},
		{
			name:        "malformed JSON body",
			method:      "getMe",
			contentType: "application/json",
			body:        []byte(`{"x":`),
			wantBody:    `{"ok":false,"error_code":400,"description":"Bad Request: can't parse JSON object: unexpected EOF"}`,
			wantProblem: "getMe: can't parse JSON object: unexpected EOF",
		},
		{
			name:        "unknown method",
			method:      "sendPrize",
			contentType: "application/json",
			body:        []byte(`{}`),
			wantBody:    `{"ok":false,"error_code":404,"description":"Not Found: method not found"}`,
			wantProblem: "sendPrize: method not found",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, telegramtest.Config{})
			srv.AddUser(alice)
			_, body := post(t, srv, method(tc.method), tc.contentType, tc.body)
			if body != tc.wantBody {
				t.Fatalf("body = %s\nwant %s", body, tc.wantBody)
			}
			vs := srv.Violations()
			if len(vs) != 1 || !strings.HasPrefix(vs[0].String(), tc.wantProblem) {
				t.Fatalf("violations = %v, want one starting with %q", vs, tc.wantProblem)
			}
		})
	}
}

func TestValidRequestsInEveryEncoding(t *testing.T) {
	keyboard := `{"inline_keyboard":[[{"text":"Join","callback_data":"join:1"}],[{"text":"Rules","url":"https://example.org/rules"}]]}`
	mpType, mpBody := multipartBody(t, map[string]string{"chat_id": "1111111", "caption": "export", "reply_markup": keyboard},
		"document", "entries.csv", []byte("code,user\nA1,1111111\n"))
	tests := []struct {
		name        string
		path        string
		contentType string
		body        []byte
	}{
		{"JSON body", method("sendMessage"), "application/json", []byte(`{"chat_id":1111111,"text":"hi","reply_markup":` + keyboard + `}`)},
		{"JSON body with JSON-serialized markup", method("sendMessage"), "application/json", []byte(`{"chat_id":"1111111","text":"hi","reply_markup":` + mustQuote(t, keyboard) + `}`)},
		{"urlencoded form", method("sendMessage"), "application/x-www-form-urlencoded", []byte(url.Values{"chat_id": {"1111111"}, "text": {"hi"}, "disable_notification": {"true"}, "reply_markup": {keyboard}}.Encode())},
		{"query string", method("sendMessage") + "?chat_id=1111111&text=hi", "", nil},
		{"multipart upload", method("sendDocument"), mpType, mpBody},
		{"method name in any case", method("SENDMESSAGE"), "application/json", []byte(`{"chat_id":1111111,"text":"hi"}`)},
		{"no parameters as null", method("getMe"), "application/json", []byte(`null`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, telegramtest.Config{})
			srv.AddUser(alice)
			status, body := post(t, srv, tc.path, tc.contentType, tc.body)
			if status != http.StatusOK {
				t.Fatalf("status %d: %s", status, body)
			}
			if vs := srv.Violations(); len(vs) != 0 {
				t.Fatalf("violations: %v", vs)
			}
		})
	}
}

func mustQuote(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("quote: %v", err)
	}
	return string(b)
}

func TestSendDocumentKeepsTheUpload(t *testing.T) {
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	srv.AddUser(alice)
	content := []byte("code,user\nA1,1111111\n")
	ct, body := multipartBody(t, map[string]string{"chat_id": "1111111"}, "document", "entries.csv", content)
	if status, resp := post(t, srv, method("sendDocument"), ct, body); status != 200 {
		t.Fatalf("sendDocument: %d %s", status, resp)
	}
	msgs := srv.Messages(alice.ID)
	if len(msgs) != 1 || msgs[0].Document == nil {
		t.Fatalf("messages = %+v", msgs)
	}
	doc := msgs[0].Document
	if diff := cmp.Diff(content, doc.Data); diff != "" {
		t.Fatalf("uploaded bytes (-want +got):\n%s", diff)
	}
	if doc.FileName != "entries.csv" || doc.MimeType != "text/csv" || doc.FileSize != int64(len(content)) {
		t.Fatalf("document = %+v", doc)
	}
	// The file_id can be sent again.
	if status, resp := postJSON(t, srv, "sendDocument", `{"chat_id":1111111,"document":"`+doc.FileID+`"}`); status != 200 {
		t.Fatalf("resend by file_id: %d %s", status, resp)
	}
	calls := srv.Calls("sendDocument")
	if got := string(calls[0].Params["document"]); got != `"attach://document"` {
		t.Fatalf("recorded document param = %s", got)
	}
	if got := string(calls[0].Params["chat_id"]); got != "1111111" {
		t.Fatalf("form chat_id recorded as %s, want the Integer", got)
	}
}

func TestRateLimits(t *testing.T) {
	start := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	bob := telegramtest.User{ID: 2222222, FirstName: "Bob"}
	carol := telegramtest.User{ID: 3333333, FirstName: "Carol"}
	send := func(srv *telegramtest.Server, chat int64) (int, string) {
		return postJSON(t, srv, "sendMessage", `{"chat_id":`+itoa(chat)+`,"text":"news"}`)
	}
	t.Run("per chat", func(t *testing.T) {
		clock := telegramtest.NewClock(start)
		srv := telegramtest.NewServer(t, telegramtest.Config{Now: clock.Now, PerChatRate: 1})
		srv.AddUser(alice)
		srv.AddUser(bob)
		if status, body := send(srv, alice.ID); status != 200 {
			t.Fatalf("first send: %d %s", status, body)
		}
		if status, body := send(srv, bob.ID); status != 200 {
			t.Fatalf("another chat is not limited: %d %s", status, body)
		}
		status, body := send(srv, alice.ID)
		want := `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}`
		if status != 429 || body != want {
			t.Fatalf("second send in the same second: %d %s", status, body)
		}
		clock.Advance(time.Second)
		if status, body := send(srv, alice.ID); status != 200 {
			t.Fatalf("after a second: %d %s", status, body)
		}
		if got := srv.TooManyRequests(); got != 1 {
			t.Fatalf("TooManyRequests = %d, want 1", got)
		}
	})
	t.Run("global", func(t *testing.T) {
		clock := telegramtest.NewClock(start)
		srv := telegramtest.NewServer(t, telegramtest.Config{Now: clock.Now, GlobalRate: 2})
		for _, u := range []telegramtest.User{alice, bob, carol} {
			srv.AddUser(u)
		}
		send(srv, alice.ID)
		clock.Advance(400 * time.Millisecond)
		send(srv, bob.ID)
		if status, _ := send(srv, carol.ID); status != 429 {
			t.Fatalf("third send within a second: status %d, want 429", status)
		}
		clock.Advance(600 * time.Millisecond) // the first send left the window
		if status, body := send(srv, carol.ID); status != 200 {
			t.Fatalf("after the window moved: %d %s", status, body)
		}
		srv.SetRateLimits(0, 0)
		for range 5 {
			if status, body := send(srv, carol.ID); status != 200 {
				t.Fatalf("limits off: %d %s", status, body)
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestGetUpdatesConflicts(t *testing.T) {
	t.Run("a second poller ends the first", func(t *testing.T) {
		srv := telegramtest.NewServer(t, telegramtest.Config{})
		var wg sync.WaitGroup
		var status int
		var body string
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, body = postJSON(t, srv, "getUpdates", `{"timeout":30}`)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, err := srv.WaitForCalls(ctx, "getUpdates", 1); err != nil {
			t.Fatalf("%v", err)
		}
		if st, b := postJSON(t, srv, "getUpdates", `{"timeout":0}`); st != 200 || b != `{"ok":true,"result":[]}` {
			t.Fatalf("second poller: %d %s", st, b)
		}
		wg.Wait()
		want := `{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}`
		if status != 409 || body != want {
			t.Fatalf("first poller: %d %s", status, body)
		}
	})
	t.Run("webhook active", func(t *testing.T) {
		srv := telegramtest.NewServer(t, telegramtest.Config{})
		hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		defer hook.Close()
		if st, b := postJSON(t, srv, "setWebhook", `{"url":"`+hook.URL+`"}`); st != 200 || b != `{"ok":true,"result":true,"description":"Webhook was set"}` {
			t.Fatalf("setWebhook: %d %s", st, b)
		}
		want := `{"ok":false,"error_code":409,"description":"Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}`
		if st, b := postJSON(t, srv, "getUpdates", `{}`); st != 409 || b != want {
			t.Fatalf("getUpdates: %d %s", st, b)
		}
		if st, b := postJSON(t, srv, "deleteWebhook", `{}`); st != 200 || b != `{"ok":true,"result":true,"description":"Webhook was deleted"}` {
			t.Fatalf("deleteWebhook: %d %s", st, b)
		}
		if st, b := postJSON(t, srv, "getUpdates", `{}`); st != 200 {
			t.Fatalf("getUpdates after deleteWebhook: %d %s", st, b)
		}
	})
}

func TestGetUpdatesTimeoutIsHonoured(t *testing.T) {
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	// Nothing arrives: the poll ends by its own timeout with no updates.
	if st, b := postJSON(t, srv, "getUpdates", `{"timeout":1}`); st != 200 || b != `{"ok":true,"result":[]}` {
		t.Fatalf("empty poll: %d %s", st, b)
	}
	// An update that arrives while the poll waits ends it at once.
	done := make(chan string, 1)
	go func() {
		_, b := postJSON(t, srv, "getUpdates", `{"timeout":50}`)
		done <- b
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := srv.WaitForCalls(ctx, "getUpdates", 2); err != nil {
		t.Fatalf("%v", err)
	}
	srv.SendText(alice, "/start")
	select {
	case b := <-done:
		if !strings.Contains(b, `"text":"/start"`) {
			t.Fatalf("poll answered %s", b)
		}
	case <-ctx.Done():
		t.Fatalf("the long poll did not return when the update arrived")
	}
}

func TestDeliverRawIsSentVerbatim(t *testing.T) {
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	id := srv.DeliverRaw([]byte(`{"update_id":100000001,"message":{"broken":`))
	_, body := postJSON(t, srv, "getUpdates", `{}`)
	if want := `{"ok":true,"result":[{"update_id":100000001,"message":{"broken":]}`; body != want {
		t.Fatalf("body = %s\nwant %s", body, want)
	}
	postJSON(t, srv, "getUpdates", `{"offset":`+itoa(id+1)+`}`)
	if n := srv.PendingUpdates(); n != 0 {
		t.Fatalf("pending after confirming = %d", n)
	}
}

func TestUpdateChecksTheShape(t *testing.T) {
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	if _, err := srv.Update("edited_message", map[string]any{"message_id": 1, "date": 1, "chat": map[string]any{"id": 1, "type": "private"}}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if vs := srv.Violations(); len(vs) != 0 {
		t.Fatalf("a valid update was flagged: %v", vs)
	}
	if _, err := srv.Update("message", map[string]any{"message_id": "1"}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if vs := srv.Violations(); len(vs) != 1 || vs[0].Method != "update" {
		t.Fatalf("violations = %v, want one for the bad update", vs)
	}
}

func TestWebhookRetriesUntilAccepted(t *testing.T) {
	type delivery struct {
		secret string
		body   string
	}
	deliveries := make(chan delivery, 10)
	var mu sync.Mutex
	fails := 2
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		deliveries <- delivery{secret: r.Header.Get("X-Telegram-Bot-Api-Secret-Token"), body: string(body)}
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer hook.Close()
	srv := telegramtest.NewServer(t, telegramtest.Config{WebhookRetryDelay: time.Millisecond})
	if st, b := postJSON(t, srv, "setWebhook", `{"url":"`+hook.URL+`/tg","secret_token":"s3cr3t_-"}`); st != 200 {
		t.Fatalf("setWebhook: %d %s", st, b)
	}
	srv.SendText(alice, "/start")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.WaitUntilDelivered(ctx); err != nil {
		t.Fatalf("%v", err)
	}
	var got []delivery
	for range 3 {
		got = append(got, <-deliveries)
	}
	for _, d := range got {
		if d.secret != "s3cr3t_-" || !strings.Contains(d.body, `"text":"/start"`) || d.body != got[0].body {
			t.Fatalf("delivery = %+v", d)
		}
	}
	if len(deliveries) != 0 {
		t.Fatalf("an accepted update was delivered again")
	}
	_, info := postJSON(t, srv, "getWebhookInfo", `{}`)
	if !strings.Contains(info, `"last_error_message":"Wrong response from the webhook: 500 Internal Server Error"`) ||
		!strings.Contains(info, `"pending_update_count":0`) {
		t.Fatalf("getWebhookInfo = %s", info)
	}
	if vs := srv.Violations(); len(vs) != 0 {
		t.Fatalf("violations: %v", vs)
	}
}

// TestWebhookParallelAcrossChats: updates of different chats are POSTed at once, up to
// max_connections, while a chat's own updates go one at a time and in order, as Telegram's
// Bot API server delivers them.
func TestWebhookParallelAcrossChats(t *testing.T) {
	const chats, perChat, maxConn = 6, 3, 4
	var mu sync.Mutex
	inFlight, most := 0, 0
	chatBusy := map[string]bool{}
	got := map[string][]string{}
	full := make(chan struct{}) // closed once maxConn requests are in flight together
	var fullOnce sync.Once
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u struct {
			Message struct {
				Text string
				Chat struct{ ID int64 }
			}
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &u); err != nil {
			t.Errorf("update %s: %v", body, err)
			return
		}
		chat := strconv.FormatInt(u.Message.Chat.ID, 10)
		mu.Lock()
		if chatBusy[chat] {
			t.Errorf("chat %s got a second update while one was in flight", chat)
		}
		chatBusy[chat] = true
		inFlight++
		most = max(most, inFlight)
		got[chat] = append(got[chat], u.Message.Text)
		if inFlight == maxConn {
			fullOnce.Do(func() { close(full) })
		}
		mu.Unlock()
		// The first requests wait until maxConn are in flight: delivery one at a time would
		// never get there.
		select {
		case <-full:
		case <-time.After(10 * time.Second):
			t.Errorf("never %d requests in flight at once", maxConn)
		}
		mu.Lock()
		chatBusy[chat] = false
		inFlight--
		mu.Unlock()
	}))
	defer hook.Close()
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	if st, b := postJSON(t, srv, "setWebhook", `{"url":"`+hook.URL+`/tg","max_connections":`+strconv.Itoa(maxConn)+`}`); st != 200 {
		t.Fatalf("setWebhook: %d %s", st, b)
	}
	for i := range perChat {
		for c := range chats {
			u := telegramtest.User{ID: int64(7000 + c), FirstName: "U" + strconv.Itoa(c)}
			srv.SendText(u, "msg "+strconv.Itoa(i))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.WaitUntilDelivered(ctx); err != nil {
		t.Fatalf("%v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if most != maxConn {
		t.Fatalf("at most %d requests in flight, want max_connections = %d", most, maxConn)
	}
	for c := range chats {
		chat := strconv.Itoa(7000 + c)
		if want := []string{"msg 0", "msg 1", "msg 2"}; !slices.Equal(got[chat], want) {
			t.Fatalf("chat %s got %v, want %v", chat, got[chat], want)
		}
	}
}

func TestSetWebhookRefusesPlainHTTPOutsideLoopback(t *testing.T) {
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	want := `{"ok":false,"error_code":400,"description":"Bad Request: bad webhook: An HTTPS URL must be provided for webhook"}`
	if st, b := postJSON(t, srv, "setWebhook", `{"url":"http://example.org/hook"}`); st != 400 || b != want {
		t.Fatalf("setWebhook: %d %s", st, b)
	}
}

func TestCloseEndsLongPolls(t *testing.T) {
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	done := make(chan string, 1)
	go func() {
		_, b := postJSON(t, srv, "getUpdates", `{"timeout":50}`)
		done <- b
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := srv.WaitForCalls(ctx, "getUpdates", 1); err != nil {
		t.Fatalf("%v", err)
	}
	srv.Close()
	if b := <-done; b != `{"ok":true,"result":[]}` {
		t.Fatalf("poll answered %s", b)
	}
}

// TestSpecExtractIsFresh regenerates the embedded extract from the full spec
// when the shared folder is present (a clone without it skips).
func TestSpecExtractIsFresh(t *testing.T) {
	full, err := os.ReadFile("../../../../shared/vectors/telegram/botapi-10.1.json")
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("shared/vectors/telegram/botapi-10.1.json is not here")
	}
	if err != nil {
		t.Fatalf("read full spec: %v", err)
	}
	want, err := botspec.Generate(full)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	got, err := os.ReadFile("testdata/botapi-10.1.min.json")
	if err != nil {
		t.Fatalf("read extract: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("testdata/botapi-10.1.min.json is stale: run go generate ./internal/telegram/telegramtest")
	}
}

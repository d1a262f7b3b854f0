package telegramtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

func TestSendInvoiceFollowsTheStarsRules(t *testing.T) {
	const head = `"chat_id":1111111,"title":"Entry","description":"Draw #42 entry","currency":"XTR"`
	tests := []struct {
		name     string
		body     string
		wantBody string
	}{
		{"valid", `{` + head + `,"payload":"draw:42","prices":[{"label":"Entry","amount":50}]}`, ""},
		{"valid with empty provider token", `{` + head + `,"payload":"draw:42","provider_token":"","prices":[{"label":"Entry","amount":50}]}`, ""},
		{"two prices", `{` + head + `,"payload":"draw:42","prices":[{"label":"Entry","amount":50},{"label":"Fee","amount":1}]}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: STARS_INVOICE_INVALID"}`},
		{"provider token", `{` + head + `,"payload":"draw:42","provider_token":"381764678:TEST:1","prices":[{"label":"Entry","amount":50}]}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: STARS_INVOICE_INVALID"}`},
		{"tips", `{` + head + `,"payload":"draw:42","max_tip_amount":10,"prices":[{"label":"Entry","amount":50}]}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: STARS_INVOICE_INVALID"}`},
		{"payload over 128 bytes", `{` + head + `,"payload":"` + strings.Repeat("я", 65) + `","prices":[{"label":"Entry","amount":50}]}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: INVOICE_PAYLOAD_INVALID"}`},
		{"empty payload", `{` + head + `,"payload":"","prices":[{"label":"Entry","amount":50}]}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: INVOICE_PAYLOAD_INVALID"}`},
		{"zero amount", `{` + head + `,"payload":"draw:42","prices":[{"label":"Entry","amount":0}]}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID"}`},
		{"first button is not Pay", `{` + head + `,"payload":"draw:42","prices":[{"label":"Entry","amount":50}],"reply_markup":{"inline_keyboard":[[{"text":"Back","callback_data":"back"}]]}}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: first button in the inline keyboard must be a Pay button"}`},
		{"rubles", `{"chat_id":1111111,"title":"Entry","description":"Draw","currency":"RUB","payload":"draw:42","prices":[{"label":"Entry","amount":5000}]}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: PAYMENT_PROVIDER_INVALID"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, telegramtest.Config{})
			srv.AddUser(alice)
			status, body := postJSON(t, srv, "sendInvoice", tc.body)
			if tc.wantBody == "" {
				if status != 200 || !strings.Contains(body, `"invoice":{"title":"Entry","description":"Draw #42 entry","start_parameter":"","currency":"XTR","total_amount":50}`) {
					t.Fatalf("%d %s", status, body)
				}
			} else if body != tc.wantBody {
				t.Fatalf("body = %s\nwant %s", body, tc.wantBody)
			}
			if vs := srv.Violations(); len(vs) != 0 {
				t.Fatalf("violations: %v", vs)
			}
		})
	}
}

// rawBot plays the bot side over raw HTTP.
type rawBot struct {
	t      *testing.T
	srv    *telegramtest.Server
	offset int64
}

type rawUpdate struct {
	UpdateID         int64 `json:"update_id"`
	PreCheckoutQuery *struct {
		ID string `json:"id"`
	} `json:"pre_checkout_query"`
	Message *struct {
		SuccessfulPayment *telegramtest.SuccessfulPayment `json:"successful_payment"`
	} `json:"message"`
}

func (b *rawBot) poll() []rawUpdate {
	b.t.Helper()
	_, body := postJSON(b.t, b.srv, "getUpdates", `{"offset":`+strconv.FormatInt(b.offset, 10)+`,"timeout":5}`)
	var resp struct {
		Result []rawUpdate `json:"result"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		b.t.Fatalf("getUpdates: %v: %s", err, body)
	}
	for _, u := range resp.Result {
		b.offset = u.UpdateID + 1
	}
	return resp.Result
}

// invoice sends an invoice to u and returns it as the user sees it.
func (b *rawBot) invoice(u telegramtest.User, amount int) telegramtest.Message {
	b.t.Helper()
	status, body := postJSON(b.t, b.srv, "sendInvoice", `{"chat_id":`+strconv.FormatInt(u.ID, 10)+
		`,"title":"Entry","description":"Draw #42 entry","payload":"draw:42","currency":"XTR","prices":[{"label":"Entry","amount":`+strconv.Itoa(amount)+`}]}`)
	if status != 200 {
		b.t.Fatalf("sendInvoice: %s", body)
	}
	msgs := b.srv.Messages(u.ID)
	return msgs[len(msgs)-1]
}

// payAndAccept completes a payment with ok=true and returns the charge id.
func (b *rawBot) payAndAccept(ctx context.Context, u telegramtest.User, invoice telegramtest.Message) string {
	b.t.Helper()
	type res struct {
		id  string
		err error
	}
	done := make(chan res, 1)
	go func() {
		id, err := b.srv.PayInvoice(ctx, u, invoice)
		done <- res{id, err}
	}()
	var queryID string
	for queryID == "" {
		for _, up := range b.poll() {
			if up.PreCheckoutQuery != nil {
				queryID = up.PreCheckoutQuery.ID
			}
		}
	}
	if st, body := postJSON(b.t, b.srv, "answerPreCheckoutQuery", `{"pre_checkout_query_id":"`+queryID+`","ok":true}`); st != 200 {
		b.t.Fatalf("answerPreCheckoutQuery: %s", body)
	}
	r := <-done
	if r.err != nil {
		b.t.Fatalf("PayInvoice: %v", r.err)
	}
	return r.id
}

func TestRefunds(t *testing.T) {
	bob := telegramtest.User{ID: 2222222, FirstName: "Bob"}
	carol := telegramtest.User{ID: 3333333, FirstName: "Carol"}
	refund := func(srv *telegramtest.Server, user int64, charge string) string {
		_, body := postJSON(t, srv, "refundStarPayment", `{"user_id":`+strconv.FormatInt(user, 10)+`,"telegram_payment_charge_id":"`+charge+`"}`)
		return body
	}
	tests := []struct {
		name        string
		act         func(srv *telegramtest.Server, charge string) string
		wantBody    string
		wantBalance int64
	}{
		{"by the payer", func(srv *telegramtest.Server, c string) string { return refund(srv, alice.ID, c) },
			`{"ok":true,"result":true}`, 50},
		{"twice", func(srv *telegramtest.Server, c string) string {
			refund(srv, alice.ID, c)
			return refund(srv, alice.ID, c)
		},
			`{"ok":false,"error_code":400,"description":"Bad Request: CHARGE_ALREADY_REFUNDED"}`, 50},
		{"unknown charge", func(srv *telegramtest.Server, _ string) string { return refund(srv, alice.ID, "stxNoSuchCharge") },
			`{"ok":false,"error_code":400,"description":"Bad Request: CHARGE_NOT_FOUND"}`, 100},
		{"to a user who did not pay", func(srv *telegramtest.Server, c string) string { return refund(srv, bob.ID, c) },
			`{"ok":false,"error_code":400,"description":"Bad Request: CHARGE_NOT_FOUND"}`, 100},
		{"to a user the bot never met", func(srv *telegramtest.Server, c string) string { return refund(srv, carol.ID, c) },
			`{"ok":false,"error_code":400,"description":"Bad Request: user not found"}`, 100},
		{"beyond the balance", func(srv *telegramtest.Server, c string) string {
			if err := srv.Withdraw(60); err != nil {
				t.Fatalf("withdraw: %v", err)
			}
			return refund(srv, alice.ID, c)
		}, `{"ok":false,"error_code":400,"description":"Bad Request: BALANCE_TOO_LOW"}`, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, telegramtest.Config{})
			srv.AddUser(bob)
			b := &rawBot{t: t, srv: srv}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			srv.AddUser(alice)
			charge := b.payAndAccept(ctx, alice, b.invoice(alice, 50))
			b.payAndAccept(ctx, bob, b.invoice(bob, 50))
			if body := tc.act(srv, charge); body != tc.wantBody {
				t.Fatalf("body = %s\nwant %s", body, tc.wantBody)
			}
			if got := srv.StarBalance(); got != tc.wantBalance {
				t.Fatalf("balance = %d, want %d", got, tc.wantBalance)
			}
			if vs := srv.Violations(); len(vs) != 0 {
				t.Fatalf("violations: %v", vs)
			}
		})
	}
}

// TestStarTransactionsCarryDates pays at different times so a 21-day
// maturity can be computed from the answer.
func TestStarTransactionsCarryDates(t *testing.T) {
	start := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	clock := telegramtest.NewClock(start)
	srv := telegramtest.NewServer(t, telegramtest.Config{Now: clock.Now})
	b := &rawBot{t: t, srv: srv}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.AddUser(alice)
	first := b.payAndAccept(ctx, alice, b.invoice(alice, 50))
	clock.Advance(20 * 24 * time.Hour)
	second := b.payAndAccept(ctx, alice, b.invoice(alice, 70))
	clock.Advance(2 * 24 * time.Hour)
	if st, body := postJSON(t, srv, "refundStarPayment", `{"user_id":1111111,"telegram_payment_charge_id":"`+second+`"}`); st != 200 {
		t.Fatalf("refund: %s", body)
	}
	_, body := postJSON(t, srv, "getStarTransactions", `{"offset":0,"limit":100}`)
	var resp struct {
		Result struct {
			Transactions []telegramtest.StarTransaction `json:"transactions"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatalf("decode: %v", err)
	}
	payer := &alice
	want := []telegramtest.StarTransaction{
		{ID: first, Amount: 50, Date: start.Unix(), Source: &telegramtest.TransactionPartner{Type: "user", TransactionType: "invoice_payment", User: payer, InvoicePayload: "draw:42"}},
		{ID: second, Amount: 70, Date: start.Add(20 * 24 * time.Hour).Unix(), Source: &telegramtest.TransactionPartner{Type: "user", TransactionType: "invoice_payment", User: payer, InvoicePayload: "draw:42"}},
		{ID: second, Amount: 70, Date: start.Add(22 * 24 * time.Hour).Unix(), Receiver: &telegramtest.TransactionPartner{Type: "user", TransactionType: "invoice_payment", User: payer, InvoicePayload: "draw:42"}},
	}
	if diff := cmp.Diff(want, resp.Result.Transactions); diff != "" {
		t.Fatalf("transactions (-want +got):\n%s", diff)
	}
	matureBefore := clock.Now().Add(-21 * 24 * time.Hour).Unix()
	if !(want[0].Date <= matureBefore && want[1].Date > matureBefore) {
		t.Fatalf("dates do not straddle the 21-day line")
	}
	if _, page := postJSON(t, srv, "getStarTransactions", `{"offset":2,"limit":5}`); !strings.Contains(page, `"receiver"`) || strings.Contains(page, `"source"`) {
		t.Fatalf("page from offset 2 = %s", page)
	}
	if _, bal := postJSON(t, srv, "getMyStarBalance", `{}`); bal != `{"ok":true,"result":{"amount":50}}` {
		t.Fatalf("balance = %s", bal)
	}
	if vs := srv.Violations(); len(vs) != 0 {
		t.Fatalf("violations: %v", vs)
	}
}

func TestButtonsAndEdits(t *testing.T) {
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	srv.AddUser(alice)
	kb := `{"inline_keyboard":[[{"text":"Join","callback_data":"join:42"}]]}`
	if st, body := postJSON(t, srv, "sendMessage", `{"chat_id":1111111,"text":"Draw #42","reply_markup":`+kb+`}`); st != 200 {
		t.Fatalf("sendMessage: %s", body)
	}
	menu := srv.Messages(alice.ID)[0]
	if _, err := srv.PressButton(alice, menu, "leave:42"); !errors.Is(err, telegramtest.ErrNoSuchButton) {
		t.Fatalf("pressing a button that is not there: %v", err)
	}
	id, err := srv.PressButton(alice, menu, "join:42")
	if err != nil {
		t.Fatalf("PressButton: %v", err)
	}
	answer := `{"callback_query_id":"` + id + `","text":"Done"}`
	if st, body := postJSON(t, srv, "answerCallbackQuery", answer); st != 200 {
		t.Fatalf("answer: %s", body)
	}
	if _, body := postJSON(t, srv, "answerCallbackQuery", answer); body != `{"ok":false,"error_code":400,"description":"Bad Request: query is too old and response timeout expired or query ID is invalid"}` {
		t.Fatalf("second answer: %s", body)
	}
	edit := `{"chat_id":1111111,"message_id":` + strconv.FormatInt(menu.MessageID, 10) + `,"text":"Draw #42","reply_markup":` + kb + `}`
	want := `{"ok":false,"error_code":400,"description":"Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"}`
	if _, body := postJSON(t, srv, "editMessageText", edit); body != want {
		t.Fatalf("same edit: %s", body)
	}
	// Editing the text without reply_markup removes the buttons: the user
	// can no longer press them.
	if st, body := postJSON(t, srv, "editMessageText", `{"chat_id":1111111,"message_id":1,"text":"Draw #42 is closed"}`); st != 200 {
		t.Fatalf("edit: %s", body)
	}
	if _, err := srv.PressButton(alice, menu, "join:42"); !errors.Is(err, telegramtest.ErrNoSuchButton) {
		t.Fatalf("pressing a removed button: %v", err)
	}
	if _, body := postJSON(t, srv, "editMessageText", `{"chat_id":1111111,"message_id":99,"text":"x"}`); body != `{"ok":false,"error_code":400,"description":"Bad Request: message to edit not found"}` {
		t.Fatalf("missing message: %s", body)
	}
	user := srv.SendText(alice, "hello")
	if _, body := postJSON(t, srv, "editMessageText", `{"chat_id":1111111,"message_id":`+strconv.FormatInt(user.MessageID, 10)+`,"text":"x"}`); body != `{"ok":false,"error_code":400,"description":"Bad Request: message can't be edited"}` {
		t.Fatalf("user's message: %s", body)
	}
	if _, body := postJSON(t, srv, "sendMessage", `{"chat_id":1111111,"text":"x","reply_markup":{"inline_keyboard":[[{"text":"Join","callback_data":"`+strings.Repeat("x", 65)+`"}]]}}`); body != `{"ok":false,"error_code":400,"description":"Bad Request: BUTTON_DATA_INVALID"}` {
		t.Fatalf("long callback data: %s", body)
	}
	if vs := srv.Violations(); len(vs) != 0 {
		t.Fatalf("violations: %v", vs)
	}
}

func TestBlockingSendsMyChatMember(t *testing.T) {
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	srv.AddUser(alice)
	srv.BlockUser(alice)
	srv.SendText(alice, "/start") // Restart unblocks
	_, body := postJSON(t, srv, "getUpdates", `{}`)
	for _, want := range []string{
		`"my_chat_member":{"chat":{"id":1111111,"type":"private","username":"alice","first_name":"Alice"},"from":{"id":1111111,"is_bot":false,"first_name":"Alice","username":"alice","language_code":"ru"}`,
		`"old_chat_member":{"status":"member","user":{"id":7000000001,"is_bot":true,"first_name":"FairDraw","username":"fairdraw_test_bot"}},"new_chat_member":{"status":"kicked","user":{"id":7000000001,"is_bot":true,"first_name":"FairDraw","username":"fairdraw_test_bot"},"until_date":0}`,
		`"old_chat_member":{"status":"kicked"`,
		`"text":"/start"`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("updates lack %s:\n%s", want, body)
		}
	}
	if st, b := postJSON(t, srv, "sendMessage", `{"chat_id":1111111,"text":"welcome back"}`); st != 200 {
		t.Fatalf("after restart: %s", b)
	}
	if vs := srv.Violations(); len(vs) != 0 {
		t.Fatalf("violations: %v", vs)
	}
}

// TestWebhookTarget lets the bot register a public https URL while the test
// receives the POSTs in-process.
func TestWebhookTarget(t *testing.T) {
	type got struct{ path, secret, body string }
	received := make(chan got, 4)
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	srv.SetWebhookTarget(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		received <- got{r.URL.Path, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"), string(body)}
	}))
	if st, b := postJSON(t, srv, "setWebhook", `{"url":"https://fairdraw.example/webhooks/telegram","secret_token":"abc"}`); st != 200 {
		t.Fatalf("setWebhook: %s", b)
	}
	srv.SendText(alice, "/rules")
	g := <-received
	if g.path != "/webhooks/telegram" || g.secret != "abc" || !strings.Contains(g.body, `"text":"/rules"`) {
		t.Fatalf("delivery = %+v", g)
	}
}

// TestWebhookReplyCall: a call made in a webhook's response is carried out, as Telegram does;
// a response that is not a call is ignored.
func TestWebhookReplyCall(t *testing.T) {
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	var n atomic.Int32
	srv.SetWebhookTarget(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if n.Add(1) == 1 {
			_, _ = io.WriteString(w, `{"method":"sendMessage","chat_id":1111111,"text":"answered in the reply"}`)
			return
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	if st, b := postJSON(t, srv, "setWebhook", `{"url":"https://fairdraw.example/webhooks/telegram"}`); st != 200 {
		t.Fatalf("setWebhook: %s", b)
	}
	srv.SendText(alice, "/rules")
	srv.SendText(alice, "/help")
	calls, err := srv.WaitForCalls(t.Context(), "sendMessage", 1)
	if err != nil {
		t.Fatal(err)
	}
	for n.Load() < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	if len(calls) != 1 || calls[0].Status != 200 || len(srv.Calls("sendMessage")) != 1 {
		t.Fatalf("reply calls: %+v", srv.Calls("sendMessage"))
	}
	if vs := srv.Violations(); len(vs) != 0 {
		t.Fatalf("violations: %v", vs)
	}
}

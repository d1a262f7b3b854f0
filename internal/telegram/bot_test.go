package telegram_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

var (
	alice = telegramtest.User{ID: 1111111, FirstName: "Alice", Username: "alice", LanguageCode: "ru"}
	bob   = telegramtest.User{ID: 2222222, FirstName: "Bob", LanguageCode: "en"}
	start = time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
)

// setup starts the fake and a client from NewBot; the test fails if any
// request or emitted object broke the spec.
func setup(t *testing.T, cfg telegramtest.Config) (*telegramtest.Server, *telego.Bot) {
	t.Helper()
	srv := telegramtest.NewServer(t, cfg)
	bot, err := telegram.NewBot(telegramtest.Token, srv.URL(), srv.Client(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("NewBot: %v", err)
	}
	t.Cleanup(func() {
		if vs := srv.Violations(); len(vs) > 0 {
			t.Errorf("spec violations: %v", vs)
		}
	})
	return srv, bot
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// poller reads updates with getUpdates, confirming each batch.
type poller struct {
	bot    *telego.Bot
	offset int
}

// next long-polls until n updates have arrived.
func (p *poller) next(ctx context.Context, t *testing.T, n int) []telego.Update {
	t.Helper()
	var out []telego.Update
	for len(out) < n {
		ups, err := p.bot.GetUpdates(ctx, &telego.GetUpdatesParams{Offset: p.offset, Timeout: 5})
		if err != nil {
			t.Fatalf("getUpdates: %v", err)
		}
		for _, u := range ups {
			p.offset = u.UpdateID + 1
			out = append(out, u)
		}
	}
	return out
}

// confirm acknowledges everything received so far, as a bot does before it
// switches to a webhook.
func (p *poller) confirm(ctx context.Context, t *testing.T) {
	t.Helper()
	if _, err := p.bot.GetUpdates(ctx, &telego.GetUpdatesParams{Offset: p.offset}); err != nil {
		t.Fatalf("getUpdates: %v", err)
	}
}

func chat(id int64) telego.ChatID { return telego.ChatID{ID: id} }

func sendInvoice(ctx context.Context, t *testing.T, bot *telego.Bot, to int64, amount int) *telego.Message {
	t.Helper()
	m, err := bot.SendInvoice(ctx, &telego.SendInvoiceParams{
		ChatID: chat(to), Title: "Entry", Description: "Draw #42 entry", Payload: "draw:42:entry:v1",
		Currency: "XTR", Prices: []telego.LabeledPrice{{Label: "Entry", Amount: amount}},
	})
	if err != nil {
		t.Fatalf("sendInvoice: %v", err)
	}
	return m
}

// botMessage finds the fake's copy of a message the bot sent.
func botMessage(t *testing.T, srv *telegramtest.Server, m *telego.Message) telegramtest.Message {
	t.Helper()
	for _, fm := range srv.Messages(m.Chat.ID) {
		if fm.MessageID == int64(m.MessageID) {
			return fm
		}
	}
	t.Fatalf("message %d not in chat %d", m.MessageID, m.Chat.ID)
	return telegramtest.Message{}
}

type payResult struct {
	chargeID string
	err      error
}

// pay runs the user's side of a payment while the test plays the bot:
// answer is called with the pre_checkout_query.
func pay(ctx context.Context, t *testing.T, srv *telegramtest.Server, p *poller, u telegramtest.User, invoice telegramtest.Message,
	answer func(q *telego.PreCheckoutQuery) error,
) (string, error, error) {
	t.Helper()
	done := make(chan payResult, 1)
	go func() {
		id, err := srv.PayInvoice(ctx, u, invoice)
		done <- payResult{id, err}
	}()
	ups := p.next(ctx, t, 1)
	if ups[0].PreCheckoutQuery == nil {
		t.Fatalf("expected a pre_checkout_query, got %+v", ups[0])
	}
	answerErr := answer(ups[0].PreCheckoutQuery)
	r := <-done
	return r.chargeID, r.err, answerErr
}

func answerOK(ctx context.Context, bot *telego.Bot) func(q *telego.PreCheckoutQuery) error {
	return func(q *telego.PreCheckoutQuery) error {
		return bot.AnswerPreCheckoutQuery(ctx, &telego.AnswerPreCheckoutQueryParams{PreCheckoutQueryID: q.ID, Ok: true})
	}
}

// TestEveryMethodRoundTrips walks one user through a draw entry and back,
// calling every method the fake serves through the real client.
func TestEveryMethodRoundTrips(t *testing.T) {
	clock := telegramtest.NewClock(start)
	srv, bot := setup(t, telegramtest.Config{Now: clock.Now})
	ctx := testContext(t)
	p := &poller{bot: bot}
	var menu, invoice *telego.Message
	var chargeID string

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"getMe", func(t *testing.T) {
			me, err := bot.GetMe(ctx)
			if err != nil {
				t.Fatalf("getMe: %v", err)
			}
			want := &telego.User{ID: telegramtest.BotID, IsBot: true, FirstName: "FairDraw", Username: "fairdraw_test_bot", CanJoinGroups: true}
			if diff := cmp.Diff(want, me); diff != "" {
				t.Fatalf("getMe (-want +got):\n%s", diff)
			}
		}},
		{"setMyCommands", func(t *testing.T) {
			err := bot.SetMyCommands(ctx, &telego.SetMyCommandsParams{
				Commands:     []telego.BotCommand{{Command: "start", Description: "Главное меню"}, {Command: "paysupport", Description: "Помощь с оплатой"}},
				LanguageCode: "ru",
			})
			if err != nil {
				t.Fatalf("setMyCommands: %v", err)
			}
			want := []telegramtest.BotCommand{{Command: "start", Description: "Главное меню"}, {Command: "paysupport", Description: "Помощь с оплатой"}}
			if diff := cmp.Diff(want, srv.Commands("", "ru")); diff != "" {
				t.Fatalf("commands (-want +got):\n%s", diff)
			}
		}},
		{"getUpdates", func(t *testing.T) {
			srv.SendText(alice, "/start")
			ups := p.next(ctx, t, 1)
			m := ups[0].Message
			if m == nil || m.Text != "/start" || m.From.ID != alice.ID || m.Chat.ID != alice.ID || m.Date != start.Unix() {
				t.Fatalf("update = %+v", ups[0])
			}
			want := []telego.MessageEntity{{Type: "bot_command", Offset: 0, Length: 6}}
			if diff := cmp.Diff(want, m.Entities); diff != "" {
				t.Fatalf("entities (-want +got):\n%s", diff)
			}
		}},
		{"sendMessage", func(t *testing.T) {
			var err error
			menu, err = bot.SendMessage(ctx, &telego.SendMessageParams{
				ChatID: chat(alice.ID), Text: "Открытые розыгрыши", ParseMode: telego.ModeHTML,
				ReplyMarkup: tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("Участвовать").WithCallbackData("join:42"))),
			})
			if err != nil {
				t.Fatalf("sendMessage: %v", err)
			}
			seen := botMessage(t, srv, menu)
			if seen.Text != "Открытые розыгрыши" || seen.ParseMode != "HTML" || menu.Text != seen.Text || menu.MessageID != 2 {
				t.Fatalf("sent %+v, user sees %+v", menu, seen)
			}
		}},
		{"answerCallbackQuery", func(t *testing.T) {
			id, err := srv.PressButton(alice, botMessage(t, srv, menu), "join:42")
			if err != nil {
				t.Fatalf("PressButton: %v", err)
			}
			cq := p.next(ctx, t, 1)[0].CallbackQuery
			if cq == nil || cq.ID != id || cq.Data != "join:42" || cq.Message.GetMessageID() != menu.MessageID {
				t.Fatalf("callback query = %+v", cq)
			}
			if _, answered := srv.CallbackAnswer(id); answered {
				t.Fatalf("answered before the bot did")
			}
			if err := bot.AnswerCallbackQuery(ctx, &telego.AnswerCallbackQueryParams{CallbackQueryID: id, Text: "Счёт отправлен"}); err != nil {
				t.Fatalf("answerCallbackQuery: %v", err)
			}
			if a, ok := srv.CallbackAnswer(id); !ok || a.Text != "Счёт отправлен" {
				t.Fatalf("answer = %+v, %v", a, ok)
			}
		}},
		{"editMessageText", func(t *testing.T) {
			clock.Advance(time.Minute)
			edited, err := bot.EditMessageText(ctx, &telego.EditMessageTextParams{ChatID: chat(alice.ID), MessageID: menu.MessageID, Text: "Розыгрыш #42"})
			if err != nil {
				t.Fatalf("editMessageText: %v", err)
			}
			seen := botMessage(t, srv, menu)
			if edited.Text != "Розыгрыш #42" || seen.Text != "Розыгрыш #42" || seen.ReplyMarkup != nil || seen.EditDate != start.Add(time.Minute).Unix() {
				t.Fatalf("edited %+v, user sees %+v", edited, seen)
			}
		}},
		{"editMessageReplyMarkup", func(t *testing.T) {
			kb := tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("Правила").WithURL("https://example.org/rules")))
			if _, err := bot.EditMessageReplyMarkup(ctx, &telego.EditMessageReplyMarkupParams{ChatID: chat(alice.ID), MessageID: menu.MessageID, ReplyMarkup: kb}); err != nil {
				t.Fatalf("editMessageReplyMarkup: %v", err)
			}
			seen := botMessage(t, srv, menu)
			if seen.ReplyMarkup == nil || seen.ReplyMarkup.InlineKeyboard[0][0].URL != "https://example.org/rules" {
				t.Fatalf("user sees %+v", seen)
			}
		}},
		{"sendDocument", func(t *testing.T) {
			data := []byte("entry_code,telegram_id\nA1,1111111\n")
			m, err := bot.SendDocument(ctx, &telego.SendDocumentParams{ChatID: chat(alice.ID), Document: tu.FileFromBytes(data, "entries.csv"), Caption: "Участники"})
			if err != nil {
				t.Fatalf("sendDocument: %v", err)
			}
			seen := botMessage(t, srv, m)
			if m.Document == nil || m.Document.FileName != "entries.csv" || !bytes.Equal(seen.Document.Data, data) || seen.Caption != "Участники" {
				t.Fatalf("sent %+v, user sees %+v", m.Document, seen)
			}
			if ct := srv.Calls("sendDocument")[0].ContentType; ct != "multipart/form-data" {
				t.Fatalf("sendDocument went as %s", ct)
			}
		}},
		{"sendInvoice", func(t *testing.T) {
			invoice = sendInvoice(ctx, t, bot, alice.ID, 50)
			want := &telego.Invoice{Title: "Entry", Description: "Draw #42 entry", Currency: "XTR", TotalAmount: 50}
			if diff := cmp.Diff(want, invoice.Invoice); diff != "" {
				t.Fatalf("invoice (-want +got):\n%s", diff)
			}
		}},
		{"answerPreCheckoutQuery", func(t *testing.T) {
			var q telego.PreCheckoutQuery
			id, payErr, answerErr := pay(ctx, t, srv, p, alice, botMessage(t, srv, invoice), func(pq *telego.PreCheckoutQuery) error {
				q = *pq
				return answerOK(ctx, bot)(pq)
			})
			if payErr != nil || answerErr != nil {
				t.Fatalf("pay: %v, answer: %v", payErr, answerErr)
			}
			if q.Currency != "XTR" || q.TotalAmount != 50 || q.InvoicePayload != "draw:42:entry:v1" || q.From.ID != alice.ID {
				t.Fatalf("pre_checkout_query = %+v", q)
			}
			sp := p.next(ctx, t, 1)[0].Message.SuccessfulPayment
			want := &telego.SuccessfulPayment{Currency: "XTR", TotalAmount: 50, InvoicePayload: "draw:42:entry:v1", TelegramPaymentChargeID: id}
			if diff := cmp.Diff(want, sp); diff != "" {
				t.Fatalf("successful_payment (-want +got):\n%s", diff)
			}
			if len(id) <= 64 {
				t.Fatalf("charge id %q is shorter than real ones", id)
			}
			chargeID = id
		}},
		{"getMyStarBalance", func(t *testing.T) {
			bal, err := bot.GetMyStarBalance(ctx)
			if err != nil {
				t.Fatalf("getMyStarBalance: %v", err)
			}
			if diff := cmp.Diff(&telego.StarAmount{Amount: 50}, bal); diff != "" {
				t.Fatalf("balance (-want +got):\n%s", diff)
			}
		}},
		{"refundStarPayment", func(t *testing.T) {
			clock.Advance(time.Hour)
			if err := bot.RefundStarPayment(ctx, &telego.RefundStarPaymentParams{UserID: alice.ID, TelegramPaymentChargeID: chargeID}); err != nil {
				t.Fatalf("refundStarPayment: %v", err)
			}
			rp := p.next(ctx, t, 1)[0].Message.RefundedPayment
			if rp == nil || rp.TelegramPaymentChargeID != chargeID || rp.TotalAmount != 50 {
				t.Fatalf("refunded_payment = %+v", rp)
			}
			if pm, _ := srv.Payment(chargeID); !pm.Refunded || srv.StarBalance() != 0 {
				t.Fatalf("payment %+v, balance %d", pm, srv.StarBalance())
			}
		}},
		{"getStarTransactions", func(t *testing.T) {
			txs, err := bot.GetStarTransactions(ctx, &telego.GetStarTransactionsParams{Offset: 0, Limit: 100})
			if err != nil {
				t.Fatalf("getStarTransactions: %v", err)
			}
			payer := telego.User{ID: alice.ID, FirstName: "Alice", Username: "alice", LanguageCode: "ru"}
			partner := &telego.TransactionPartnerUser{Type: "user", TransactionType: "invoice_payment", User: payer, InvoicePayload: "draw:42:entry:v1"}
			want := []telego.StarTransaction{
				{ID: chargeID, Amount: 50, Date: start.Add(time.Minute).Unix(), Source: partner},
				{ID: chargeID, Amount: 50, Date: start.Add(time.Minute + time.Hour).Unix(), Receiver: partner},
			}
			if diff := cmp.Diff(want, txs.Transactions); diff != "" {
				t.Fatalf("transactions (-want +got):\n%s", diff)
			}
			page, err := bot.GetStarTransactions(ctx, &telego.GetStarTransactionsParams{Offset: 1, Limit: 1})
			if err != nil || len(page.Transactions) != 1 || page.Transactions[0].Receiver == nil {
				t.Fatalf("second page = %+v, %v", page, err)
			}
		}},
		{"setWebhook, getWebhookInfo, deleteWebhook", func(t *testing.T) {
			p.confirm(ctx, t)
			hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
			defer hook.Close()
			if err := bot.SetWebhook(ctx, &telego.SetWebhookParams{URL: hook.URL, SecretToken: "secret"}); err != nil {
				t.Fatalf("setWebhook: %v", err)
			}
			info, err := bot.GetWebhookInfo(ctx)
			if err != nil {
				t.Fatalf("getWebhookInfo: %v", err)
			}
			if diff := cmp.Diff(&telego.WebhookInfo{URL: hook.URL, MaxConnections: 40}, info); diff != "" {
				t.Fatalf("webhook info (-want +got):\n%s", diff)
			}
			if err := bot.DeleteWebhook(ctx, &telego.DeleteWebhookParams{DropPendingUpdates: true}); err != nil {
				t.Fatalf("deleteWebhook: %v", err)
			}
			if info, err = bot.GetWebhookInfo(ctx); err != nil || info.URL != "" {
				t.Fatalf("after delete: %+v, %v", info, err)
			}
		}},
	}
	for _, step := range steps {
		if !t.Run(step.name, step.run) {
			t.FailNow() // later steps build on this one
		}
	}
}

// TestSpecViolationsAreDetected sends malformed requests with telego's own
// HTTP caller and expects 400/404 answers and recorded violations.
func TestSpecViolationsAreDetected(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		body        string
		wantCode    int
		wantProblem string
	}{
		{"missing required parameter", "refundStarPayment", `{"user_id":1111111}`, 400, `refundStarPayment: parameter "telegram_payment_charge_id" is required`},
		{"wrong type", "sendInvoice", `{"chat_id":1111111,"title":"Entry","description":"D","payload":"p","currency":"XTR","prices":[{"label":"Entry","amount":1.5}]}`, 400, "sendInvoice: prices[0].amount: must be Integer, got Float"},
		{"wrong type of a whole object", "sendMessage", `{"chat_id":1111111,"text":"hi","reply_markup":[1]}`, 400, "sendMessage: reply_markup: must be InlineKeyboardMarkup or ReplyKeyboardMarkup or ReplyKeyboardRemove or ForceReply, got Array"},
		{"unknown method", "sendStars", `{}`, 404, "sendStars: method not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, telegramtest.Config{})
			srv.AddUser(alice)
			caller := ta.HTTPCaller{Client: srv.Client()}
			resp, err := caller.Call(testContext(t), srv.URL()+"/bot"+telegramtest.Token+"/"+tc.method,
				&ta.RequestData{ContentType: ta.ContentTypeJSON, BodyRaw: []byte(tc.body)})
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			if resp.Ok || resp.Error == nil || resp.ErrorCode != tc.wantCode {
				t.Fatalf("response = %v, want error %d", resp, tc.wantCode)
			}
			vs := srv.Violations()
			if len(vs) != 1 || vs[0].String() != tc.wantProblem {
				t.Fatalf("violations = %v, want [%s]", vs, tc.wantProblem)
			}
		})
	}
}

// TestErrorHelpers decodes Telegram's error bodies through telego and
// classifies them.
func TestErrorHelpers(t *testing.T) {
	type verdict struct {
		Blocked         bool
		RetryAfter      time.Duration
		Flood           bool
		AlreadyRefunded bool
	}
	send := func(ctx context.Context, bot *telego.Bot, to int64) error {
		_, err := bot.SendMessage(ctx, &telego.SendMessageParams{ChatID: chat(to), Text: "Итоги розыгрыша"})
		return err
	}
	tests := []struct {
		name string
		cfg  telegramtest.Config
		run  func(ctx context.Context, t *testing.T, srv *telegramtest.Server, bot *telego.Bot) error
		want verdict
	}{
		{
			name: "blocked by the user",
			run: func(ctx context.Context, t *testing.T, srv *telegramtest.Server, bot *telego.Bot) error {
				srv.BlockUser(alice)
				return send(ctx, bot, alice.ID)
			},
			want: verdict{Blocked: true},
		},
		{
			name: "user is deactivated",
			run: func(ctx context.Context, t *testing.T, srv *telegramtest.Server, bot *telego.Bot) error {
				srv.DeactivateUser(alice)
				return send(ctx, bot, alice.ID)
			},
			want: verdict{Blocked: true},
		},
		{
			name: "one message per second per chat",
			cfg:  telegramtest.Config{PerChatRate: 1, Now: telegramtest.NewClock(start).Now},
			run: func(ctx context.Context, t *testing.T, srv *telegramtest.Server, bot *telego.Bot) error {
				srv.AddUser(alice)
				if err := send(ctx, bot, alice.ID); err != nil {
					t.Fatalf("first send: %v", err)
				}
				return send(ctx, bot, alice.ID)
			},
			want: verdict{Flood: true, RetryAfter: time.Second},
		},
		{
			name: "injected flood control",
			run: func(ctx context.Context, t *testing.T, srv *telegramtest.Server, bot *telego.Bot) error {
				srv.AddUser(alice)
				srv.FailNext("sendMessage", 1, http.StatusTooManyRequests)
				return send(ctx, bot, alice.ID)
			},
			want: verdict{Flood: true, RetryAfter: time.Second},
		},
		{
			name: "refund twice",
			run: func(ctx context.Context, t *testing.T, srv *telegramtest.Server, bot *telego.Bot) error {
				srv.AddUser(alice)
				inv := sendInvoice(ctx, t, bot, alice.ID, 50)
				id, payErr, answerErr := pay(ctx, t, srv, &poller{bot: bot}, alice, botMessage(t, srv, inv), answerOK(ctx, bot))
				if payErr != nil || answerErr != nil {
					t.Fatalf("pay: %v, answer: %v", payErr, answerErr)
				}
				refund := &telego.RefundStarPaymentParams{UserID: alice.ID, TelegramPaymentChargeID: id}
				if err := bot.RefundStarPayment(ctx, refund); err != nil {
					t.Fatalf("first refund: %v", err)
				}
				return bot.RefundStarPayment(ctx, refund)
			},
			want: verdict{AlreadyRefunded: true},
		},
		{
			name: "refund of an unknown charge",
			run: func(ctx context.Context, t *testing.T, srv *telegramtest.Server, bot *telego.Bot) error {
				srv.AddUser(alice)
				return bot.RefundStarPayment(ctx, &telego.RefundStarPaymentParams{UserID: alice.ID, TelegramPaymentChargeID: "stxUnknown"})
			},
			want: verdict{},
		},
		{
			name: "server unreachable",
			run: func(ctx context.Context, t *testing.T, srv *telegramtest.Server, bot *telego.Bot) error {
				srv.Close()
				return send(ctx, bot, alice.ID)
			},
			want: verdict{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, bot := setup(t, tc.cfg)
			err := tc.run(testContext(t), t, srv, bot)
			if err == nil {
				t.Fatalf("the call succeeded")
			}
			wait, flood := telegram.RetryAfter(err)
			got := verdict{Blocked: telegram.IsBlocked(err), RetryAfter: wait, Flood: flood, AlreadyRefunded: telegram.IsChargeAlreadyRefunded(err)}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("verdict on %v (-want +got):\n%s", err, diff)
			}
		})
	}
}

// TestLongPollingDeliversInOrder uses telego's long-polling loop.
func TestLongPollingDeliversInOrder(t *testing.T) {
	srv, bot := setup(t, telegramtest.Config{})
	ctx, cancel := context.WithCancel(testContext(t))
	updates, err := bot.UpdatesViaLongPolling(ctx, &telego.GetUpdatesParams{Timeout: 10}, telego.WithLongPollingRetryTimeout(0))
	if err != nil {
		t.Fatalf("long polling: %v", err)
	}
	texts := []string{"/start", "/rules", "/balance", "/join_raffle 42"}
	for i, text := range texts {
		srv.SendText([]telegramtest.User{alice, bob}[i%2], text)
	}
	var got []string
	var lastID int
	for range texts {
		u := <-updates
		if u.UpdateID <= lastID {
			t.Fatalf("update %d came after %d", u.UpdateID, lastID)
		}
		lastID = u.UpdateID
		got = append(got, u.Message.Text)
	}
	if diff := cmp.Diff(texts, got); diff != "" {
		t.Fatalf("texts (-sent +received):\n%s", diff)
	}
	// The next poll carries offset lastID+1, which confirms everything.
	for n := 1; ; n++ {
		calls, err := srv.WaitForCalls(ctx, "getUpdates", n)
		if err != nil {
			t.Fatalf("%v", err)
		}
		var params telego.GetUpdatesParams
		if err := calls[n-1].Decode(&params); err != nil {
			t.Fatalf("decode params: %v", err)
		}
		if params.Offset == lastID+1 {
			break
		}
	}
	if n := srv.PendingUpdates(); n != 0 {
		t.Fatalf("pending updates after the confirming poll = %d", n)
	}
	cancel()
	for range updates { // the loop ends and closes the channel
	}
}

// TestPreCheckoutDeadline plays the bot answering the pre_checkout_query in
// time, declining, late by the clock, and not at all.
func TestPreCheckoutDeadline(t *testing.T) {
	tests := []struct {
		name        string
		cfg         telegramtest.Config
		answer      func(ctx context.Context, bot *telego.Bot, clock *telegramtest.Clock) func(*telego.PreCheckoutQuery) error
		wantErr     error
		wantDecline string
		wantAnswer  string // description of the answer's error, "" for success
		wantBalance int64
	}{
		{
			name: "answered in time",
			answer: func(ctx context.Context, bot *telego.Bot, _ *telegramtest.Clock) func(*telego.PreCheckoutQuery) error {
				return answerOK(ctx, bot)
			},
			wantBalance: 50,
		},
		{
			name: "declined",
			answer: func(ctx context.Context, bot *telego.Bot, _ *telegramtest.Clock) func(*telego.PreCheckoutQuery) error {
				return func(q *telego.PreCheckoutQuery) error {
					return bot.AnswerPreCheckoutQuery(ctx, &telego.AnswerPreCheckoutQueryParams{PreCheckoutQueryID: q.ID, ErrorMessage: "Набор участников закрыт"})
				}
			},
			wantDecline: "Набор участников закрыт",
		},
		{
			name: "answered after the 10 seconds",
			answer: func(ctx context.Context, bot *telego.Bot, clock *telegramtest.Clock) func(*telego.PreCheckoutQuery) error {
				return func(q *telego.PreCheckoutQuery) error {
					clock.Advance(telegramtest.DefaultPreCheckoutTimeout + time.Second)
					return answerOK(ctx, bot)(q)
				}
			},
			wantErr:    telegramtest.ErrPreCheckoutTimeout,
			wantAnswer: "Bad Request: query is too old and response timeout expired or query ID is invalid",
		},
		{
			name: "never answered",
			cfg:  telegramtest.Config{PreCheckoutTimeout: time.Millisecond},
			answer: func(context.Context, *telego.Bot, *telegramtest.Clock) func(*telego.PreCheckoutQuery) error {
				return func(*telego.PreCheckoutQuery) error { return nil }
			},
			wantErr: telegramtest.ErrPreCheckoutTimeout,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock := telegramtest.NewClock(start)
			tc.cfg.Now = clock.Now
			srv, bot := setup(t, tc.cfg)
			ctx := testContext(t)
			srv.AddUser(alice)
			inv := sendInvoice(ctx, t, bot, alice.ID, 50)
			id, payErr, answerErr := pay(ctx, t, srv, &poller{bot: bot}, alice, botMessage(t, srv, inv), tc.answer(ctx, bot, clock))

			var declined *telegramtest.DeclinedError
			switch {
			case tc.wantDecline != "":
				if !errors.As(payErr, &declined) || declined.Message != tc.wantDecline {
					t.Fatalf("payment error = %v, want declined with %q", payErr, tc.wantDecline)
				}
			case !errors.Is(payErr, tc.wantErr):
				t.Fatalf("payment error = %v, want %v", payErr, tc.wantErr)
			}
			var apiErr *ta.Error
			if tc.wantAnswer == "" && answerErr != nil || tc.wantAnswer != "" && (!errors.As(answerErr, &apiErr) || apiErr.Description != tc.wantAnswer) {
				t.Fatalf("answer error = %v, want %q", answerErr, tc.wantAnswer)
			}
			if got := srv.StarBalance(); got != tc.wantBalance {
				t.Fatalf("balance = %d, want %d", got, tc.wantBalance)
			}
			paid := 0
			for _, m := range srv.Messages(alice.ID) {
				if m.SuccessfulPayment != nil {
					paid++
					if m.SuccessfulPayment.TelegramPaymentChargeID != id {
						t.Fatalf("successful_payment for %q, PayInvoice returned %q", m.SuccessfulPayment.TelegramPaymentChargeID, id)
					}
				}
			}
			if want := int(tc.wantBalance / 50); paid != want {
				t.Fatalf("successful payments in the chat = %d, want %d", paid, want)
			}
		})
	}
}

// TestWebhookDelivery runs telego's webhook receiver: it refuses requests
// without the right secret header, so an update arriving proves the header.
func TestWebhookDelivery(t *testing.T) {
	srv, bot := setup(t, telegramtest.Config{WebhookRetryDelay: time.Millisecond})
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	mux := http.NewServeMux()
	hook := httptest.NewServer(mux)
	defer hook.Close()
	const secret = "fairdraw-webhook_secret"
	updates, err := bot.UpdatesViaWebhook(ctx, telego.WebhookHTTPServeMux(mux, "POST /webhooks/telegram", secret),
		telego.WithWebhookSet(ctx, &telego.SetWebhookParams{URL: hook.URL + "/webhooks/telegram", SecretToken: secret}))
	if err != nil {
		t.Fatalf("webhook: %v", err)
	}
	srv.SendText(alice, "/start join_42")
	u := <-updates
	if u.Message == nil || u.Message.Text != "/start join_42" {
		t.Fatalf("update = %+v", u)
	}
	if err := srv.WaitUntilDelivered(ctx); err != nil {
		t.Fatalf("%v", err)
	}
	info, err := bot.GetWebhookInfo(ctx)
	if err != nil || info.LastErrorMessage != "" || info.PendingUpdateCount != 0 {
		t.Fatalf("webhook info = %+v, %v", info, err)
	}
	if err := bot.DeleteWebhook(ctx, nil); err != nil {
		t.Fatalf("deleteWebhook: %v", err)
	}
	cancel()
	for range updates {
	}
}

// TestTokenNeverLeaks checks logs and errors for the token, including a
// transport error whose net/http text quotes the request URL.
func TestTokenNeverLeaks(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	bot, err := telegram.NewBot(telegramtest.Token, srv.URL(), srv.Client(), logger)
	if err != nil {
		t.Fatalf("NewBot: %v", err)
	}
	ctx := testContext(t)
	if _, err := bot.GetMe(ctx); err != nil {
		t.Fatalf("getMe: %v", err)
	}
	srv.Close()
	_, err = bot.GetMe(ctx)
	if err == nil {
		t.Fatalf("getMe on a closed server succeeded")
	}
	if strings.Contains(err.Error(), telegramtest.Token) || !strings.Contains(err.Error(), "<redacted>") {
		t.Fatalf("error = %q", err)
	}
	if strings.Contains(logs.String(), telegramtest.Token) || !strings.Contains(logs.String(), "<redacted>") {
		t.Fatalf("logs leak or miss the redaction:\n%s", logs.String())
	}
}

func TestNewBotRejectsMalformedToken(t *testing.T) {
	if _, err := telegram.NewBot("not-a-token", "", nil, nil); !errors.Is(err, telego.ErrInvalidToken) {
		t.Fatalf("err = %v, want telego.ErrInvalidToken", err)
	}
}

func BenchmarkSendMessageRoundTrip(b *testing.B) {
	srv := telegramtest.NewServer(b, telegramtest.Config{})
	bot, err := telegram.NewBot(telegramtest.Token, srv.URL(), srv.Client(), nil)
	if err != nil {
		b.Fatalf("NewBot: %v", err)
	}
	srv.AddUser(alice)
	ctx := context.Background()
	params := &telego.SendMessageParams{
		ChatID: chat(alice.ID), Text: "Итоги розыгрыша #42",
		ReplyMarkup: tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("Проверить").WithCallbackData("proof:42"))),
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bot.SendMessage(ctx, params); err != nil {
			b.Fatalf("sendMessage: %v", err)
		}
	}
}

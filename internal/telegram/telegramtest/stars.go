package telegramtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// The fake serves Telegram Stars only: an invoice in another currency needs
// a payment provider, which the fake does not have.

type labeledPrice struct {
	Label  string `json:"label"`
	Amount int64  `json:"amount"`
}

func (s *Server) sendInvoice(r *request) (result, *apiError) {
	title, description, payload := r.str("title"), r.str("description"), r.str("payload")
	switch n := utf8.RuneCountInString(title); {
	case n < 1 || n > 32:
		return result{}, badRequest("INVOICE_TITLE_INVALID") // "Product name, 1-32 characters"
	}
	switch n := utf8.RuneCountInString(description); {
	case n < 1 || n > 255:
		return result{}, badRequest("INVOICE_DESCRIPTION_INVALID") // "Product description, 1-255 characters"
	}
	if len(payload) < 1 || len(payload) > 128 { // "Bot-defined invoice payload, 1-128 bytes"
		return result{}, badRequest("INVOICE_PAYLOAD_INVALID")
	}
	if r.str("currency") != "XTR" {
		return result{}, badRequest("PAYMENT_PROVIDER_INVALID")
	}
	var prices []labeledPrice
	if err := r.decode("prices", &prices); err != nil {
		return result{}, badRequest("can't parse prices JSON object")
	}
	// "Must contain exactly one item for payments in Telegram Stars";
	// provider_token: "Pass an empty string for payments in Telegram Stars";
	// max_tip_amount: "Not supported for payments in Telegram Stars".
	if len(prices) != 1 || r.str("provider_token") != "" || r.int("max_tip_amount") != 0 || r.has("suggested_tip_amounts") {
		return result{}, badRequest("STARS_INVOICE_INVALID")
	}
	if prices[0].Amount <= 0 {
		return result{}, badRequest("CURRENCY_TOTAL_AMOUNT_INVALID")
	}
	inline, _, e := r.markup()
	if e != nil {
		return result{}, e
	}
	if inline != nil {
		if first := inline.InlineKeyboard; len(first) == 0 || len(first[0]) == 0 || !first[0][0].Pay {
			return result{}, badRequest("first button in the inline keyboard must be a Pay button")
		}
	}
	u, c, e := s.chatFor(r)
	if e != nil {
		return result{}, e
	}
	if e := s.admit(u.user.ID); e != nil {
		return result{}, e
	}
	m := s.appendMessage(c, &Message{
		From: s.bot(), Chat: privateChat(u.user), ReplyMarkup: inline, InvoicePayload: payload,
		Invoice: &Invoice{
			Title: title, Description: description, StartParameter: r.str("start_parameter"),
			Currency: "XTR", TotalAmount: prices[0].Amount,
		},
	})
	return marshalResult(m)
}

// preCheckout is a pre_checkout_query waiting for the bot's answer.
type preCheckout struct {
	user     User
	deadline time.Time // by the injected clock
	answer   chan preCheckoutAnswer
	done     bool      // answered or expired
	queued   time.Time // on the real clock, when the query was queued for the bot
}

type preCheckoutAnswer struct {
	ok      bool
	message string
	late    bool
}

type preCheckoutQuery struct {
	ID             string `json:"id"`
	From           User   `json:"from"`
	Currency       string `json:"currency"`
	TotalAmount    int64  `json:"total_amount"`
	InvoicePayload string `json:"invoice_payload"`
}

func (s *Server) answerPreCheckoutQuery(r *request) (result, *apiError) {
	q, ok := s.preCheckouts[r.str("pre_checkout_query_id")]
	if !ok || q.done {
		return result{}, errQueryInvalid
	}
	if s.now().After(q.deadline) {
		q.done = true
		q.answer <- preCheckoutAnswer{late: true}
		return result{}, errQueryInvalid
	}
	okAnswer := r.boolean("ok")
	msg := r.str("error_message")
	if !okAnswer && msg == "" {
		return result{}, badRequest("error_message must be non-empty if ok is false")
	}
	q.done = true
	q.answer <- preCheckoutAnswer{ok: okAnswer, message: msg}
	s.answerWaits = append(s.answerWaits, time.Since(q.queued))
	return resultTrue, nil
}

// PreCheckoutAnswerTimes is, for every pre-checkout query the bot answered in time, how long
// the answer took from the moment the query was queued for the bot (on the real clock): the
// bot's own share of the wait, which Telegram's 10 seconds bound, without the time this fake
// took to take the press.
func (s *Server) PreCheckoutAnswerTimes() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.answerWaits)
}

// PayInvoice is the user pressing Pay on an invoice message and confirming.
// The fake sends a pre_checkout_query and waits for answerPreCheckoutQuery.
// If the bot answers ok=true in time, the user is charged: the bot gets a
// message with successful_payment, its star balance grows and a star
// transaction is recorded; PayInvoice returns the new
// telegram_payment_charge_id. ok=false returns a *[DeclinedError] with the
// bot's error_message. No answer within [Config.PreCheckoutTimeout] (by the
// injected clock when the answer comes, or in real time when none comes)
// returns [ErrPreCheckoutTimeout]. Like a forwarded invoice, one message can
// be paid many times.
func (s *Server) PayInvoice(ctx context.Context, u User, invoice Message) (string, error) {
	s.mu.Lock()
	s.learn(u)
	m := s.chats[u.ID].find(invoice.MessageID)
	if m == nil {
		s.mu.Unlock()
		return "", ErrMessageNotFound
	}
	if m.Invoice == nil {
		s.mu.Unlock()
		return "", ErrNotInvoice
	}
	id := s.queryID()
	q := &preCheckout{user: u, deadline: s.now().Add(s.cfg.PreCheckoutTimeout), answer: make(chan preCheckoutAnswer, 1)}
	s.preCheckouts[id] = q
	amount, payload := m.Invoice.TotalAmount, m.InvoicePayload
	s.enqueue("pre_checkout_query", preCheckoutQuery{
		ID: id, From: u, Currency: m.Invoice.Currency, TotalAmount: amount, InvoicePayload: payload,
	})
	q.queued = time.Now()
	s.mu.Unlock()

	timer := time.NewTimer(s.cfg.PreCheckoutTimeout)
	defer timer.Stop()
	var a preCheckoutAnswer
	select {
	case a = <-q.answer:
	case <-timer.C:
		if a, ok := s.expire(q); ok {
			return s.settle(u, amount, payload, a)
		}
		return "", ErrPreCheckoutTimeout
	case <-ctx.Done():
		if a, ok := s.expire(q); ok {
			return s.settle(u, amount, payload, a)
		}
		return "", fmt.Errorf("telegramtest: paying invoice: %w", ctx.Err())
	case <-s.done:
		return "", ErrServerClosed
	}
	return s.settle(u, amount, payload, a)
}

// settle turns the bot's answer into the payment's outcome.
func (s *Server) settle(u User, amount int64, payload string, a preCheckoutAnswer) (string, error) {
	if a.late {
		return "", ErrPreCheckoutTimeout
	}
	if !a.ok {
		return "", &DeclinedError{Message: a.message}
	}
	return s.completePayment(u, amount, payload), nil
}

// expire ends the query unless the bot's answer got in first, in which
// case that answer is returned: whoever takes mu first wins, as on a real
// server.
func (s *Server) expire(q *preCheckout) (preCheckoutAnswer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.done {
		return <-q.answer, true
	}
	q.done = true
	return preCheckoutAnswer{}, false
}

func (s *Server) completePayment(u User, amount int64, payload string) string {
	chargeID := newChargeID()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.payments[chargeID] = &Payment{ChargeID: chargeID, User: u, Amount: amount, Payload: payload, Date: now}
	s.balance += amount
	s.transactions = append(s.transactions, StarTransaction{
		ID: chargeID, Amount: amount, Date: now.Unix(),
		Source: &TransactionPartner{Type: "user", TransactionType: "invoice_payment", User: &u, InvoicePayload: payload},
	})
	m := s.appendMessage(s.chats[u.ID], &Message{
		From: &u, Chat: privateChat(u),
		SuccessfulPayment: &SuccessfulPayment{
			Currency: "XTR", TotalAmount: amount, InvoicePayload: payload, TelegramPaymentChargeID: chargeID,
		},
	})
	s.enqueue("message", m)
	return chargeID
}

// newChargeID makes an id shaped like real Stars charge ids: "stx" and a
// long run of URL-safe base64, well over 64 characters.
func newChargeID() string {
	b := make([]byte, 72)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "stx" + base64.RawURLEncoding.EncodeToString(b)
}

// queryID makes a callback or pre-checkout query id shaped like Telegram's
// (a long decimal number in a string).
func (s *Server) queryID() string {
	return strconv.FormatUint(4382000000000000000+uint64(s.nextSeq()), 10)
}

func (s *Server) refundStarPayment(r *request) (result, *apiError) {
	userID, chargeID := r.int("user_id"), r.str("telegram_payment_charge_id")
	u, known := s.users[userID]
	if !known {
		return result{}, badRequest("user not found")
	}
	p, ok := s.payments[chargeID]
	if !ok || p.User.ID != userID {
		return result{}, badRequest("CHARGE_NOT_FOUND")
	}
	if p.Refunded {
		return result{}, badRequest("CHARGE_ALREADY_REFUNDED")
	}
	if s.balance < p.Amount {
		return result{}, badRequest("BALANCE_TOO_LOW")
	}
	p.Refunded = true
	s.balance -= p.Amount
	now := s.now()
	s.transactions = append(s.transactions, StarTransaction{
		ID: chargeID, Amount: p.Amount, Date: now.Unix(),
		Receiver: &TransactionPartner{Type: "user", TransactionType: "invoice_payment", User: &p.User, InvoicePayload: p.Payload},
	})
	m := s.appendMessage(s.chats[userID], &Message{
		From: &u.user, Chat: privateChat(u.user),
		RefundedPayment: &RefundedPayment{
			Currency: "XTR", TotalAmount: p.Amount, InvoicePayload: p.Payload, TelegramPaymentChargeID: chargeID,
		},
	})
	s.enqueue("message", m)
	return resultTrue, nil
}

type starAmount struct {
	Amount int64 `json:"amount"`
}

func (s *Server) getMyStarBalance(*request) (result, *apiError) {
	return marshalResult(starAmount{Amount: s.balance})
}

type starTransactions struct {
	Transactions []StarTransaction `json:"transactions"`
}

func (s *Server) getStarTransactions(r *request) (result, *apiError) {
	offset := int(r.int("offset"))
	limit := 100
	if r.has("limit") {
		limit = int(r.int("limit"))
	}
	if offset < 0 || limit < 1 || limit > 100 {
		return result{}, badRequest("invalid offset or limit specified") // "Values between 1-100 are accepted"
	}
	out := starTransactions{Transactions: []StarTransaction{}}
	if offset < len(s.transactions) {
		end := min(len(s.transactions), offset+limit)
		out.Transactions = append(out.Transactions, s.transactions[offset:end]...)
	}
	return marshalResult(out)
}

// Withdraw records the bot owner withdrawing Stars through Fragment (done in
// a Telegram app, not through the Bot API): the balance drops and an
// outgoing transaction to "fragment" appears.
func (s *Server) Withdraw(amount int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if amount <= 0 || amount > s.balance {
		return fmt.Errorf("telegramtest: withdraw %d of %d stars: not possible", amount, s.balance)
	}
	now := s.now().Unix()
	s.balance -= amount
	s.transactions = append(s.transactions, StarTransaction{
		ID: "wd" + strconv.FormatInt(s.nextSeq(), 10), Amount: amount, Date: now,
		Receiver: &TransactionPartner{Type: "fragment", WithdrawalState: &WithdrawalState{Type: "succeeded", Date: now, URL: "https://fragment.com/"}},
	})
	s.notify()
	return nil
}

// StarBalance is the bot's Stars balance (what getMyStarBalance answers).
func (s *Server) StarBalance() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.balance
}

// StarTransactions returns every star transaction, oldest first.
func (s *Server) StarTransactions() []StarTransaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]StarTransaction, len(s.transactions))
	copy(out, s.transactions)
	return out
}

// Payment returns the payment with the given charge id.
func (s *Server) Payment(chargeID string) (Payment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[chargeID]
	if !ok {
		return Payment{}, false
	}
	return *p, true
}

package telegramtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Gifts a bot can buy with its own Star balance (Bot API 8.0 sendGift, 9.0
// giftPremiumSubscription). Error descriptions: BALANCE_TOO_LOW and
// STARGIFT_USAGE_LIMITED ("the gift is sold out") are the server's names as
// bots report them; STARGIFT_INVALID for an unknown gift id and
// PREMIUM_GIFT_STARS_INVALID for a price that is not the one for the months
// are the fake's choice (the real wording is not published).

// Gift is a gift of getAvailableGifts, shaped as the spec's Gift.
type Gift struct {
	ID                     string  `json:"id"`
	Sticker                Sticker `json:"sticker"`
	StarCount              int64   `json:"star_count"`
	UpgradeStarCount       int64   `json:"upgrade_star_count,omitempty"`
	TotalCount             int64   `json:"total_count,omitempty"`
	RemainingCount         int64   `json:"remaining_count,omitempty"`
	PersonalTotalCount     int64   `json:"personal_total_count,omitempty"`
	PersonalRemainingCount int64   `json:"personal_remaining_count,omitempty"`
}

// MarshalJSON writes the counts of a limited gift even when they are 0 (a
// sold-out gift says remaining_count 0) and leaves them out for an unlimited
// one.
func (g Gift) MarshalJSON() ([]byte, error) {
	type wire struct {
		ID                     string  `json:"id"`
		Sticker                Sticker `json:"sticker"`
		StarCount              int64   `json:"star_count"`
		UpgradeStarCount       int64   `json:"upgrade_star_count,omitempty"`
		TotalCount             *int64  `json:"total_count,omitempty"`
		RemainingCount         *int64  `json:"remaining_count,omitempty"`
		PersonalTotalCount     *int64  `json:"personal_total_count,omitempty"`
		PersonalRemainingCount *int64  `json:"personal_remaining_count,omitempty"`
	}
	w := wire{ID: g.ID, Sticker: g.Sticker, StarCount: g.StarCount, UpgradeStarCount: g.UpgradeStarCount}
	if g.TotalCount > 0 {
		w.TotalCount, w.RemainingCount = &g.TotalCount, &g.RemainingCount
		w.PersonalTotalCount, w.PersonalRemainingCount = &g.PersonalTotalCount, &g.PersonalRemainingCount
	}
	return json.Marshal(w)
}

// Sticker is the sticker that shows a gift (the spec's required fields and
// the emoji).
type Sticker struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	Type         string `json:"type"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	IsAnimated   bool   `json:"is_animated"`
	IsVideo      bool   `json:"is_video"`
	Emoji        string `json:"emoji,omitempty"`
}

// NewGift makes a gift with a sticker for emoji. total > 0 makes it a
// limited gift with that many left to send; 0 is unlimited.
func NewGift(id, emoji string, stars, total int64) Gift {
	g := Gift{
		ID: id, StarCount: stars,
		Sticker: Sticker{
			FileID: "CAACAgIAAxUAAWd" + id, FileUniqueID: "AgAD" + id, Type: "regular",
			Width: 512, Height: 512, IsAnimated: true, Emoji: emoji,
		},
	}
	if total > 0 {
		g.TotalCount, g.RemainingCount = total, total
		g.PersonalTotalCount, g.PersonalRemainingCount = total, total
	}
	return g
}

// PremiumPrices are the only star_count values giftPremiumSubscription
// takes, by month_count: "must be 1000 for 3 months, 1500 for 6 months, and
// 2500 for 12 months".
var PremiumPrices = map[int64]int64{3: 1000, 6: 1500, 12: 2500}

// SentGift is a gift or Premium subscription the bot sent, as the receiver
// got it.
type SentGift struct {
	UserID int64
	// GiftID is empty for Premium.
	GiftID string
	// Months is the Premium duration; 0 for a gift.
	Months int64
	Stars  int64
	Text   string
}

type giftsResult struct {
	Gifts []Gift `json:"gifts"`
}

// SetGifts replaces the catalogue getAvailableGifts answers with.
func (s *Server) SetGifts(gifts ...Gift) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gifts = append([]Gift(nil), gifts...)
	s.notify()
}

// SentGifts returns what the bot has sent, oldest first.
func (s *Server) SentGifts() []SentGift {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentGift(nil), s.sentGifts...)
}

// AddStars adds Stars to the bot's balance as an incoming transaction from
// Telegram ("other"), like Stars the owner bought for the bot in an app.
func (s *Server) AddStars(amount int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.balance += amount
	s.transactions = append(s.transactions, StarTransaction{
		ID: "other" + strconv.FormatInt(s.nextSeq(), 10), Amount: amount, Date: s.now().Unix(),
		Source: &TransactionPartner{Type: "other"},
	})
	s.notify()
}

// getAvailableGifts lists the catalogue. A limited gift stays listed once
// sold out, with remaining_count 0, as Telegram lists it.
func (s *Server) getAvailableGifts(*request) (result, *apiError) {
	return marshalResult(giftsResult{Gifts: append([]Gift{}, s.gifts...)})
}

func (s *Server) giftRecipient(r *request) (*userState, *apiError) {
	if !r.has("user_id") {
		// The fake has no channels: chat_id alone names nothing it knows.
		if r.has("chat_id") {
			return nil, errChatNotFound
		}
		return nil, badRequest("user_id or chat_id must be specified")
	}
	u, ok := s.users[r.int("user_id")]
	switch {
	case !ok:
		return nil, badRequest("user not found")
	case u.deactivated:
		return nil, errDeactivated
	case u.blocked:
		return nil, errBlocked
	}
	return u, nil
}

func giftText(r *request) *apiError {
	if utf8.RuneCountInString(r.str("text")) > 128 {
		return badRequest("text is too long") // "0-128 characters"
	}
	return nil
}

func (s *Server) sendGift(r *request) (result, *apiError) {
	u, e := s.giftRecipient(r)
	if e != nil {
		return result{}, e
	}
	if e := giftText(r); e != nil {
		return result{}, e
	}
	var g *Gift
	for i := range s.gifts {
		if s.gifts[i].ID == r.str("gift_id") {
			g = &s.gifts[i]
		}
	}
	if g == nil {
		return result{}, badRequest("STARGIFT_INVALID")
	}
	if g.TotalCount > 0 && (g.RemainingCount <= 0 || g.PersonalRemainingCount <= 0) {
		return result{}, badRequest("STARGIFT_USAGE_LIMITED")
	}
	price := g.StarCount
	if r.boolean("pay_for_upgrade") {
		price += g.UpgradeStarCount
	}
	if s.balance < price {
		return result{}, badRequest("BALANCE_TOO_LOW")
	}
	s.balance -= price
	if g.TotalCount > 0 {
		g.RemainingCount--
		g.PersonalRemainingCount--
	}
	sold := *g
	user := u.user
	s.transactions = append(s.transactions, StarTransaction{
		ID: s.purchaseID(), Amount: price, Date: s.now().Unix(),
		Receiver: &TransactionPartner{Type: "user", TransactionType: "gift_purchase", User: &user, Gift: &sold},
	})
	s.sentGifts = append(s.sentGifts, SentGift{UserID: user.ID, GiftID: g.ID, Stars: price, Text: r.str("text")})
	s.notify()
	return resultTrue, nil
}

func (s *Server) giftPremiumSubscription(r *request) (result, *apiError) {
	u, e := s.giftRecipient(r)
	if e != nil {
		return result{}, e
	}
	if e := giftText(r); e != nil {
		return result{}, e
	}
	months, stars := r.int("month_count"), r.int("star_count")
	want, ok := PremiumPrices[months]
	if !ok {
		return result{}, badRequest("PREMIUM_GIFT_MONTHS_INVALID")
	}
	if stars != want {
		return result{}, badRequest("PREMIUM_GIFT_STARS_INVALID")
	}
	if s.balance < stars {
		return result{}, badRequest("BALANCE_TOO_LOW")
	}
	s.balance -= stars
	user := u.user
	s.transactions = append(s.transactions, StarTransaction{
		ID: s.purchaseID(), Amount: stars, Date: s.now().Unix(),
		Receiver: &TransactionPartner{Type: "user", TransactionType: "premium_purchase", User: &user, PremiumSubscriptionDuration: months},
	})
	s.sentGifts = append(s.sentGifts, SentGift{UserID: user.ID, Months: months, Stars: stars, Text: r.str("text")})
	s.notify()
	return resultTrue, nil
}

// purchaseID is an id for an outgoing purchase; Telegram's own are opaque
// strings, unrelated to any charge id.
func (s *Server) purchaseID() string {
	return fmt.Sprintf("gp%d", 910000000+s.nextSeq())
}

// PayStars records a Stars payment from u that has already gone through, as
// if u had paid an invoice with this payload: the bot's balance grows, a
// star transaction and a successful_payment message appear. It skips the
// pre-checkout step, for tests of what happens after payments. Returns the
// telegram_payment_charge_id.
func (s *Server) PayStars(u User, amount int64, payload string) string {
	s.mu.Lock()
	s.learn(u)
	s.mu.Unlock()
	return s.completePayment(u, amount, payload)
}

// Forward puts a copy of msg (a bot message in another user's chat) into
// u's chat with the bot, as when it is forwarded there: a forwarded invoice
// can be paid by u. No update is sent for it.
func (s *Server) Forward(u User, msg Message) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.chats[msg.Chat.ID]
	if !ok {
		return Message{}, ErrMessageNotFound
	}
	orig := c.find(msg.MessageID)
	if orig == nil {
		return Message{}, ErrMessageNotFound
	}
	s.learn(u)
	cp := *orig
	cp.Chat = privateChat(u)
	return *s.appendMessage(s.chats[u.ID], &cp), nil
}

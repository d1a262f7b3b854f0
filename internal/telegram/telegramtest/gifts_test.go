package telegramtest_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// decodeResult unmarshals a successful answer's result into v with telego's types, so the fake's
// shapes are checked against the client fairdraw uses as well as against the spec.
func decodeResult(t *testing.T, body string, v any) {
	t.Helper()
	var env struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil || !env.OK {
		t.Fatalf("answer %s: %v", body, err)
	}
	if err := json.Unmarshal(env.Result, v); err != nil {
		t.Fatalf("result %s: %v", env.Result, err)
	}
}

func TestGiftsAreBoughtFromTheBotBalance(t *testing.T) {
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	srv.AddUser(alice)
	srv.AddStars(1200)
	srv.SetGifts(telegramtest.NewGift("5170145012310081615", "💝", 15, 0), telegramtest.NewGift("5168103777563050263", "🌹", 50, 1))

	_, body := postJSON(t, srv, "getAvailableGifts", `{}`)
	var gifts telego.Gifts
	decodeResult(t, body, &gifts)
	if len(gifts.Gifts) != 2 || gifts.Gifts[1].StarCount != 50 || gifts.Gifts[1].RemainingCount != 1 || gifts.Gifts[0].Sticker.Emoji != "💝" {
		t.Fatalf("gifts = %+v", gifts)
	}
	if status, body := postJSON(t, srv, "sendGift", `{"user_id":1111111,"gift_id":"5168103777563050263","text":"Prize"}`); status != 200 || body != `{"ok":true,"result":true}` {
		t.Fatalf("sendGift: %d %s", status, body)
	}
	if status, body := postJSON(t, srv, "giftPremiumSubscription", `{"user_id":1111111,"month_count":3,"star_count":1000}`); status != 200 {
		t.Fatalf("giftPremiumSubscription: %d %s", status, body)
	}
	if got := srv.StarBalance(); got != 150 {
		t.Fatalf("balance %d, want 150", got)
	}
	want := []telegramtest.SentGift{
		{UserID: alice.ID, GiftID: "5168103777563050263", Stars: 50, Text: "Prize"},
		{UserID: alice.ID, Months: 3, Stars: 1000},
	}
	if diff := cmp.Diff(want, srv.SentGifts()); diff != "" {
		t.Fatalf("sent gifts (-want +got):\n%s", diff)
	}

	_, body = postJSON(t, srv, "getStarTransactions", `{"offset":1}`)
	var txs telego.StarTransactions
	decodeResult(t, body, &txs)
	if len(txs.Transactions) != 2 {
		t.Fatalf("transactions = %+v", txs)
	}
	gift, ok := txs.Transactions[0].Receiver.(*telego.TransactionPartnerUser)
	if !ok || gift.TransactionType != "gift_purchase" || gift.User.ID != alice.ID || gift.Gift == nil || gift.Gift.ID != "5168103777563050263" || txs.Transactions[0].Amount != 50 {
		t.Fatalf("gift transaction = %+v", txs.Transactions[0])
	}
	prem, ok := txs.Transactions[1].Receiver.(*telego.TransactionPartnerUser)
	if !ok || prem.TransactionType != "premium_purchase" || prem.PremiumSubscriptionDuration != 3 || txs.Transactions[1].Amount != 1000 {
		t.Fatalf("premium transaction = %+v", txs.Transactions[1])
	}
	// The limited gift is sold out now: still listed, with nothing remaining.
	_, body = postJSON(t, srv, "getAvailableGifts", ``)
	if !strings.Contains(body, `"remaining_count":0`) {
		t.Fatalf("sold-out gift without remaining_count 0: %s", body)
	}
	gifts = telego.Gifts{}
	decodeResult(t, body, &gifts)
	if gifts.Gifts[1].RemainingCount != 0 || gifts.Gifts[1].TotalCount != 1 {
		t.Fatalf("sold-out gift = %+v", gifts.Gifts[1])
	}
	if vs := srv.Violations(); len(vs) != 0 {
		t.Fatalf("violations: %v", vs)
	}
}

func TestGiftRefusals(t *testing.T) {
	bob := telegramtest.User{ID: 2222222, FirstName: "Bob", LanguageCode: "en"}
	tests := []struct {
		name, method, body, want string
	}{
		{"balance too low", "sendGift", `{"user_id":1111111,"gift_id":"big"}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: BALANCE_TOO_LOW"}`},
		{"sold out", "sendGift", `{"user_id":1111111,"gift_id":"gone"}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: STARGIFT_USAGE_LIMITED"}`},
		{"unknown gift", "sendGift", `{"user_id":1111111,"gift_id":"nope"}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: STARGIFT_INVALID"}`},
		{"blocked user", "sendGift", `{"user_id":2222222,"gift_id":"small"}`,
			`{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`},
		{"unknown user", "sendGift", `{"user_id":3333333,"gift_id":"small"}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: user not found"}`},
		{"text too long", "sendGift", `{"user_id":1111111,"gift_id":"small","text":"` + strings.Repeat("я", 129) + `"}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: text is too long"}`},
		{"wrong premium price", "giftPremiumSubscription", `{"user_id":1111111,"month_count":6,"star_count":1000}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: PREMIUM_GIFT_STARS_INVALID"}`},
		{"wrong premium months", "giftPremiumSubscription", `{"user_id":1111111,"month_count":1,"star_count":1000}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: PREMIUM_GIFT_MONTHS_INVALID"}`},
		{"premium over balance", "giftPremiumSubscription", `{"user_id":1111111,"month_count":12,"star_count":2500}`,
			`{"ok":false,"error_code":400,"description":"Bad Request: BALANCE_TOO_LOW"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := telegramtest.NewServer(t, telegramtest.Config{})
			srv.AddUser(alice)
			srv.AddUser(bob)
			srv.BlockUser(bob)
			srv.AddStars(100)
			gone := telegramtest.NewGift("gone", "🎁", 10, 1)
			gone.RemainingCount = 0
			srv.SetGifts(telegramtest.NewGift("small", "💝", 15, 0), telegramtest.NewGift("big", "💎", 500, 0), gone)
			before := len(srv.StarTransactions())
			status, body := postJSON(t, srv, tc.method, tc.body)
			if body != tc.want || status == 200 {
				t.Fatalf("%d %s\nwant %s", status, body, tc.want)
			}
			if srv.StarBalance() != 100 || len(srv.StarTransactions()) != before || len(srv.SentGifts()) != 0 {
				t.Fatalf("a refused purchase moved something: balance %d, %d transactions", srv.StarBalance(), len(srv.StarTransactions()))
			}
			if vs := srv.Violations(); len(vs) != 0 {
				t.Fatalf("violations: %v", vs)
			}
		})
	}
}

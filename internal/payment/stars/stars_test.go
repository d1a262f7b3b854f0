package stars

import (
	"errors"
	"testing"

	"github.com/mymmrac/telego"
	"go.uber.org/goleak"

	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPayloadRoundTrip(t *testing.T) {
	p := Payload{DrawID: 42, UserID: 1111111, Amount: 50}
	got, err := ParsePayload(p.String())
	if err != nil || got != p {
		t.Fatalf("ParsePayload(%q) = %+v, %v", p.String(), got, err)
	}
	if len(Payload{DrawID: 1<<63 - 1, UserID: 1<<63 - 1, Amount: 1<<63 - 1}.String()) > 128 {
		t.Fatal("largest payload exceeds Telegram's 128 bytes")
	}
}

func TestParsePayloadRejects(t *testing.T) {
	for name, s := range map[string]string{
		"empty": "", "other version": "fd2:1:2:3", "missing part": "fd1:1:2", "extra part": "fd1:1:2:3:4",
		"not a number": "fd1:x:2:3", "zero draw": "fd1:0:2:3", "negative amount": "fd1:1:2:-3", "spaces": "fd1: 1:2:3",
		"leading zero": "fd1:01:2:3", "plus sign": "fd1:1:+2:3", "too large": "fd1:1:2:9223372036854775808",
		"foreign": "draw:42:entry:1111111:v1",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParsePayload(s); !errors.Is(err, ErrBadPayload) {
				t.Fatalf("ParsePayload(%q) err = %v", s, err)
			}
		})
	}
}

func TestRefundTwiceCountsAsDone(t *testing.T) {
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	api, err := telegram.NewBot(tg.Token(), tg.URL(), tg.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	u := telegramtest.User{ID: 5, FirstName: "P"}
	tg.AddUser(u)
	inv, err := api.SendInvoice(t.Context(), &telego.SendInvoiceParams{ChatID: telego.ChatID{ID: 5}, Title: "t", Description: "d",
		Payload: Payload{DrawID: 1, UserID: 5, Amount: 7}.String(), Currency: "XTR", Prices: []telego.LabeledPrice{{Label: "x", Amount: 7}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var charge string
	go func() {
		defer close(done)
		charge, err = tg.PayInvoice(t.Context(), u, tg.Messages(5)[len(tg.Messages(5))-1])
	}()
	// Approve the pre-checkout as the bot would.
	for len(tg.Calls("answerPreCheckoutQuery")) == 0 {
		ups, uerr := api.GetUpdates(t.Context(), &telego.GetUpdatesParams{Timeout: 1})
		if uerr != nil {
			t.Fatal(uerr)
		}
		for _, up := range ups {
			if up.PreCheckoutQuery != nil {
				if err := api.AnswerPreCheckoutQuery(t.Context(), &telego.AnswerPreCheckoutQueryParams{PreCheckoutQueryID: up.PreCheckoutQuery.ID, Ok: true}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	<-done
	if err != nil {
		t.Fatal(err)
	}
	_ = inv
	r := Refunder{Bot: api}
	for i := range 2 {
		st, err := r.Refund(t.Context(), raffle.RefundRequest{PaymentID: 1, ExternalID: charge, UserID: 5, Currency: "XTR", Amount: 7})
		if err != nil || !st.Done {
			t.Fatalf("refund %d: %+v %v", i+1, st, err)
		}
	}
	if got := len(tg.Calls("refundStarPayment")); got != 2 {
		t.Fatalf("%d refund calls", got)
	}
	if tg.StarBalance() != 0 {
		t.Fatalf("balance %d after refund", tg.StarBalance())
	}
	// An unknown charge is an error to retry, not a success.
	if _, err := r.Refund(t.Context(), raffle.RefundRequest{PaymentID: 2, ExternalID: "nope", UserID: 5}); err == nil {
		t.Fatal("refund of an unknown charge reported success")
	}
}

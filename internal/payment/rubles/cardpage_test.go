package rubles_test

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
)

func get(t *testing.T, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestCardPayoutPage: the signed link opens the widget page; the page posts the widget's card
// token back and the payout is made once, however often the form is posted; a changed or
// expired link is refused.
func TestCardPayoutPage(t *testing.T) {
	e := setup(t, envOptions{})
	c := e.web.Client()
	const user = 901
	e.grant(t, user, 600_00)

	if _, err := e.svc.CardPayoutLink(t.Context(), user, 4_00, "ru"); !errors.Is(err, rubles.ErrAmountOutOfRange) {
		t.Fatalf("link below the card minimum: %v", err)
	}
	if _, err := e.svc.CardPayoutLink(t.Context(), user, 600_01, "ru"); !errors.Is(err, rubles.ErrInsufficientFunds) {
		t.Fatalf("link above the balance: %v", err)
	}
	link, err := e.svc.CardPayoutLink(t.Context(), user, 500_00, "ru")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, e.web.URL+rubles.CardPayoutPath+"?") {
		t.Fatalf("link %s", link)
	}
	status, body, h := get(t, c, link)
	if status != http.StatusOK {
		t.Fatalf("GET %d: %s", status, body)
	}
	for _, want := range []string{rubles.PayoutWidgetScript, `account_id: "` + yookassatest.DefaultGatewayID + `"`, "type: 'payout'",
		"Сумма к выводу: 500 ₽", `name="payout_token"`, `action="/payout/card"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for k, want := range map[string]string{"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Frame-Options": "DENY"} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}

	u, _ := url.Parse(link)
	q := u.Query()
	for _, tc := range []struct {
		name   string
		change func(url.Values)
		want   int
	}{
		{"amount changed", func(v url.Values) { v.Set("a", "600000") }, http.StatusForbidden},
		{"user changed", func(v url.Values) { v.Set("u", "902") }, http.StatusForbidden},
		{"expiry pushed", func(v url.Values) { v.Set("e", "99999999999") }, http.StatusForbidden},
		{"no signature", func(v url.Values) { v.Del("s") }, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := url.Values{}
			for k, vs := range q {
				v[k] = append([]string(nil), vs...)
			}
			tc.change(v)
			if status, _, _ := get(t, c, e.web.URL+rubles.CardPayoutPath+"?"+v.Encode()); status != tc.want {
				t.Fatalf("GET %d, want %d", status, tc.want)
			}
			form := url.Values{"payout_token": {"hoiCz_UVAdi_eKEthqhjRIJp.SC.001.202101"}}
			for k, vs := range v {
				form[k] = vs
			}
			if status, _ := post(t, c, e.web.URL+rubles.CardPayoutPath, form); status != tc.want {
				t.Fatalf("POST %d, want %d", status, tc.want)
			}
		})
	}
	if n := e.count(t, "SELECT count(*) FROM rub_payouts"); n != 0 {
		t.Fatalf("%d payouts from forged links", n)
	}

	// What the widget's success_callback posts: the link, the card synonym and the mask.
	form := url.Values{"payout_token": {"hoiCz_UVAdi_eKEthqhjRIJp.SC.001.202101"}, "first6": {"555555"}, "last4": {"4477"}, "card_type": {"MasterCard"}}
	for k, vs := range q {
		form[k] = vs
	}
	for range 2 {
		status, body := post(t, c, e.web.URL+rubles.CardPayoutPath, form)
		if status != http.StatusOK || !strings.Contains(body, "на карту 555555•••4477 принята") {
			t.Fatalf("POST %d: %s", status, body)
		}
	}
	if n := e.count(t, "SELECT count(*) FROM rub_payouts WHERE method = 'bank_card' AND card_last4 = '4477'"); n != 1 {
		t.Fatalf("%d card payouts", n)
	}
	var id int64
	if err := e.b.Pool.QueryRow(t.Context(), "SELECT id FROM rub_payouts").Scan(&id); err != nil {
		t.Fatal(err)
	}
	row := e.waitPayout(t, id, "pending")
	if err := e.yk.SucceedPayout(row.YookassaID.String); err != nil {
		t.Fatal(err)
	}
	e.waitPayout(t, id, "succeeded")
	if avail, held, _ := e.svc.Balance(t.Context(), user); avail != 100_00 || held != 0 {
		t.Fatalf("available %d, held %d", avail, held)
	}
	if n := e.calls("POST", "/payouts"); n != 1 {
		t.Fatalf("%d payout requests", n)
	}

	// Later the link has expired.
	e.b.Clock.Set(time.Now().Add(31 * time.Minute))
	if status, body, _ := get(t, c, link); status != http.StatusGone || !strings.Contains(body, "истёк") {
		t.Fatalf("expired link: %d %s", status, body)
	}
	e.b.LedgerOK(t)
}

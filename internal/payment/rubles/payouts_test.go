package rubles_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
)

// TestPayoutSucceeds: each method reaches succeeded; the held money leaves the books once and
// the winner is told.
func TestPayoutSucceeds(t *testing.T) {
	e := setup(t, envOptions{})
	for i, tc := range []struct {
		name string
		req  rubles.PayoutRequest
		// pending: YooKassa answers pending and finishes later (notified).
		pending bool
		dest    map[string]any
	}{
		{"yoomoney wallet, final at once", rubles.PayoutRequest{Method: yookassa.PayoutYooMoney, Wallet: "41001614575714"}, false,
			map[string]any{"type": "yoo_money", "account_number": "41001614575714"}},
		{"sbp, pending then succeeded", rubles.PayoutRequest{Method: yookassa.PayoutSBP, Phone: "8 900 555-12-34", BankID: sbpBank}, true,
			map[string]any{"type": "sbp", "phone": "79005551234", "bank_id": sbpBank}},
		{"card token, pending then succeeded", rubles.PayoutRequest{Method: yookassa.PayoutBankCard, CardToken: "hoiCz_UVAdi_eKEthqhjRIJp.SC.001.202101",
			Card: rubles.CardMask{First6: "555555", Last4: "4477", Type: "MasterCard"}}, true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user := int64(200 + i)
			e.grant(t, user, 1000_00)
			tc.req.UserID, tc.req.Amount = user, 700_00
			p, err := e.svc.RequestPayout(t.Context(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if avail, held, _ := e.svc.Balance(t.Context(), user); avail != 300_00 || held != 700_00 {
				t.Fatalf("available %d, held %d after the request", avail, held)
			}
			row := e.waitPayout(t, p.ID, map[bool]string{true: "pending", false: "succeeded"}[tc.pending])
			if tc.pending {
				if err := e.yk.SucceedPayout(row.YookassaID.String); err != nil {
					t.Fatal(err)
				}
				row = e.waitPayout(t, p.ID, "succeeded")
			}
			if avail, held, _ := e.svc.Balance(t.Context(), user); avail != 300_00 || held != 0 {
				t.Fatalf("available %d, held %d after the payout", avail, held)
			}
			e.waitTold(t, user, "Выплата 700 ₽ отправлена")
			// The request: the key and metadata name the row; the destination is as asked.
			type payoutBody struct {
				Amount      yookassa.Amount   `json:"amount"`
				Destination map[string]any    `json:"payout_destination_data"`
				Token       string            `json:"payout_token"`
				Metadata    map[string]string `json:"metadata"`
			}
			var body payoutBody
			var key string
			for _, c := range e.yk.Calls() {
				if c.Method == "POST" && c.Path == "/payouts" {
					body = payoutBody{}
					if err := json.Unmarshal(c.Body, &body); err != nil {
						t.Fatal(err)
					}
					key = c.IdempotenceKey
				}
			}
			if key != fmt.Sprintf("fdpayout-%d-1", p.ID) || key != row.IdempotenceKey {
				t.Fatalf("idempotence key %q, row %q", key, row.IdempotenceKey)
			}
			if body.Amount != yookassa.RUB(700_00) || body.Metadata["fd_payout_id"] != fmt.Sprint(p.ID) {
				t.Fatalf("payout request %+v", body)
			}
			if tc.dest != nil && !cmp.Equal(body.Destination, tc.dest) {
				t.Fatalf("destination %v, want %v", body.Destination, tc.dest)
			}
			if tc.req.Method == yookassa.PayoutBankCard && body.Token != tc.req.CardToken {
				t.Fatalf("payout token %q", body.Token)
			}
		})
	}
	if n := e.calls("POST", "/payouts"); n != 3 {
		t.Fatalf("%d payout requests", n)
	}
	e.b.LedgerOK(t)
}

// TestPayoutCancellationReasons: for every documented cancellation reason the held money goes
// back to the balance, the winner is told the reason in plain words and the admins are alerted.
func TestPayoutCancellationReasons(t *testing.T) {
	e := setup(t, envOptions{})
	reasons := []string{
		yookassa.ReasonInsufficientFunds, yookassa.ReasonFraudSuspected, yookassa.ReasonOneTimeLimitExceeded,
		yookassa.ReasonPeriodicLimitExceeded, yookassa.ReasonRejectedByPayee, yookassa.ReasonGeneralDecline,
		yookassa.ReasonIssuerUnavailable, yookassa.ReasonRecipientNotFound, yookassa.ReasonRecipientCheckFailed,
		yookassa.ReasonIdentificationRequired, yookassa.ReasonSelfEmployedAnnualLimitExceeded,
	}
	for i, reason := range reasons {
		t.Run(reason, func(t *testing.T) {
			user := int64(300 + i)
			e.grant(t, user, 50_00)
			// Half of the cases are canceled at once, half after being pending (then notified).
			req := rubles.PayoutRequest{UserID: user, Amount: 50_00, Method: yookassa.PayoutYooMoney, Wallet: fmt.Sprintf("4100100000%04d", i)}
			later := i%2 == 1
			if later {
				req = rubles.PayoutRequest{UserID: user, Amount: 50_00, Method: yookassa.PayoutSBP, Phone: fmt.Sprintf("7900000%04d", i), BankID: sbpBank}
			} else if err := e.yk.SetPayoutOutcome(req.Wallet, reason); err != nil {
				t.Fatal(err)
			}
			p, err := e.svc.RequestPayout(t.Context(), req)
			if err != nil {
				t.Fatal(err)
			}
			if later {
				row := e.waitPayout(t, p.ID, "pending")
				if err := e.yk.CancelPayout(row.YookassaID.String, reason); err != nil {
					t.Fatal(err)
				}
			}
			row := e.waitPayout(t, p.ID, "canceled")
			if row.CancelReason != reason {
				t.Fatalf("cancel reason %q", row.CancelReason)
			}
			if avail, held, _ := e.svc.Balance(t.Context(), user); avail != 50_00 || held != 0 {
				t.Fatalf("available %d, held %d", avail, held)
			}
			plain := i18n.T(i18n.RU, rubles.PayoutReasonKey(reason))
			e.waitTold(t, user, "Выплата 50 ₽ не прошла", plain, "вернулись на ваш баланс")
			e.waitTold(t, admin, fmt.Sprintf("Выплата #%d", p.ID), plain, reason)
		})
	}
	if n := e.count(t, "SELECT count(*) FROM ledger_transactions WHERE kind = 'payout'"); n != 0 {
		t.Fatalf("%d payouts in the books", n)
	}
	e.b.LedgerOK(t)
}

// TestPayoutRejected: YooKassa refuses the request (400): nothing was paid, the money goes
// back and everyone is told.
func TestPayoutRejected(t *testing.T) {
	e := setup(t, envOptions{})
	e.grant(t, 401, 10_00)
	e.yk.FailNext("/payouts", 1, 400)
	p, err := e.svc.RequestPayout(t.Context(), rubles.PayoutRequest{UserID: 401, Amount: 10_00, Method: yookassa.PayoutYooMoney, Wallet: "41001614575714"})
	if err != nil {
		t.Fatal(err)
	}
	row := e.waitPayout(t, p.ID, "canceled")
	if row.CancelReason != "rejected" || row.YookassaID.Valid {
		t.Fatalf("row %+v", row)
	}
	e.waitTold(t, 401, "Выплата 10 ₽ не прошла", "ЮKassa не приняла заявку")
	e.waitTold(t, admin, fmt.Sprintf("Выплата #%d", p.ID), "http_400")
	if avail, held, _ := e.svc.Balance(t.Context(), 401); avail != 10_00 || held != 0 {
		t.Fatalf("available %d, held %d", avail, held)
	}
	e.b.LedgerOK(t)
}

// TestPayoutValidation: nothing is held or sent for a request that cannot be paid.
func TestPayoutValidation(t *testing.T) {
	e := setup(t, envOptions{})
	e.grant(t, 501, 100_00)
	for _, tc := range []struct {
		name string
		req  rubles.PayoutRequest
		want error
	}{
		{"above the balance", rubles.PayoutRequest{Amount: 100_01, Method: yookassa.PayoutYooMoney, Wallet: "41001614575714"}, rubles.ErrInsufficientFunds},
		{"card below 5 rubles", rubles.PayoutRequest{Amount: 4_99, Method: yookassa.PayoutBankCard, CardToken: "token-0123456789"}, rubles.ErrAmountOutOfRange},
		{"sbp below 1 ruble", rubles.PayoutRequest{Amount: 99, Method: yookassa.PayoutSBP, Phone: "79001234567", BankID: sbpBank}, rubles.ErrAmountOutOfRange},
		{"wallet above 500000 rubles", rubles.PayoutRequest{Amount: 500_000_01, Method: yookassa.PayoutYooMoney, Wallet: "41001614575714"}, rubles.ErrAmountOutOfRange},
		{"zero", rubles.PayoutRequest{Amount: 0, Method: yookassa.PayoutYooMoney, Wallet: "41001614575714"}, rubles.ErrAmountOutOfRange},
		{"phone with letters", rubles.PayoutRequest{Amount: 10_00, Method: yookassa.PayoutSBP, Phone: "+7 900 ABC", BankID: sbpBank}, rubles.ErrInvalidDestination},
		{"short phone", rubles.PayoutRequest{Amount: 10_00, Method: yookassa.PayoutSBP, Phone: "12345", BankID: sbpBank}, rubles.ErrInvalidDestination},
		{"unknown sbp bank", rubles.PayoutRequest{Amount: 10_00, Method: yookassa.PayoutSBP, Phone: "79001234567", BankID: "100000000999"}, rubles.ErrInvalidDestination},
		{"short wallet", rubles.PayoutRequest{Amount: 10_00, Method: yookassa.PayoutYooMoney, Wallet: "4100"}, rubles.ErrInvalidDestination},
		{"card without token", rubles.PayoutRequest{Amount: 10_00, Method: yookassa.PayoutBankCard}, rubles.ErrInvalidDestination},
		{"card number instead of a token", rubles.PayoutRequest{Amount: 10_00, Method: yookassa.PayoutBankCard, CardToken: "5555 5555 5555 4477"}, rubles.ErrInvalidDestination},
		{"bare card number instead of a token", rubles.PayoutRequest{Amount: 10_00, Method: yookassa.PayoutBankCard, CardToken: "5555555555554477"}, rubles.ErrInvalidDestination},
		{"card number inside a token", rubles.PayoutRequest{Amount: 10_00, Method: yookassa.PayoutBankCard, CardToken: "tok_2200123456789010"}, rubles.ErrInvalidDestination},
		{"unknown method", rubles.PayoutRequest{Amount: 10_00, Method: "cash"}, rubles.ErrInvalidDestination},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.UserID = 501
			_, err := e.svc.RequestPayout(t.Context(), tc.req)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if txt := rubles.PayoutErrorText("ru", tc.req.Method, err); txt == "" || txt == i18n.T("ru", "error.internal") {
				t.Fatalf("no text for %v", err)
			}
		})
	}
	if n := e.count(t, "SELECT count(*) FROM rub_payouts"); n != 0 {
		t.Fatalf("%d payout rows", n)
	}
	if v := e.b.Balance(t, ledger.UserAccount(501, "RUB")); v != 100_00 {
		t.Fatalf("balance %d", v)
	}
	if n := e.calls("POST", "/payouts"); n != 0 {
		t.Fatalf("%d payout requests", n)
	}
}

// TestPayoutRequestKey: the same request key never moves money twice.
func TestPayoutRequestKey(t *testing.T) {
	e := setup(t, envOptions{})
	e.grant(t, 601, 30_00)
	req := rubles.PayoutRequest{UserID: 601, Amount: 20_00, Method: yookassa.PayoutYooMoney, Wallet: "41001614575714", RequestKey: "tap-77"}
	first, err := e.svc.RequestPayout(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.RequestPayout(t.Context(), req)
	if err != nil || again.ID != first.ID {
		t.Fatalf("again = %+v, %v; first %+v", again, err, first)
	}
	e.waitPayout(t, first.ID, "succeeded")
	if v := e.b.Balance(t, ledger.UserAccount(601, "RUB")); v != 10_00 {
		t.Fatalf("balance %d", v)
	}
	e.b.LedgerOK(t)
}

// TestPayoutCrash: the process dies between sending a payout and recording YooKassa's answer.
// After a restart exactly one payout exists at YooKassa: within 24 hours the same key brings
// back the first payout; later the payout is looked up by the row id in its metadata, and only
// when YooKassa has none is it sent again, with a new key.
func TestPayoutCrash(t *testing.T) {
	for _, tc := range []struct {
		name string
		lose string // "after": YooKassa made the payout; "before": the request never left
		wait time.Duration
		// wantAttempt is the row's attempt at the end; wantKeys the keys YooKassa saw.
		wantAttempt int32
		searched    bool
	}{
		{"within the key's day", "after", time.Hour, 1, false},
		{"after the key expired, payout made", "after", 25 * time.Hour, 1, true},
		{"after the key expired, never sent", "before", 25 * time.Hour, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// No notifications: only the job finds out what happened. Long retry delays: nothing
			// runs the job again until the restart.
			e := setup(t, envOptions{noWebhook: true, noClientRetries: true, cfg: func(c *rubles.Config) { c.RetryBase = time.Hour }})
			e.grant(t, 701, 80_00)
			e.tr.loseNext("/payouts", tc.lose)
			p, err := e.svc.RequestPayout(t.Context(), rubles.PayoutRequest{UserID: 701, Amount: 80_00, Method: yookassa.PayoutYooMoney, Wallet: "4100116075156746"})
			if err != nil {
				t.Fatal(err)
			}
			e.waitCount(t, 1, "SELECT count(*) FROM river_job WHERE kind = 'rubles_payout_send' AND state = 'retryable'")
			row := e.payout(t, p.ID)
			if row.Status != "new" || row.SentAt == nil || row.YookassaID.Valid {
				t.Fatalf("row after the crash: %+v", row)
			}
			wantPayouts := map[string]int{"after": 1, "before": 0}[tc.lose]
			if n := len(e.yk.PayoutIDs()); n != wantPayouts {
				t.Fatalf("YooKassa holds %d payouts after the crash, want %d", n, wantPayouts)
			}

			e.b.Clock.Set(time.Now().Add(tc.wait)) // the service's clock and the fake's
			e.restart(t)
			if _, err := e.b.Pool.Exec(t.Context(), "UPDATE river_job SET scheduled_at = now() WHERE kind = 'rubles_payout_send'"); err != nil {
				t.Fatal(err)
			}
			row = e.waitPayout(t, p.ID, "succeeded")
			if ids := e.yk.PayoutIDs(); len(ids) != 1 || ids[0] != row.YookassaID.String {
				t.Fatalf("YooKassa holds payouts %v, the row names %s", ids, row.YookassaID.String)
			}
			if row.Attempt != tc.wantAttempt {
				t.Fatalf("attempt %d, want %d", row.Attempt, tc.wantAttempt)
			}
			if searched := e.calls("GET", "/payouts/search") > 0; searched != tc.searched {
				t.Fatalf("searched by metadata: %v, want %v", searched, tc.searched)
			}
			if avail, held, _ := e.svc.Balance(t.Context(), 701); avail != 0 || held != 0 {
				t.Fatalf("available %d, held %d", avail, held)
			}
			e.idle(t, "notify_send")
			done := 0
			for _, m := range e.b.Sent.To(701) {
				if m.Text == i18n.Render(i18n.RU, "notify.payout_done", map[string]i18n.Arg{"amount": i18n.M(80_00, "RUB")}) {
					done++
				}
			}
			if done != 1 {
				t.Fatalf("told %d times", done)
			}
			e.b.LedgerOK(t)
		})
	}
}

// TestPayoutRecheck: a pending payout whose notification never comes is finished by the
// periodic re-check.
func TestPayoutRecheck(t *testing.T) {
	e := setup(t, envOptions{noWebhook: true, cfg: func(c *rubles.Config) { c.RecheckAfter = time.Minute }})
	e.grant(t, 801, 15_00)
	p, err := e.svc.RequestPayout(t.Context(), rubles.PayoutRequest{UserID: 801, Amount: 15_00, Method: yookassa.PayoutSBP, Phone: "79001112233", BankID: sbpBank})
	if err != nil {
		t.Fatal(err)
	}
	row := e.waitPayout(t, p.ID, "pending")
	if err := e.yk.SucceedPayout(row.YookassaID.String); err != nil {
		t.Fatal(err)
	}
	e.b.Clock.Set(time.Now().Add(2 * time.Minute))
	e.runJob(t, rubles.RecheckPayoutsArgs{})
	e.waitPayout(t, p.ID, "succeeded")
	e.b.LedgerOK(t)
}

func TestSBPBanksAndPayoutBalance(t *testing.T) {
	banks := []yookassa.SBPBank{{BankID: "100000000111", Name: "Сбербанк", BIC: "044525225"}, {BankID: "100000000004", Name: "Т-Банк", BIC: "044525974"}, {BankID: "100000000008", Name: "Альфа-Банк", BIC: "044525593"}}
	e := setup(t, envOptions{fake: yookassatest.Options{SBPBanks: banks, PayoutBalance: 123_45}})
	for range 3 {
		got, err := e.svc.SBPBanks(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		want := []yookassa.SBPBank{banks[2], banks[0], banks[1]} // by name
		if !cmp.Equal(got, want) {
			t.Fatalf("banks %v", got)
		}
	}
	if n := e.calls("GET", "/sbp_banks"); n != 1 {
		t.Fatalf("%d requests for the bank list", n)
	}
	bal, err := e.svc.PayoutBalance(t.Context())
	if err != nil || bal != (yookassa.Balance{Value: 123_45, Currency: "RUB"}) {
		t.Fatalf("balance %v, %v", bal, err)
	}
}

func TestNormalizePhone(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		{"international", "+7 (900) 123-45-67", "79001234567", true},
		{"trunk prefix 8", "8 900 123 45 67", "79001234567", true},
		{"ten digits", "9001234567", "79001234567", true},
		{"digits", "79001234567", "79001234567", true},
		{"foreign", "+375 29 123-45-67", "375291234567", true},
		{"letters", "+7 900 CALL-ME", "", false},
		{"plus inside", "7+9001234567", "", false},
		{"too short", "12345", "", false},
		{"too long", "+1234567890123456", "", false},
		{"empty", "", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := rubles.NormalizePhone(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("NormalizePhone(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestReasonTexts: every reason a payment or payout can be canceled for has a text in both
// languages, and unknown reasons fall back to a general one.
func TestReasonTexts(t *testing.T) {
	var keys []string
	for _, r := range []string{yookassa.Reason3DSecureFailed, yookassa.ReasonCallIssuer, yookassa.ReasonCardExpired,
		yookassa.ReasonPaymentMethodLimitExceeded, yookassa.ReasonPaymentMethodRestricted, yookassa.ReasonCountryForbidden,
		yookassa.ReasonGeneralDecline, yookassa.ReasonFraudSuspected, yookassa.ReasonIdentificationRequired,
		yookassa.ReasonInsufficientFunds, yookassa.ReasonInvalidCardNumber, yookassa.ReasonInvalidCSC,
		yookassa.ReasonIssuerUnavailable, yookassa.ReasonCanceledByMerchant, yookassa.ReasonPermissionRevoked,
		yookassa.ReasonInternalTimeout, yookassa.ReasonExpiredOnConfirmation, yookassa.ReasonExpiredOnCapture,
		yookassa.ReasonUnsupportedMobileOperator, yookassa.ReasonDealExpired, "no_such_reason"} {
		keys = append(keys, rubles.PaymentReasonKey(r))
	}
	for _, r := range []string{yookassa.ReasonInsufficientFunds, yookassa.ReasonFraudSuspected, yookassa.ReasonOneTimeLimitExceeded,
		yookassa.ReasonPeriodicLimitExceeded, yookassa.ReasonRejectedByPayee, yookassa.ReasonGeneralDecline,
		yookassa.ReasonIssuerUnavailable, yookassa.ReasonRecipientNotFound, yookassa.ReasonRecipientCheckFailed,
		yookassa.ReasonIdentificationRequired, yookassa.ReasonSelfEmployedAnnualLimitExceeded, "rejected", "no_such_reason"} {
		keys = append(keys, rubles.PayoutReasonKey(r))
	}
	for _, k := range keys {
		for _, lang := range []string{i18n.RU, i18n.EN} {
			if got := i18n.T(lang, k); got == k || got == "" {
				t.Errorf("%s: no %s text", k, lang)
			}
		}
	}
	if rubles.PaymentReasonKey("no_such_reason") != "rub.payment_reason.other" || rubles.PayoutReasonKey("x") != "rub.payout_reason.other" {
		t.Fatal("unknown reasons do not fall back")
	}
}

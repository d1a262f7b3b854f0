package yookassa_test

import (
	"strings"
	"testing"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// Every reason the spec documents, per object.
var (
	specPaymentReasons = []string{"3d_secure_failed", "call_issuer", "card_expired", "payment_method_limit_exceeded",
		"payment_method_restricted", "country_forbidden", "general_decline", "fraud_suspected", "identification_required",
		"insufficient_funds", "invalid_card_number", "invalid_csc", "issuer_unavailable", "canceled_by_merchant",
		"permission_revoked", "internal_timeout", "expired_on_confirmation", "expired_on_capture",
		"unsupported_mobile_operator", "deal_expired"}
	specPayoutReasons = []string{"insufficient_funds", "fraud_suspected", "one_time_limit_exceeded", "periodic_limit_exceeded",
		"rejected_by_payee", "general_decline", "issuer_unavailable", "recipient_not_found", "recipient_check_failed",
		"identification_required", "self_employed_annual_limit_exceeded"}
	specRefundReasons = []string{"yoo_money_account_closed", "insufficient_funds", "general_decline", "rejected_by_payee",
		"rejected_by_timeout", "payment_basket_id_not_found", "payment_article_number_not_found",
		"payment_tru_code_not_found", "too_many_refunding_articles", "some_articles_already_refunded"}
)

func TestReasonTextsCoverTheSpec(t *testing.T) {
	generic := map[string]string{"ru": yookassa.ReasonText("no_such_reason", "ru"), "en": yookassa.ReasonText("no_such_reason", "en")}
	sets := []struct {
		name    string
		reasons []string
		text    func(reason, lang string) string
	}{
		{"payment", specPaymentReasons, yookassa.ReasonText},
		{"payout", specPayoutReasons, yookassa.PayoutReasonText},
		{"refund", specRefundReasons, yookassa.RefundReasonText},
	}
	for _, set := range sets {
		for _, reason := range set.reasons {
			for _, lang := range []string{"ru", "en"} {
				t.Run(set.name+"/"+reason+"/"+lang, func(t *testing.T) {
					got := set.text(reason, lang)
					if got == "" || got == generic[lang] {
						t.Fatalf("no specific text for %s", reason)
					}
					cyrillic := strings.ContainsFunc(got, func(r rune) bool { return r >= 'а' && r <= 'я' })
					if cyrillic != (lang == "ru") {
						t.Fatalf("text %q is not in %s", got, lang)
					}
				})
			}
		}
	}
}

func TestReasonTextLanguages(t *testing.T) {
	tests := []struct {
		name, reason, lang, want string
	}{
		{"english", yookassa.ReasonExpiredOnConfirmation, "en", "Time to pay ran out: the payment was not confirmed in time. Please start again."},
		{"english region", yookassa.ReasonExpiredOnConfirmation, "en-US", "Time to pay ran out: the payment was not confirmed in time. Please start again."},
		{"russian", yookassa.ReasonExpiredOnConfirmation, "ru", "Время на оплату истекло: платёж не подтвердили вовремя. Начните оплату заново."},
		{"other language falls back to russian", yookassa.ReasonExpiredOnConfirmation, "de", "Время на оплату истекло: платёж не подтвердили вовремя. Начните оплату заново."},
		{"unknown reason", "brand_new_reason", "en", "The operation was declined. Try again or choose another method."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := yookassa.ReasonText(tc.reason, tc.lang); got != tc.want {
				t.Fatalf("ReasonText(%q, %q) = %q, want %q", tc.reason, tc.lang, got, tc.want)
			}
		})
	}
	if yookassa.ReasonText(yookassa.ReasonInsufficientFunds, "en") == yookassa.PayoutReasonText(yookassa.ReasonInsufficientFunds, "en") {
		t.Fatalf("insufficient_funds reads the same for a payment and a payout")
	}
}

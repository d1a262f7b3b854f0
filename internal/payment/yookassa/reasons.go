package yookassa

import "strings"

// Cancellation reasons (cancellation_details.reason) documented in the OpenAPI spec. Some names
// are shared by payments, refunds and payouts with different meanings (insufficient_funds is the
// payer's money for a payment but the shop's payout balance for a payout), so texts come from
// ReasonText, PayoutReasonText or RefundReasonText depending on the object.
const (
	// Payments (spec PaymentCancellationDetails).
	Reason3DSecureFailed             = "3d_secure_failed"
	ReasonCallIssuer                 = "call_issuer"
	ReasonCardExpired                = "card_expired"
	ReasonPaymentMethodLimitExceeded = "payment_method_limit_exceeded"
	ReasonPaymentMethodRestricted    = "payment_method_restricted"
	ReasonCountryForbidden           = "country_forbidden"
	ReasonGeneralDecline             = "general_decline" // also payouts and refunds
	ReasonFraudSuspected             = "fraud_suspected" // also payouts
	ReasonIdentificationRequired     = "identification_required"
	ReasonInsufficientFunds          = "insufficient_funds" // also payouts and refunds
	ReasonInvalidCardNumber          = "invalid_card_number"
	ReasonInvalidCSC                 = "invalid_csc"
	ReasonIssuerUnavailable          = "issuer_unavailable" // also payouts
	ReasonCanceledByMerchant         = "canceled_by_merchant"
	ReasonPermissionRevoked          = "permission_revoked"
	ReasonInternalTimeout            = "internal_timeout"
	ReasonExpiredOnConfirmation      = "expired_on_confirmation"
	ReasonExpiredOnCapture           = "expired_on_capture"
	ReasonUnsupportedMobileOperator  = "unsupported_mobile_operator"
	ReasonDealExpired                = "deal_expired"

	// Payouts only (spec PayoutCancellationDetails).
	ReasonOneTimeLimitExceeded            = "one_time_limit_exceeded"
	ReasonPeriodicLimitExceeded           = "periodic_limit_exceeded"
	ReasonRejectedByPayee                 = "rejected_by_payee" // also refunds
	ReasonRecipientNotFound               = "recipient_not_found"
	ReasonRecipientCheckFailed            = "recipient_check_failed"
	ReasonSelfEmployedAnnualLimitExceeded = "self_employed_annual_limit_exceeded" // payouts to the self-employed ended 2025-12-29

	// Refunds only (spec RefundCancellationDetails).
	ReasonYooMoneyAccountClosed        = "yoo_money_account_closed"
	ReasonRejectedByTimeout            = "rejected_by_timeout"
	ReasonPaymentBasketIDNotFound      = "payment_basket_id_not_found"
	ReasonPaymentArticleNumberNotFound = "payment_article_number_not_found"
	ReasonPaymentTruCodeNotFound       = "payment_tru_code_not_found"
	ReasonTooManyRefundingArticles     = "too_many_refunding_articles"
	ReasonSomeArticlesAlreadyRefunded  = "some_articles_already_refunded"
)

type text struct{ ru, en string }

var paymentReasons = map[string]text{
	Reason3DSecureFailed: {
		"Не пройдена проверка 3-D Secure. Попробуйте ещё раз, выберите другой способ оплаты или уточните в банке.",
		"3-D Secure check failed. Try again, use another payment method or ask your bank."},
	ReasonCallIssuer: {
		"Банк отклонил оплату без объяснения причин. Обратитесь в банк, выпустивший карту или кошелёк.",
		"Your bank declined the payment without giving a reason. Please contact the bank that issued the card or wallet."},
	ReasonCardExpired: {
		"Срок действия карты истёк. Оплатите другой картой.",
		"The card has expired. Please pay with another card."},
	ReasonPaymentMethodLimitExceeded: {
		"Превышен лимит этого способа оплаты. Выберите другой способ или обратитесь в банк.",
		"This payment method's limit is exceeded. Use another method or contact your bank."},
	ReasonPaymentMethodRestricted: {
		"Операции этим способом оплаты ограничены (например, карта заблокирована). Выберите другой способ.",
		"Payments with this method are restricted (the card may be blocked, for example). Use another method."},
	ReasonCountryForbidden: {
		"Нельзя оплатить картой, выпущенной в этой стране. Выберите другую карту.",
		"Cards issued in this country cannot be used here. Please use another card."},
	ReasonGeneralDecline: {
		"Операция отклонена без уточнения причины. Попробуйте другой способ или обратитесь в банк.",
		"The operation was declined without details. Try another method or contact your bank."},
	ReasonFraudSuspected: {
		"Операция заблокирована из-за подозрения в мошенничестве. Выберите другой способ или обратитесь в банк.",
		"The operation was blocked on suspicion of fraud. Use another method or contact your bank."},
	ReasonIdentificationRequired: {
		"Превышен лимит для кошелька без идентификации. Пройдите идентификацию или выберите другой способ.",
		"The wallet's limit for unidentified users is exceeded. Identify the wallet or use another method."},
	ReasonInsufficientFunds: {
		"Недостаточно денег для оплаты. Пополните счёт или выберите другой способ.",
		"Not enough money to pay. Top up or use another method."},
	ReasonInvalidCardNumber: {
		"Неправильный номер карты. Проверьте номер и попробуйте ещё раз.",
		"Invalid card number. Check it and try again."},
	ReasonInvalidCSC: {
		"Неправильный код CVV2/CVC2/CVP2. Проверьте код и попробуйте ещё раз.",
		"Invalid CVV2/CVC2/CVP2 code. Check it and try again."},
	ReasonIssuerUnavailable: {
		"Банк временно недоступен. Попробуйте позже или выберите другой способ.",
		"The bank is temporarily unavailable. Try again later or use another method."},
	ReasonCanceledByMerchant: {
		"Платёж отменён магазином.",
		"The payment was canceled by the merchant."},
	ReasonPermissionRevoked: {
		"Разрешение на списание без подтверждения отозвано.",
		"Permission to charge without confirmation was revoked."},
	ReasonInternalTimeout: {
		"Технический сбой: операцию не удалось завершить вовремя. Попробуйте ещё раз.",
		"Technical failure: the operation did not finish in time. Please try again."},
	ReasonExpiredOnConfirmation: {
		"Время на оплату истекло: платёж не подтвердили вовремя. Начните оплату заново.",
		"Time to pay ran out: the payment was not confirmed in time. Please start again."},
	ReasonExpiredOnCapture: {
		"Платёж не был вовремя подтверждён магазином, деньги вернутся плательщику.",
		"The merchant did not capture the payment in time; the money goes back to the payer."},
	ReasonUnsupportedMobileOperator: {
		"Оплата с баланса телефона этого оператора недоступна. Выберите другой способ.",
		"Paying from this mobile operator's balance is not supported. Use another method."},
	ReasonDealExpired: {
		"Срок сделки истёк.",
		"The deal has expired."},
}

var payoutReasons = map[string]text{
	ReasonInsufficientFunds: {
		"Выплата задерживается: на балансе выплат сервиса не хватает денег. Попробуйте позже.",
		"The payout is delayed: the service's payout balance is short. Please try again later."},
	ReasonFraudSuspected: {
		"Выплата заблокирована из-за подозрения в мошенничестве. Выберите другой способ получения.",
		"The payout was blocked on suspicion of fraud. Please choose another way to receive it."},
	ReasonOneTimeLimitExceeded: {
		"Превышен лимит на одну выплату для этого счёта или кошелька. Выберите другой способ получения.",
		"The single payout limit of this account or wallet is exceeded. Please choose another way to receive it."},
	ReasonPeriodicLimitExceeded: {
		"Превышен лимит выплат за период для этого счёта или карты. Выберите другой способ получения или попробуйте позже.",
		"The period payout limit of this account or card is exceeded. Choose another way to receive it or try later."},
	ReasonRejectedByPayee: {
		"Банк или сервис получателя отклонил выплату. Выберите другой способ получения.",
		"The recipient's bank or service rejected the payout. Please choose another way to receive it."},
	ReasonGeneralDecline: {
		"Выплата отклонена без уточнения причины. Выберите другой способ получения.",
		"The payout was declined without details. Please choose another way to receive it."},
	ReasonIssuerUnavailable: {
		"Банк получателя временно недоступен. Попробуйте позже или выберите другой способ.",
		"The recipient's bank is temporarily unavailable. Try later or choose another way."},
	ReasonRecipientNotFound: {
		"По этому номеру телефона в выбранном банке не найден счёт для СБП. Проверьте номер и банк.",
		"No SBP account was found for this phone number at the chosen bank. Check the number and the bank."},
	ReasonRecipientCheckFailed: {
		"Данные получателя не совпали с данными владельца счёта. Проверьте ФИО, телефон и банк.",
		"The recipient's details do not match the account holder. Check the name, phone number and bank."},
	ReasonIdentificationRequired: {
		"Кошелёк получателя превысил лимит без идентификации. Пройдите идентификацию или выберите другой способ.",
		"The recipient's wallet reached its limit for unidentified users. Identify the wallet or choose another way."},
	ReasonSelfEmployedAnnualLimitExceeded: {
		"Превышен годовой лимит дохода самозанятого.",
		"The self-employed annual income limit is exceeded."},
}

var refundReasons = map[string]text{
	ReasonYooMoneyAccountClosed: {
		"Кошелёк ЮMoney, с которого платили, закрыт — вернуть деньги на него нельзя.",
		"The YooMoney wallet used to pay is closed, so the money cannot go back to it."},
	ReasonInsufficientFunds: {
		"На балансе магазина не хватает денег для возврата.",
		"The shop's balance is short of money for the refund."},
	ReasonGeneralDecline: {
		"Возврат отклонён без уточнения причины.",
		"The refund was declined without details."},
	ReasonRejectedByPayee: {
		"Банк или сервис плательщика отклонил возврат.",
		"The payer's bank or service rejected the refund."},
	ReasonRejectedByTimeout: {
		"Банк плательщика не ответил вовремя, возврат отменён.",
		"The payer's bank did not answer in time; the refund was canceled."},
	ReasonPaymentBasketIDNotFound: {
		"Не найдена корзина покупки для возврата по электронному сертификату.",
		"The purchase basket for the electronic certificate refund was not found."},
	ReasonPaymentArticleNumberNotFound: {
		"Не найден товар для возврата по электронному сертификату.",
		"The item for the electronic certificate refund was not found."},
	ReasonPaymentTruCodeNotFound: {
		"Не найден код ТРУ товара для возврата по электронному сертификату.",
		"The item's TRU code for the electronic certificate refund was not found."},
	ReasonTooManyRefundingArticles: {
		"Возвращается больше единиц товара, чем было куплено.",
		"More item units are being refunded than were bought."},
	ReasonSomeArticlesAlreadyRefunded: {
		"Часть товаров уже возвращена.",
		"Some items have already been refunded."},
}

var unknownReason = text{
	"Операция отклонена. Попробуйте ещё раз или выберите другой способ.",
	"The operation was declined. Try again or choose another method.",
}

// ReasonText explains a payment's cancellation reason in plain words for the user, in Russian
// or, when lang starts with "en" (a Telegram language code such as "en" or "en-US"), in English.
// A reason that is not a payment reason falls back to the payout and refund tables, then to a
// generic sentence, so it never returns "".
func ReasonText(reason, lang string) string {
	return pick(reason, lang, paymentReasons, payoutReasons, refundReasons)
}

// PayoutReasonText is ReasonText for a payout's cancellation reason: shared names such as
// insufficient_funds get their payout meaning.
func PayoutReasonText(reason, lang string) string {
	return pick(reason, lang, payoutReasons, paymentReasons, refundReasons)
}

// RefundReasonText is ReasonText for a refund's cancellation reason.
func RefundReasonText(reason, lang string) string {
	return pick(reason, lang, refundReasons, paymentReasons, payoutReasons)
}

func pick(reason, lang string, tables ...map[string]text) string {
	t := unknownReason
	for _, tbl := range tables {
		if v, ok := tbl[reason]; ok {
			t = v
			break
		}
	}
	if strings.HasPrefix(strings.ToLower(lang), "en") {
		return t.en
	}
	return t.ru
}

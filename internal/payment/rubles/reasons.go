package rubles

import "github.com/fairdraw/fairdraw/internal/payment/yookassa"

// paymentReasons and payoutReasons are the cancellation reasons with their own text
// (rub.payment_reason.<reason>, rub.payout_reason.<reason>).
var (
	paymentReasons = map[string]bool{
		yookassa.Reason3DSecureFailed: true, yookassa.ReasonCallIssuer: true, yookassa.ReasonCardExpired: true,
		yookassa.ReasonPaymentMethodLimitExceeded: true, yookassa.ReasonPaymentMethodRestricted: true,
		yookassa.ReasonCountryForbidden: true, yookassa.ReasonGeneralDecline: true, yookassa.ReasonFraudSuspected: true,
		yookassa.ReasonIdentificationRequired: true, yookassa.ReasonInsufficientFunds: true,
		yookassa.ReasonInvalidCardNumber: true, yookassa.ReasonInvalidCSC: true, yookassa.ReasonIssuerUnavailable: true,
		yookassa.ReasonCanceledByMerchant: true, yookassa.ReasonPermissionRevoked: true, yookassa.ReasonInternalTimeout: true,
		yookassa.ReasonExpiredOnConfirmation: true, yookassa.ReasonExpiredOnCapture: true,
		yookassa.ReasonUnsupportedMobileOperator: true, yookassa.ReasonDealExpired: true,
	}
	payoutReasons = map[string]bool{
		yookassa.ReasonInsufficientFunds: true, yookassa.ReasonFraudSuspected: true, yookassa.ReasonOneTimeLimitExceeded: true,
		yookassa.ReasonPeriodicLimitExceeded: true, yookassa.ReasonRejectedByPayee: true, yookassa.ReasonGeneralDecline: true,
		yookassa.ReasonIssuerUnavailable: true, yookassa.ReasonRecipientNotFound: true, yookassa.ReasonRecipientCheckFailed: true,
		yookassa.ReasonIdentificationRequired: true, yookassa.ReasonSelfEmployedAnnualLimitExceeded: true,
		reasonRejected: true,
	}
)

// PaymentReasonKey is the i18n key explaining a payment's cancellation reason to the payer;
// an unknown reason gets a general text.
func PaymentReasonKey(reason string) string {
	if paymentReasons[reason] {
		return "rub.payment_reason." + reason
	}
	return "rub.payment_reason.other"
}

// PayoutReasonKey is the i18n key explaining a payout's cancellation reason to the winner
// (including "rejected": YooKassa refused the request); an unknown reason gets a general text.
func PayoutReasonKey(reason string) string {
	if payoutReasons[reason] {
		return "rub.payout_reason." + reason
	}
	return "rub.payout_reason.other"
}

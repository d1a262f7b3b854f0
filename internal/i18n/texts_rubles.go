package i18n

// rublesTexts are the texts of ruble payments, refunds and payouts.
var rublesTexts = map[string]map[string]string{
	RU: {},
	EN: {},
}

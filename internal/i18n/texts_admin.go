package i18n

// adminTexts are the texts of the admin panel and alerts.
var adminTexts = map[string]map[string]string{
	RU: {},
	EN: {},
}

package i18n

// notifyTexts are the texts of notifications and sending.
var notifyTexts = map[string]map[string]string{
	RU: {},
	EN: {},
}

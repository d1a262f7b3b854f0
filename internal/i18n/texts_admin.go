package i18n

// adminTexts are the texts of the admin panel and alerts.
var adminTexts = map[string]map[string]string{
	RU: {
		"admin.alert_ledger": "🚨 Проверка книги учёта нашла {count} расхождений. Деньги не двигаются сами: нужен человек.\n{problems}",
	},
	EN: {
		"admin.alert_ledger": "🚨 The ledger check found {count} mismatches. Nothing fixes itself: a person is needed.\n{problems}",
	},
}

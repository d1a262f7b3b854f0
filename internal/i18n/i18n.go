// Package i18n holds every text a user sees, in Russian (the default) and English, and the
// plural rules of both languages.
//
// A text is looked up by key and filled from named arguments: "{title}" in a text is replaced
// by the argument "title". Counted nouns go through Plural, which knows that Russian says
// 1 участник, 2 участника, 5 участников, 11 участников, 21 участник. Users whose Telegram
// language starts with "en" get English; everyone else gets Russian.
package i18n

import (
	"fmt"
	"strconv"
	"strings"
)

// Languages.
const (
	RU = "ru"
	EN = "en"
)

// catalog holds every text: one map per area, each in its own file. Both languages must have
// the same keys with the same placeholders (a test checks), and no key may be defined twice.
// Never use the words for games of chance in a text: fairdraw runs prize draws.
var catalog = mergeCatalogs(coreTexts, rublesTexts, adminTexts, notifyTexts, opsTexts, siteTexts, giftsTexts)

func mergeCatalogs(parts ...map[string]map[string]string) map[string]map[string]string {
	out := map[string]map[string]string{RU: {}, EN: {}}
	for _, part := range parts {
		for lang, texts := range part {
			for k, v := range texts {
				if _, dup := out[lang][k]; dup {
					panic("i18n: text key defined twice: " + k) // caught by the package's tests
				}
				out[lang][k] = v
			}
		}
	}
	return out
}

// Lang maps a Telegram language_code to one of ours.
func Lang(telegramLanguage string) string {
	if strings.HasPrefix(strings.ToLower(telegramLanguage), "en") {
		return EN
	}
	return RU
}

// T returns the text key in lang with its {placeholders} filled from args, given as name, value
// pairs. A missing key returns the key itself, so a mistake shows instead of an empty message.
func T(lang, key string, args ...any) string {
	text, ok := catalog[Lang(lang)][key]
	if !ok {
		text, ok = catalog[RU][key]
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return text
	}
	pairs := make([]string, 0, len(args))
	for i := 0; i+1 < len(args); i += 2 {
		pairs = append(pairs, "{"+fmt.Sprint(args[i])+"}", fmt.Sprint(args[i+1]))
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// Plural returns n followed by the right form of the noun key in lang ("5 участников").
// The noun's forms are stored as "one|few|many" for Russian and "one|other" for English.
func Plural(lang string, n int64, noun string) string {
	forms := strings.Split(T(lang, "noun."+noun), "|")
	return strconv.FormatInt(n, 10) + " " + forms[pluralIndex(Lang(lang), n, len(forms))]
}

func pluralIndex(lang string, n int64, nforms int) int {
	if n < 0 {
		n = -n
	}
	idx := 0
	if lang == RU {
		switch {
		case n%10 == 1 && n%100 != 11:
			idx = 0
		case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
			idx = 1
		default:
			idx = 2
		}
	} else if n != 1 {
		idx = 1
	}
	return min(idx, nforms-1)
}

// Money formats an amount in minor units for people: "100 ⭐" for Stars, "100,50 ₽" / "100.50 ₽" for rubles.
func Money(lang string, amount int64, currency string) string {
	if currency == "XTR" {
		return strconv.FormatInt(amount, 10) + " ⭐"
	}
	sign := ""
	if amount < 0 {
		sign, amount = "-", -amount
	}
	sep := ","
	if Lang(lang) == EN {
		sep = "."
	}
	rub, kop := amount/100, amount%100
	if kop == 0 {
		return fmt.Sprintf("%s%d ₽", sign, rub)
	}
	return fmt.Sprintf("%s%d%s%02d ₽", sign, rub, sep, kop)
}

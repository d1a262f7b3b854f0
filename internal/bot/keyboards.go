package bot

import (
	"fmt"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// Callback data. Every button's data is one of these shapes; anything else is answered as an
// out-of-date button.
const (
	cbMenu     = "menu"
	cbList     = "list:"    // list:XTR, list:RUB
	cbDraw     = "draw:"    // draw:<id>  shows the draw and how to pay
	cbPayStars = "pay:xtr:" // pay:xtr:<id>  sends the Stars invoice
	cbPayBal   = "pay:bal:" // pay:bal:<id>  pays from the in-bot balance
	cbPayRub   = "pay:rub:" // pay:rub:<id>  opens the YooKassa payment page
	cbStats    = "stats"
	cbRules    = "rules"
	cbBalance  = "balance"
	cbHistory  = "history"
	cbNewsOff  = "news:off"
	cbNewsOn   = "news:on"
	cbAdmin    = "adm:"
	cbWithdraw = "wd" // wd, wd:sbp, wd:wallet, wd:card, wd:banks:<page>, wd:bank:<id>
)

func button(text, data string) telego.InlineKeyboardButton {
	return telego.InlineKeyboardButton{Text: text, CallbackData: data}
}

func rows(r ...[]telego.InlineKeyboardButton) *telego.InlineKeyboardMarkup {
	return &telego.InlineKeyboardMarkup{InlineKeyboard: r}
}

func (b *Bot) mainMenu(l string, followsNews bool) *telego.InlineKeyboardMarkup {
	var join []telego.InlineKeyboardButton
	if b.currencies["XTR"] {
		join = append(join, button(i18n.T(l, "menu.join_xtr"), cbList+"XTR"))
	}
	if b.currencies["RUB"] {
		join = append(join, button(i18n.T(l, "menu.join_rub"), cbList+"RUB"))
	}
	news := button(i18n.T(l, "menu.news_off"), cbNewsOff)
	if !followsNews {
		news = button(i18n.T(l, "menu.news_on"), cbNewsOn)
	}
	return rows(
		join,
		[]telego.InlineKeyboardButton{button(i18n.T(l, "menu.stats"), cbStats), button(i18n.T(l, "menu.rules"), cbRules)},
		[]telego.InlineKeyboardButton{button(i18n.T(l, "menu.balance"), cbBalance), button(i18n.T(l, "menu.history"), cbHistory)},
		[]telego.InlineKeyboardButton{news},
	)
}

func backRow(l string) []telego.InlineKeyboardButton {
	return []telego.InlineKeyboardButton{button(i18n.T(l, "menu.back"), cbMenu)}
}

// payChoice is the keyboard under a draw: pay with Stars, with rubles, from the balance, back.
func (b *Bot) payChoice(l string, d raffle.Draw, balance int64) *telego.InlineKeyboardMarkup {
	fee := i18n.Money(l, d.Fee, d.Currency)
	var r [][]telego.InlineKeyboardButton
	switch d.Currency {
	case "XTR":
		r = append(r, []telego.InlineKeyboardButton{button(i18n.T(l, "pay.stars", "fee", fee), fmt.Sprintf("%s%d", cbPayStars, d.ID))})
	case "RUB":
		if b.rubles != nil {
			r = append(r, []telego.InlineKeyboardButton{button(i18n.T(l, "pay.rub", "fee", fee), fmt.Sprintf("%s%d", cbPayRub, d.ID))})
		}
	}
	if balance >= d.Fee {
		r = append(r, []telego.InlineKeyboardButton{button(i18n.T(l, "pay.balance", "fee", fee), fmt.Sprintf("%s%d", cbPayBal, d.ID))})
	}
	r = append(r, backRow(l))
	return rows(r...)
}

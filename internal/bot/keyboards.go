package bot

import (
	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

func (b *Bot) mainMenu(l string, followsNews bool) [][]telego.InlineKeyboardButton {
	var join []telego.InlineKeyboardButton
	if b.currencies["XTR"] {
		join = append(join, tgui.Button(i18n.T(l, "menu.join_xtr"), tgui.Data(cbList, "XTR")))
	}
	if b.currencies["RUB"] {
		join = append(join, tgui.Button(i18n.T(l, "menu.join_rub"), tgui.Data(cbList, "RUB")))
	}
	news := tgui.Button(i18n.T(l, "menu.news_off"), cbNewsOff)
	if !followsNews {
		news = tgui.Button(i18n.T(l, "menu.news_on"), cbNewsOn)
	}
	return tgui.Rows(
		join,
		tgui.Row(tgui.Button(i18n.T(l, "menu.stats"), cbStats), tgui.Button(i18n.T(l, "menu.rules"), cbRules)),
		tgui.Row(tgui.Button(i18n.T(l, "menu.balance"), cbBalance), tgui.Button(i18n.T(l, "menu.history"), cbHistory)),
		tgui.Row(news),
	)
}

func backRow(l string) []telego.InlineKeyboardButton {
	return tgui.Row(tgui.Button(i18n.T(l, "menu.back"), cbMenu))
}

// payChoice is the keyboard under a draw: pay with Stars, with rubles, from the balance, back.
func (b *Bot) payChoice(l string, d raffle.Draw, balance int64) [][]telego.InlineKeyboardButton {
	fee := i18n.Money(l, d.Fee, d.Currency)
	var kb [][]telego.InlineKeyboardButton
	switch d.Currency {
	case "XTR":
		kb = append(kb, tgui.Row(tgui.Button(i18n.T(l, "pay.stars", "fee", fee), tgui.Data(cbPayStars, d.ID))))
	case "RUB":
		if b.rubles != nil {
			kb = append(kb, tgui.Row(tgui.Button(i18n.T(l, "pay.rub", "fee", fee), tgui.Data(cbPayRub, d.ID))))
		}
	}
	if balance >= d.Fee {
		kb = append(kb, tgui.Row(tgui.Button(i18n.T(l, "pay.balance", "fee", fee), tgui.Data(cbPayBal, d.ID))))
	}
	return append(kb, backRow(l))
}

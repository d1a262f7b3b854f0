package i18n

// giftsTexts are the texts of Stars redemptions: Telegram gifts and Premium bought with the
// bot's Star reserve (package prize), the reserve top-up and the reconciliation.
var giftsTexts = map[string]map[string]string{
	RU: {
		"noun.months": "месяц|месяца|месяцев",

		"gift.card_text":         "Подарок за ваши звёзды из розыгрышей",
		"balance.redeem_gift":    "🎁 Получить подарок Telegram",
		"balance.redeem_premium": "⭐ Telegram Premium",
		"gift.explain": "Звёзды с баланса можно обменять на подарок Telegram: бот покупает его на свои звёзды и отправляет вам, " +
			"подарок появится в вашем профиле. Превратить его обратно в звёзды нельзя.\n\nНа балансе: {balance}. Выберите подарок:",
		"gift.none_affordable": "На балансе {balance}: пока не хватает ни на один подарок. Самый доступный стоит {min}.",
		"gift.premium_explain": "Telegram Premium в подарок, оплачивается звёздами с баланса: 3 месяца — 1000 ⭐, 6 месяцев — 1500 ⭐, " +
			"12 месяцев — 2500 ⭐. Превратить его обратно в звёзды нельзя.\n\nНа балансе: {balance}. Выберите срок:",
		"gift.premium_none":   "На балансе {balance}. Premium на 3 месяца стоит 1000 ⭐: пока не хватает.",
		"gift.option":         "{gift} — {price}",
		"gift.premium_option": "{months} — {price}",
		"gift.confirm": "Вы выбрали: {gift} за {price}. После отправки на балансе останется {rest}.\n\n" +
			"Это подарок Telegram, а не звёзды: обменять его обратно на звёзды нельзя. Отправить?",
		"gift.confirm_button": "✅ Да, отправить",
		"gift.accepted":       "Принято: {gift} за {price}. Звёзды зарезервированы, мы напишем, когда подарок придёт.",
		"gift.already":        "Эта заявка уже принята, повторно ничего не списано.",
		"gift.err_unknown":    "Такого подарка сейчас нет в каталоге. Откройте список заново.",
		"gift.err_price":      "Цена изменилась. Откройте список заново.",
		"gift.err_balance":    "На балансе не хватает звёзд для этого подарка. Ничего не списано.",
		"gift.err_busy":       "Предыдущий подарок ещё в пути. Дождитесь его, потом выберите следующий.",
		"gift.err_catalogue":  "Каталог подарков сейчас недоступен. Попробуйте через минуту.",
		"gift.sent":           "🎁 Подарок {gift} отправлен! Списано {price}, на балансе {balance}. Подарок — в вашем профиле Telegram.",
		"gift.premium_sent":   "⭐ Telegram Premium на {gift} подарен! Списано {price}, на балансе {balance}.",
		"gift.waiting": "Подарок {gift} ({price}) пока не отправлен: у бота сейчас не хватает звёзд, чтобы его оплатить. " +
			"Ваши звёзды зарезервированы и не пропадут. Следующая попытка — {next} или сразу после пополнения резерва.",
		"gift.released": "Отправить {gift} не получилось: Telegram отказал (подарок закончился или недоступен). " +
			"{price} вернулись на ваш баланс.",
		"draw.prize_gift": "🎁 Приз отправляется сразу подарком Telegram: самым ценным, на который хватает выигрыша " +
			"(остаток — на баланс). Обменять подарок обратно на звёзды нельзя.",
		"draw.prize_premium": "⭐ Приз отправляется сразу подпиской Telegram Premium, если выигрыша хватает " +
			"(от 1000 ⭐ за 3 месяца; остаток — на баланс).",

		"admin.alert_gift_waiting": "⚠️ Резерв звёзд не оплатил заявку #{id} пользователя {user} ({price}): {reason}. " +
			"Заявка ждёт, звёзды пользователя удержаны. Пополните резерв: /admin → Резерв звёзд.",
		"admin.alert_gift_released": "Заявка #{id} пользователя {user} ({price}) отклонена Telegram: {reason}. Звёзды вернулись на его баланс.",
		"admin.alert_reconcile":     "⚠️ Сверка звёзд с Telegram: расхождений {count}.\n{problems}",
		"admin.reserve_gifts":       "Заявки на подарки: удержано {held}, ждут резерва {waiting}.",
		"admin.reserve_available":   "Созревшие звёзды бота (баланс минус полученные за 21 день): {available}",
		"admin.create_prize":        "Приз: {prize}",
		"admin.prize_switch":        "Приз → {prize}",
		"admin.prize_balance":       "на баланс в боте",
		"admin.prize_gift":          "сразу подарком Telegram",
		"admin.prize_premium":       "сразу Telegram Premium",
		"admin.topup_button":        "➕ Пополнить резерв",
		"admin.topup_ask":           "Сколько звёзд внести в резерв бота? Выберите сумму: бот пришлёт счёт, оплатите его своими звёздами.",
		"admin.topup_title":         "Пополнение резерва",
		"admin.topup_description":   "Звёзды оператора в резерв бота: из него оплачиваются подарки и Premium победителям.",
		"admin.topup_done":          "Резерв пополнен на {amount}. Ожидающие заявки отправляются заново: {count}.",
	},
	EN: {
		"noun.months": "month|months",

		"gift.card_text":         "A gift for your Stars from prize draws",
		"balance.redeem_gift":    "🎁 Get a Telegram gift",
		"balance.redeem_premium": "⭐ Telegram Premium",
		"gift.explain": "Stars on your balance can become a Telegram gift: the bot buys it with its own Stars and sends it to you, " +
			"and it appears on your profile. It cannot be turned back into Stars.\n\nBalance: {balance}. Pick a gift:",
		"gift.none_affordable": "Your balance is {balance}: not enough for any gift yet. The cheapest costs {min}.",
		"gift.premium_explain": "Telegram Premium as a gift, paid with your balance: 3 months for 1000 ⭐, 6 months for 1500 ⭐, " +
			"12 months for 2500 ⭐. It cannot be turned back into Stars.\n\nBalance: {balance}. Pick a duration:",
		"gift.premium_none":   "Your balance is {balance}. 3 months of Premium cost 1000 ⭐: not enough yet.",
		"gift.option":         "{gift} — {price}",
		"gift.premium_option": "{months} — {price}",
		"gift.confirm": "You chose {gift} for {price}. After sending, your balance will be {rest}.\n\n" +
			"This is a Telegram gift, not Stars: it cannot be turned back into Stars. Send it?",
		"gift.confirm_button": "✅ Yes, send it",
		"gift.accepted":       "Accepted: {gift} for {price}. Your Stars are set aside; we will write when the gift arrives.",
		"gift.already":        "This request was already accepted; nothing was charged again.",
		"gift.err_unknown":    "That gift is not in the catalogue now. Open the list again.",
		"gift.err_price":      "The price has changed. Open the list again.",
		"gift.err_balance":    "Your balance does not cover this gift. Nothing was charged.",
		"gift.err_busy":       "Your previous gift is still on its way. Wait for it, then pick the next one.",
		"gift.err_catalogue":  "The gift catalogue is unavailable right now. Try again in a minute.",
		"gift.sent":           "🎁 Your gift {gift} has been sent! {price} charged, balance {balance}. It is on your Telegram profile.",
		"gift.premium_sent":   "⭐ Telegram Premium for {gift} is yours! {price} charged, balance {balance}.",
		"gift.waiting": "Your gift {gift} ({price}) has not been sent yet: the bot does not have enough Stars to pay for it right now. " +
			"Your Stars are set aside and will not be lost. Next try: {next}, or as soon as the reserve is topped up.",
		"gift.released": "We could not send {gift}: Telegram refused it (sold out or unavailable). " +
			"{price} went back to your balance.",
		"draw.prize_gift": "🎁 The prize is sent at once as a Telegram gift: the most valuable one it covers " +
			"(the rest goes to your balance). The gift cannot be turned back into Stars.",
		"draw.prize_premium": "⭐ The prize is sent at once as Telegram Premium when it covers it " +
			"(from 1000 ⭐ for 3 months; the rest goes to your balance).",

		"admin.alert_gift_waiting": "⚠️ The Stars reserve could not pay claim #{id} of user {user} ({price}): {reason}. " +
			"The claim waits, the user's Stars are held. Top up the reserve: /admin → Stars reserve.",
		"admin.alert_gift_released": "Claim #{id} of user {user} ({price}) was refused by Telegram: {reason}. The Stars went back to their balance.",
		"admin.alert_reconcile":     "⚠️ Stars reconciliation with Telegram: {count} differences.\n{problems}",
		"admin.reserve_gifts":       "Gift claims: {held} held, {waiting} waiting for the reserve.",
		"admin.reserve_available":   "The bot's matured Stars (balance less those received in the last 21 days): {available}",
		"admin.create_prize":        "Prize: {prize}",
		"admin.prize_switch":        "Prize → {prize}",
		"admin.prize_balance":       "to the in-bot balance",
		"admin.prize_gift":          "sent at once as a Telegram gift",
		"admin.prize_premium":       "sent at once as Telegram Premium",
		"admin.topup_button":        "➕ Top up the reserve",
		"admin.topup_ask":           "How many Stars should go into the bot's reserve? Pick an amount: the bot sends an invoice you pay with your own Stars.",
		"admin.topup_title":         "Reserve top-up",
		"admin.topup_description":   "The operator's Stars for the bot's reserve, which pays winners' gifts and Premium.",
		"admin.topup_done":          "Reserve topped up by {amount}. Waiting claims sent again: {count}.",
	},
}

package bot

import (
	"context"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// Callback data: every button of the bot carries one of these patterns (see tgui.Router for
// the placeholders), and callbackRoutes says what a press of each does. The data of buttons
// already sent lives on in users' chats: a pattern may be added, never changed.
const (
	cbMenu     = "menu"
	cbList     = "list:{currency}" // list:XTR, list:RUB
	cbDraw     = "draw:{id:id}"
	cbPayStars = "pay:xtr:{id:id}"
	cbPayBal   = "pay:bal:{id:id}"
	cbPayRub   = "pay:rub:{id:id}"
	cbStats    = "stats"
	cbRules    = "rules"
	cbBalance  = "balance"
	cbHistory  = "history"
	cbNewsOff  = "news:off"
	cbNewsOn   = "news:on"
	cbAdmin    = "adm:{rest...}" // the admin panel's own table (package admin)

	cbWithdraw       = "wd"
	cbWithdrawSBP    = "wd:sbp"
	cbWithdrawWallet = "wd:wallet"
	cbWithdrawCard   = "wd:card"
	cbBanks          = "wd:banks:{page:int}"
	cbBank           = "wd:bank:{bank...}"

	cbGift     = "gift"
	cbGiftPrem = "gift:prem"
	cbGiftPick = "gift:pick:{gift...}"
	cbGiftPm   = "gift:pm:{months:int}"
	cbGiftOK   = "gift:ok:{gift}:{price:int}:{n}"
	cbGiftOKP  = "gift:okp:{months:int}:{price:int}:{n}"
)

// callbackRoutes is what each button does. A press of anything else (an old or forged button)
// is answered as out of date; every press is answered once, whatever happens (tgui.Router).
func (b *Bot) callbackRoutes() *tgui.Router {
	r := &tgui.Router{OnUnknown: b.unknownButton}
	r.Handle(cbMenu, b.onScreen(b.showMenu))       // the main menu
	r.Handle(cbList, b.onList)                     // the open draws in one currency
	r.Handle(cbDraw, b.onDraw)                     // a draw's card, with the ways to pay
	r.Handle(cbPayStars, b.onPayStars)             // send the Stars invoice
	r.Handle(cbPayBal, b.onPayBalance)             // pay from the in-bot balance
	r.Handle(cbPayRub, b.onPayRubles)              // open the YooKassa payment page
	r.Handle(cbStats, b.onScreen(b.showStats))     // totals of every draw
	r.Handle(cbRules, b.onRules)                   // how a draw works and is proven
	r.Handle(cbBalance, b.onScreen(b.showBalance)) // balances, withdraw and redeem buttons
	r.Handle(cbHistory, b.onScreen(b.showHistory)) // the last settled draws with their proofs
	r.Handle(cbNewsOff, b.onNews(false))           // stop "new draw" messages
	r.Handle(cbNewsOn, b.onNews(true))             // get them again
	r.Handle(cbAdmin, b.onAdmin)                   // the admin panel (admins only)

	// Withdrawing rubles (withdraw.go).
	r.Handle(cbWithdraw, b.withdrawStep(b.onWithdrawMenu))      // choose SBP, wallet or card
	r.Handle(cbWithdrawSBP, b.withdrawStep(b.onWithdrawAsk))    // ask for the phone
	r.Handle(cbWithdrawWallet, b.withdrawStep(b.onWithdrawAsk)) // ask for the wallet
	r.Handle(cbWithdrawCard, b.withdrawStep(b.onWithdrawCard))  // the card page's link
	r.Handle(cbBanks, b.withdrawStep(b.onBanks))                // one page of SBP banks
	r.Handle(cbBank, b.withdrawStep(b.onBank))                  // pay out to that bank

	// Redeeming Stars for gifts and Premium (gifts.go).
	r.Handle(cbGift, b.giftStep(b.onGifts))         // the gifts the balance covers
	r.Handle(cbGiftPrem, b.giftStep(b.onPremium))   // the Premium durations it covers
	r.Handle(cbGiftPick, b.giftStep(b.onGiftPick))  // confirm a gift
	r.Handle(cbGiftPm, b.giftStep(b.onPremiumPick)) // confirm Premium
	r.Handle(cbGiftOK, b.giftStep(b.onGiftOK))      // redeem the gift confirmed
	r.Handle(cbGiftOKP, b.giftStep(b.onPremiumOK))  // redeem the Premium confirmed
	return r
}

// onCallback handles a button press. Every press is answered, so the user's client stops
// showing progress, even when the data is unknown or out of date.
func (b *Bot) onCallback(ctx context.Context, cb *telego.CallbackQuery) error {
	p := tgui.NewPress(b.api, cb)
	if ok, err := b.allowed(ctx, cb.From.ID); err != nil || !ok {
		if err == nil {
			return p.Answer(ctx, i18n.T(p.Lang(), "error.flood"), false)
		}
		return err
	}
	return b.routes.Serve(ctx, p)
}

func (b *Bot) unknownButton(_ context.Context, p *tgui.Press) {
	b.metrics.malformed.Inc()
	b.logger.Info("unknown callback data", "user_id", p.From.ID, "data", p.Data)
}

// onScreen is a route that shows one of the screens a command shows too.
func (b *Bot) onScreen(show func(ctx context.Context, from *telego.User, chatID int64, editID int) error) tgui.Handler {
	return func(ctx context.Context, p *tgui.Press) error {
		return show(ctx, &p.From, p.Screen.ChatID, p.Screen.EditID)
	}
}

func (b *Bot) onList(ctx context.Context, p *tgui.Press) error {
	cur := p.Text("currency")
	if cur != "XTR" && cur != "RUB" {
		return tgui.ErrUnknown
	}
	return b.showOpenDraws(ctx, &p.From, p.Screen.ChatID, p.Screen.EditID, cur)
}

func (b *Bot) onDraw(ctx context.Context, p *tgui.Press) error {
	return b.showDraw(ctx, &p.From, p.Screen.ChatID, p.Screen.EditID, p.Int("id"))
}

func (b *Bot) onPayStars(ctx context.Context, p *tgui.Press) error {
	return b.sendInvoice(ctx, p, p.Int("id"))
}

func (b *Bot) onPayBalance(ctx context.Context, p *tgui.Press) error {
	return b.payFromBalance(ctx, p, p.Int("id"))
}

func (b *Bot) onPayRubles(ctx context.Context, p *tgui.Press) error {
	return b.payRubles(ctx, p, p.Screen.ChatID, p.Int("id"))
}

func (b *Bot) onRules(ctx context.Context, p *tgui.Press) error {
	l := p.Lang()
	return p.Screen.Show(ctx, i18n.T(l, "rules.text", "proof_url", b.publicURL+"/"), tgui.Rows(backRow(l)))
}

func (b *Bot) onNews(follows bool) tgui.Handler {
	return func(ctx context.Context, p *tgui.Press) error {
		return b.setNews(ctx, &p.From, p.Screen.ChatID, follows)
	}
}

// onAdmin hands an admin's press to the panel; anyone else's is audited and refused.
func (b *Bot) onAdmin(ctx context.Context, p *tgui.Press) error {
	if !b.admins[p.From.ID] || b.admin == nil {
		b.logger.Warn("forged admin callback", "user_id", p.From.ID, "data", p.Data)
		if err := b.auditDenied(ctx, p.From.ID, p.Data); err != nil {
			return err
		}
		return p.Answer(ctx, i18n.T(p.Lang(), "error.not_admin"), true)
	}
	return b.admin.HandleCallback(ctx, p)
}

// answer answers the press being handled; alert shows the text as a dialog instead of a toast.
func (b *Bot) answer(ctx context.Context, p *tgui.Press, text string, alert bool) error {
	return p.Answer(ctx, text, alert)
}

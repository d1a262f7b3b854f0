// Package admin is the operator's panel inside the bot (/admin): creating a draw step by step,
// the open draws with their participants and the actions on them, payout statistics, the Stars
// reserve, settings, bans and announcements. Its dialogs are kept in Redis (DialogStore).
//
// The bot lets only the ids of ADMIN_IDS in (and audits anyone else who tries); the panel
// checks again. Every operation that changes money, draws, settings or bans goes through a
// package that writes its audit row in the same transaction (raffle for draws, Settings for
// settings, ban.go for bans). Dialog state lives in Redis under a version: a restart or another
// replica continues a dialog, and a button from an older step is answered as out of date.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/announce"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/moderation"
	"github.com/fairdraw/fairdraw/internal/ops"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/prize"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/settings"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// Config configures a Panel.
type Config struct {
	API   *telego.Bot
	Pool  *pgxpool.Pool
	Draws *raffle.Service
	// Jobs inserts the broadcast job (announce.Worker must be registered with the same client).
	Jobs     *river.Client[pgx.Tx]
	Dialogs  *DialogStore
	Settings *settings.Store
	// Reserve shows the Stars reserve; nil: the panel says it is not available.
	Reserve *ops.StarsReserve
	// Rubles is the ruble side, for the queue of money that needs a person; nil: no rubles.
	Rubles *rubles.Service
	// Prizes redeems Stars for gifts and Premium; the reserve screen shows its claims and
	// offers the top-up. Nil hides both.
	Prizes *prize.Service
	// Currencies are the entry currencies the operator accepts (XTR, RUB).
	Currencies []string
	// AdminIDs may use the panel; the bot checks first, the panel checks again.
	AdminIDs []int64
	Logger   *slog.Logger
	// Now is the clock; default time.Now. Use the draw service's clock.
	Now func() time.Time
}

// Panel is the admin panel; it implements bot.Admin. It keeps no state of its own between
// updates: dialogs are in Redis, everything else in PostgreSQL.
type Panel struct {
	api        *telego.Bot
	pool       *pgxpool.Pool
	draws      *raffle.Service
	jobs       *river.Client[pgx.Tx]
	dialogs    *DialogStore
	settings   *settings.Store
	reserve    *ops.StarsReserve
	rubles     *rubles.Service
	prizes     *prize.Service
	currencies []string
	admins     map[int64]bool
	logger     *slog.Logger
	now        func() time.Time
	router     *tgui.Router
	bans       *moderation.Service
	announce   *announce.Service
}

// New returns a Panel.
func New(c Config) *Panel {
	p := &Panel{
		api: c.API, pool: c.Pool, draws: c.Draws, jobs: c.Jobs, dialogs: c.Dialogs, settings: c.Settings,
		reserve: c.Reserve, rubles: c.Rubles, prizes: c.Prizes, currencies: c.Currencies, admins: map[int64]bool{}, logger: c.Logger, now: c.Now,
	}
	if p.now == nil {
		p.now = time.Now
	}
	for _, id := range c.AdminIDs {
		p.admins[id] = true
	}
	p.router = p.routes()
	p.bans = moderation.New(c.Pool, c.Draws, p.now)
	p.announce = announce.New(c.Pool, c.Jobs, p.now)
	return p
}

// Callback data of the panel: every button's data is one of these patterns (see tgui.Router
// for the placeholders), starts with "adm:", which the bot routes here, and fits Telegram's 64
// bytes. routes says what a press of each does.
const (
	cbMenu        = "adm:menu"
	cbNew         = "adm:new"                             // start the create dialog
	cbContinue    = "adm:cont"                            // show the current dialog step again
	cbDialog      = "adm:d:{version:int}:{op}"            // a dialog button (dialog.go)
	cbDialogValue = "adm:d:{version:int}:{op}:{value...}" // a dialog button with the answer it gives
	cbOpen        = "adm:open"                            // open draws
	cbDraw        = "adm:draw:{id:id}"                    // a draw's card and actions
	cbAsk         = "adm:ask:{action}:{id:id}"            // the confirmation step of an action
	cbDo          = "adm:do:{action}:{id:id}"             // the confirmed action
	cbPeople      = "adm:ppl:{id:id}:{page:int}"          // a page of a draw's participants
	cbCSV         = "adm:csv:{id:id}"                     // a draw's participants as CSV
	cbAudit       = "adm:aud:{id:id}:{page:int}"          // a page of a draw's audit log
	cbPayouts     = "adm:pay"                             // payout statistics
	cbReserve     = "adm:res"                             // Stars reserve
	cbTopUp       = "adm:top"                             // the top-up amounts (reserve_gifts.go)
	cbTopUpAmount = "adm:top:{amount:int}"                // the top-up invoice for one amount
	cbSettings    = "adm:set"                             // settings
	cbSetting     = "adm:set:{key...}"                    // edit one setting (keys hold ":")
	cbReset       = "adm:rst:{key...}"                    // reset one setting to its default
	cbBans        = "adm:ban"                             // ban list
	cbBanNew      = "adm:ban:new"                         // start the ban dialog
	cbAnnounce    = "adm:ann"                             // the announcement
)

// routes is what each button of the panel does; a press of anything else is answered as an
// out-of-date button.
func (p *Panel) routes() *tgui.Router {
	r := &tgui.Router{OnUnknown: func(_ context.Context, press *tgui.Press) {
		p.logger.Info("unknown admin button", slog.Int64("admin_id", press.From.ID), slog.String("data", press.Data))
	}}
	r.Handle(cbMenu, p.on(func(ctx context.Context, s *screen) error { return p.showMenu(ctx, s.from, s.chatID, s.editID) }))
	r.Handle(cbNew, p.on(p.startCreate))
	r.Handle(cbContinue, p.on(p.continueDialog))
	r.Handle(cbDialog, p.on(p.dialogButton))
	r.Handle(cbDialogValue, p.on(p.dialogButton))
	r.Handle(cbOpen, p.on(p.showOpen))
	r.Handle(cbDraw, p.on(func(ctx context.Context, s *screen) error { return p.showDraw(ctx, s, s.int("id"), "") }))
	r.Handle(cbAsk, p.on(func(ctx context.Context, s *screen) error { return p.ask(ctx, s, s.text("action"), s.int("id")) }))
	r.Handle(cbDo, p.on(func(ctx context.Context, s *screen) error { return p.do(ctx, s, s.text("action"), s.int("id")) }))
	r.Handle(cbPeople, p.on(func(ctx context.Context, s *screen) error { return p.showPeople(ctx, s, s.int("id"), s.page()) }))
	r.Handle(cbCSV, p.on(func(ctx context.Context, s *screen) error { return p.sendCSV(ctx, s, s.int("id")) }))
	r.Handle(cbAudit, p.on(func(ctx context.Context, s *screen) error { return p.showAudit(ctx, s, s.int("id"), s.page()) }))
	r.Handle(cbPayouts, p.on(p.showPayouts))
	r.Handle(cbReserve, p.on(p.showReserve))
	r.Handle(cbTopUp, p.on(p.showTopUp))
	r.Handle(cbTopUpAmount, p.on(p.sendTopUp))
	r.Handle(cbSettings, p.on(func(ctx context.Context, s *screen) error { return p.showSettings(ctx, s, "") }))
	r.Handle(cbSetting, p.on(func(ctx context.Context, s *screen) error { return p.startSetting(ctx, s, s.text("key")) }))
	r.Handle(cbReset, p.on(func(ctx context.Context, s *screen) error { return p.resetSetting(ctx, s, s.text("key")) }))
	r.Handle(cbBans, p.on(func(ctx context.Context, s *screen) error { return p.showBans(ctx, s, "") }))
	r.Handle(cbBanNew, p.on(p.startBan))
	r.Handle(cbAnnounce, p.on(func(ctx context.Context, s *screen) error { return p.showAnnouncement(ctx, s, "") }))
	// The queue of money that needs a person (queue.go).
	r.Handle(cbQueue, p.onQueue(func(ctx context.Context, s *screen) error { return p.showQueue(ctx, s, "") }))
	r.Handle(cbQPayout, p.onQueue(p.showQueuedPayout))
	r.Handle(cbQPayoutByHand, p.onQueue(p.startPayoutByHand))
	r.Handle(cbQRefund, p.onQueue(func(ctx context.Context, s *screen) error { return p.showQueuedRefund(ctx, s, false) }))
	r.Handle(cbQRetryAsk, p.onQueue(func(ctx context.Context, s *screen) error { return p.showQueuedRefund(ctx, s, true) }))
	r.Handle(cbQRetry, p.onQueue(p.retryRefund))
	r.Handle(cbQRefundByHand, p.onQueue(p.startRefundByHand))
	return r
}

// on is a route whose handler works on the press's screen.
func (p *Panel) on(h func(ctx context.Context, s *screen) error) tgui.Handler {
	return func(ctx context.Context, press *tgui.Press) error {
		s := &screen{p: p, from: &press.From, chatID: press.Screen.ChatID, editID: press.Screen.EditID, press: press, input: "c" + press.ID}
		return h(ctx, s)
	}
}

// Actions that take a confirmation (adm:ask, then adm:do).
const (
	actPause  = "pause"  // stop accepting entries
	actResume = "resume" // accept entries again
	actForce  = "force"  // draw now
	actCancel = "cancel" // cancel with refunds
	actUnban  = "unban"  // lift a ban; the id is the user's
	actSend   = "ann"    // send the announcement; the id is the broadcast's number
)

// Sizes of the panel's lists.
const (
	maxButtons = 20   // draws or users listed with a button each
	pageSize   = 20   // participants per page
	auditPage  = 10   // audit rows per page
	auditJSON  = 120  // characters of before/after shown per audit row
	csvChunk   = 1000 // entries read per query for the CSV
)

// How a button press is answered.
const (
	alert = true  // a dialog box the admin closes
	toast = false // a note that fades
)

// noEdit as a screen's editID sends a new message instead of editing one.
const noEdit = 0

// HandleCommand shows the panel (/admin).
func (p *Panel) HandleCommand(ctx context.Context, msg *telego.Message, _ string) error {
	if msg.From == nil || !p.admins[msg.From.ID] {
		return nil // the bot let a non-admin through: show nothing
	}
	return p.showMenu(ctx, msg.From, msg.Chat.ID, noEdit)
}

// HandleText takes an admin's typed answer to the dialog they are in; without a dialog it
// reports the text unused.
func (p *Panel) HandleText(ctx context.Context, msg *telego.Message) (bool, error) {
	if msg.From == nil || !p.admins[msg.From.ID] {
		return false, nil
	}
	d, ok, err := p.dialogs.Get(ctx, msg.From.ID)
	if err != nil || !ok {
		return false, err
	}
	s := &screen{p: p, from: msg.From, chatID: msg.Chat.ID, input: fmt.Sprintf("m%d", msg.MessageID)}
	if d.Input == s.input {
		// Delivered again after a failure: the answer was taken; show where the dialog is.
		return true, p.showStep(ctx, s, d, "")
	}
	return true, p.dialogInput(ctx, s, d, strings.TrimSpace(msg.Text))
}

// screen is where an answer goes: the admin, their chat, and the message to edit (0: send one).
type screen struct {
	p      *Panel
	from   *telego.User
	chatID int64
	editID int
	press  *tgui.Press // the button press being answered, if any
	// input names the update being handled ("m<message id>", "c<callback id>"); a dialog
	// remembers the last input it took, so an update delivered again is not taken twice.
	input string
}

func (s *screen) lang() string { return i18n.Lang(s.from.LanguageCode) }

func (s *screen) t(key string, args ...any) string { return i18n.T(s.lang(), key, args...) }

func (s *screen) actor() string { return fmt.Sprintf("admin:%d", s.from.ID) }

// int and text are the values of the pressed button's placeholders.
func (s *screen) int(name string) int64 { return s.press.Int(name) }

func (s *screen) text(name string) string { return s.press.Text(name) }

// page is the pressed button's {page}, as an int.
func (s *screen) page() int { return int(min(s.int("page"), 1<<31-1)) }

// show puts text and keyboard on the screen.
func (s *screen) show(ctx context.Context, text string, kb [][]telego.InlineKeyboardButton) error {
	return tgui.Screen{API: s.p.api, ChatID: s.chatID, EditID: s.editID}.Show(ctx, text, kb)
}

// answer answers the button press being handled (once; later calls do nothing). Without a
// press (typed text), an alert is sent as a message instead.
func (s *screen) answer(ctx context.Context, text string, asAlert bool) error {
	if s.press == nil {
		if text != "" && asAlert {
			return s.send(ctx, text)
		}
		return nil
	}
	return s.press.Answer(ctx, text, asAlert)
}

// send sends a plain new message.
func (s *screen) send(ctx context.Context, text string) error {
	return tgui.Send(ctx, s.p.api, s.chatID, text, nil)
}

func (s *screen) backRow(data string) []telego.InlineKeyboardButton {
	return tgui.Row(tgui.Button(s.t("admin.back"), data))
}

// HandleCallback handles a press of one of the panel's buttons and answers it (tgui.Router).
func (p *Panel) HandleCallback(ctx context.Context, press *tgui.Press) error {
	if !p.admins[press.From.ID] {
		return press.Answer(ctx, i18n.T(press.Lang(), "error.not_admin"), alert)
	}
	return p.router.Serve(ctx, press)
}

// showMenu is the panel's first screen.
func (p *Panel) showMenu(ctx context.Context, from *telego.User, chatID int64, editID int) error {
	s := &screen{p: p, from: from, chatID: chatID, editID: editID}
	open, err := p.draws.ListByStatus(ctx, raffle.StatusOpen, raffle.StatusDrawing, raffle.StatusDrawn)
	if err != nil {
		return err
	}
	kb := [][]telego.InlineKeyboardButton{}
	if d, ok, err := p.dialogs.Get(ctx, from.ID); err != nil {
		return err
	} else if ok {
		kb = append(kb, tgui.Row(tgui.Button(s.t("admin.menu_continue", "what", s.t("admin.dialog_"+d.Kind)), cbContinue)))
	}
	kb = append(kb,
		tgui.Row(tgui.Button(s.t("admin.menu_create"), cbNew)),
		tgui.Row(tgui.Button(s.t("admin.menu_open", "count", len(open)), cbOpen)),
		tgui.Row(tgui.Button(s.t("admin.menu_payouts"), cbPayouts), tgui.Button(s.t("admin.menu_reserve"), cbReserve)),
		tgui.Row(tgui.Button(s.t("admin.menu_settings"), cbSettings), tgui.Button(s.t("admin.menu_bans"), cbBans)),
		tgui.Row(tgui.Button(s.t("admin.menu_announce"), cbAnnounce)),
	)
	if p.rubles != nil {
		kb = append(kb, tgui.Row(tgui.Button(s.t("admin.menu_queue", "count", p.queueCount(ctx)), cbQueue)))
	}
	return s.show(ctx, s.t("admin.menu"), kb)
}

// notFound shows that a draw does not exist.
func (p *Panel) notFound(ctx context.Context, s *screen, id int64) error {
	return s.show(ctx, i18n.T(s.lang(), "draw.not_found", "id", id), [][]telego.InlineKeyboardButton{s.backRow(cbOpen)})
}

// getDraw returns a draw; ok false when there is none.
func (p *Panel) getDraw(ctx context.Context, id int64) (raffle.Draw, bool, error) {
	d, err := p.draws.Get(ctx, id)
	if errors.Is(err, raffle.ErrNotFound) {
		return d, false, nil
	}
	return d, err == nil, err
}

func (p *Panel) accepts(currency string) bool { return slices.Contains(p.currencies, currency) }

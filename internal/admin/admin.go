// Package admin is the operator's panel inside the bot (/admin): creating a draw step by step,
// the open draws with their participants and the actions on them, payout statistics, the Stars
// reserve, settings, bans and announcements. It also holds the two pieces of state the bot
// keeps in Redis for admins and users alike: the dialogs (DialogStore) and the flood limit
// (FloodGuard).
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
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ops"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/prize"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

var q = dbq.New()

// Config configures a Panel.
type Config struct {
	API   *telego.Bot
	Pool  *pgxpool.Pool
	Draws *raffle.Service
	// Jobs inserts the broadcast job (BroadcastWorker must be registered with the same client).
	Jobs     *river.Client[pgx.Tx]
	Dialogs  *DialogStore
	Settings *Settings
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
	settings   *Settings
	reserve    *ops.StarsReserve
	rubles     *rubles.Service
	prizes     *prize.Service
	currencies []string
	admins     map[int64]bool
	logger     *slog.Logger
	now        func() time.Time
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
	return p
}

// Callback data of the panel. Every button's data starts with "adm:", which the bot routes
// here, and fits Telegram's 64 bytes.
const (
	cbMenu     = "adm:menu"
	cbNew      = "adm:new"     // start the create dialog
	cbContinue = "adm:cont"    // show the current dialog step again
	cbDialog   = "adm:d:"      // adm:d:<version>:<op>[:<value>]
	cbOpen     = "adm:open"    // open draws
	cbDraw     = "adm:draw:"   // adm:draw:<id>
	cbAsk      = "adm:ask:"    // adm:ask:<action>:<id>: the confirmation step
	cbDo       = "adm:do:"     // adm:do:<action>:<id>: the confirmed action
	cbPeople   = "adm:ppl:"    // adm:ppl:<id>:<page>
	cbCSV      = "adm:csv:"    // adm:csv:<id>
	cbAudit    = "adm:aud:"    // adm:aud:<id>:<page>
	cbPayouts  = "adm:pay"     // payout statistics
	cbReserve  = "adm:res"     // Stars reserve
	cbSettings = "adm:set"     // settings; adm:set:<key> edits one
	cbReset    = "adm:rst:"    // adm:rst:<key>
	cbBans     = "adm:ban"     // ban list
	cbBanNew   = "adm:ban:new" // start the ban dialog
	cbAnnounce = "adm:ann"     // the announcement
	cbQueue    = "adm:q"       // money that needs a person; adm:q:<kind>:<id>[:<outcome>] (see queue.go)
)

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
	cb     *telego.CallbackQuery // the button press being answered, if any
	// input names the update being handled ("m<message id>", "c<callback id>"); a dialog
	// remembers the last input it took, so an update delivered again is not taken twice.
	input string
}

func (s *screen) lang() string { return i18n.Lang(s.from.LanguageCode) }

func (s *screen) t(key string, args ...any) string { return i18n.T(s.lang(), key, args...) }

func (s *screen) actor() string { return fmt.Sprintf("admin:%d", s.from.ID) }

// show puts text and keyboard on the screen.
func (s *screen) show(ctx context.Context, text string, kb [][]telego.InlineKeyboardButton) error {
	var markup *telego.InlineKeyboardMarkup
	if len(kb) > 0 {
		markup = &telego.InlineKeyboardMarkup{InlineKeyboard: kb}
	}
	if s.editID == noEdit {
		pm := &telego.SendMessageParams{ChatID: telego.ChatID{ID: s.chatID}, Text: text, LinkPreviewOptions: &telego.LinkPreviewOptions{IsDisabled: true}}
		if markup != nil {
			pm.ReplyMarkup = markup
		}
		if _, err := s.p.api.SendMessage(ctx, pm); err != nil {
			return fmt.Errorf("admin: send: %w", err)
		}
		return nil
	}
	pe := &telego.EditMessageTextParams{ChatID: telego.ChatID{ID: s.chatID}, MessageID: s.editID, Text: text,
		LinkPreviewOptions: &telego.LinkPreviewOptions{IsDisabled: true}, ReplyMarkup: markup}
	if _, err := s.p.api.EditMessageText(ctx, pe); err != nil {
		if strings.Contains(err.Error(), "message is not modified") {
			return nil
		}
		return fmt.Errorf("admin: edit: %w", err)
	}
	return nil
}

// answer answers the button press being handled (once; later calls do nothing).
func (s *screen) answer(ctx context.Context, text string, asAlert bool) error {
	if s.cb == nil {
		if text != "" && asAlert {
			return s.send(ctx, text)
		}
		return nil
	}
	cb := s.cb
	s.cb = nil
	if err := s.p.api.AnswerCallbackQuery(ctx, &telego.AnswerCallbackQueryParams{CallbackQueryID: cb.ID, Text: truncate(text, 200), ShowAlert: asAlert}); err != nil {
		return fmt.Errorf("admin: answer button: %w", err)
	}
	return nil
}

// send sends a plain new message.
func (s *screen) send(ctx context.Context, text string) error {
	if _, err := s.p.api.SendMessage(ctx, &telego.SendMessageParams{ChatID: telego.ChatID{ID: s.chatID}, Text: text}); err != nil {
		return fmt.Errorf("admin: send: %w", err)
	}
	return nil
}

func button(text, data string) telego.InlineKeyboardButton {
	return telego.InlineKeyboardButton{Text: text, CallbackData: data}
}

func row(b ...telego.InlineKeyboardButton) []telego.InlineKeyboardButton { return b }

func (s *screen) backRow(data string) []telego.InlineKeyboardButton {
	return row(button(s.t("admin.back"), data))
}

// HandleCallback handles a press of one of the panel's buttons and answers it.
func (p *Panel) HandleCallback(ctx context.Context, cb *telego.CallbackQuery) error {
	s := &screen{p: p, from: &cb.From, chatID: cb.From.ID, cb: cb, input: "c" + cb.ID}
	if !p.admins[cb.From.ID] {
		return s.answer(ctx, s.t("error.not_admin"), alert)
	}
	if cb.Message != nil && cb.Message.IsAccessible() {
		s.chatID, s.editID = cb.Message.GetChat().ID, cb.Message.GetMessageID()
	}
	err := p.route(ctx, s, cb.Data)
	if err != nil {
		_ = s.answer(context.WithoutCancel(ctx), s.t("error.internal"), alert)
		return err
	}
	return s.answer(ctx, "", toast)
}

func (p *Panel) route(ctx context.Context, s *screen, data string) error {
	parts := strings.Split(data, ":")
	id := func(i int) (int64, bool) {
		if len(parts) <= i {
			return 0, false
		}
		n, err := strconv.ParseInt(parts[i], 10, 64)
		return n, err == nil && n >= 0
	}
	switch {
	case data == cbMenu:
		return p.showMenu(ctx, s.from, s.chatID, s.editID)
	case data == cbNew:
		return p.startCreate(ctx, s)
	case data == cbContinue:
		return p.continueDialog(ctx, s)
	case strings.HasPrefix(data, cbDialog):
		return p.dialogButton(ctx, s, strings.TrimPrefix(data, cbDialog))
	case data == cbOpen:
		return p.showOpen(ctx, s)
	case strings.HasPrefix(data, cbDraw):
		if n, ok := id(2); ok {
			return p.showDraw(ctx, s, n, "")
		}
	case strings.HasPrefix(data, cbAsk) && len(parts) == 4:
		if n, ok := id(3); ok {
			return p.ask(ctx, s, parts[2], n)
		}
	case strings.HasPrefix(data, cbDo) && len(parts) == 4:
		if n, ok := id(3); ok {
			return p.do(ctx, s, parts[2], n)
		}
	case strings.HasPrefix(data, cbPeople) && len(parts) == 4:
		n, ok1 := id(2)
		page, ok2 := id(3)
		if ok1 && ok2 {
			return p.showPeople(ctx, s, n, int(page))
		}
	case strings.HasPrefix(data, cbCSV):
		if n, ok := id(2); ok {
			return p.sendCSV(ctx, s, n)
		}
	case strings.HasPrefix(data, cbAudit) && len(parts) == 4:
		n, ok1 := id(2)
		page, ok2 := id(3)
		if ok1 && ok2 {
			return p.showAudit(ctx, s, n, int(page))
		}
	case data == cbPayouts:
		return p.showPayouts(ctx, s)
	case data == cbReserve:
		return p.showReserve(ctx, s)
	case data == cbTopUp || strings.HasPrefix(data, cbTopUp+":"):
		return p.onTopUp(ctx, s, data)
	case data == cbSettings:
		return p.showSettings(ctx, s, "")
	case strings.HasPrefix(data, cbSettings+":"):
		return p.startSetting(ctx, s, strings.TrimPrefix(data, cbSettings+":"))
	case strings.HasPrefix(data, cbReset):
		return p.resetSetting(ctx, s, strings.TrimPrefix(data, cbReset))
	case data == cbBans:
		return p.showBans(ctx, s, "")
	case data == cbBanNew:
		return p.startBan(ctx, s)
	case data == cbAnnounce:
		return p.showAnnouncement(ctx, s, "")
	case data == cbQueue || strings.HasPrefix(data, cbQueue+":"):
		return p.queueButton(ctx, s, parts)
	}
	p.logger.Info("unknown admin button", slog.Int64("admin_id", s.from.ID), slog.String("data", data))
	return s.answer(ctx, s.t("error.unknown_button"), alert)
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
		kb = append(kb, row(button(s.t("admin.menu_continue", "what", s.t("admin.dialog_"+d.Kind)), cbContinue)))
	}
	kb = append(kb,
		row(button(s.t("admin.menu_create"), cbNew)),
		row(button(s.t("admin.menu_open", "count", len(open)), cbOpen)),
		row(button(s.t("admin.menu_payouts"), cbPayouts), button(s.t("admin.menu_reserve"), cbReserve)),
		row(button(s.t("admin.menu_settings"), cbSettings), button(s.t("admin.menu_bans"), cbBans)),
		row(button(s.t("admin.menu_announce"), cbAnnounce)),
	)
	if p.rubles != nil {
		kb = append(kb, row(button(s.t("admin.menu_queue", "count", p.queueCount(ctx)), cbQueue)))
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

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Package bot is fairdraw's conversation with users: commands, menus, Stars invoices and
// payments, in Russian or English by the user's Telegram language.
//
// Every update goes through HandleUpdate, whether it came by long polling or by webhook. The
// sender is upserted as a user first (a payer in the transaction that records the payment; a
// pre-checkout query is answered without writing anything). A successful payment is turned into an entry (or a refund)
// in one transaction that also marks the update processed, so a payment delivered twice changes
// nothing; other updates are marked processed before they are handled, so a repeated delivery
// is ignored. A pre-checkout query is answered from the handler itself, well inside Telegram's
// 10 seconds.
package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	telegoapi "github.com/mymmrac/telego/telegoapi"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/prize"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

var q = dbq.New()

// Rubles is the ruble side the bot offers when the operator accepts rubles (package
// payment/rubles implements it).
type Rubles interface {
	// StartPayment creates a YooKassa payment for one entry; a *raffle.Refusal says why not.
	StartPayment(ctx context.Context, req rubles.StartPaymentRequest) (rubles.Checkout, error)
	// Balance is the user's withdrawable rubles and the rubles being paid out.
	Balance(ctx context.Context, userID int64) (available, held int64, err error)
	SBPBanks(ctx context.Context) ([]yookassa.SBPBank, error)
	RequestPayout(ctx context.Context, r rubles.PayoutRequest) (rubles.Payout, error)
	// CardPayoutLink is a signed, expiring link to the page where the card is entered.
	CardPayoutLink(ctx context.Context, userID, amount int64, lang string) (string, error)
}

// Admin handles the admin panel; the bot routes /admin and "adm:" callbacks to it.
type Admin interface {
	HandleCommand(ctx context.Context, msg *telego.Message, args string) error
	// HandleCallback handles a press of an "adm:" button; the press is answered once, by the
	// panel or by the bot's router after it.
	HandleCallback(ctx context.Context, p *tgui.Press) error
	// HandleText gets plain text from an admin in a dialog; it reports whether it used it.
	HandleText(ctx context.Context, msg *telego.Message) (bool, error)
}

// Guard limits how often one user may send commands and press buttons.
type Guard interface {
	// Allow reports whether userID may act now.
	Allow(ctx context.Context, userID int64) (bool, error)
}

// Config configures a Bot.
type Config struct {
	API    *telego.Bot
	Pool   *pgxpool.Pool
	Draws  *raffle.Service
	Logger *slog.Logger
	// Currencies accepted (XTR, RUB).
	Currencies []string
	// Rubles is nil when rubles are not accepted or not configured.
	Rubles Rubles
	// Admin is the /admin panel; nil: /admin is refused to everyone.
	Admin Admin
	// AdminIDs may use /admin.
	AdminIDs []int64
	// Guard is the flood limit; nil means none.
	Guard Guard
	// PublicURL is where proofs are published.
	PublicURL string
	// PreCheckout answers pre-checkout queries; nil: API does. serve gives
	// telegram.PreCheckoutAnswerer, which does the same with less work per answer.
	PreCheckout PreCheckoutAnswerer
	// Prizes redeems Stars balances for Telegram gifts and Premium; nil hides the offer.
	Prizes *prize.Service
	// Registry receives the bot's metrics; nil: not registered.
	Registry prometheus.Registerer
	Now      func() time.Time
	// UpdateTimeout bounds the handling of one update (a pre-checkout query has its own,
	// shorter bound), so one hung Telegram or database call cannot hold up the updates
	// behind it; default DefaultUpdateTimeout.
	UpdateTimeout time.Duration
}

// PreCheckoutAnswerer sends answerPreCheckoutQuery; *telego.Bot is one.
type PreCheckoutAnswerer interface {
	AnswerPreCheckoutQuery(ctx context.Context, params *telego.AnswerPreCheckoutQueryParams) error
}

// DefaultUpdateTimeout is Config.UpdateTimeout's default: well above a reply's few seconds
// of waiting for the send budget (after which it is handed to a job), well below the time a
// user gives up.
const DefaultUpdateTimeout = 20 * time.Second

// Bot handles updates.
type Bot struct {
	api        *telego.Bot
	answerer   PreCheckoutAnswerer
	pool       *pgxpool.Pool
	draws      *raffle.Service
	logger     *slog.Logger
	currencies map[string]bool
	rubles     Rubles
	admin      Admin
	admins     map[int64]bool
	guard      Guard
	publicURL  string
	now        func() time.Time
	metrics    *metrics
	prizes     *prize.Service
	timeout    time.Duration
	intake     *PaymentIntake // nil: each payment is booked by its update handler
	routes     *tgui.Router
}

// New returns a Bot.
func New(c Config) *Bot {
	b := &Bot{
		api: c.API, pool: c.Pool, draws: c.Draws, logger: c.Logger, rubles: c.Rubles, admin: c.Admin,
		guard: c.Guard, publicURL: strings.TrimRight(c.PublicURL, "/"), now: c.Now,
		currencies: map[string]bool{}, admins: map[int64]bool{}, metrics: newMetrics(c.Registry), prizes: c.Prizes,
		timeout: cmp.Or(c.UpdateTimeout, DefaultUpdateTimeout),
	}
	if b.now == nil {
		b.now = time.Now
	}
	b.answerer = c.PreCheckout
	if b.answerer == nil && c.API != nil {
		b.answerer = c.API
	}
	for _, cur := range c.Currencies {
		b.currencies[cur] = true
	}
	for _, id := range c.AdminIDs {
		b.admins[id] = true
	}
	b.routes = b.callbackRoutes()
	return b
}

// ErrMalformed marks an update that could not be understood; it is logged and skipped.
var ErrMalformed = errors.New("bot: malformed update")

// handleUpdate handles one update. An error means a passing failure (the database is down):
// the update should be delivered again. Malformed or unknown updates are logged and return nil.
func (b *Bot) handleUpdate(ctx context.Context, u telego.Update) error {
	start := time.Now()
	defer func() { b.metrics.handle.Observe(time.Since(start).Seconds()) }()
	if u.PreCheckoutQuery != nil {
		// Answered at once, with no write: the payer was recorded when the invoice was asked
		// for, and is again by the successful_payment that follows. Safe to confirm as soon as
		// it is taken: the answer goes on its own deadline, and holding a poll batch for it
		// would make the last query of a burst wait for every earlier batch's answers. If serve
		// dies before answering, Telegram fails that payment and no money moves (a query
		// delivered again after a restart would mostly come after its 10 seconds anyway).
		// onPreCheckout bounds the checks and the answer itself, well under b.timeout.
		released(ctx)
		return b.onPreCheckout(ctx, u.PreCheckoutQuery)
	}
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	log := b.logger.With(slog.Int("update_id", u.UpdateID))
	if u.Message != nil && u.Message.SuccessfulPayment != nil {
		// The payer is upserted in the transaction that records the payment.
		return b.onSuccessfulPayment(ctx, u.UpdateID, u.Message)
	}
	if from := sender(u); from != nil {
		if err := b.upsertUser(ctx, b.pool, from); err != nil {
			return err
		}
	}
	fresh, err := b.claim(ctx, u.UpdateID)
	if err != nil {
		return err
	}
	if !fresh {
		log.Debug("update already handled")
		return nil
	}
	// Claimed: a redelivery would be ignored from here on, so whoever delivered it may move on.
	released(ctx)
	switch {
	case u.Message != nil:
		err = b.onMessage(ctx, u.Message)
	case u.CallbackQuery != nil:
		err = b.onCallback(ctx, u.CallbackQuery)
	case u.MyChatMember != nil:
		err = b.onMyChatMember(ctx, u.MyChatMember)
	default:
		log.Debug("update ignored")
		return nil
	}
	if err != nil {
		if isTelegramError(err) {
			// Telegram refused our answer (a stale button, a chat that is gone): trying the
			// whole update again would fail the same way.
			log.Warn("answer refused by Telegram", slog.Any("error", err))
			return nil
		}
		// Let a redelivery try again.
		if _, uerr := b.pool.Exec(context.WithoutCancel(ctx), "DELETE FROM processed_updates WHERE update_id = $1", u.UpdateID); uerr != nil {
			log.Error("unclaim update", slog.Any("error", uerr))
		}
		log.Error("update failed", slog.Any("error", err))
		return err
	}
	return nil
}

// isTelegramError reports whether err is the Bot API's answer rather than our own failure.
func isTelegramError(err error) bool {
	_, ok := errors.AsType[*telegoapi.Error](err)
	return ok
}

// claim marks an update processed; false means it already was.
func (b *Bot) claim(ctx context.Context, id int) (bool, error) {
	n, err := q.ClaimUpdate(ctx, b.pool, dbq.ClaimUpdateParams{UpdateID: int64(id), ProcessedAt: b.now()})
	if err != nil {
		return false, fmt.Errorf("bot: claim update: %w", err)
	}
	return n == 1, nil
}

func sender(u telego.Update) *telego.User {
	switch {
	case u.Message != nil && u.Message.From != nil && u.Message.Chat.Type == telego.ChatTypePrivate:
		return u.Message.From
	case u.CallbackQuery != nil:
		return &u.CallbackQuery.From
	case u.PreCheckoutQuery != nil:
		return &u.PreCheckoutQuery.From
	case u.MyChatMember != nil && u.MyChatMember.Chat.Type == telego.ChatTypePrivate:
		return &u.MyChatMember.From
	}
	return nil
}

func (b *Bot) upsertUser(ctx context.Context, conn dbq.DBTX, from *telego.User) error {
	if from.ID <= 0 || from.IsBot {
		return nil
	}
	_, err := q.UpsertUser(ctx, conn, dbq.UpsertUserParams{
		TelegramID: from.ID, Username: from.Username, FirstName: from.FirstName, LanguageCode: from.LanguageCode, Now: b.now(),
	})
	if err != nil {
		return fmt.Errorf("bot: upsert user: %w", err)
	}
	return nil
}

// lang returns the language to answer a user in.
func lang(u *telego.User) string {
	if u == nil {
		return i18n.RU
	}
	return i18n.Lang(u.LanguageCode)
}

func (b *Bot) onMyChatMember(ctx context.Context, m *telego.ChatMemberUpdated) error {
	if m.Chat.Type != telego.ChatTypePrivate {
		return nil
	}
	status := m.NewChatMember.MemberStatus()
	switch status {
	case telego.MemberStatusBanned, telego.MemberStatusLeft:
		now := b.now()
		if err := q.SetUserBlocked(ctx, b.pool, dbq.SetUserBlockedParams{At: &now, TelegramID: m.Chat.ID}); err != nil {
			return fmt.Errorf("bot: mark blocked: %w", err)
		}
		b.logger.Info("user blocked the bot", slog.Int64("user_id", m.Chat.ID))
	case telego.MemberStatusMember:
		if err := q.SetUserUnblocked(ctx, b.pool, m.Chat.ID); err != nil {
			return fmt.Errorf("bot: mark unblocked: %w", err)
		}
	}
	return nil
}

// send answers a chat directly (replies to the user's own action, not fan-out).
func (b *Bot) send(ctx context.Context, chatID int64, text string, kb [][]telego.InlineKeyboardButton) error {
	return tgui.Send(ctx, b.api, chatID, text, kb)
}

// reply shows text either as a new message (editID 0) or, for a button press, by editing the
// message the button was under.
func (b *Bot) reply(ctx context.Context, chatID int64, editID int, text string, kb [][]telego.InlineKeyboardButton) error {
	return tgui.Screen{API: b.api, ChatID: chatID, EditID: editID}.Show(ctx, text, kb)
}

func (b *Bot) proofURL(id int64) string { return b.draws.ProofURL(id) }

func parseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return id, err == nil && id > 0
}

// getDraw returns the draw or reports that none exists.
func (b *Bot) getDraw(ctx context.Context, id int64) (raffle.Draw, bool, error) {
	d, err := b.draws.Get(ctx, id)
	if errors.Is(err, raffle.ErrNotFound) {
		return raffle.Draw{}, false, nil
	}
	if err != nil {
		return raffle.Draw{}, false, err
	}
	return d, true, nil
}

type releaseKey struct{}

// withRelease returns ctx carrying fn, which HandleUpdate calls once the update is safe to
// confirm to Telegram (claimed, or a pre-checkout query taken), before it is fully handled.
func withRelease(ctx context.Context, fn func()) context.Context {
	return context.WithValue(ctx, releaseKey{}, fn)
}

func released(ctx context.Context) {
	if fn, ok := ctx.Value(releaseKey{}).(func()); ok {
		fn()
	}
}

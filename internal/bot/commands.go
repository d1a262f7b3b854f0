package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// onMessage handles a message in a private chat.
func (b *Bot) onMessage(ctx context.Context, m *telego.Message) error {
	if m.Chat.Type != telego.ChatTypePrivate || m.From == nil {
		return nil // groups and channels: fairdraw talks to people one by one
	}
	if ok, err := b.allowed(ctx, m.From.ID); err != nil || !ok {
		return err
	}
	l := lang(m.From)
	text := strings.TrimSpace(m.Text)
	if !strings.HasPrefix(text, "/") {
		if b.admin != nil && b.admins[m.From.ID] {
			used, err := b.admin.HandleText(ctx, m)
			if used || err != nil {
				return err
			}
		}
		if used, err := b.withdrawText(ctx, m); used || err != nil {
			return err
		}
		return b.send(ctx, m.Chat.ID, i18n.T(l, "error.unknown_command"), nil)
	}
	cmd, args, _ := strings.Cut(text, " ")
	cmd, _, _ = strings.Cut(cmd, "@") // "/start@fairdraw_bot"
	args = strings.TrimSpace(args)
	switch cmd {
	case "/start":
		if id, ok := strings.CutPrefix(args, "join_"); ok {
			if drawID, ok := parseID(id); ok {
				return b.showDraw(ctx, m.From, m.Chat.ID, 0, drawID)
			}
		}
		return b.showMenu(ctx, m.From, m.Chat.ID, 0)
	case "/join_raffle":
		if args != "" {
			drawID, ok := parseID(args)
			if !ok {
				return b.send(ctx, m.Chat.ID, i18n.T(l, "draw.not_found", "id", args), nil)
			}
			return b.showDraw(ctx, m.From, m.Chat.ID, 0, drawID)
		}
		return b.showOpenDraws(ctx, m.From, m.Chat.ID, 0, "")
	case "/balance":
		return b.showBalance(ctx, m.From, m.Chat.ID, 0)
	case "/my_raffles":
		return b.showMyDraws(ctx, m.From, m.Chat.ID)
	case "/rules":
		return b.send(ctx, m.Chat.ID, i18n.T(l, "rules.text", "proof_url", b.publicURL+"/"), tgui.Rows(backRow(l)))
	case "/paysupport":
		return b.send(ctx, m.Chat.ID, i18n.T(l, "paysupport.text"), nil)
	case "/privacy":
		return b.send(ctx, m.Chat.ID, i18n.T(l, "privacy.text"), nil)
	case "/stats":
		return b.showStats(ctx, m.From, m.Chat.ID, 0)
	case "/history":
		return b.showHistory(ctx, m.From, m.Chat.ID, 0)
	case "/stop_news":
		return b.setNews(ctx, m.From, m.Chat.ID, false)
	case "/admin":
		if !b.admins[m.From.ID] || b.admin == nil {
			b.logger.Warn("non-admin tried /admin", "user_id", m.From.ID)
			if err := audit.Record(ctx, b.pool, audit.Entry{
				At: b.now(), Actor: fmt.Sprintf("user:%d", m.From.ID), Action: "admin.denied", Subject: "/admin",
			}); err != nil {
				return err
			}
			return b.showMenu(ctx, m.From, m.Chat.ID, 0)
		}
		return b.admin.HandleCommand(ctx, m, args)
	default:
		return b.send(ctx, m.Chat.ID, i18n.T(l, "error.unknown_command"), nil)
	}
}

func (b *Bot) user(ctx context.Context, id int64) (dbq.User, error) {
	u, err := q.GetUser(ctx, b.pool, id)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return u, fmt.Errorf("bot: get user: %w", err)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		u.FollowsNews = true
	}
	return u, nil
}

func (b *Bot) showMenu(ctx context.Context, from *telego.User, chatID int64, editID int) error {
	l := lang(from)
	u, err := b.user(ctx, from.ID)
	if err != nil {
		return err
	}
	name := from.FirstName
	if name == "" {
		name = from.Username
	}
	return b.reply(ctx, chatID, editID, i18n.T(l, "menu.greeting", "name", name), b.mainMenu(l, u.FollowsNews))
}

func (b *Bot) showOpenDraws(ctx context.Context, from *telego.User, chatID int64, editID int, currency string) error {
	l := lang(from)
	draws, err := b.draws.ListByStatus(ctx, raffle.StatusOpen)
	if err != nil {
		return err
	}
	var lines []string
	var kb [][]telego.InlineKeyboardButton
	for _, d := range draws {
		if (currency != "" && d.Currency != currency) || !b.currencies[d.Currency] || d.EntriesPaused {
			continue
		}
		fee := i18n.Money(l, d.Fee, d.Currency)
		lines = append(lines, i18n.T(l, "draws.item", "id", d.ID, "title", d.Title, "fee", fee,
			"participants", i18n.Plural(l, int64(d.Entries), "participants"), "deadline", i18n.FormatTime(l, d.Deadline)))
		kb = append(kb, tgui.Row(tgui.Button(i18n.T(l, "draws.button", "id", d.ID, "title", d.Title, "fee", fee), tgui.Data(cbDraw, d.ID))))
		if len(kb) == 20 {
			break
		}
	}
	kb = append(kb, backRow(l))
	if len(lines) == 0 {
		return b.reply(ctx, chatID, editID, i18n.T(l, "draws.none"), kb)
	}
	return b.reply(ctx, chatID, editID, i18n.T(l, "draws.header")+"\n\n"+strings.Join(lines, "\n"), kb)
}

// drawCard describes a draw for people.
func drawCard(l string, d raffle.Draw) string {
	maxText, ticket := "", ""
	if d.Max != nil {
		maxText = i18n.T(l, "draw.card_max", "max", *d.Max)
	}
	if d.TicketID != "" {
		ticket = i18n.T(l, "draw.card_ticket", "ticket", d.TicketID)
	}
	source := "Random.org"
	if d.Source == raffle.SourceDrand {
		source = "drand (League of Entropy)"
	}
	return i18n.T(l, "draw.card", "id", d.ID, "title", d.Title, "fee", i18n.Money(l, d.Fee, d.Currency),
		"count", d.Entries, "min", d.Min, "max", maxText, "winners", d.WinnersCount,
		"commission", fmt.Sprintf("%d,%02d%%", d.CommissionBP/100, d.CommissionBP%100),
		"deadline", i18n.FormatTime(l, d.Deadline), "source", source, "ticket", ticket) + prizeLine(l, d)
}

func (b *Bot) showDraw(ctx context.Context, from *telego.User, chatID int64, editID int, id int64) error {
	l := lang(from)
	d, ok, err := b.getDraw(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return b.reply(ctx, chatID, editID, i18n.T(l, "draw.not_found", "id", id), tgui.Rows(backRow(l)))
	}
	text := drawCard(l, d)
	if !d.Open() {
		reason := raffle.RefuseClosed
		if d.EntriesPaused {
			reason = raffle.RefusePaused
		}
		return b.reply(ctx, chatID, editID, text+"\n\n"+i18n.T(l, "reason."+reason), tgui.Rows(backRow(l)))
	}
	if !b.currencies[d.Currency] {
		return b.reply(ctx, chatID, editID, text+"\n\n"+i18n.T(l, "reason.currency_off"), tgui.Rows(backRow(l)))
	}
	bal, err := ledger.Balance(ctx, b.pool, ledger.UserAccount(from.ID, d.Currency))
	if err != nil {
		return err
	}
	return b.reply(ctx, chatID, editID, text+"\n\n"+i18n.T(l, "draw.pay_choice", "id", d.ID), b.payChoice(l, d, bal))
}

func (b *Bot) showBalance(ctx context.Context, from *telego.User, chatID int64, editID int) error {
	l := lang(from)
	xtr, err := ledger.Balance(ctx, b.pool, ledger.UserAccount(from.ID, "XTR"))
	if err != nil {
		return err
	}
	rub, err := ledger.Balance(ctx, b.pool, ledger.UserAccount(from.ID, "RUB"))
	if err != nil {
		return err
	}
	held, err := ledger.Balance(ctx, b.pool, ledger.UserHeldAccount(from.ID, "RUB"))
	if err != nil {
		return err
	}
	heldText := ""
	if held > 0 {
		heldText = i18n.T(l, "balance.held", "held", i18n.Money(l, held, "RUB"))
	}
	text := i18n.T(l, "balance.text", "xtr", i18n.Money(l, xtr, "XTR"), "rub", i18n.Money(l, rub, "RUB"), "held", heldText)
	kb := [][]telego.InlineKeyboardButton{}
	if rub > 0 && b.rubles != nil {
		kb = append(kb, tgui.Row(tgui.Button(i18n.T(l, "balance.withdraw"), cbWithdraw)))
	}
	kb = append(kb, b.giftButtons(l, xtr)...)
	kb = append(kb, backRow(l))
	return b.reply(ctx, chatID, editID, text, kb)
}

func (b *Bot) showMyDraws(ctx context.Context, from *telego.User, chatID int64) error {
	l := lang(from)
	rs, err := q.UserRaffles(ctx, b.pool, from.ID)
	if err != nil {
		return fmt.Errorf("bot: my draws: %w", err)
	}
	if len(rs) == 0 {
		return b.send(ctx, chatID, i18n.T(l, "my.none"), nil)
	}
	lines := []string{i18n.T(l, "my.header")}
	for _, r := range rs {
		result := ""
		switch {
		case r.Prize >= 0:
			result = i18n.T(l, "my.won", "prize", i18n.Money(l, r.Prize, r.Currency))
		case r.Status == raffle.StatusDrawn || r.Status == raffle.StatusSettled:
			result = i18n.T(l, "my.lost")
		}
		lines = append(lines, i18n.T(l, "my.item", "id", r.ID, "title", r.Title, "status", i18n.T(l, "status."+r.Status),
			"code", r.EntryCode, "result", result))
	}
	return b.send(ctx, chatID, strings.Join(lines, "\n"), nil)
}

func (b *Bot) showStats(ctx context.Context, from *telego.User, chatID int64, editID int) error {
	l := lang(from)
	s, err := q.StatsTotals(ctx, b.pool)
	if err != nil {
		return fmt.Errorf("bot: stats: %w", err)
	}
	return b.reply(ctx, chatID, editID, i18n.T(l, "stats.text", "raffles", s.Raffles, "open", s.OpenRaffles,
		"entries", s.Entries, "participants", s.Participants, "winners", s.Winners), tgui.Rows(backRow(l)))
}

func (b *Bot) showHistory(ctx context.Context, from *telego.User, chatID int64, editID int) error {
	l := lang(from)
	draws, err := b.draws.ListByStatus(ctx, raffle.StatusSettled)
	if err != nil {
		return err
	}
	if len(draws) == 0 {
		return b.reply(ctx, chatID, editID, i18n.T(l, "history.none"), tgui.Rows(backRow(l)))
	}
	if len(draws) > 10 {
		draws = draws[len(draws)-10:]
	}
	lines := []string{i18n.T(l, "history.header")}
	for i := len(draws) - 1; i >= 0; i-- {
		d := draws[i]
		lines = append(lines, i18n.T(l, "history.item", "id", d.ID, "title", d.Title,
			"participants", i18n.Plural(l, int64(d.Entries), "participants"), "pool", i18n.Money(l, d.Pool, d.Currency), "proof_url", b.proofURL(d.ID)))
	}
	return b.reply(ctx, chatID, editID, strings.Join(lines, "\n"), tgui.Rows(backRow(l)))
}

func (b *Bot) setNews(ctx context.Context, from *telego.User, chatID int64, follows bool) error {
	if err := q.SetFollowsNews(ctx, b.pool, dbq.SetFollowsNewsParams{TelegramID: from.ID, Follows: follows}); err != nil {
		return fmt.Errorf("bot: news setting: %w", err)
	}
	if err := audit.Record(ctx, b.pool, audit.Entry{
		At: b.now(), Actor: fmt.Sprintf("user:%d", from.ID), Action: "user.news",
		After: map[string]bool{"follows_news": follows},
	}); err != nil {
		return err
	}
	key := "news.off"
	if follows {
		key = "news.on"
	}
	return b.send(ctx, chatID, i18n.T(lang(from), key), nil)
}

// allowed applies the flood limit, telling the user when they are too fast.
func (b *Bot) allowed(ctx context.Context, userID int64) (bool, error) {
	if b.guard == nil {
		return true, nil
	}
	ok, err := b.guard.Allow(ctx, userID)
	if err != nil {
		b.logger.Warn("flood guard unavailable; allowing", "error", err)
		return true, nil
	}
	return ok, nil
}

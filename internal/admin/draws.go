package admin

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/reporting"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// showOpen lists the draws that are not finished: open ones, and those being drawn.
func (p *Panel) showOpen(ctx context.Context, s *screen) error {
	draws, err := p.draws.ListByStatus(ctx, raffle.StatusOpen, raffle.StatusDrawing, raffle.StatusDrawn)
	if err != nil {
		return err
	}
	l := s.lang()
	kb := [][]telego.InlineKeyboardButton{}
	lines := []string{s.t("admin.open_header")}
	if len(draws) == 0 {
		lines = []string{s.t("admin.open_none")}
	}
	for i, d := range draws {
		if i == maxButtons {
			lines = append(lines, s.t("admin.more", "count", len(draws)-maxButtons))
			break
		}
		lines = append(lines, s.t("admin.open_item", "id", d.ID, "title", tgui.Truncate(d.Title, 40), "status", p.statusText(l, d),
			"participants", i18n.Plural(l, int64(d.Entries), "participants"), "pool", i18n.Money(l, d.Pool, d.Currency),
			"left", p.left(l, d.Deadline)))
		kb = append(kb, tgui.Row(tgui.Button(tgui.Truncate(fmt.Sprintf("#%d %s", d.ID, d.Title), 40), tgui.Data(cbDraw, d.ID))))
	}
	kb = append(kb, s.backRow(cbMenu))
	return s.show(ctx, strings.Join(lines, "\n"), kb)
}

// statusText is a draw's status, with "entries stopped" for a paused open draw.
func (p *Panel) statusText(l string, d raffle.Draw) string {
	text := i18n.T(l, "status."+d.Status)
	if d.Status == raffle.StatusOpen && d.EntriesPaused {
		text += ", " + i18n.T(l, "admin.paused")
	}
	return text
}

// left says how long until t: "2 д 3 ч", "45 мин", or that it has passed.
func (p *Panel) left(l string, t time.Time) string {
	d := t.Sub(p.now())
	if d <= 0 {
		return i18n.T(l, "admin.left_passed")
	}
	mins := int64(d.Round(time.Minute) / time.Minute)
	days, hours, m := mins/(24*60), mins/60%24, mins%60
	switch {
	case days > 0:
		return i18n.T(l, "admin.left_dh", "d", days, "h", hours)
	case hours > 0:
		return i18n.T(l, "admin.left_hm", "h", hours, "m", m)
	default:
		return i18n.T(l, "admin.left_m", "m", max(m, 1))
	}
}

// showDraw is a draw's card with what an admin can do with it; note goes on top.
func (p *Panel) showDraw(ctx context.Context, s *screen, id int64, note string) error {
	d, ok, err := p.getDraw(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return p.notFound(ctx, s, id)
	}
	l := s.lang()
	maxText := i18n.T(l, "admin.no_max")
	if d.Max != nil {
		maxText = strconv.Itoa(*d.Max)
	}
	text := s.t("admin.draw_card", "id", d.ID, "title", d.Title, "status", p.statusText(l, d),
		"count", d.Entries, "min", d.Min, "max", maxText, "pool", i18n.Money(l, d.Pool, d.Currency),
		"fee", i18n.Money(l, d.Fee, d.Currency), "commission", percent(l, d.CommissionBP), "winners", d.WinnersCount,
		"source", sourceName(d.Source), "mode", s.t("admin.mode_"+d.CloseMode),
		"deadline", i18n.FormatTime(l, d.Deadline), "left", p.left(l, d.Deadline))
	if d.TicketID != "" {
		text += "\n" + i18n.T(l, "draw.card_ticket", "ticket", d.TicketID)
	}
	if note != "" {
		text = note + "\n\n" + text
	}
	ask := func(key, act string) telego.InlineKeyboardButton {
		return tgui.Button(s.t(key), tgui.Data(cbAsk, act, d.ID))
	}
	var kb [][]telego.InlineKeyboardButton
	if d.Status == raffle.StatusOpen {
		if d.EntriesPaused {
			kb = append(kb, tgui.Row(ask("admin.act_resume", actResume)))
		} else {
			kb = append(kb, tgui.Row(ask("admin.act_pause", actPause)))
		}
		kb = append(kb, tgui.Row(ask("admin.act_force", actForce)))
	}
	switch d.Status {
	case raffle.StatusDraft, raffle.StatusOpen, raffle.StatusDrawing:
		kb = append(kb, tgui.Row(ask("admin.act_cancel", actCancel)))
	}
	kb = append(kb,
		tgui.Row(tgui.Button(s.t("admin.participants"), tgui.Data(cbPeople, d.ID, 0)), tgui.Button(s.t("admin.csv"), tgui.Data(cbCSV, d.ID))),
		tgui.Row(tgui.Button(s.t("admin.audit"), tgui.Data(cbAudit, d.ID, 0))),
		s.backRow(cbOpen),
	)
	return s.show(ctx, text, kb)
}

// ask shows what a confirmed action will do, with Yes and No.
func (p *Panel) ask(ctx context.Context, s *screen, act string, id int64) error {
	yes := tgui.Row(tgui.Button(s.t("admin.yes"), tgui.Data(cbDo, act, id)))
	switch act {
	case actPause, actResume, actForce, actCancel:
		d, ok, err := p.getDraw(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			return p.notFound(ctx, s, id)
		}
		l := s.lang()
		text := s.t("admin.ask_"+act, "id", d.ID, "title", d.Title, "participants", i18n.Plural(l, int64(d.Entries), "participants"),
			"pool", i18n.Money(l, d.Pool, d.Currency), "min", d.Min)
		return s.show(ctx, text, [][]telego.InlineKeyboardButton{yes, tgui.Row(tgui.Button(s.t("admin.no"), tgui.Data(cbDraw, id)))})
	case actUnban:
		return s.show(ctx, s.t("admin.ask_unban", "user", id), [][]telego.InlineKeyboardButton{yes, tgui.Row(tgui.Button(s.t("admin.no"), cbBans))})
	case actSend:
		return p.askSend(ctx, s, id, yes)
	}
	return s.answer(ctx, s.t("error.unknown_button"), alert)
}

// do performs a confirmed action. Each is safe to press twice: the second finds the draw in
// its new state and says so.
func (p *Panel) do(ctx context.Context, s *screen, act string, id int64) error {
	var err error
	var done string
	switch act {
	case actPause, actResume:
		err = p.draws.SetPaused(ctx, id, act == actPause, s.actor())
		done = s.t("admin.done_"+act, "id", id)
	case actForce:
		err = p.draws.ForceDraw(ctx, id, s.actor())
		done = s.t("admin.done_force", "id", id)
	case actCancel:
		err = p.draws.Cancel(ctx, id, s.actor())
		done = s.t("admin.done_cancel", "id", id)
	case actUnban:
		return p.unban(ctx, s, id)
	case actSend:
		return p.send(ctx, s, id)
	default:
		return s.answer(ctx, s.t("error.unknown_button"), alert)
	}
	switch {
	case errors.Is(err, raffle.ErrNotFound):
		return p.notFound(ctx, s, id)
	case errors.Is(err, raffle.ErrWrongState):
		p.logger.Info("admin action refused", "action", act, "draw_id", id, "error", err)
		d, ok, gerr := p.getDraw(ctx, id)
		if gerr != nil || !ok {
			return gerr
		}
		why := s.t("admin.refused_state", "status", p.statusText(s.lang(), d))
		if act == actForce && d.Status == raffle.StatusOpen {
			why = s.t("admin.refused_min", "count", d.Entries, "min", max(d.Min, d.WinnersCount))
		}
		if err := p.showDraw(ctx, s, id, "⚠️ "+why); err != nil {
			return err
		}
		return s.answer(ctx, why, alert)
	case err != nil:
		return err
	}
	p.logger.Info("admin action", "action", act, "draw_id", id, "admin_id", s.from.ID)
	if err := p.showDraw(ctx, s, id, "✅ "+done); err != nil {
		return err
	}
	return s.answer(ctx, done, toast)
}

// showPeople is one page of a draw's entries in entry order.
func (p *Panel) showPeople(ctx context.Context, s *screen, id int64, page int) error {
	d, ok, err := p.getDraw(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return p.notFound(ctx, s, id)
	}
	pages := max(1, (d.Entries+pageSize-1)/pageSize)
	page = min(page, pages-1)
	rows, err := reporting.Entries(ctx, p.pool, id, int32(page*pageSize), pageSize)
	if err != nil {
		return err
	}
	l := s.lang()
	lines := []string{s.t("admin.people_header", "id", d.ID, "title", d.Title, "count", d.Entries, "page", page+1, "pages", pages)}
	if len(rows) == 0 {
		lines = append(lines, s.t("admin.people_none"))
	}
	for _, e := range rows {
		lines = append(lines, s.t("admin.people_item", "seq", e.Seq, "code", e.Code, "user", userLabel(e.TelegramID, e.Username, e.FirstName),
			"paid", s.t("admin.paid_"+e.Provider), "at", i18n.FormatTime(l, e.CreatedAt)))
	}
	var nav []telego.InlineKeyboardButton
	if page > 0 {
		nav = append(nav, tgui.Button("‹ "+strconv.Itoa(page), tgui.Data(cbPeople, id, page-1)))
	}
	if page+1 < pages {
		nav = append(nav, tgui.Button(strconv.Itoa(page+2)+" ›", tgui.Data(cbPeople, id, page+1)))
	}
	kb := [][]telego.InlineKeyboardButton{}
	if len(nav) > 0 {
		kb = append(kb, nav)
	}
	kb = append(kb, tgui.Row(tgui.Button(s.t("admin.csv"), tgui.Data(cbCSV, id))), s.backRow(tgui.Data(cbDraw, id)))
	return s.show(ctx, strings.Join(lines, "\n"), kb)
}

// userLabel names a user for admins: "123 @name (First)".
func userLabel(id int64, username, first string) string {
	out := strconv.FormatInt(id, 10)
	if username != "" {
		out += " @" + username
	}
	if first != "" {
		out += " (" + first + ")"
	}
	return out
}

// CSVHeader is the first line of a draw's participants export.
var CSVHeader = []string{"seq", "entry_code", "telegram_id", "username", "first_name", "paid_via", "amount", "currency", "entered_at"}

// WriteEntriesCSV writes every entry of a draw, in entry order, as CSV with CSVHeader. Amounts
// are minor units, times RFC 3339 in UTC. Names are the users' own: a name that a spreadsheet
// would take for a formula gets a leading apostrophe.
func (p *Panel) WriteEntriesCSV(ctx context.Context, w *csv.Writer, drawID int64) (int, error) {
	if err := w.Write(CSVHeader); err != nil {
		return 0, fmt.Errorf("admin: csv: %w", err)
	}
	n := 0
	after := int32(0)
	for {
		rows, err := reporting.Entries(ctx, p.pool, drawID, after, csvChunk)
		if err != nil {
			return n, err
		}
		for _, e := range rows {
			rec := []string{strconv.Itoa(int(e.Seq)), e.Code, strconv.FormatInt(e.TelegramID, 10), safeCell(e.Username), safeCell(e.FirstName),
				e.Provider, strconv.FormatInt(e.Amount, 10), e.Currency, e.CreatedAt.UTC().Format(time.RFC3339)}
			if err := w.Write(rec); err != nil {
				return n, fmt.Errorf("admin: csv: %w", err)
			}
			after = e.Seq
			n++
		}
		if len(rows) < csvChunk {
			w.Flush()
			return n, w.Error()
		}
	}
}

// safeCell keeps a spreadsheet from reading a user's name as a formula.
func safeCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// sendCSV sends the draw's entries as a CSV document.
func (p *Panel) sendCSV(ctx context.Context, s *screen, id int64) error {
	d, ok, err := p.getDraw(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return p.notFound(ctx, s, id)
	}
	var buf bytes.Buffer
	n, err := p.WriteEntriesCSV(ctx, csv.NewWriter(&buf), id)
	if err != nil {
		return err
	}
	_, err = p.api.SendDocument(ctx, &telego.SendDocumentParams{
		ChatID:   telego.ChatID{ID: s.chatID},
		Document: tu.FileFromBytes(buf.Bytes(), fmt.Sprintf("draw-%d-entries.csv", id)),
		Caption:  s.t("admin.csv_caption", "id", d.ID, "title", tgui.Truncate(d.Title, 100), "count", n),
	})
	if err != nil {
		return fmt.Errorf("admin: send csv: %w", err)
	}
	p.logger.Info("entries exported", "draw_id", id, "entries", n, "admin_id", s.from.ID)
	return s.answer(ctx, s.t("admin.csv_sent"), toast)
}

// showAudit is one page of a draw's audit log, newest first.
func (p *Panel) showAudit(ctx context.Context, s *screen, id int64, page int) error {
	total, err := reporting.AuditCount(ctx, p.pool, id)
	if err != nil {
		return err
	}
	pages := max(1, int((total+auditPage-1)/auditPage))
	page = min(page, pages-1)
	rows, err := reporting.Audit(ctx, p.pool, id, auditPage, int32(page*auditPage))
	if err != nil {
		return err
	}
	lines := []string{s.t("admin.audit_header", "id", id, "count", total, "page", page+1, "pages", pages)}
	for _, r := range rows {
		line := fmt.Sprintf("• %s · %s · %s", r.At.UTC().Format("2006-01-02 15:04:05"), r.Actor, r.Action)
		if r.Subject != "" {
			line += " · " + tgui.Truncate(r.Subject, 40)
		}
		if len(r.Before) > 0 {
			line += "\n  " + s.t("admin.audit_before") + tgui.Truncate(string(r.Before), auditJSON)
		}
		if len(r.After) > 0 {
			line += "\n  " + s.t("admin.audit_after") + tgui.Truncate(string(r.After), auditJSON)
		}
		lines = append(lines, line)
	}
	var nav []telego.InlineKeyboardButton
	if page > 0 {
		nav = append(nav, tgui.Button("‹", tgui.Data(cbAudit, id, page-1)))
	}
	if page+1 < pages {
		nav = append(nav, tgui.Button("›", tgui.Data(cbAudit, id, page+1)))
	}
	kb := [][]telego.InlineKeyboardButton{}
	if len(nav) > 0 {
		kb = append(kb, nav)
	}
	kb = append(kb, s.backRow(tgui.Data(cbDraw, id)))
	return s.show(ctx, strings.Join(lines, "\n"), kb)
}

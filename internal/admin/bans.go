package admin

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// showBans lists the banned users, each with a button to lift the ban.
func (p *Panel) showBans(ctx context.Context, s *screen, note string) error {
	users, err := p.bans.Banned(ctx, maxButtons+1)
	if err != nil {
		return err
	}
	l := s.lang()
	lines := []string{s.t("admin.bans_header")}
	if note != "" {
		lines = append([]string{note, ""}, lines...)
	}
	if len(users) == 0 {
		lines = append(lines, s.t("admin.bans_none"))
	}
	kb := [][]telego.InlineKeyboardButton{tgui.Row(tgui.Button(s.t("admin.ban_new"), cbBanNew))}
	for i, u := range users {
		if i == maxButtons {
			lines = append(lines, "…")
			break
		}
		reason := u.BanReason
		if reason == "" {
			reason = "—"
		}
		lines = append(lines, s.t("admin.bans_item", "user", userLabel(u.TelegramID, u.Username, u.FirstName), "at", i18n.FormatTime(l, *u.BannedAt), "reason", tgui.Truncate(reason, 60)))
		kb = append(kb, tgui.Row(tgui.Button(s.t("admin.unban_button", "user", u.TelegramID), tgui.Data(cbAsk, actUnban, u.TelegramID))))
	}
	kb = append(kb, s.backRow(cbMenu))
	return s.show(ctx, strings.Join(lines, "\n"), kb)
}

func (p *Panel) startBan(ctx context.Context, s *screen) error {
	d, ok, err := p.begin(ctx, s, Dialog{Kind: kindBan, Step: stepUser})
	if err != nil || !ok {
		return err
	}
	return p.showStep(ctx, s, d, "")
}

func (p *Panel) banPrompt(ctx context.Context, s *screen, d Dialog) (string, [][]telego.InlineKeyboardButton, error) {
	if d.Step == stepUser {
		return s.t("admin.ban_ask"), [][]telego.InlineKeyboardButton{navRow(s, d)}, nil
	}
	label := strconv.FormatInt(d.BanUser, 10)
	u, ok, err := p.bans.User(ctx, d.BanUser)
	if err != nil {
		return "", nil, err
	}
	if ok {
		label = userLabel(u.TelegramID, u.Username, u.FirstName)
	}
	entries, err := p.bans.OpenEntries(ctx, d.BanUser)
	if err != nil {
		return "", nil, err
	}
	reason := d.BanReason
	if reason == "" {
		reason = "—"
	}
	text := s.t("admin.ban_confirm", "user", label, "reason", reason, "entries", entries)
	return text, [][]telego.InlineKeyboardButton{tgui.Row(tgui.Button(s.t("admin.ban_ok"), dialogData(d, opOK))), navRow(s, d)}, nil
}

// banAnswer takes "<telegram id> [reason]".
func (p *Panel) banAnswer(ctx context.Context, s *screen, d Dialog, in string) error {
	if d.Step != stepUser {
		return p.showStep(ctx, s, d, s.t("admin.use_buttons"))
	}
	idText, reason, _ := strings.Cut(strings.TrimSpace(in), " ")
	id, err := strconv.ParseInt(strings.TrimPrefix(idText, "#"), 10, 64)
	reason = strings.TrimSpace(reason)
	switch {
	case err != nil || id <= 0:
		return p.showStep(ctx, s, d, s.t("admin.ban_bad_id"))
	case p.admins[id]:
		return p.showStep(ctx, s, d, s.t("admin.ban_admin"))
	case utf8.RuneCountInString(reason) > maxReason:
		return p.showStep(ctx, s, d, s.t("admin.ban_reason_long", "max", maxReason))
	}
	d.BanUser, d.BanReason, d.Step = id, reason, stepConfirm
	d, ok, err := p.save(ctx, s, d)
	if err != nil || !ok {
		return err
	}
	return p.showStep(ctx, s, d, "")
}

func (p *Panel) confirmBan(ctx context.Context, s *screen, d Dialog) error {
	if err := p.dialogs.Delete(ctx, s.from.ID, d.Version); errors.Is(err, ErrConflict) {
		return s.answer(ctx, s.t("admin.stale"), alert)
	} else if err != nil {
		return err
	}
	refunded, err := p.bans.Ban(ctx, d.BanUser, d.BanReason, s.actor())
	if err != nil {
		return err
	}
	p.logger.Info("user banned", "user_id", d.BanUser, "refunded", len(refunded), "admin_id", s.from.ID)
	return p.showBans(ctx, s, s.t("admin.banned", "user", d.BanUser, "count", len(refunded)))
}

func (p *Panel) unban(ctx context.Context, s *screen, userID int64) error {
	changed, err := p.bans.Unban(ctx, userID, s.actor())
	if err != nil {
		return err
	}
	note := s.t("admin.unbanned", "user", userID)
	if !changed {
		note = s.t("admin.not_banned", "user", userID)
	}
	if err := p.showBans(ctx, s, note); err != nil {
		return err
	}
	return s.answer(ctx, note, toast)
}

package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// showBans lists the banned users, each with a button to lift the ban.
func (p *Panel) showBans(ctx context.Context, s *screen, note string) error {
	users, err := q.BannedUsers(ctx, p.pool, maxButtons+1)
	if err != nil {
		return fmt.Errorf("admin: banned users: %w", err)
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
	u, err := q.GetUser(ctx, p.pool, d.BanUser)
	switch {
	case err == nil:
		label = userLabel(u.TelegramID, u.Username, u.FirstName)
	case !errors.Is(err, pgx.ErrNoRows):
		return "", nil, fmt.Errorf("admin: user: %w", err)
	}
	entries, err := p.openEntries(ctx, d.BanUser)
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

// openEntries counts a user's entries in open draws: those a ban refunds.
func (p *Panel) openEntries(ctx context.Context, userID int64) (int, error) {
	draws, err := q.UserOpenRaffles(ctx, p.pool, userID)
	if err != nil {
		return 0, fmt.Errorf("admin: user's draws: %w", err)
	}
	n := 0
	for _, id := range draws {
		es, err := q.UserEntriesInRaffle(ctx, p.pool, dbq.UserEntriesInRaffleParams{RaffleID: id, TelegramID: userID})
		if err != nil {
			return 0, fmt.Errorf("admin: user's entries: %w", err)
		}
		n += len(es)
	}
	return n, nil
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
	refunded, err := p.Ban(ctx, d.BanUser, d.BanReason, s.actor())
	if err != nil {
		return err
	}
	p.logger.Info("user banned", "user_id", d.BanUser, "refunded", len(refunded), "admin_id", s.from.ID)
	return p.showBans(ctx, s, s.t("admin.banned", "user", d.BanUser, "count", len(refunded)))
}

// Ban bans userID and refunds their paid entries in open draws, in one transaction with the
// user.ban audit row (and an entry.refund row per entry). A user never seen before is banned
// too, so a known bad account can be stopped before it pays. Banning again updates the reason.
func (p *Panel) Ban(ctx context.Context, userID int64, reason, actor string) ([]raffle.RefundedEntry, error) {
	var refunded []raffle.RefundedEntry
	err := db.InTx(ctx, p.pool, func(tx pgx.Tx) error {
		now := p.now()
		if err := q.EnsureUser(ctx, tx, dbq.EnsureUserParams{TelegramID: userID, FirstSeenAt: now}); err != nil {
			return fmt.Errorf("admin: ensure user: %w", err)
		}
		u, err := q.LockUser(ctx, tx, userID)
		if err != nil {
			return fmt.Errorf("admin: lock user: %w", err)
		}
		if _, err := q.SetUserBan(ctx, tx, dbq.SetUserBanParams{BannedAt: &now, Reason: reason, TelegramID: userID}); err != nil {
			return fmt.Errorf("admin: ban: %w", err)
		}
		if err := raffle.Audit(ctx, tx, now, actor, "user.ban", 0, fmt.Sprintf("user:%d", userID), banState(u),
			map[string]any{"banned": true, "reason": reason}); err != nil {
			return err
		}
		refunded, err = p.draws.RefundUserEntries(ctx, tx, userID, raffle.RefuseBanned, actor)
		return err
	})
	if err != nil {
		return nil, err
	}
	return refunded, nil
}

// Unban lifts userID's ban; they may enter again. Entries refunded by the ban stay refunded.
// It reports false when the user was not banned (nothing changed, nothing audited).
func (p *Panel) Unban(ctx context.Context, userID int64, actor string) (bool, error) {
	changed := false
	err := db.InTx(ctx, p.pool, func(tx pgx.Tx) error {
		u, err := q.LockUser(ctx, tx, userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("admin: lock user: %w", err)
		}
		if u.BannedAt == nil {
			return nil
		}
		if _, err := q.SetUserBan(ctx, tx, dbq.SetUserBanParams{BannedAt: nil, Reason: "", TelegramID: userID}); err != nil {
			return fmt.Errorf("admin: unban: %w", err)
		}
		changed = true
		return raffle.Audit(ctx, tx, p.now(), actor, "user.unban", 0, fmt.Sprintf("user:%d", userID), banState(u), map[string]any{"banned": false})
	})
	return changed, err
}

func banState(u dbq.User) map[string]any {
	if u.BannedAt == nil {
		return map[string]any{"banned": false}
	}
	return map[string]any{"banned": true, "banned_at": u.BannedAt, "reason": u.BanReason}
}

func (p *Panel) unban(ctx context.Context, s *screen, userID int64) error {
	changed, err := p.Unban(ctx, userID, s.actor())
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

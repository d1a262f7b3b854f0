package admin

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/settings"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// showSettings lists the settings in force, each with a button to change it.
func (p *Panel) showSettings(ctx context.Context, s *screen, note string) error {
	v, err := p.settings.Values(ctx)
	if err != nil {
		return err
	}
	lines := []string{s.t("admin.settings_header")}
	if note != "" {
		lines = append([]string{note, ""}, lines...)
	}
	kb := [][]telego.InlineKeyboardButton{}
	for _, key := range settings.Keys {
		shown := settingShown(s.lang(), key, v)
		if key == settings.KeyAnnouncement {
			shown = tgui.Truncate(strings.ReplaceAll(shown, "\n", " "), 60)
		}
		origin := s.t("admin.setting_default")
		if v.Set[key] {
			origin = s.t("admin.setting_set")
		}
		lines = append(lines, s.t("admin.setting_line", "name", s.t("admin.setting_"+key), "value", shown, "origin", origin))
		kb = append(kb, tgui.Row(tgui.Button(s.t("admin.setting_"+key), tgui.Data(cbSetting, key))))
	}
	kb = append(kb, s.backRow(cbMenu))
	return s.show(ctx, strings.Join(lines, "\n"), kb)
}

// settingShown is a setting's value as an admin reads it.
func settingShown(l, key string, v settings.Values) string {
	switch key {
	case settings.KeyCommissionXTR:
		return percent(l, v.CommissionBP["XTR"])
	case settings.KeyCommissionRUB:
		return percent(l, v.CommissionBP["RUB"])
	case settings.KeyMaxEntriesPerDay:
		return strconv.Itoa(v.MaxEntriesPerDay)
	case settings.KeyDigestInterval:
		return i18n.Plural(l, int64(v.DigestInterval/time.Minute), "minutes")
	case settings.KeyReserveThreshold:
		return i18n.Money(l, v.ReserveThreshold, "XTR")
	case settings.KeyAnnouncement:
		if v.Announcement == "" {
			return i18n.T(l, "admin.announcement_empty")
		}
		return v.Announcement
	}
	return ""
}

// startSetting asks for a new value of key.
func (p *Panel) startSetting(ctx context.Context, s *screen, key string) error {
	if !slices.Contains(settings.Keys, key) {
		return s.answer(ctx, s.t("error.unknown_button"), alert)
	}
	d, ok, err := p.begin(ctx, s, Dialog{Kind: kindSetting, Step: stepValue, Setting: key})
	if err != nil || !ok {
		return err
	}
	return p.showStep(ctx, s, d, "")
}

func (p *Panel) settingPrompt(ctx context.Context, s *screen, d Dialog) (string, [][]telego.InlineKeyboardButton, error) {
	v, err := p.settings.Values(ctx)
	if err != nil {
		return "", nil, err
	}
	text := s.t("admin.setting_ask", "name", s.t("admin.setting_"+d.Setting), "value", settingShown(s.lang(), d.Setting, v)) +
		"\n" + s.t("admin.setting_hint_"+d.Setting)
	var kb [][]telego.InlineKeyboardButton
	if v.Set[d.Setting] {
		kb = append(kb, tgui.Row(tgui.Button(s.t("admin.setting_reset"), tgui.Data(cbReset, d.Setting))))
	}
	kb = append(kb, tgui.Row(tgui.Button(s.t("admin.cancel"), dialogData(d, opCancel))))
	return text, kb, nil
}

// settingValue turns what an admin typed into the setting's canonical value.
func settingValue(key, in string) (string, bool) {
	in = strings.TrimSpace(in)
	switch key {
	case settings.KeyCommissionXTR, settings.KeyCommissionRUB:
		bp, ok := parseFixed(strings.TrimSuffix(in, "%"), 2)
		return strconv.FormatInt(bp, 10), ok
	case settings.KeyMaxEntriesPerDay, settings.KeyReserveThreshold:
		n, ok := parseFixed(in, 0)
		return strconv.FormatInt(n, 10), ok
	case settings.KeyDigestInterval:
		n, ok := parseFixed(strings.TrimSuffix(strings.TrimSuffix(in, "m"), "мин"), 0)
		return strconv.FormatInt(n*60, 10), ok && n < 1<<31
	case settings.KeyAnnouncement:
		return in, true
	}
	return "", false
}

func (p *Panel) settingAnswer(ctx context.Context, s *screen, d Dialog, in string) error {
	value, ok := settingValue(d.Setting, in)
	if ok {
		ok = settings.Validate(d.Setting, value) == nil
	}
	if !ok {
		return p.showStep(ctx, s, d, s.t("admin.setting_bad"))
	}
	if err := p.dialogs.Delete(ctx, s.from.ID, d.Version); errors.Is(err, ErrConflict) {
		return s.answer(ctx, s.t("admin.stale"), alert)
	} else if err != nil {
		return err
	}
	if err := p.settings.Set(ctx, d.Setting, value, s.actor()); err != nil {
		return err
	}
	p.logger.Info("setting changed", "key", d.Setting, "admin_id", s.from.ID)
	if d.Setting == settings.KeyAnnouncement {
		return p.showAnnouncement(ctx, s, s.t("admin.setting_saved"))
	}
	return p.showSettings(ctx, s, s.t("admin.setting_saved"))
}

// resetSetting returns a setting to the configuration's default.
func (p *Panel) resetSetting(ctx context.Context, s *screen, key string) error {
	if !slices.Contains(settings.Keys, key) {
		return s.answer(ctx, s.t("error.unknown_button"), alert)
	}
	if d, ok, err := p.dialogs.Get(ctx, s.from.ID); err != nil {
		return err
	} else if ok && d.Kind == kindSetting {
		if err := p.dialogs.Delete(ctx, s.from.ID, d.Version); err != nil && !errors.Is(err, ErrConflict) {
			return err
		}
	}
	if err := p.settings.Reset(ctx, key, s.actor()); err != nil {
		return err
	}
	return p.showSettings(ctx, s, s.t("admin.setting_was_reset"))
}

package admin

import (
	"context"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/settings"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// showAnnouncement shows the announcement text, how many observers would get it, and the
// buttons to edit and to send it.
func (p *Panel) showAnnouncement(ctx context.Context, s *screen, note string) error {
	v, err := p.settings.Values(ctx)
	if err != nil {
		return err
	}
	observers, err := p.announce.Observers(ctx)
	if err != nil {
		return err
	}
	seq, err := p.announce.LastSeq(ctx)
	if err != nil {
		return err
	}
	text := s.t("admin.announce", "text", settingShown(s.lang(), settings.KeyAnnouncement, v), "observers", observers)
	if note != "" {
		text = note + "\n\n" + text
	}
	kb := [][]telego.InlineKeyboardButton{tgui.Row(tgui.Button(s.t("admin.announce_edit"), tgui.Data(cbSetting, settings.KeyAnnouncement)))}
	if v.Announcement != "" && observers > 0 {
		kb = append(kb, tgui.Row(tgui.Button(s.t("admin.announce_send", "observers", observers), tgui.Data(cbAsk, actSend, seq+1))))
	}
	kb = append(kb, s.backRow(cbMenu))
	return s.show(ctx, text, kb)
}

func (p *Panel) askSend(ctx context.Context, s *screen, seq int64, yes []telego.InlineKeyboardButton) error {
	text, _, err := p.settings.Get(ctx, settings.KeyAnnouncement)
	if err != nil {
		return err
	}
	observers, err := p.announce.Observers(ctx)
	if err != nil {
		return err
	}
	return s.show(ctx, s.t("admin.ask_send", "observers", observers, "text", text),
		[][]telego.InlineKeyboardButton{yes, tgui.Row(tgui.Button(s.t("admin.no"), cbAnnounce))})
}

// send queues broadcast number seq: it goes out only if seq is the next number, so pressing
// the button twice, or an old button, sends nothing more.
func (p *Panel) send(ctx context.Context, s *screen, seq int64) error {
	observers, sent, err := p.announce.Send(ctx, seq, s.actor())
	if err != nil {
		return err
	}
	if !sent {
		return s.answer(ctx, s.t("admin.send_stale"), alert)
	}
	p.logger.Info("announcement queued", "seq", seq, "observers", observers, "admin_id", s.from.ID)
	note := s.t("admin.sent", "observers", observers)
	if err := p.showAnnouncement(ctx, s, "✅ "+note); err != nil {
		return err
	}
	return s.answer(ctx, note, toast)
}

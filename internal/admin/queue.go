package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/rubles"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// The queue of money that needs a person: ruble payouts held for review and ruble refunds that
// YooKassa refused three times. Buttons:
//
//	adm:q                 the list
//	adm:q:po:<id>         a payout's details, with "paid by hand" and "returned by hand"
//	adm:q:ph:<id>:<out>   start the note dialog settling the payout as paid or returned
//	adm:q:rf:<id>         a refund's details (by payment id), with "retry" and "done by hand"
//	adm:q:ra:<id>         confirm a retry;  adm:q:rr:<id>  the confirmed retry
//	adm:q:rh:<id>         start the note dialog of a refund done by hand
//
// Every action goes through rubles.Service, which audits it with the admin and the note.
const (
	cbQueue         = "adm:q"
	cbQPayout       = "adm:q:po:{id:id}"
	cbQPayoutByHand = "adm:q:ph:{id:id}:{outcome}"
	cbQRefund       = "adm:q:rf:{id:id}"
	cbQRetryAsk     = "adm:q:ra:{id:id}"
	cbQRetry        = "adm:q:rr:{id:id}"
	cbQRefundByHand = "adm:q:rh:{id:id}"
)

// What the by-hand dialog settles (Dialog.ByHand): "rf:<payment id>" or "po:<payout id>:<outcome>".
const (
	qPayout = "po"
	qRefund = "rf"
	// queueShown is how many items of each kind the list shows.
	queueShown = 20
	maxNote    = 500
)

// onQueue is a route of the queue, which exists only with rubles.
func (p *Panel) onQueue(h func(ctx context.Context, s *screen) error) tgui.Handler {
	return p.on(func(ctx context.Context, s *screen) error {
		if p.rubles == nil {
			return s.answer(ctx, s.t("admin.q_no_rubles"), alert)
		}
		return h(ctx, s)
	})
}

// queueCount is the number of items waiting, for the menu button (0 when it cannot be read:
// the list itself will say why).
func (p *Panel) queueCount(ctx context.Context) int {
	a, err := p.rubles.NeedsPerson(ctx)
	if err != nil {
		p.logger.Warn("admin queue count", "error", err)
		return 0
	}
	return len(a.Payouts) + len(a.Refunds)
}

// retryRefund tries a refund YooKassa refused again.
func (p *Panel) retryRefund(ctx context.Context, s *screen) error {
	id := s.int("id")
	err := p.rubles.RetryRefund(ctx, id, s.actor())
	if errors.Is(err, rubles.ErrNotWaiting) {
		return p.showQueue(ctx, s, s.t("admin.q_not_waiting"))
	}
	if err != nil {
		return err
	}
	return p.showQueue(ctx, s, s.t("admin.q_retried", "id", id))
}

// showQueue lists what waits for a person, after notice (the result of the last action) if any.
func (p *Panel) showQueue(ctx context.Context, s *screen, notice string) error {
	a, err := p.rubles.NeedsPerson(ctx)
	if err != nil {
		return err
	}
	l := s.lang()
	lines := []string{}
	if notice != "" {
		lines = append(lines, notice, "")
	}
	lines = append(lines, s.t("admin.q_header"))
	var kb [][]telego.InlineKeyboardButton
	if len(a.Payouts)+len(a.Refunds) == 0 {
		lines = append(lines, "", s.t("admin.q_empty"))
	}
	if len(a.Payouts) > 0 {
		lines = append(lines, "", s.t("admin.q_payouts", "count", len(a.Payouts)))
		for _, po := range a.Payouts[:min(len(a.Payouts), queueShown)] {
			kb = append(kb, tgui.Row(tgui.Button(s.t("admin.q_payout_item", "id", po.ID, "user", po.UserID, "amount", i18n.Money(l, po.Amount, ledger.RUB)),
				tgui.Data(cbQPayout, po.ID))))
		}
	}
	if len(a.Refunds) > 0 {
		lines = append(lines, "", s.t("admin.q_refunds", "count", len(a.Refunds)))
		for _, rf := range a.Refunds[:min(len(a.Refunds), queueShown)] {
			kb = append(kb, tgui.Row(tgui.Button(s.t("admin.q_refund_item", "id", rf.PaymentID, "user", rf.UserID, "amount", i18n.Money(l, rf.Amount, ledger.RUB)),
				tgui.Data(cbQRefund, rf.PaymentID))))
		}
	}
	kb = append(kb, tgui.Row(tgui.Button(s.t("admin.refresh"), cbQueue)), s.backRow(cbMenu))
	return s.show(ctx, strings.Join(lines, "\n"), kb)
}

func (p *Panel) showQueuedPayout(ctx context.Context, s *screen) error {
	id := s.int("id")
	a, err := p.rubles.NeedsPerson(ctx)
	if err != nil {
		return err
	}
	for _, po := range a.Payouts {
		if po.ID != id {
			continue
		}
		text := s.t("admin.q_payout_details", "id", po.ID, "user", po.UserID, "amount", i18n.Money(s.lang(), po.Amount, ledger.RUB),
			"method", s.t("rub.method."+string(po.Method)), "destination", po.Destination, "yookassa", dash(po.YooKassaID),
			"problem", dash(po.CancelReason), "at", i18n.FormatTime(s.lang(), po.CreatedAt))
		return s.show(ctx, text, [][]telego.InlineKeyboardButton{
			tgui.Row(tgui.Button(s.t("admin.q_paid"), tgui.Data(cbQPayoutByHand, id, rubles.ByHandPaid))),
			tgui.Row(tgui.Button(s.t("admin.q_returned"), tgui.Data(cbQPayoutByHand, id, rubles.ByHandReturned))),
			s.backRow(cbQueue),
		})
	}
	return p.showQueue(ctx, s, s.t("admin.q_not_waiting"))
}

func (p *Panel) showQueuedRefund(ctx context.Context, s *screen, confirmRetry bool) error {
	paymentID := s.int("id")
	a, err := p.rubles.NeedsPerson(ctx)
	if err != nil {
		return err
	}
	for _, rf := range a.Refunds {
		if rf.PaymentID != paymentID {
			continue
		}
		text := s.t("admin.q_refund_details", "id", rf.PaymentID, "user", rf.UserID, "draw", rf.DrawID,
			"amount", i18n.Money(s.lang(), rf.Amount, ledger.RUB), "yookassa", rf.YooKassaPaymentID, "attempts", rf.Attempts,
			"reason", dash(strings.TrimSpace(rf.LastParty+" "+rf.LastReason)), "at", i18n.FormatTime(s.lang(), rf.LastAt))
		if confirmRetry {
			return s.show(ctx, text+"\n\n"+s.t("admin.q_retry_confirm"), [][]telego.InlineKeyboardButton{
				tgui.Row(tgui.Button(s.t("admin.q_retry_ok"), tgui.Data(cbQRetry, paymentID))), s.backRow(tgui.Data(cbQRefund, paymentID)),
			})
		}
		return s.show(ctx, text, [][]telego.InlineKeyboardButton{
			tgui.Row(tgui.Button(s.t("admin.q_retry"), tgui.Data(cbQRetryAsk, paymentID))),
			tgui.Row(tgui.Button(s.t("admin.q_by_hand"), tgui.Data(cbQRefundByHand, paymentID))),
			s.backRow(cbQueue),
		})
	}
	return p.showQueue(ctx, s, s.t("admin.q_not_waiting"))
}

// startPayoutByHand starts the note dialog settling a payout as paid or returned by hand.
func (p *Panel) startPayoutByHand(ctx context.Context, s *screen) error {
	outcome := s.text("outcome")
	if outcome != rubles.ByHandPaid && outcome != rubles.ByHandReturned {
		return tgui.ErrUnknown
	}
	return p.startByHand(ctx, s, fmt.Sprintf("%s:%d:%s", qPayout, s.int("id"), outcome))
}

// startRefundByHand starts the note dialog of a refund done by hand.
func (p *Panel) startRefundByHand(ctx context.Context, s *screen) error {
	return p.startByHand(ctx, s, fmt.Sprintf("%s:%d", qRefund, s.int("id")))
}

func (p *Panel) startByHand(ctx context.Context, s *screen, what string) error {
	d, ok, err := p.begin(ctx, s, Dialog{Kind: kindByHand, Step: stepValue, ByHand: what})
	if err != nil || !ok {
		return err
	}
	return p.showStep(ctx, s, d, "")
}

// byHandAnswer takes the note and settles the item: a bad note asks again; a good one ends the
// dialog and acts.
func (p *Panel) byHandAnswer(ctx context.Context, s *screen, d Dialog, note string) error {
	if note == "" || utf8.RuneCountInString(note) > maxNote {
		return p.showStep(ctx, s, d, s.t("admin.q_note_bad", "max", maxNote))
	}
	if err := p.dialogs.Delete(ctx, s.from.ID, d.Version); errors.Is(err, ErrConflict) {
		return s.answer(ctx, s.t("admin.stale"), alert)
	} else if err != nil {
		return err
	}
	parts := strings.Split(d.ByHand, ":")
	id, _ := strconv.ParseInt(parts[1], 10, 64)
	var err error
	var done string
	switch {
	case parts[0] == qRefund && len(parts) == 2:
		err = p.rubles.RefundDoneByHand(ctx, id, note, s.actor())
		done = s.t("admin.q_refund_done", "id", id)
	case parts[0] == qPayout && len(parts) == 3:
		err = p.rubles.PayoutDoneByHand(ctx, id, parts[2], note, s.actor())
		done = s.t("admin.q_payout_done_"+parts[2], "id", id)
	default:
		return fmt.Errorf("admin: by-hand dialog of %q", d.ByHand)
	}
	switch {
	case errors.Is(err, rubles.ErrNotWaiting):
		return p.showQueue(ctx, s, s.t("admin.q_not_waiting"))
	case err != nil:
		return err
	}
	p.logger.Info("money settled by hand", "what", d.ByHand, "admin_id", s.from.ID)
	return p.showQueue(ctx, s, done)
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

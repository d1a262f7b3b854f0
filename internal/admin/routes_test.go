package admin

import (
	"math"
	"testing"

	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/settings"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// TestCallbackDataFits: every button's data, filled with the longest values it can carry,
// fits Telegram's 64 bytes.
func TestCallbackDataFits(t *testing.T) {
	const maxID = int64(math.MaxInt64)
	for _, data := range []string{
		tgui.Data(cbDialog, maxID, opCancel), tgui.Data(cbDialogValue, maxID, opSet, raffle.SourceRandomOrg),
		tgui.Data(cbDialogValue, maxID, opPrize, raffle.PrizePremium), tgui.Data(cbDraw, maxID),
		tgui.Data(cbAsk, actResume, maxID), tgui.Data(cbDo, actResume, maxID), tgui.Data(cbPeople, maxID, math.MaxInt32),
		tgui.Data(cbCSV, maxID), tgui.Data(cbAudit, maxID, math.MaxInt32), tgui.Data(cbTopUpAmount, maxID),
		tgui.Data(cbSetting, settings.KeyReserveThreshold), tgui.Data(cbReset, settings.KeyReserveThreshold),
		tgui.Data(cbQPayout, maxID), tgui.Data(cbQPayoutByHand, maxID, "returned"), tgui.Data(cbQRefund, maxID),
		tgui.Data(cbQRetryAsk, maxID), tgui.Data(cbQRetry, maxID), tgui.Data(cbQRefundByHand, maxID),
	} {
		if len(data) > tgui.MaxData {
			t.Errorf("%q is %d bytes", data, len(data))
		}
	}
}

package bot

import (
	"math"
	"strconv"
	"testing"

	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

// TestCallbackDataFits: every button's data, filled with the longest values it can carry,
// fits Telegram's 64 bytes.
func TestCallbackDataFits(t *testing.T) {
	const maxID = int64(math.MaxInt64)
	giftID := "5168103777563050263" // Telegram's gift ids are 19 digits
	n := strconv.FormatInt(maxID, 36)
	for _, data := range []string{
		tgui.Data(cbList, "XTR"), tgui.Data(cbDraw, maxID), tgui.Data(cbPayStars, maxID), tgui.Data(cbPayBal, maxID),
		tgui.Data(cbPayRub, maxID), tgui.Data(cbBanks, math.MaxInt32), tgui.Data(cbBank, "100000000111"),
		tgui.Data(cbGiftPick, giftID), tgui.Data(cbGiftPm, 12), tgui.Data(cbGiftOK, giftID, maxID, n), tgui.Data(cbGiftOKP, 12, maxID, n),
	} {
		if len(data) > tgui.MaxData {
			t.Errorf("%q is %d bytes", data, len(data))
		}
	}
}

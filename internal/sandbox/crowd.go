package sandbox

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// maxCrowd bounds one crowd: enough to watch pacing and a full close, few enough that the
// stand-ins and the database of a laptop keep up.
const maxCrowd = 500

// crowd is the simulated users who join a draw all at once, each through the bot exactly as a
// named user would: /join_raffle, the pay button, then paying the invoice (Stars) or the
// YooKassa page (rubles).
type crowd struct {
	chat *Chat
	wg   sync.WaitGroup

	mu      sync.Mutex
	next    int64
	members int
	joined  int
	failed  int
	running int
	lastErr string
}

// CrowdState is the crowd's progress as the page shows it.
type CrowdState struct {
	Members   int    `json:"members"`
	Joined    int    `json:"joined"`
	Failed    int    `json:"failed"`
	Running   int    `json:"running"`
	LastError string `json:"last_error,omitempty"`
}

func (cr *crowd) state() CrowdState {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	return CrowdState{Members: cr.members, Joined: cr.joined, Failed: cr.failed, Running: cr.running, LastError: cr.lastErr}
}

// start adds n members who join draw id at once.
func (cr *crowd) start(n int, id int64) error {
	cr.mu.Lock()
	if cr.running+n > maxCrowd {
		cr.mu.Unlock()
		return refuse(http.StatusConflict, "%d crowd users are still joining; at most %d at a time", cr.running, maxCrowd)
	}
	first := crowdFirstID + cr.next
	cr.next += int64(n)
	cr.members += n
	cr.running += n
	cr.mu.Unlock()
	cr.chat.touch()
	for i := range int64(n) {
		u := telegramtest.User{ID: first + i, FirstName: fmt.Sprintf("Гость %d", first+i-crowdFirstID+1), LanguageCode: "ru"}
		if i%2 == 1 {
			u.FirstName, u.LanguageCode = fmt.Sprintf("Guest %d", first+i-crowdFirstID+1), "en"
		}
		cr.wg.Go(func() {
			err := cr.join(u, id)
			cr.mu.Lock()
			cr.running--
			if err != nil {
				cr.failed++
				cr.lastErr = err.Error()
			} else {
				cr.joined++
			}
			cr.mu.Unlock()
			if err != nil {
				cr.chat.logger.Warn("sandbox crowd member", slog.Int64("user", u.ID), slog.Any("error", err))
			}
			cr.chat.touch()
		})
	}
	return nil
}

// join walks one member through the bot's join flow and pays.
func (cr *crowd) join(u telegramtest.User, id int64) error {
	c := cr.chat
	ctx, cancel := waitCtx(c.ctx)
	defer cancel()
	before := lastID(c.tg.Messages(u.ID))
	c.tg.SendText(u, "/join_raffle "+formatID(id))
	var data string
	// A new member's first message from the bot is its answer to the command.
	card, err := c.waitMessage(ctx, u, before, func(telegramtest.Message) bool { return true })
	if err != nil {
		return err
	}
	data = payButton(card, id)
	if data == "" {
		return fmt.Errorf("sandbox: draw %d cannot be joined: %s", id, firstLine(card.Text))
	}
	before = lastID(c.tg.Messages(u.ID))
	if _, err := c.tg.PressButton(u, card, data); err != nil {
		return fmt.Errorf("sandbox: press %s: %w", data, err)
	}
	if strings.HasPrefix(data, "pay:xtr:") {
		inv, err := c.waitMessage(ctx, u, before, func(m telegramtest.Message) bool { return m.Invoice != nil })
		if err != nil {
			return err
		}
		_, err = c.tg.PayInvoice(ctx, u, inv)
		return err
	}
	var order string
	if _, err := c.waitMessage(ctx, u, before, func(m telegramtest.Message) bool {
		order = checkoutOrder(m)
		return order != ""
	}); err != nil {
		return err
	}
	return c.yk.Succeed(order)
}

// payButton is the callback data of the Stars or rubles pay button for draw id under m.
func payButton(m telegramtest.Message, id int64) string {
	if m.ReplyMarkup == nil {
		return ""
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData == nil {
				continue
			}
			d := *b.CallbackData
			if d == "pay:xtr:"+formatID(id) || d == "pay:rub:"+formatID(id) {
				return d
			}
		}
	}
	return ""
}

// checkoutOrder is the YooKassa payment id behind m's payment-page button, if it has one.
func checkoutOrder(m telegramtest.Message) string {
	if m.ReplyMarkup == nil {
		return ""
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if u, err := url.Parse(b.URL); err == nil && b.URL != "" && u.Path == yookassatest.CheckoutPath {
				return u.Query().Get("orderId")
			}
		}
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

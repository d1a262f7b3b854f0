package telegramtest

import (
	"math"
	"time"
)

// limiter enforces Telegram's sending limits over one-second sliding
// windows of the injected clock: at most global messages per second across
// chats and perChat per chat. Zero turns a limit off.
type limiter struct {
	global  int
	perChat int
	sent    []time.Time
	perSent map[int64][]time.Time
}

func newLimiter(global, perChat int) limiter {
	return limiter{global: global, perChat: perChat, perSent: make(map[int64][]time.Time)}
}

// allow records a send to chatID at now, or returns the whole seconds to
// wait (at least 1, as Telegram's retry_after) when a limit is reached.
func (l *limiter) allow(chatID int64, now time.Time) (retryAfter int, ok bool) {
	l.sent = prune(l.sent, now)
	chat := prune(l.perSent[chatID], now)
	l.perSent[chatID] = chat
	wait := 0
	if l.perChat > 0 && len(chat) >= l.perChat {
		wait = max(wait, secondsUntilFree(chat, l.perChat, now))
	}
	if l.global > 0 && len(l.sent) >= l.global {
		wait = max(wait, secondsUntilFree(l.sent, l.global, now))
	}
	if wait > 0 {
		return wait, false
	}
	l.sent = append(l.sent, now)
	l.perSent[chatID] = append(chat, now)
	return 0, true
}

// prune drops sends that left the window ending at now.
func prune(sent []time.Time, now time.Time) []time.Time {
	i := 0
	for i < len(sent) && !sent[i].After(now.Add(-time.Second)) {
		i++
	}
	return sent[i:]
}

// secondsUntilFree is how long until fewer than limit sends remain in the
// window, rounded up to whole seconds.
func secondsUntilFree(sent []time.Time, limit int, now time.Time) int {
	oldest := sent[len(sent)-limit]
	left := oldest.Add(time.Second).Sub(now)
	return max(1, int(math.Ceil(left.Seconds())))
}

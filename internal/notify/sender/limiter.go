package sender

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Telegram's sending limits (research/telegram-stars.md §4): about 30 messages a second overall,
// one a second in a chat, 20 a minute in a group, up to 1000 a second with paid broadcasts.
const (
	DefaultGlobalRate     = 30
	DefaultPerChatRate    = 1
	DefaultGroupPerMinute = 20
	DefaultPaidRate       = 1000
	DefaultSlack          = 50 * time.Millisecond
	DefaultSlowFor        = time.Minute
	DefaultMaxWait        = 5 * time.Second
)

// LimiterConfig configures a RedisLimiter. Zero values take the defaults named in each field.
type LimiterConfig struct {
	// Redis holds the shared state; every replica of one bot must use the same server and Prefix.
	Redis redis.Scripter
	// Prefix starts every key ("fairdraw:"), so bots, tests and packages sharing a server never
	// collide. The keys also carry the hash tag {notify}, so a cluster keeps them in one slot.
	Prefix string
	// Global is messages per second across all replicas (SEND_RATE_GLOBAL); default 30.
	Global int
	// PerChat is messages per second to one chat (SEND_RATE_PER_CHAT); default 1.
	PerChat int
	// GroupPerMinute is messages per minute to a group chat (negative chat id); default 20.
	GroupPerMinute int
	// Paid is messages per second sent with allow_paid_broadcast, a budget of its own in place
	// of Global; default 1000.
	Paid int
	// Slack is the margin: slots are spaced (1s+Slack)/rate, and a budget takes at most rate
	// messages in any 1s+Slack/2, so replicas whose clocks disagree by up to Slack/2 still
	// stay under the limit, and round trips up to Slack/2 cost no extra wait. The pace is
	// rate/(1s+Slack): 95% of the limit at the default of 50ms. Negative means none.
	Slack time.Duration
	// SlowFor is the longest a 429 halves the global and paid pace: the slow-down lasts
	// the 429's retry_after (Telegram allows again then), but no more than SlowFor; default
	// one minute.
	SlowFor time.Duration
	// MaxWait is the longest Wait sleeps for a chat that is not free yet; beyond it Wait
	// returns a *RetryAfterError at once so the job can be snoozed instead of holding a
	// worker; default 5s (longer than a group's 3s spacing).
	MaxWait time.Duration
	// Now is the clock of the budgets; default time.Now. Replicas compare their clocks through
	// Redis, so keep them in sync (NTP); Slack covers a small skew.
	Now    func() time.Time
	Logger *slog.Logger
}

// RedisLimiter paces sending for all replicas of a bot through one Redis: a global budget (or
// the paid broadcast budget), one per chat, and a shared slow-down after Telegram answers 429.
//
// Pace: each budget is a GCRA without bursts. Redis keeps the next free moment of the budget
// (its "theoretical arrival time"), and a Lua script checks the chat and reserves a slot in
// the budget atomically, so any number of processes together keep the pace. A reserved slot
// lies in the future at most by (waiting senders)/rate; the caller sleeps until then. Even
// spacing, rather than a token bucket's bursts, is what Telegram's "about 30 a second"
// tolerates best.
//
// Cap: pacing the moments messages are let go is not enough, because Telegram counts them when
// they arrive: a sender that wakes late (a GC pause, a busy CPU) or a request that takes long
// on the way arrives together with the ones after it, and a second holds rate+1. So each
// budget also keeps a log of its sends (a sorted set): a message goes only while fewer than
// rate sends are in the log's last 1s+Slack/2, else it waits until one leaves. A send enters the
// log when it starts and moves to the moment it ended (Telegram answered) when it ends; since
// a message arrives between the two, no second at Telegram ever holds more than rate
// messages, however late or slow each of them was. The chat's next free moment is counted
// from the end of the send the same way. (The one thing this cannot see is a request still
// on its way after 1s+Slack/2; Telegram's 429 is the answer then.)
//
// A chat that is not free yet (a message just went there, or Telegram said retry_after)
// reserves nothing: the global budget is never held up for one slow chat.
type RedisLimiter struct {
	rdb                       redis.Scripter
	kGlobal, kPaid, kSlow     string
	chatPrefix                string
	global, paid, chat, group time.Duration // spacing of each budget, Slack included
	globalCap, paidCap        int
	window                    time.Duration // of the logs: 1s+Slack/2
	slowFor, maxWait          time.Duration
	now                       func() time.Time
	logger                    *slog.Logger
	id                        string // tells this limiter's log entries from other processes'
	seq                       atomic.Uint64
}

// NewRedisLimiter returns a limiter on c.Redis. It makes no request.
func NewRedisLimiter(c LimiterConfig) (*RedisLimiter, error) {
	if c.Redis == nil {
		return nil, errors.New("notify: limiter: no redis client")
	}
	if c.Global < 0 || c.PerChat < 0 || c.GroupPerMinute < 0 || c.Paid < 0 {
		return nil, errors.New("notify: limiter: negative rate")
	}
	global, perChat, group, paid := orDefault(c.Global, DefaultGlobalRate), orDefault(c.PerChat, DefaultPerChatRate),
		orDefault(c.GroupPerMinute, DefaultGroupPerMinute), orDefault(c.Paid, DefaultPaidRate)
	switch {
	case c.Slack == 0:
		c.Slack = DefaultSlack
	case c.Slack < 0:
		c.Slack = 0
	}
	if c.SlowFor <= 0 {
		c.SlowFor = DefaultSlowFor
	}
	if c.MaxWait <= 0 {
		c.MaxWait = DefaultMaxWait
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("notify: limiter: id: %w", err)
	}
	spacing := func(window time.Duration, n int) time.Duration { return (window + c.Slack) / time.Duration(n) }
	base := c.Prefix + "{notify}:"
	return &RedisLimiter{
		rdb: c.Redis, kGlobal: base + "global", kPaid: base + "paid", kSlow: base + "slow", chatPrefix: base + "chat:",
		global: spacing(time.Second, global), paid: spacing(time.Second, paid),
		chat: spacing(time.Second, perChat), group: max(spacing(time.Second, perChat), spacing(time.Minute, group)),
		globalCap: global, paidCap: paid, window: time.Second + c.Slack/2,
		slowFor: c.SlowFor, maxWait: c.MaxWait, now: c.Now, logger: c.Logger, id: hex.EncodeToString(id[:]),
	}, nil
}

func orDefault(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// slowFactor is how much a 429 stretches the spacing of the global and paid budgets.
const slowFactor = 2

// Scripts take times as µs since the epoch, integers exact in a Lua double. Every key expires
// about a second after it stops mattering.

// reserveScript reserves the next slot of a budget for a chat, in one of two classes.
//
// Replies (to a user's own action) go first: each reserved reply slot is recorded in the
// budget's "replies" key, and a bulk message reserves nothing while a reply slot is still
// ahead; it is told to wait until that slot has passed. So bulk sending uses what replies
// leave, and a reply waits at most for the bulk slots reserved before it (a few workers').
// A reply may also give a limit: a slot further away than that is not taken.
//
// KEYS: budget, chat, slow, replies. ARGV: now, budget spacing, chat spacing, slow factor,
// class (1 reply, 0 bulk), within (µs; 0 means no limit).
// Returns {1, wait}: a slot is reserved wait µs from now; {0, wait}: the chat is not free for
// wait µs; {2, wait}: bulk yields to replies for wait µs; {3, wait}: the next slot is wait µs
// away, beyond within. Only {1, ...} reserved anything.
var reserveScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local chat = tonumber(redis.call('GET', KEYS[2]) or '0')
if chat > now then
  return {0, chat - now}
end
local reply = ARGV[5] == '1'
if not reply then
  local r = tonumber(redis.call('GET', KEYS[4]) or '0')
  if r > now then
    return {2, r - now}
  end
end
local spacing = tonumber(ARGV[2])
local slow = tonumber(redis.call('GET', KEYS[3]) or '0')
if slow > now then
  spacing = spacing * tonumber(ARGV[4])
end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(tat, now)
local within = tonumber(ARGV[6])
if within > 0 and slot - now > within then
  return {3, slot - now}
end
redis.call('SET', KEYS[1], slot + spacing, 'PX', math.ceil((slot + spacing - now) / 1000) + 1000)
local nextChat = slot + tonumber(ARGV[3])
redis.call('SET', KEYS[2], nextChat, 'PX', math.ceil((nextChat - now) / 1000) + 1000)
if reply then
  local r = math.max(slot, tonumber(redis.call('GET', KEYS[4]) or '0'))
  if r > now then
    redis.call('SET', KEYS[4], r, 'PX', math.ceil((r - now) / 1000) + 1000)
  end
end
return {1, slot - now}
`)

// startScript enters a send starting now in the budget's log, if the log has room.
//
// KEYS: log, chat. ARGV: now, window, cap (a count), member, chat spacing.
// Returns 0 when entered (the chat is then free no sooner than now + chat spacing), or the µs
// until the oldest entry in the window leaves it. An entry at exactly now-window is out, as
// in Telegram's count of the last second.
var startScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(tonumber(oldest[2]) + window - now, 1)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000) + 1000)
local free = now + tonumber(ARGV[5])
if free > tonumber(redis.call('GET', KEYS[2]) or '0') then
  redis.call('SET', KEYS[2], free, 'PX', math.ceil(tonumber(ARGV[5]) / 1000) + 1000)
end
return 0
`)

// endScript moves a send's log entry to the moment it ended (adding it back if it was in
// flight so long that it left the log), and frees the chat no sooner than a spacing later.
//
// KEYS: log, chat. ARGV: now, window, member, chat spacing.
var endScript = redis.NewScript(`
local now = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) / 1000) + 1000)
local free = now + tonumber(ARGV[4])
if free > tonumber(redis.call('GET', KEYS[2]) or '0') then
  redis.call('SET', KEYS[2], free, 'PX', math.ceil(tonumber(ARGV[4]) / 1000) + 1000)
end
return 0
`)

// throttleScript records a 429: the chat is free again exactly retry_after from now (or later,
// if a slot there is already taken), and the budgets slow down until now + slowFor (a slow-down
// already running longer is kept).
//
// KEYS: chat, slow. ARGV: now, retry_after, slowFor.
var throttleScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local free = math.max(now + tonumber(ARGV[2]), tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], free, 'PX', math.ceil((free - now) / 1000) + 1000)
local slow = math.max(now + tonumber(ARGV[3]), tonumber(redis.call('GET', KEYS[2]) or '0'))
redis.call('SET', KEYS[2], slow, 'PX', math.ceil((slow - now) / 1000) + 1000)
return 1
`)

func micros(t time.Time) int64 { return t.UnixMicro() }

// budget names the keys and numbers of the budget a message draws on.
type budget struct {
	tat, log     string
	spacing      time.Duration
	cap          int
	window       time.Duration
	chatSpacing  time.Duration
	chat, member string
}

func (l *RedisLimiter) budget(chatID int64, paid bool) budget {
	b := budget{tat: l.kGlobal, log: l.kGlobal + ":log", spacing: l.global, cap: l.globalCap, window: l.window, chatSpacing: l.chat, chat: l.chatKey(chatID)}
	if paid {
		b.tat, b.log, b.spacing, b.cap = l.kPaid, l.kPaid+":log", l.paid, l.paidCap
	}
	if chatID < 0 {
		b.chatSpacing = l.group
	}
	return b
}

// Reserve asks for a slot for one bulk message to chatID (see ReserveClass).
func (l *RedisLimiter) Reserve(ctx context.Context, chatID int64, paid bool) (wait time.Duration, reserved bool, err error) {
	st, wait, err := l.reserve(ctx, chatID, paid, ClassBulk, 0)
	return wait, st == slotReserved, err
}

// ReserveReply asks for a slot for a reply to chatID, ahead of bulk messages, no further than
// within from now (0: no limit). Like Reserve it never sleeps; reserved false means nothing
// was taken and wait is how long until asking again makes sense.
func (l *RedisLimiter) ReserveReply(ctx context.Context, chatID int64, within time.Duration) (wait time.Duration, reserved bool, err error) {
	st, wait, err := l.reserve(ctx, chatID, false, ClassReply, within)
	return wait, st == slotReserved, err
}

// Class is who a message is for: a reply to a user's own action goes before bulk news.
type Class int

const (
	// ClassBulk is a notification nobody is waiting for at the moment: results, digests,
	// confirmations sent by the queue. It uses what replies leave of the budget.
	ClassBulk Class = iota
	// ClassReply answers what a user just did (a command, a button): it goes first.
	ClassReply
)

// slotState is what reserveScript answered.
type slotState int64

const (
	slotChatBusy slotState = 0
	slotReserved slotState = 1
	slotYield    slotState = 2
	slotTooFar   slotState = 3
)

// reserve asks for a slot for one message of class to chatID. It never sleeps: wait is how
// long from now the slot comes (reserved), or how long to wait before asking again. If the
// slot is reserved the caller must not start before it (then call Start). Paid selects the
// paid broadcast budget instead of the global one. Chats with negative ids are groups.
// within > 0 takes no slot further away than that (slotTooFar).
func (l *RedisLimiter) reserve(ctx context.Context, chatID int64, paid bool, class Class, within time.Duration) (slotState, time.Duration, error) {
	b := l.budget(chatID, paid)
	keys := []string{b.tat, b.chat, l.kSlow, b.tat + ":replies"}
	cls := 0
	if class == ClassReply {
		cls = 1
	}
	res, err := reserveScript.Run(ctx, l.rdb, keys, micros(l.now()), b.spacing.Microseconds(), b.chatSpacing.Microseconds(),
		slowFactor, cls, within.Microseconds()).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("notify: limiter: reserve: %w", err)
	}
	if len(res) != 2 {
		return 0, 0, fmt.Errorf("notify: limiter: reserve: unexpected reply %v", res)
	}
	return slotState(res[0]), time.Duration(res[1]) * time.Microsecond, nil
}

// Start enters a send to chatID starting now in the budget's log. If the last 1s+Slack/2
// already hold rate sends, it enters nothing and returns how long until one leaves; else it
// returns end, which the caller must call once Telegram has answered (or the send failed).
func (l *RedisLimiter) Start(ctx context.Context, chatID int64, paid bool) (end func(context.Context), wait time.Duration, err error) {
	b := l.budget(chatID, paid)
	b.member = l.id + ":" + strconv.FormatUint(l.seq.Add(1), 10)
	res, err := startScript.Run(ctx, l.rdb, []string{b.log, b.chat},
		micros(l.now()), b.window.Microseconds(), b.cap, b.member, b.chatSpacing.Microseconds()).Int64()
	if err != nil {
		return nil, 0, fmt.Errorf("notify: limiter: start: %w", err)
	}
	if res > 0 {
		return nil, time.Duration(res) * time.Microsecond, nil
	}
	return func(ctx context.Context) { l.end(ctx, b) }, 0, nil
}

// end records that the send of b is over. A failure is logged, not returned: the entry then
// stays at the send's start, and the send is still counted for 1s+Slack/2.
func (l *RedisLimiter) end(ctx context.Context, b budget) {
	err := endScript.Run(ctx, l.rdb, []string{b.log, b.chat},
		micros(l.now()), b.window.Microseconds(), b.member, b.chatSpacing.Microseconds()).Err()
	if err != nil {
		l.logger.Warn("record the end of a send in the limiter", slog.Any("error", err))
	}
}

// Wait blocks until one more bulk message to chatID may go out, enters it as started and
// returns end, to be called once Telegram has answered. If the chat (or the budget, busy
// with replies) will not be free within MaxWait, it returns a *RetryAfterError with the time
// left at once, taking nothing. It returns ctx's error if ctx ends first (a slot may be lost,
// never a message), and a wrapped Redis error if Redis cannot be reached: sending then stops
// rather than going out unpaced.
func (l *RedisLimiter) Wait(ctx context.Context, chatID int64, paid bool) (end func(context.Context), err error) {
	return l.wait(ctx, chatID, paid, ClassBulk, 0)
}

// WaitReply is Wait for a reply to a user's own action: it goes before bulk messages, and
// if it cannot go within (> 0) it returns a *RetryAfterError with the time it would have
// waited, taking nothing, so the caller can hand the reply to a durable job. within <= 0
// waits as long as ctx allows.
func (l *RedisLimiter) WaitReply(ctx context.Context, chatID int64, within time.Duration) (end func(context.Context), err error) {
	if within <= 0 {
		return l.wait(ctx, chatID, false, ClassReply, 0)
	}
	return l.wait(ctx, chatID, false, ClassReply, within)
}

func (l *RedisLimiter) wait(ctx context.Context, chatID int64, paid bool, class Class, within time.Duration) (end func(context.Context), err error) {
	var deadline time.Time
	if within > 0 {
		deadline = l.now().Add(within)
	}
	for {
		var left time.Duration // 0: no limit on the slot
		if within > 0 {
			left = max(deadline.Sub(l.now()), time.Microsecond)
		}
		st, wait, err := l.reserve(ctx, chatID, paid, class, left)
		if err != nil {
			return nil, err
		}
		if st == slotTooFar || st != slotReserved && (class == ClassBulk && wait > l.maxWait || within > 0 && wait > left) {
			return nil, &RetryAfterError{After: wait}
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		if st == slotReserved {
			break
		}
	}
	for {
		end, wait, err := l.Start(ctx, chatID, paid)
		if err != nil || end != nil {
			return end, err
		}
		l.logger.Debug("sends of the last second still in the log; waiting", slog.Int64("chat_id", chatID), slog.Duration("wait", wait))
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// Throttled records Telegram's 429 for chatID: nothing more goes to that chat until exactly
// retryAfter from now, and the global and paid budgets go at half pace until then too (at
// most SlowFor): the pace recovers as soon as Telegram allows again, so a past burst does
// not keep sending slow.
func (l *RedisLimiter) Throttled(ctx context.Context, chatID int64, retryAfter time.Duration) error {
	keys := []string{l.chatKey(chatID), l.kSlow}
	slowFor := min(retryAfter, l.slowFor)
	if err := throttleScript.Run(ctx, l.rdb, keys, micros(l.now()), retryAfter.Microseconds(), slowFor.Microseconds()).Err(); err != nil {
		return fmt.Errorf("notify: limiter: throttle: %w", err)
	}
	l.logger.Warn("telegram asked to slow down", slog.Int64("chat_id", chatID), slog.Duration("retry_after", retryAfter), slog.Duration("slow_for", slowFor))
	return nil
}

func (l *RedisLimiter) chatKey(chatID int64) string {
	return l.chatPrefix + strconv.FormatInt(chatID, 10)
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

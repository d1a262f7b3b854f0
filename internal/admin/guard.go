package admin

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Flood limit defaults: 20 commands and button presses per 20 seconds, a steady one a second
// with room for a quick run of presses through a menu.
const (
	DefaultFloodLimit  = 20
	DefaultFloodWindow = 20 * time.Second
)

// FloodGuard limits how often one user may send commands and press buttons, across every
// replica (it implements bot.Guard). It counts actions per user in fixed windows in Redis; the
// action over the limit and those after it are refused until the window ends.
type FloodGuard struct {
	rdb    redis.Cmdable
	prefix string
	limit  int64
	window time.Duration
	logger *slog.Logger
}

// GuardConfig configures a FloodGuard. Zero values take the defaults.
type GuardConfig struct {
	Redis redis.Cmdable
	// Prefix starts every key ("fairdraw:"); replicas of one bot share it.
	Prefix string
	// Limit is the most actions per Window; default DefaultFloodLimit.
	Limit int
	// Window is the counting window; default DefaultFloodWindow.
	Window time.Duration
	Logger *slog.Logger
}

// NewFloodGuard returns a FloodGuard.
func NewFloodGuard(c GuardConfig) *FloodGuard {
	if c.Limit <= 0 {
		c.Limit = DefaultFloodLimit
	}
	if c.Window <= 0 {
		c.Window = DefaultFloodWindow
	}
	return &FloodGuard{rdb: c.Redis, prefix: c.Prefix, limit: int64(c.Limit), window: c.Window, logger: c.Logger}
}

// countScript counts one action in the window that starts with the first one.
var countScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`)

// Allow counts one action of userID and reports whether it is within the limit. An error means
// Redis did not answer; the bot lets the action through then (a flood limit is not worth
// locking everyone out over).
func (g *FloodGuard) Allow(ctx context.Context, userID int64) (bool, error) {
	key := g.prefix + "flood:" + strconv.FormatInt(userID, 10)
	n, err := countScript.Run(ctx, g.rdb, []string{key}, g.window.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("admin: flood guard: %w", err)
	}
	if n == g.limit+1 && g.logger != nil {
		g.logger.Warn("user over the flood limit", slog.Int64("user_id", userID), slog.Int64("limit", g.limit), slog.Duration("window", g.window))
	}
	return n <= g.limit, nil
}

// Package flood is the bot's flood limit: how often one user may send commands and press
// buttons, counted in Redis so that every replica shares it (it implements bot.Guard).
package flood

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
	DefaultLimit  = 20
	DefaultWindow = 20 * time.Second
)

// Guard limits how often one user may send commands and press buttons, across every
// replica (it implements bot.Guard). It counts actions per user in fixed windows in Redis; the
// action over the limit and those after it are refused until the window ends.
type Guard struct {
	rdb    redis.Cmdable
	prefix string
	limit  int64
	window time.Duration
	logger *slog.Logger
}

// Config configures a Guard. Zero values take the defaults.
type Config struct {
	Redis redis.Cmdable
	// Prefix starts every key ("fairdraw:"); replicas of one bot share it.
	Prefix string
	// Limit is the most actions per Window; default DefaultLimit.
	Limit int
	// Window is the counting window; default DefaultWindow.
	Window time.Duration
	Logger *slog.Logger
}

// New returns a Guard.
func New(c Config) *Guard {
	if c.Limit <= 0 {
		c.Limit = DefaultLimit
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	return &Guard{rdb: c.Redis, prefix: c.Prefix, limit: int64(c.Limit), window: c.Window, logger: c.Logger}
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
func (g *Guard) Allow(ctx context.Context, userID int64) (bool, error) {
	key := g.prefix + "flood:" + strconv.FormatInt(userID, 10)
	n, err := countScript.Run(ctx, g.rdb, []string{key}, g.window.Milliseconds()).Int64()
	if err != nil {
		return false, fmt.Errorf("flood: %w", err)
	}
	if n == g.limit+1 && g.logger != nil {
		g.logger.Warn("user over the flood limit", slog.Int64("user_id", userID), slog.Int64("limit", g.limit), slog.Duration("window", g.window))
	}
	return n <= g.limit, nil
}

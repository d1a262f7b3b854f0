package obs

import (
	"context"
	"fmt"
	"log/slog"
)

// RedisLogger carries go-redis's internal messages (reconnects, pool trouble) into the process's
// slog logger, so the JSON log has no plain lines in it. Install it with redis.SetLogger, which is
// go-redis's only (process-wide) way to take a logger.
type RedisLogger struct{ Logger *slog.Logger }

// Printf logs one go-redis message at Warn level: go-redis only logs what went wrong.
func (l RedisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.Logger.WarnContext(ctx, "redis client", slog.String("detail", fmt.Sprintf(format, v...)))
}

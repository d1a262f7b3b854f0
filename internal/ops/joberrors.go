package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// JobErrorHandler is River's ErrorHandler: River itself logs a failing job at Info level, which
// never reaches Sentry. This logs at Error level (so Sentry gets it, with the job's draw and user)
// when a job panics, fails its third attempt (a failure that is not passing), or fails for the
// last time; other failed attempts are logged at Warn. It never changes what River does next.
type JobErrorHandler struct {
	Logger *slog.Logger
}

var _ river.ErrorHandler = (*JobErrorHandler)(nil)

// jobContextKeys are the job argument fields copied onto the log record.
var jobContextKeys = []string{"raffle_id", "draw_id", "user_id", "telegram_id", "chat_id", "payout_id", "payment_id", "refund_id"}

func (h *JobErrorHandler) attrs(job *rivertype.JobRow) []any {
	attrs := []any{slog.Int64("job_id", job.ID), slog.String("job_kind", job.Kind), slog.Int("attempt", job.Attempt),
		slog.Int("max_attempts", job.MaxAttempts), slog.String("queue", job.Queue)}
	var args map[string]any
	if json.Unmarshal(job.EncodedArgs, &args) == nil {
		for _, k := range jobContextKeys {
			if v, ok := args[k]; ok {
				attrs = append(attrs, slog.String(k, fmt.Sprint(v)))
			}
		}
	}
	return attrs
}

// HandleError logs a failed attempt.
func (h *JobErrorHandler) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	attrs := append(h.attrs(job), slog.Any("error", err))
	if job.Attempt >= job.MaxAttempts || job.Attempt == 3 {
		h.Logger.ErrorContext(ctx, "job failed", attrs...)
	} else {
		h.Logger.WarnContext(ctx, "job attempt failed", attrs...)
	}
	return nil
}

// HandlePanic logs a job's panic with its stack.
func (h *JobErrorHandler) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	h.Logger.ErrorContext(ctx, "job panicked", append(h.attrs(job), slog.String("panic", fmt.Sprint(panicVal)), slog.String("stack", trace))...)
	return nil
}

package raffle

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/notify"
)

// dropStaleNews removes a draw's unsent "entries closed" and "new participants" messages once
// its result is about to be enqueued, in the same transaction: the result says more than
// either, and sent after them it would reach the last participant only after 2N/r instead of
// N/r. Messages already being sent are left alone (they go out before the result, which
// waits for the chat's next slot). Posts to groups and channels (negative chat ids: CHANNEL_ID's
// "entries closed" with the list hash and the round) are a public record and are kept. It
// returns how many were dropped.
func dropStaleNews(ctx context.Context, tx pgx.Tx, drawID int64) (int64, error) {
	prefix := "draw:" + strconv.FormatInt(drawID, 10) + ":"
	tag, err := tx.Exec(ctx, `DELETE FROM river_job
		 WHERE kind = $1 AND queue = $2 AND state IN ('available', 'scheduled', 'retryable', 'pending')
		   AND (args->>'event' = $3 OR starts_with(args->>'event', $4))
		   AND (args->>'chat_id')::bigint > 0`,
		notify.SendArgs{}.Kind(), notify.QueueName, prefix+FanoutClosed, prefix+"digest:")
	if err != nil {
		return 0, fmt.Errorf("raffle: drop stale news: %w", err)
	}
	return tag.RowsAffected(), nil
}

package ops

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/db/dbtest"
)

func TestPruneKeepsRecentUpdates(t *testing.T) {
	pool := dbtest.NewDB(t)
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	if _, err := pool.Exec(t.Context(), `INSERT INTO processed_updates (update_id, processed_at) VALUES (1, $1), (2, $2)`,
		now.Add(-8*24*time.Hour), now.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	w := &PruneWorker{Pool: pool, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return now }}
	if err := w.Work(t.Context(), &river.Job[PruneArgs]{}); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	rows, err := pool.Query(t.Context(), "SELECT update_id FROM processed_updates ORDER BY update_id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	if len(ids) != 1 || ids[0] != 2 {
		t.Fatalf("left %v, want [2]", ids)
	}
}

package sender_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"

	"github.com/fairdraw/fairdraw/internal/notify"
	"github.com/fairdraw/fairdraw/internal/notify/sender"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

func TestQueueCollector(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	type job struct {
		queue string
		state string        // River inserts a job with ScheduledAt as scheduled; the test sets each state
		age   time.Duration // scheduled_at = now - age (negative: in the future)
	}
	tests := []struct {
		name string
		jobs []job
		want map[string]float64
	}{
		{"empty", nil, map[string]float64{"fairdraw_notify_queue_depth": 0, "fairdraw_notify_oldest_job_age_seconds": 0}},
		{"waiting, scheduled, retrying; others left out", []job{
			{queue: notify.QueueName, state: "available", age: 90 * time.Second},
			{queue: notify.QueueName, state: "available", age: 5 * time.Second},
			{queue: notify.QueueName, state: "scheduled", age: -time.Minute},
			{queue: notify.QueueName, state: "retryable", age: 10 * time.Minute},
			{queue: notify.QueueName, state: "running", age: time.Hour},
			{queue: notify.QueueName, state: "completed", age: time.Hour},
			{queue: river.QueueDefault, state: "available", age: time.Hour},
		}, map[string]float64{"fairdraw_notify_queue_depth": 4, "fairdraw_notify_oldest_job_age_seconds": 90}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, telegramtest.Config{})
			for i, j := range tt.jobs {
				at := now.Add(-j.age)
				res, err := e.jobs.Insert(t.Context(), notify.SendArgs{EventKey: "e", ChatID: int64(i + 1), Key: "k"},
					&river.InsertOpts{Queue: j.queue, ScheduledAt: at})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.pool.Exec(context.Background(), `UPDATE river_job SET state = $2::river_job_state,
					finalized_at = CASE WHEN $2 IN ('completed', 'cancelled', 'discarded') THEN now() END WHERE id = $1`, res.Job.ID, j.state); err != nil {
					t.Fatal(err)
				}
			}
			reg := prometheus.NewRegistry()
			if _, err := sender.RegisterQueueCollector(reg, e.pool, func() time.Time { return now }, e.logger); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, gather(t, reg)); diff != "" {
				t.Fatalf("metrics (-want +got):\n%s", diff)
			}
		})
	}
}

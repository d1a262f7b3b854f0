package ops_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/obs/sentrytest"
	"github.com/fairdraw/fairdraw/internal/ops"
)

type failingArgs struct {
	RaffleID int64 `json:"raffle_id"`
	UserID   int64 `json:"user_id"`
	Panic    bool  `json:"panic"`
}

func (failingArgs) Kind() string { return "test_failing" }

type failingWorker struct {
	river.WorkerDefaults[failingArgs]
}

func (failingWorker) Work(_ context.Context, j *river.Job[failingArgs]) error {
	if j.Args.Panic {
		panic("settlement bug")
	}
	return errors.New("yookassa: 500 internal server error")
}

// TestFailedJobsReachSentry: a job that fails for good, and one that panics, reach Sentry with
// the job's draw and user, through River's error handler as serve wires it.
func TestFailedJobsReachSentry(t *testing.T) {
	pool := dbtest.NewDB(t)
	logger, tr := sentrytest.Init(t, slog.New(slog.DiscardHandler))
	workers := river.NewWorkers()
	river.AddWorker(workers, failingWorker{})
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger: slog.New(slog.DiscardHandler), Workers: workers, TestOnly: true,
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		ErrorHandler: &ops.JobErrorHandler{Logger: logger}, FetchPollInterval: 20 * time.Millisecond, FetchCooldown: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = client.Stop(ctx)
	})
	events, cancel := client.Subscribe(river.EventKindJobFailed)
	defer cancel()
	for _, a := range []failingArgs{{RaffleID: 7, UserID: 501}, {RaffleID: 8, UserID: 502, Panic: true}} {
		if _, err := client.Insert(t.Context(), a, &river.InsertOpts{MaxAttempts: 1}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		select {
		case <-events:
		case <-time.After(30 * time.Second):
			t.Fatal("jobs did not fail")
		}
	}
	for _, tc := range []struct{ msg, raffle, user, exception string }{
		{"job failed", "7", "501", "yookassa: 500 internal server error"},
		{"job panicked", "8", "502", "settlement bug"},
	} {
		e := tr.Find(tc.msg)
		if e == nil {
			t.Fatalf("no %q event among %d", tc.msg, len(tr.Events()))
		}
		if e.Tags["raffle_id"] != tc.raffle || e.User.ID != tc.user || e.Tags["job_kind"] != "test_failing" ||
			len(e.Exception) != 1 || e.Exception[0].Value != tc.exception {
			t.Errorf("%s: tags %v user %+v exception %+v", tc.msg, e.Tags, e.User, e.Exception)
		}
	}
}

package alert_test

import (
	"encoding/json"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/fairdraw/fairdraw/internal/alert"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/notify"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func newJobs(t *testing.T) *river.Client[pgx.Tx] {
	t.Helper()
	jobs, err := river.NewClient(riverpgxv5.New(nil), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// TestAlertTxQueuesOneMessagePerAdmin: an alert is a personal message to each admin, queued in
// the caller's transaction under the event's "alert:" key.
func TestAlertTxQueuesOneMessagePerAdmin(t *testing.T) {
	t.Parallel()
	tx := dbtest.NewTx(t)
	a := alert.New(alert.Config{Jobs: newJobs(t), AdminIDs: []int64{11, 22}})
	if err := a.AlertTx(t.Context(), tx, "payout:7:canceled", "rub.alert_payout_canceled", map[string]i18n.Arg{"id": i18n.I(7)}); err != nil {
		t.Fatal(err)
	}
	got := queued(t, tx)
	if len(got) != 2 {
		t.Fatalf("queued %d messages, want 2", len(got))
	}
	for i, want := range []int64{11, 22} {
		j := got[i]
		if j.args.ChatID != want || j.args.EventKey != "alert:payout:7:canceled" || j.args.Key != "rub.alert_payout_canceled" ||
			j.queue != notify.QueueName || j.priority != notify.PriorityPersonal {
			t.Errorf("job %d = %+v, want chat %d, event alert:payout:7:canceled, personal priority on the notify queue", i, j, want)
		}
	}
}

type job struct {
	args     notify.SendArgs
	queue    string
	priority int
}

// queued returns the send jobs inserted in tx, in order.
func queued(t *testing.T, tx pgx.Tx) []job {
	t.Helper()
	rows, err := tx.Query(t.Context(), "SELECT args, queue, priority FROM river_job WHERE kind = $1 ORDER BY id", notify.SendArgs{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []job
	for rows.Next() {
		var j job
		var raw []byte
		if err := rows.Scan(&raw, &j.queue, &j.priority); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &j.args); err != nil {
			t.Fatal(err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestNoAdminsNoAlert: without admins (or without an Alerter) nothing is queued and nothing fails.
func TestNoAdminsNoAlert(t *testing.T) {
	t.Parallel()
	for name, a := range map[string]*alert.Alerter{
		"no admins": alert.New(alert.Config{Jobs: newJobs(t)}),
		"nil":       nil,
	} {
		t.Run(name, func(t *testing.T) {
			tx := dbtest.NewTx(t)
			if err := a.AlertTx(t.Context(), tx, "x", "admin.alert_ledger", nil); err != nil {
				t.Fatal(err)
			}
			if err := a.Alert(t.Context(), "x", "admin.alert_ledger", nil); err != nil {
				t.Fatal(err)
			}
			if got := queued(t, tx); len(got) != 0 {
				t.Errorf("queued %+v, want nothing", got)
			}
		})
	}
}

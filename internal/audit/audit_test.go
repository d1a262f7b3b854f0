package audit_test

import (
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/audit"
	"github.com/fairdraw/fairdraw/internal/db/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestRecordStoresWhatUsersSend: a subject, actor or state carrying NUL or invalid UTF-8 (forged
// button data, a name) is stored with U+FFFD instead of failing the change it records; no draw
// stores NULL, no state stores NULL.
func TestRecordStoresWhatUsersSend(t *testing.T) {
	t.Parallel()
	tx := dbtest.NewTx(t)
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	err := audit.Record(t.Context(), tx, audit.Entry{
		At: at, Actor: "user:7\x00", Action: "admin.denied", Subject: "adm:\x00\xff",
		After: map[string]string{"text": "a\x00b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var actor, subject, after string
	var drawNull, beforeNull bool
	if err := tx.QueryRow(t.Context(), `SELECT actor, subject, after::text, raffle_id IS NULL, before IS NULL
		FROM audit_log WHERE action = 'admin.denied' AND at = $1`, at).Scan(&actor, &subject, &after, &drawNull, &beforeNull); err != nil {
		t.Fatal(err)
	}
	if actor != "user:7\uFFFD" || subject != "adm:\uFFFD\uFFFD" || after != "{\"text\": \"a\uFFFDb\"}" {
		t.Errorf("stored actor %q, subject %q, after %s", actor, subject, after)
	}
	if !drawNull || !beforeNull {
		t.Errorf("draw NULL %v, before NULL %v; want both NULL", drawNull, beforeNull)
	}
}

// Package audit appends to fairdraw's append-only audit log: who did what to which draw, user
// or payment, with the state before and after. A row is written inside the transaction of the
// change it records, so the log never shows a change that rolled back or misses one that
// committed.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
)

var q = dbq.New()

// Entry is one audit row.
type Entry struct {
	At time.Time
	// Actor is who did it: "system", "cli", "admin:<id>", "user:<id>".
	Actor string
	// Action names what was done ("raffle.create", "user.ban", "rub_payout.request").
	Action string
	// DrawID is the draw concerned; 0 means none.
	DrawID int64
	// Subject names what else it was about ("user:7", "yookassa:<id>", a settings key); it is
	// often what a user sent (button data, a command).
	Subject string
	// Before and After are the state around the change, stored as JSON; nil stores NULL.
	Before, After any
}

// Record appends e to the audit log on conn: inside the caller's transaction when conn is one.
// Actor and Subject are made storable (no NUL, valid UTF-8) and so is the JSON of Before and
// After, as PostgreSQL refuses NUL in text and jsonb.
func Record(ctx context.Context, conn dbq.DBTX, e Entry) error {
	before, err := encode(e.Before)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	after, err := encode(e.After)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	p := dbq.InsertAuditParams{
		At: e.At, Actor: db.StorableText(e.Actor), Action: e.Action, Subject: db.StorableText(e.Subject),
		Before: before, After: after,
	}
	if e.DrawID != 0 {
		p.RaffleID = pgtype.Int8{Int64: e.DrawID, Valid: true}
	}
	if err := q.InsertAudit(ctx, conn, p); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

func encode(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	data, err := json.Marshal(v)
	return db.NoNULEscapes(data), err
}

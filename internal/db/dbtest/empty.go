package dbtest

import (
	"context"
	"fmt"
	"testing"
)

// NewEmptyDB creates a database with nothing in it (no migrations) and returns its URL: the
// target of a restore, or of a command run before `fairdraw migrate`. It is dropped when the test
// passes and kept, with its name logged, when it fails.
func NewEmptyDB(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	name := "fairdraw_t_" + randomSuffix()
	admin := adminConn(t)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s", name)); err != nil {
		t.Fatalf("dbtest: create empty database: %v", err)
	}
	dbURL := withDatabase(ServerURL(), name)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("dbtest: kept database %s for inspection: psql %q", name, dbURL)
			return
		}
		a := adminConn(t)
		defer a.Close(ctx)
		if _, err := a.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
			t.Logf("dbtest: drop %s: %v", name, err)
		}
	})
	return dbURL
}

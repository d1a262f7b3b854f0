// Package dbtest gives tests a real, migrated PostgreSQL database cheaply.
//
// The migrations (fairdraw's and River's) are applied once into a template database whose name
// carries a hash of them; every test that needs commits gets its own database cloned from the
// template (NewDB, ~40 ms), and every test that does not gets a transaction that is rolled back
// when it ends (NewTx, well under a millisecond). The server is TEST_DATABASE_URL, by default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable: loopback without TLS, as the
// compose file's DATABASE_URL has it (TLS would spend both sides' CPU on every test and every
// benchmark for nothing). A test database is dropped when its test passes and
// kept, with its name logged, when it fails.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"runtime/debug"
	"sort"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/goleak"

	"github.com/fairdraw/fairdraw/internal/db"
)

// DefaultURL is the server tests use when TEST_DATABASE_URL is unset (see the package comment).
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL returns the admin URL of the test server.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error

	sharedOnce sync.Once
	sharedPool *pgxpool.Pool
	sharedName string
	sharedErr  error
)

// NewDB returns a pool on a fresh migrated database of the test's own. Use it when the code
// under test commits, runs River workers, or runs concurrently.
func NewDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, _ := NewDBWithURL(t)
	return pool
}

// NewDBWithURL is NewDB that also returns the database's URL, for code that opens its own
// connections (the fairdraw binary's run function, for instance).
func NewDBWithURL(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	ctx := context.Background()
	tpl := template(t)
	name := "fairdraw_t_" + randomSuffix()
	admin := adminConn(t)
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tpl)); err != nil {
		t.Fatalf("dbtest: clone template: %v", err)
	}
	dbURL := withDatabase(ServerURL(), name)
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	cfg.MaxConns = 12
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("dbtest: connect %s: %v", name, err)
	}
	t.Cleanup(func() {
		pool.Close()
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
	return pool, dbURL
}

// Main runs a package's tests, then closes and drops the shared database of NewTx and checks
// that no goroutine leaked. Call it from TestMain: func TestMain(m *testing.M) { dbtest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if sharedPool != nil {
		sharedPool.Close()
		ctx := context.Background()
		if admin, err := pgx.Connect(ctx, ServerURL()); err == nil {
			_, _ = admin.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", sharedName))
			admin.Close(ctx)
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// NewTx returns a transaction on a migrated database shared by the test process; it is rolled
// back when the test ends, so nothing the test writes is seen by any other test.
func NewTx(t testing.TB) pgx.Tx {
	t.Helper()
	ctx := context.Background()
	sharedOnce.Do(func() {
		tpl := template(t)
		sharedName = "fairdraw_shared_" + randomSuffix()
		admin := adminConn(t)
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", sharedName, tpl)); err != nil {
			sharedErr = fmt.Errorf("clone template: %w", err)
			return
		}
		sharedPool, sharedErr = pgxpool.New(ctx, withDatabase(ServerURL(), sharedName))
	})
	if sharedErr != nil {
		t.Fatalf("dbtest: shared database: %v", sharedErr)
	}
	tx, err := sharedPool.Begin(ctx)
	if err != nil {
		t.Fatalf("dbtest: begin: %v", err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return tx
}

// template makes sure the migrated template database exists and returns its name. Test
// processes running side by side coordinate through an advisory lock.
func template(t testing.TB) string {
	t.Helper()
	templateOnce.Do(func() { templateName, templateErr = makeTemplate() })
	if templateErr != nil {
		t.Fatalf("dbtest: template: %v (is PostgreSQL running at %s?)", templateErr, ServerURL())
	}
	return templateName
}

func makeTemplate() (string, error) {
	ctx := context.Background()
	hash, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "fairdraw_tpl_" + hash[:16]
	admin, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return "", fmt.Errorf("connect: %w", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(7426001)"); err != nil {
		return "", fmt.Errorf("lock: %w", err)
	}
	defer admin.Exec(ctx, "SELECT pg_advisory_unlock(7426001)") //nolint:errcheck // closing the session unlocks too
	var ready bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&ready); err != nil {
		return "", fmt.Errorf("look up template: %w", err)
	}
	if ready {
		return name, nil
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
		return "", fmt.Errorf("drop half-made template: %w", err)
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s", name)); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	pool, err := pgxpool.New(ctx, withDatabase(ServerURL(), name))
	if err != nil {
		return "", fmt.Errorf("connect template: %w", err)
	}
	err = db.Migrate(ctx, pool, slog.New(slog.NewTextHandler(io.Discard, nil)))
	pool.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := admin.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s IS_TEMPLATE true", name)); err != nil {
		return "", fmt.Errorf("mark template: %w", err)
	}
	return name, nil
}

// migrationsHash identifies the schema: our migration files plus the River version that
// brings its own migrations.
func migrationsHash() (string, error) {
	h := sha256.New()
	fsys := db.MigrationsFS()
	var names []string
	if err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	}); err != nil {
		return "", fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return "", fmt.Errorf("read migration: %w", err)
		}
		h.Write([]byte(n))
		h.Write(b)
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/riverqueue/river" {
				h.Write([]byte(d.Version))
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func adminConn(t testing.TB) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), ServerURL())
	if err != nil {
		t.Fatalf("dbtest: connect %s: %v", ServerURL(), err)
	}
	return c
}

func withDatabase(serverURL, name string) string {
	u, err := url.Parse(serverURL)
	if err != nil {
		return serverURL
	}
	u.Path = "/" + name
	return u.String()
}

// WithParam returns dbURL with the connection parameter key set to value (pool_max_conns, say),
// keeping the parameters it has.
func WithParam(dbURL, key, value string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return dbURL
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

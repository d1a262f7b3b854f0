package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// Defaults of the sandbox's own data: a database and a Redis key prefix of its own, so that it
// never reads or writes an operator's real draws.
const (
	DefaultDatabase    = "fairdraw_sandbox"
	DefaultRedisPrefix = "fairdraw_sandbox:"
	// LocalDatabaseURL and LocalRedisURL are used when DATABASE_URL / REDIS_URL are not set.
	LocalDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres"
	LocalRedisURL    = "redis://127.0.0.1:6379"
)

// howToStart is what to run when a service is down: the local way and the Docker way.
const howToStart = `Start it, then run the sandbox again:
  Debian/Ubuntu:  sudo pg_ctlcluster $(ls /etc/postgresql) main start   # PostgreSQL
                  sudo redis-server --daemonize yes                       # Redis
                  (or: sudo systemctl start postgresql redis-server)
  macOS:          brew services start postgresql && brew services start redis
  Docker:         touch .env && docker compose run --rm --service-ports fairdraw sandbox
                  (starts PostgreSQL and Redis in containers and the sandbox beside them)
Elsewhere, point DATABASE_URL and REDIS_URL at a running PostgreSQL and Redis.`

// UnreachableError says a service the sandbox needs is down, and what to do about it.
type UnreachableError struct {
	Service string // "PostgreSQL" or "Redis"
	Where   string // host:port
	Err     error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("%s is not reachable at %s (%v).\n%s", e.Service, e.Where, e.Err, howToStart)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// PrepareDatabase makes sure database name exists on the server of serverURL (any database
// there will do to connect; LocalDatabaseURL when empty), dropping it first when reset is set,
// and returns the URL of that database with serverURL's user, host and options.
func PrepareDatabase(ctx context.Context, serverURL, name string, reset bool) (string, error) {
	if serverURL == "" {
		serverURL = LocalDatabaseURL
	}
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", errors.New("DATABASE_URL: not a postgres URL")
	}
	// Connect to the maintenance database of the same server: never to the sandbox's own one,
	// which may be about to be dropped.
	admin := *u
	if strings.TrimPrefix(admin.Path, "/") == name || admin.Path == "" || admin.Path == "/" {
		admin.Path = "/postgres"
	}
	q := admin.Query()
	q.Del("pool_max_conns")
	admin.RawQuery = q.Encode()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, admin.String())
	if err != nil {
		return "", &UnreachableError{Service: "PostgreSQL", Where: hostPort(u.Host, "5432"), Err: err}
	}
	defer conn.Close(context.WithoutCancel(ctx))
	ident := pgx.Identifier{name}.Sanitize()
	if reset {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			return "", fmt.Errorf("sandbox: reset database %s: %w", name, err)
		}
	}
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("sandbox: look for database %s: %w", name, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident); err != nil {
			return "", fmt.Errorf("sandbox: create database %s: %w", name, err)
		}
	}
	own := *u
	own.Path = "/" + name
	return own.String(), nil
}

// PrepareRedis checks that Redis answers at redisURL (LocalRedisURL when empty) and, when reset
// is set, deletes every key under prefix (and nothing else). It returns the URL used.
func PrepareRedis(ctx context.Context, redisURL, prefix string, reset bool) (string, error) {
	if redisURL == "" {
		redisURL = LocalRedisURL
	}
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return "", fmt.Errorf("REDIS_URL: %w", err)
	}
	opts.MaxRetries = -1
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(cctx).Err(); err != nil {
		return "", &UnreachableError{Service: "Redis", Where: hostPort(opts.Addr, "6379"), Err: err}
	}
	if !reset {
		return redisURL, nil
	}
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := rdb.Del(ctx, batch...).Err(); err != nil {
				return "", fmt.Errorf("sandbox: reset redis: %w", err)
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return "", fmt.Errorf("sandbox: reset redis: %w", err)
	}
	if len(batch) > 0 {
		if err := rdb.Del(ctx, batch...).Err(); err != nil {
			return "", fmt.Errorf("sandbox: reset redis: %w", err)
		}
	}
	return redisURL, nil
}

func hostPort(host, port string) string {
	if host == "" {
		return "127.0.0.1:" + port
	}
	if !strings.Contains(host, ":") {
		return host + ":" + port
	}
	return host
}

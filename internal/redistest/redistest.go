// Package redistest gives tests the test Redis: a client, and a key prefix of the test's own
// whose keys are deleted when the test ends, so tests sharing one server stay apart.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// URL is the test Redis: TEST_REDIS_URL, by default the local server.
func URL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379"
}

// Client connects to the test Redis, failing the test when it does not answer. The caller
// closes it.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(URL())
	if err != nil {
		t.Fatalf("redis url: %v", err)
	}
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis: %v", err)
	}
	return rdb
}

// Prefix is a Redis key prefix of the test's own; its keys are deleted when the test ends.
func Prefix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := fmt.Sprintf("fairdraw-test:%s:%s:", strings.ReplaceAll(t.Name(), "/", "."), hex.EncodeToString(b[:]))
	t.Cleanup(func() {
		rdb := Client(t)
		defer rdb.Close()
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return prefix
}

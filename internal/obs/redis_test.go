package obs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/fairdraw/fairdraw/internal/obs"
)

// TestRedisLoggerWritesJSON: go-redis's messages become one JSON record each, with a constant
// message and the text as an attribute, instead of plain lines in the JSON log.
func TestRedisLoggerWritesJSON(t *testing.T) {
	var buf bytes.Buffer
	l := obs.RedisLogger{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
	l.Printf(context.Background(), "redis: %s: connection pool timeout", "127.0.0.1:6379")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON record: %q", buf.String())
	}
	if rec["msg"] != "redis client" || rec["level"] != "WARN" || rec["detail"] != "redis: 127.0.0.1:6379: connection pool timeout" {
		t.Fatalf("record %v", rec)
	}
}

package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultDialogTTL is how long an untouched dialog is kept.
const DefaultDialogTTL = 30 * time.Minute

// ErrConflict means the dialog changed since it was read (another update of the same admin,
// perhaps on another replica, got there first). Nothing was written.
var ErrConflict = errors.New("admin: dialog changed meanwhile")

// DialogStore keeps each admin's dialog in Redis, so that a restart or another replica
// continues it. A dialog expires TTL after it was last saved. Every save is a compare-and-set
// on a version, so two updates of one admin handled at once cannot both apply.
type DialogStore struct {
	rdb    redis.Cmdable
	prefix string
	ttl    time.Duration
}

// NewDialogStore returns a store keeping dialogs under prefix ("fairdraw:"); ttl 0 means
// DefaultDialogTTL. Every replica of one bot must use the same server and prefix.
func NewDialogStore(rdb redis.Cmdable, prefix string, ttl time.Duration) *DialogStore {
	if ttl <= 0 {
		ttl = DefaultDialogTTL
	}
	return &DialogStore{rdb: rdb, prefix: prefix, ttl: ttl}
}

// keys are the dialog's hash (version and JSON, expiring) and its version counter, which never
// expires, so that a version is never issued twice and a button of a finished dialog never
// matches a new one. The hash tag keeps both in one cluster slot.
func (s *DialogStore) keys(adminID int64) []string {
	k := s.prefix + "{admin:dialog:" + strconv.FormatInt(adminID, 10) + "}"
	return []string{k, k + ":seq"}
}

// Get returns the admin's dialog; ok is false when there is none (never started, finished,
// or expired). The dialog's Version is what Save and Delete compare against.
func (s *DialogStore) Get(ctx context.Context, adminID int64) (d Dialog, ok bool, err error) {
	vals, err := s.rdb.HMGet(ctx, s.keys(adminID)[0], "v", "data").Result()
	if err != nil {
		return Dialog{}, false, fmt.Errorf("admin: read dialog: %w", err)
	}
	v, _ := vals[0].(string)
	data, _ := vals[1].(string)
	if v == "" || data == "" {
		return Dialog{}, false, nil
	}
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return Dialog{}, false, fmt.Errorf("admin: decode dialog: %w", err)
	}
	if d.Version, err = strconv.ParseInt(v, 10, 64); err != nil {
		return Dialog{}, false, fmt.Errorf("admin: dialog version %q: %w", v, err)
	}
	return d, true, nil
}

// saveScript writes the dialog if its version is still ARGV[1] (0: no dialog) and returns the
// new version, or -1 when it changed meanwhile.
var saveScript = redis.NewScript(`
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return -1 end
v = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'v', v, 'data', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return v
`)

// Save stores d if the stored dialog still has d.Version (0 for a new dialog) and returns d
// with its new Version; ErrConflict otherwise.
func (s *DialogStore) Save(ctx context.Context, adminID int64, d Dialog) (Dialog, error) {
	data, err := json.Marshal(d)
	if err != nil {
		return d, fmt.Errorf("admin: encode dialog: %w", err)
	}
	v, err := saveScript.Run(ctx, s.rdb, s.keys(adminID), d.Version, data, s.ttl.Milliseconds()).Int64()
	if err != nil {
		return d, fmt.Errorf("admin: save dialog: %w", err)
	}
	if v < 0 {
		return d, ErrConflict
	}
	d.Version = v
	return d, nil
}

var deleteScript = redis.NewScript(`
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
`)

// Delete ends the dialog if it still has version (ErrConflict otherwise). Deleting is how one
// of two simultaneous confirmations wins: only the one that deleted the dialog acts on it.
func (s *DialogStore) Delete(ctx context.Context, adminID, version int64) error {
	n, err := deleteScript.Run(ctx, s.rdb, s.keys(adminID)[:1], version).Int64()
	if err != nil {
		return fmt.Errorf("admin: delete dialog: %w", err)
	}
	if n == 0 {
		return ErrConflict
	}
	return nil
}

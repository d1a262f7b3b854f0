package bot

import (
	"bytes"
	"cmp"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/db"
	"github.com/fairdraw/fairdraw/internal/db/dbq"
	"github.com/fairdraw/fairdraw/internal/telegram"
)

// AllowedUpdates are the update kinds fairdraw asks Telegram for.
var AllowedUpdates = []string{"message", "callback_query", "pre_checkout_query", "my_chat_member"}

// decode turns one raw update into a telego.Update; a malformed one is an ErrMalformed. Every
// string in it is storable in PostgreSQL (NUL becomes U+FFFD, as invalid UTF-8 already does in
// encoding/json), so a name or button data with a NUL cannot make the update fail for ever.
func decode(raw []byte) (telego.Update, error) {
	var u telego.Update
	if bytes.Contains(raw, []byte(`\u0000`)) { // rare: copy only then, raw belongs to the caller
		raw = db.NoNULEscapes(bytes.Clone(raw))
	}
	if err := json.Unmarshal(raw, &u); err != nil {
		return telego.Update{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if u.UpdateID <= 0 {
		return telego.Update{}, fmt.Errorf("%w: no update_id", ErrMalformed)
	}
	return u, nil
}

// WebhookHandler serves POST /webhooks/telegram. It answers 401 unless the request carries the
// secret token fairdraw registered with setWebhook, 400 for a body that is not an update (logged,
// nothing changes), 500 when handling failed in a way worth retrying, and 200 otherwise.
func (b *Bot) WebhookHandler(secret string) http.Handler {
	want := []byte(secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		if len(want) == 0 || subtle.ConstantTimeCompare(got, want) != 1 {
			b.logger.Warn("telegram webhook with a wrong or missing secret", slog.String("remote", r.RemoteAddr))
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		u, err := decode(raw)
		if err != nil {
			b.metrics.malformed.Inc()
			b.logger.Warn("malformed webhook update", slog.Any("error", err), slog.Int("bytes", len(raw)))
			http.Error(w, "malformed update", http.StatusBadRequest)
			return
		}
		ctx, reply := r.Context(), &webhookReply{}
		if u.PreCheckoutQuery != nil {
			ctx = context.WithValue(ctx, webhookReplyKey{}, reply)
		}
		if err := b.HandleUpdate(ctx, u); err != nil {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		if reply.precheckout != nil {
			body, err := telegram.PreCheckoutAnswerBody(reply.precheckout, true)
			if err == nil {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write(body) // Telegram went away: it fails the payment itself
				return
			}
			b.logger.Error("pre-checkout answer not encoded", slog.Any("error", err))
		}
		w.WriteHeader(http.StatusOK)
	})
}

// webhookReply carries the answer to a pre-checkout query that came in a webhook request
// back to the handler, which sends it as that request's response: Telegram takes a method
// call there ("Making requests when getting updates" in the Bot API documentation), which
// saves a round trip to Telegram within the 10 seconds it gives the answer.
type webhookReply struct {
	precheckout *telego.AnswerPreCheckoutQueryParams
}

type webhookReplyKey struct{}

// WebhookConnections is the max_connections fairdraw asks Telegram for: the most it allows.
// Telegram sends one update of a chat at a time and different chats' updates in parallel over
// these connections, and the handler takes each on its own goroutine; the database pool, not
// the connection count, bounds the work. At Telegram's default of 40, 2,000 pre-checkout
// queries arriving together would queue at Telegram instead of here.
const WebhookConnections = 100

// SetWebhook registers url with Telegram, with the secret token, the update kinds we handle
// and WebhookConnections.
func (b *Bot) SetWebhook(ctx context.Context, url, secret string) error {
	err := b.api.SetWebhook(ctx, &telego.SetWebhookParams{
		URL: url, SecretToken: secret, AllowedUpdates: AllowedUpdates, MaxConnections: WebhookConnections,
	})
	if err != nil {
		return fmt.Errorf("bot: set webhook: %w", err)
	}
	return nil
}

// Poller receives updates by long polling. Only one poller across all replicas polls at a time
// (a PostgreSQL advisory lock); the offset is stored in the database after each batch is
// handled, so a restart neither skips nor replays a batch that finished.
type Poller struct {
	Bot    *Bot
	Pool   *pgxpool.Pool
	APIURL string // https://api.telegram.org
	Token  string
	HTTP   *http.Client
	Logger *slog.Logger
	// Timeout is the long-poll timeout Telegram holds a request open. Default 25 s.
	Timeout time.Duration
	// Parallel is how many updates are handled at once, across batches (a handler goes on
	// sending its replies after its batch is confirmed). Default 200.
	Parallel int

	state    pollState
	sem      chan struct{}
	inflight sync.WaitGroup
	// handling counts the handlers still running, replies and retries included.
	handling atomic.Int64

	// failures counts failed attempts per update, so one update that always fails is skipped
	// after maxAttempts instead of holding up every update behind it.
	failures map[int64]int
}

// defaultParallel is Poller.Parallel's default: two batches of getUpdates' default size
// (more would only queue for the database pool's connections, and time out there).
const defaultParallel = 200

// maxAttempts is how often one update is tried before it is skipped (and logged as an error).
const maxAttempts = 5

// pollLockKey is the advisory lock of the single poller.
const pollLockKey int64 = 0x66647031 // "fdp1"

const offsetKey = "telegram:offset"

// Run polls until ctx ends.
func (p *Poller) Run(ctx context.Context) error {
	if p.Timeout == 0 {
		p.Timeout = 25 * time.Second
	}
	if p.Parallel == 0 {
		p.Parallel = defaultParallel
	}
	if p.sem == nil {
		p.sem = make(chan struct{}, p.Parallel)
	}
	// Handlers still sending their replies finish before Run returns.
	defer p.inflight.Wait()
	if err := p.Bot.api.DeleteWebhook(ctx, &telego.DeleteWebhookParams{}); err != nil {
		p.Logger.Warn("delete webhook before polling", slog.Any("error", err))
	}
	for ctx.Err() == nil {
		err := p.runLocked(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			p.Logger.Warn("polling paused", slog.Any("error", err))
		}
		sleep(ctx, 3*time.Second)
	}
	return nil
}

// runLocked polls while it holds the poller lock; it returns when the lock is held elsewhere
// (after a short wait) or polling fails.
func (p *Poller) runLocked(ctx context.Context) error {
	conn, err := p.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("bot: poller: acquire: %w", err)
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", pollLockKey).Scan(&locked); err != nil {
		return fmt.Errorf("bot: poller: lock: %w", err)
	}
	if !locked {
		p.polled(true)
		return nil // another replica polls; look again soon
	}
	p.becamePoller()
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", pollLockKey) //nolint:errcheck // unlocks with the session anyway
	p.Logger.Info("polling Telegram for updates")
	failures := 0
	for ctx.Err() == nil {
		offset, err := p.offset(ctx)
		if err != nil {
			return err
		}
		raws, err := p.getUpdates(ctx, offset)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			failures++
			wait := min(time.Duration(failures)*time.Second, 30*time.Second)
			p.Logger.Warn("getUpdates failed", slog.Any("error", err), slog.Duration("retry_in", wait))
			sleep(ctx, wait)
			continue
		}
		failures = 0
		p.polled(false)
		if len(raws) == 0 {
			continue
		}
		next, err := p.handleBatch(ctx, raws)
		if err != nil {
			return err
		}
		if err := q.SetBotState(ctx, p.Pool, dbq.SetBotStateParams{Key: offsetKey, Value: strconv.FormatInt(next, 10)}); err != nil {
			return fmt.Errorf("bot: poller: store offset: %w", err)
		}
	}
	return nil
}

// handleBatch hands each update of a batch to a handler and returns the next offset once
// every update is safe to confirm to Telegram: claimed (a redelivery would be ignored), for
// payments recorded, and pre-checkout queries as soon as they are taken (their answer goes on
// its own deadline: see handleUpdate). The rest of a handler (its replies)
// runs on beyond the batch, so replies waiting for the send budget never hold back the next
// batch (and the pre-checkout queries in it). If an update fails before that point in a way
// worth retrying, the offset stops before it so it comes again.
func (p *Poller) handleBatch(ctx context.Context, raws []json.RawMessage) (int64, error) {
	type result struct {
		id  int64
		err error
	}
	if p.sem == nil {
		p.sem = make(chan struct{}, cmp.Or(p.Parallel, defaultParallel))
	}
	results := make([]result, len(raws))
	released := make([]chan struct{}, len(raws))
	// Pre-checkout queries first: Telegram waits at most 10 seconds for their answer.
	order := make([]int, 0, len(raws))
	for i, raw := range raws {
		if bytes.Contains(raw, []byte(`"pre_checkout_query"`)) {
			order = append(order, i)
		}
	}
	for i, raw := range raws {
		if !bytes.Contains(raw, []byte(`"pre_checkout_query"`)) {
			order = append(order, i)
		}
	}
	for _, i := range order {
		raw := raws[i]
		var head struct {
			UpdateID int64 `json:"update_id"`
		}
		_ = json.Unmarshal(raw, &head)
		results[i].id = head.UpdateID
		rel := make(chan struct{})
		released[i] = rel
		u, err := decode(raw)
		if err != nil {
			p.Bot.metrics.malformed.Inc()
			p.Logger.Warn("malformed update skipped", slog.Int64("update_id", head.UpdateID), slog.Any("error", err))
			close(rel)
			continue
		}
		var once sync.Once
		var confirmed atomic.Bool
		p.sem <- struct{}{}
		p.handling.Add(1)
		p.inflight.Go(func() {
			defer func() { <-p.sem; p.handling.Add(-1) }()
			hctx := withRelease(ctx, func() { once.Do(func() { confirmed.Store(true); close(rel) }) })
			err := p.Bot.HandleUpdate(hctx, u)
			once.Do(func() {
				results[i].err = err
				close(rel)
			})
			// Failed after its batch was confirmed: Telegram will not deliver it again (the
			// handler unclaimed it), so try it here, as a redelivery would.
			for attempt := 1; err != nil && confirmed.Load() && attempt < maxAttempts && ctx.Err() == nil; attempt++ {
				sleep(ctx, time.Duration(attempt)*time.Second)
				err = p.Bot.HandleUpdate(ctx, u)
			}
			if err != nil && confirmed.Load() && ctx.Err() == nil {
				p.Logger.Error("update given up after repeated failures", slog.Int("update_id", u.UpdateID), slog.Any("error", err))
			}
		})
	}
	for _, rel := range released {
		<-rel
	}
	if p.failures == nil {
		p.failures = map[int64]int{}
	}
	next := int64(0)
	for _, r := range results {
		if r.err != nil {
			p.failures[r.id]++
			if p.failures[r.id] < maxAttempts {
				if next == 0 {
					return 0, fmt.Errorf("bot: update %d: %w", r.id, r.err)
				}
				return next, nil
			}
			p.Logger.Error("update skipped after repeated failures", slog.Int64("update_id", r.id), slog.Any("error", r.err))
		}
		delete(p.failures, r.id)
		if r.id >= next {
			next = r.id + 1
		}
	}
	return next, nil
}

// Handling is how many updates are still being handled: a handler goes on after its batch is
// confirmed to Telegram (its replies, and its retries after a failure). Once Telegram has
// nothing left to deliver and Handling is 0, every delivered update has been handled in full.
func (p *Poller) Handling() int { return int(p.handling.Load()) }

func (p *Poller) offset(ctx context.Context) (int64, error) {
	v, err := q.GetBotState(ctx, p.Pool, offsetKey)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("bot: poller: read offset: %w", err)
	}
	n, _ := strconv.ParseInt(v, 10, 64)
	return n, nil
}

// getUpdates calls the Bot API directly so that each update can be decoded on its own: one
// malformed update must not stop the others.
func (p *Poller) getUpdates(ctx context.Context, offset int64) ([]json.RawMessage, error) {
	body, _ := json.Marshal(map[string]any{"offset": offset, "timeout": int(p.Timeout.Seconds()), "allowed_updates": AllowedUpdates})
	ctx, cancel := context.WithTimeout(ctx, p.Timeout+15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.APIURL+"/bot"+p.Token+"/getUpdates", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("bot: getUpdates request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bot: getUpdates: %w", redact(err, p.Token))
	}
	defer resp.Body.Close()
	var out struct {
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		Description string            `json:"description"`
		ErrorCode   int               `json:"error_code"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&out); err != nil {
		return nil, fmt.Errorf("bot: getUpdates: decode: %w", err)
	}
	if !out.OK {
		return nil, fmt.Errorf("bot: getUpdates: %d %s", out.ErrorCode, out.Description)
	}
	return out.Result, nil
}

// redact removes the token from an error (net/http errors quote the URL, which holds it).
func redact(err error, token string) error {
	if token == "" {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "<token>"))
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

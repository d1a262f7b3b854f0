package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/fairdraw/fairdraw/internal/db/dbtest"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg/randomorgtest"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// replica is one running serve process (its run function) with its own HTTP address.
type replica struct {
	addr   string
	cancel context.CancelFunc
	done   chan int
	once   sync.Once
	code   int
}

func startReplica(t *testing.T, env map[string]string) *replica {
	t.Helper()
	r := &replica{addr: freeAddr(t), done: make(chan int, 1)}
	own := map[string]string{}
	for k, v := range env {
		own[k] = v
	}
	own["HTTP_ADDR"] = r.addr
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		r.done <- run(ctx, []string{"serve"}, func(k string) string { return own[k] }, io.Discard, io.Discard)
	}()
	waitFor(t, "http://"+r.addr+"/healthz", r.done)
	t.Cleanup(r.stop)
	return r
}

// stop sends the replica the shutdown signal and waits until it has drained and exited.
func (r *replica) stop() {
	r.once.Do(func() {
		r.cancel()
		select {
		case r.code = <-r.done:
		case <-time.After(60 * time.Second):
			r.code = -1
		}
	})
}

// balancer spreads requests over the replicas that are up, as the tls profile's Caddy does.
func balancer(t *testing.T, replicas func() []*replica) *httptest.Server {
	var next atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rs := replicas()
		body, _ := io.ReadAll(r.Body)
		for i := range len(rs) {
			rep := rs[(int(next.Add(1))+i)%len(rs)]
			u, _ := url.Parse("http://" + rep.addr)
			rec := httptest.NewRecorder()
			req := r.Clone(r.Context())
			req.Body = io.NopCloser(strings.NewReader(string(body)))
			var failed bool
			proxy := httputil.NewSingleHostReverseProxy(u)
			proxy.ErrorHandler = func(http.ResponseWriter, *http.Request, error) { failed = true }
			proxy.ServeHTTP(rec, req)
			if failed {
				continue // that replica is down: the next one takes it
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		http.Error(w, "no replica up", http.StatusBadGateway)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestTwoReplicasWebhook runs two serve processes on one PostgreSQL and Redis behind a balancer
// in webhook mode, through a ruble draw and a whole Stars draw: both take updates, the draw is drawn and settled
// by one job each, every participant gets one confirmation and one result although one replica
// is stopped (gracefully) in the middle of the result fan-out, and the ledger checks out. The
// global send rate is enforced by the Telegram fake (429 above 1.5 x SEND_RATE_GLOBAL) and
// must hold.
func TestTwoReplicasWebhook(t *testing.T) {
	_, dbURL := dbtest.NewDBWithURL(t)
	const rate = 10
	// During the fan-out the fake refuses (429) more than 1.5 x SEND_RATE_GLOBAL in any second of
	// arrivals: room for arrival jitter on a busy machine, while two replicas with a budget each
	// (2 x the rate) are refused.
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	ro := randomorgtest.NewServer(t)
	keyFile := filepath.Join(t.TempDir(), "randomorg.pem")
	if err := os.WriteFile(keyFile, ro.PublicKeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var up []*replica
	lb := balancer(t, func() []*replica { mu.Lock(); defer mu.Unlock(); return append([]*replica(nil), up...) })
	yk := yookassatest.NewServer(yookassatest.Options{WebhookURL: lb.URL + "/webhooks/yookassa", NotifyCopies: 2})
	t.Cleanup(yk.Close)
	yc := yk.Config()
	env := map[string]string{
		"DATABASE_URL": dbURL, "REDIS_URL": "redis://127.0.0.1:6379", "BOT_TOKEN": tg.Token(), "TELEGRAM_API_URL": tg.URL(),
		"CURRENCIES": "XTR,RUB", "ADMIN_IDS": "900", "PUBLIC_URL": lb.URL, "TELEGRAM_MODE": "webhook", "TELEGRAM_WEBHOOK_SECRET": "replica-secret_1",
		"RANDOM_ORG_API_KEY": randomorgtest.TestAPIKey, "RANDOM_ORG_API_URL": ro.URL, "RANDOM_ORG_PUBLIC_KEY": keyFile,
		"SEND_RATE_GLOBAL": fmt.Sprint(rate), "LOG_LEVEL": "warn",
		"YOOKASSA_API_URL": yc.BaseURL, "YOOKASSA_SHOP_ID": yc.ShopID, "YOOKASSA_SECRET_KEY": yc.SecretKey,
		"YOOKASSA_PAYOUT_AGENT_ID": yc.PayoutAgentID, "YOOKASSA_PAYOUT_SECRET_KEY": yc.PayoutSecretKey,
		"YOOKASSA_TRUSTED_IPS": "127.0.0.1/32,::1/128",
	}
	a, b := startReplica(t, env), startReplica(t, env)
	mu.Lock()
	up = []*replica{a, b}
	mu.Unlock()
	waitUntil(t, "webhook registered", func() bool { return len(tg.Calls("setWebhook")) >= 2 })

	// Rubles first: two users pay a ruble draw that closes at its minimum; YooKassa's
	// notifications (each sent twice) reach either replica.
	code, out, errOut := runCmd(t, t.Context(), env, "raffle", "create", "--currency", "RUB", "--fee", "10000", "--min", "2",
		"--mode", "instant", "--winners", "1", "--deadline", "1h", "--title", "Рубли на двоих")
	if code != 0 {
		t.Fatalf("raffle create: %s", errOut)
	}
	rd := parseDraw(t, out)
	rubUsers := []telegramtest.User{{ID: 2001, FirstName: "Rita", LanguageCode: "ru"}, {ID: 2002, FirstName: "Sam", LanguageCode: "ru"}}
	for _, u := range rubUsers {
		tg.SendText(u, fmt.Sprintf("/join_raffle %d", rd.ID))
		pay := fmt.Sprintf("pay:rub:%d", rd.ID)
		card := newestBotMessage(t, tg, u.ID, func(m telegramtest.Message) bool { _, ok := m.Button(pay); return ok })
		if _, err := tg.PressButton(u, card, pay); err != nil {
			t.Fatalf("pay button: %v", err)
		}
		newestBotMessage(t, tg, u.ID, func(m telegramtest.Message) bool { return hasLink(m, yookassatest.CheckoutPath) })
	}
	waitUntil(t, "two ruble payments", func() bool { return len(yk.PaymentIDs()) == 2 })
	for _, id := range yk.PaymentIDs() {
		if err := yk.Succeed(id); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "ruble draw settled", func() bool { return show(t, env, rd.ID).Status == raffle.StatusSettled })
	for _, u := range rubUsers {
		waitUntil(t, fmt.Sprintf("ruble result to %d", u.ID), func() bool { return countText(tg, u.ID, "Итоги", "Поздравляем") > 0 })
	}

	const n = 16
	code, out, errOut = runCmd(t, t.Context(), env, "raffle", "create", "--currency", "XTR", "--fee", "5", "--min", fmt.Sprint(n),
		"--max", fmt.Sprint(n), "--winners", "2", "--deadline", "1h", "--title", "Две копии")
	if code != 0 {
		t.Fatalf("raffle create: %s", errOut)
	}
	d := parseDraw(t, out)
	waitUntil(t, "ticket", func() bool { return show(t, env, d.ID).TicketID != "" })

	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	var users []telegramtest.User
	for i := range n {
		users = append(users, telegramtest.User{ID: int64(1001 + i), FirstName: fmt.Sprintf("R%d", i), LanguageCode: "ru"})
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, u := range users {
		wg.Go(func() {
			tg.SendText(u, fmt.Sprintf("/join_raffle %d", d.ID))
			// The card, found by content: the new-draw announcement may arrive first.
			pay := fmt.Sprintf("pay:xtr:%d", d.ID)
			card, err := botMessageWhere(ctx, tg, u.ID, func(m telegramtest.Message) bool { _, ok := m.Button(pay); return ok })
			if err != nil {
				errs <- fmt.Errorf("join %d: %w", u.ID, err)
				return
			}
			if _, err := tg.PressButton(u, card, pay); err != nil {
				errs <- fmt.Errorf("pay button %d: %w", u.ID, err)
				return
			}
			// The invoice, found by content.
			var invoice *telegramtest.Message
			for invoice == nil && ctx.Err() == nil {
				for _, m := range tg.Messages(u.ID) {
					if m.FromBot() && m.Invoice != nil {
						invoice = &m
					}
				}
				time.Sleep(20 * time.Millisecond)
			}
			if invoice == nil {
				errs <- fmt.Errorf("invoice %d: %v", u.ID, ctx.Err())
				return
			}
			if _, err := tg.PayInvoice(ctx, u, *invoice); err != nil {
				errs <- fmt.Errorf("pay %d: %w", u.ID, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Full: the draw closes, is drawn and settled; stop one replica when a quarter of the results
	// are out, in the middle of the fan-out.
	tg.SetRateLimits(rate+rate/2, 0)
	tooManyBefore := tg.TooManyRequests()
	waitUntil(t, "a quarter of the results", func() bool {
		told := 0
		for _, u := range users {
			if countText(tg, u.ID, "Итоги", "Поздравляем") > 0 {
				told++
			}
		}
		return told >= n/4
	})
	a.stop()
	mu.Lock()
	up = []*replica{b}
	mu.Unlock()
	if a.code != 0 {
		t.Fatalf("replica A exited with %d", a.code)
	}
	for _, u := range users {
		waitUntil(t, fmt.Sprintf("result to %d", u.ID), func() bool { return countText(tg, u.ID, "Итоги", "Поздравляем") > 0 })
	}
	got := show(t, env, d.ID)
	if got.Status != raffle.StatusSettled || got.Entries != n || len(got.Winners) != 2 {
		t.Fatalf("draw %+v", got)
	}
	// Nothing twice: one confirmation and one result per participant.
	for _, u := range users {
		if c := countText(tg, u.ID, "код участника"); c != 1 {
			t.Errorf("user %d got %d entry confirmations", u.ID, c)
		}
		if c := countText(tg, u.ID, "Итоги", "Поздравляем"); c != 1 {
			t.Errorf("user %d got %d results", u.ID, c)
		}
	}
	// (Ruble users follow the news, so they also hear the Stars draw's result: count theirs.)
	for _, u := range rubUsers {
		if c := resultCount(tg, u.ID, rd.ID); c != 1 {
			t.Errorf("ruble user %d got %d results of draw %d", u.ID, c, rd.ID)
		}
	}
	// The global rate across both replicas, as the fake saw it: every message takes a slot of
	// the one budget in Redis, so the fan-out of both replicas together stays under 1.5 x
	// SEND_RATE_GLOBAL (two budgets, one each, would be refused).
	if extra := tg.TooManyRequests() - tooManyBefore; extra > 0 {
		for _, c := range tg.Calls("") {
			if c.Status == http.StatusTooManyRequests {
				t.Errorf("over the global rate (429): %s to %s", c.Method, c.Params["chat_id"])
			}
		}
	}
	// Each draw job ran to completion once.
	conn, err := pgx.Connect(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, id := range []int64{rd.ID, d.ID} {
		for _, kind := range []string{"raffle_draw", "raffle_settle"} {
			var jobs, done int
			if err := conn.QueryRow(t.Context(), `SELECT count(*), count(*) FILTER (WHERE state = 'completed') FROM river_job
				WHERE kind = $1 AND (args->>'draw_id')::bigint = $2`, kind, id).Scan(&jobs, &done); err != nil {
				t.Fatal(err)
			}
			if jobs != 1 || done != 1 {
				t.Errorf("draw %d %s: %d jobs, %d completed", id, kind, jobs, done)
			}
		}
	}
	// Each ruble payment is one entry, whichever replica took which copy of its notification.
	var rubEntries int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM entries WHERE raffle_id = $1", rd.ID).Scan(&rubEntries); err != nil || rubEntries != 2 {
		t.Errorf("ruble draw has %d entries (%v)", rubEntries, err)
	}
	if code, out, errOut := runCmd(t, t.Context(), env, "ledger", "check"); code != 0 {
		t.Fatalf("ledger check: %s %s", out, errOut)
	}
	if tg.StarBalance() != 5*n {
		t.Fatalf("bot holds %d Stars", tg.StarBalance())
	}
}

func parseDraw(t *testing.T, out string) raffle.Draw {
	t.Helper()
	var d raffle.Draw
	if err := jsonUnmarshal([]byte(out), &d); err != nil || d.ID == 0 {
		t.Fatalf("draw %q: %v", out, err)
	}
	return d
}

// countText counts the bot's messages to chat that contain any of subs.
func countText(tg *telegramtest.Server, chat int64, subs ...string) int {
	n := 0
	for _, m := range tg.Messages(chat) {
		if !m.FromBot() {
			continue
		}
		for _, s := range subs {
			if strings.Contains(m.Text, s) {
				n++
				break
			}
		}
	}
	return n
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// TestTwoReplicasPolling: in polling mode two replicas share the intake: at any time only one
// polls (Telegram never answers 409 for a second poller), every update is answered once, and
// when the polling replica stops the other takes over.
func TestTwoReplicasPolling(t *testing.T) {
	_, dbURL := dbtest.NewDBWithURL(t)
	tg := telegramtest.NewServer(t, telegramtest.Config{})
	env := map[string]string{
		"DATABASE_URL": dbURL, "REDIS_URL": "redis://127.0.0.1:6379", "BOT_TOKEN": tg.Token(), "TELEGRAM_API_URL": tg.URL(),
		"CURRENCIES": "XTR", "LOG_LEVEL": "warn",
	}
	a, b := startReplica(t, env), startReplica(t, env)
	say := func(from, to int64) {
		t.Helper()
		for id := from; id < to; id++ {
			tg.SendText(telegramtest.User{ID: id, FirstName: "P", LanguageCode: "en"}, "/start")
		}
		for id := from; id < to; id++ {
			waitUntil(t, fmt.Sprintf("menu for %d", id), func() bool { return countText(tg, id, "Hello") > 0 })
		}
	}
	say(2001, 2011)
	a.stop()
	if a.code != 0 {
		t.Fatalf("replica A exited with %d", a.code)
	}
	say(2011, 2021)
	b.stop()
	for id := int64(2001); id < 2021; id++ {
		if c := countText(tg, id, "Hello"); c != 1 {
			t.Errorf("user %d got %d menus", id, c)
		}
	}
	for _, c := range tg.Calls("getUpdates") {
		if c.Status == http.StatusConflict {
			t.Fatalf("two replicas polled at once: %s", c.Response)
		}
	}
}

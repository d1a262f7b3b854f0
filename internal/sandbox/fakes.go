// Package sandbox lets a person try fairdraw without any account: the stand-ins for Telegram,
// YooKassa, Random.org and drand (the project's own test fakes, with their real response
// shapes and limits) run in-process, the unchanged serve wiring talks to them, and a browser
// chat at /sandbox plays several Telegram users and an admin side by side.
//
// Nothing here decides anything about draws or money: every message the chat shows was sent
// by the real bot through the Telegram stand-in, every payment goes through the real payment
// code paths (pre_checkout_query then successful_payment for Stars; a YooKassa payment and its
// webhook for rubles), so what works here works in production and the ledger stays checkable.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/fairness/drand"
	"github.com/fairdraw/fairdraw/internal/fairness/drand/drandtest"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg/randomorgtest"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa/yookassatest"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// telegramGlobalRate is Telegram's overall sending limit (about 30 messages a second;
// research/telegram-stars.md), which the stand-in enforces with 429 and retry_after. Its
// per-chat limit (one a second) is left off: the stand-in keeps it as a strict one-second
// window, and the bot answers an update directly (not through its paced queue), so a second
// answer in the same second, which Telegram's servers are not known to refuse, would be lost.
const telegramGlobalRate = 30

// Fakes are the running stand-ins for the outside world.
type Fakes struct {
	Telegram  *telegramtest.Server
	YooKassa  *yookassatest.Server
	RandomOrg *randomorgtest.Server
	Drand     *drandtest.Server

	keyFile string
	stop    chan struct{}
	wg      sync.WaitGroup
}

// StartFakes starts the four stand-ins on loopback ports. publicURL is where the sandbox's own
// HTTP server will listen (the YooKassa stand-in sends its notifications there). Close stops
// them.
func StartFakes(publicURL string, logger *slog.Logger) (*Fakes, error) {
	f := &Fakes{stop: make(chan struct{})}
	var err error
	f.Telegram, err = telegramtest.Start(telegramtest.Config{
		BotUsername: "fairdraw_sandbox_bot", GlobalRate: telegramGlobalRate,
		Logger: logger.With(slog.String("stand_in", "telegram")),
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: telegram stand-in: %w", err)
	}
	f.YooKassa = yookassatest.NewServer(yookassatest.Options{
		WebhookURL: publicURL + "/webhooks/yookassa",
		// YooKassa keeps retrying a notification for a day; the stand-in for a few minutes, so a
		// notification sent while the sandbox is still starting is not lost.
		NotifyMaxAttempts: 60, NotifyRetryDelay: 3 * time.Second,
		Logger: logger.With(slog.String("stand_in", "yookassa")),
	})
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	if f.RandomOrg, err = randomorgtest.Start(binary.LittleEndian.Uint64(seed[:])); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: random.org stand-in: %w", err)
	}
	if f.Drand, err = drandtest.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: drand stand-in: %w", err)
	}
	dir, err := os.MkdirTemp("", "fairdraw-sandbox-")
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	f.keyFile = filepath.Join(dir, "randomorg-sandbox.pem")
	if err := os.WriteFile(f.keyFile, f.RandomOrg.PublicKeyPEM(), 0o600); err != nil {
		f.Close()
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	f.wg.Add(1)
	go f.payoutDesk()
	return f, nil
}

// Close stops the stand-ins and removes the key file.
func (f *Fakes) Close() {
	if f.stop != nil {
		close(f.stop)
		f.wg.Wait()
		f.stop = nil
	}
	if f.Telegram != nil {
		f.Telegram.Close()
	}
	if f.YooKassa != nil {
		f.YooKassa.Close()
	}
	if f.RandomOrg != nil {
		f.RandomOrg.Close()
	}
	if f.Drand != nil {
		f.Drand.Close()
	}
	if f.keyFile != "" {
		_ = os.RemoveAll(filepath.Dir(f.keyFile))
	}
}

// payoutDesk plays the bank side of SBP payouts, which YooKassa leaves pending until the bank
// answers: a pending payout succeeds a few seconds later, so a winner's withdrawal completes.
func (f *Fakes) payoutDesk() {
	defer f.wg.Done()
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-tick.C:
			for _, id := range f.YooKassa.PayoutIDs() {
				// Only pending payouts move; the others answer with an error, which is expected.
				_ = f.YooKassa.SucceedPayout(id)
			}
		}
	}
}

// Keys are the keys the sandbox's proofs verify with: the stand-in Random.org's own signing
// key (never the real one) and the real drand quicknet chain, whose recorded beacons it serves.
func (f *Fakes) Keys() fairness.Keys {
	return fairness.Keys{RandomOrg: f.RandomOrg.PublicKey(), Drand: drand.Quicknet()}
}

// Env is the configuration that points the serve wiring at the stand-ins, by variable name.
// Every secret and URL of the outside world comes from here, never from the operator's
// environment.
func (f *Fakes) Env(publicURL string) map[string]string {
	yc := f.YooKassa.Config()
	return map[string]string{
		"BOT_TOKEN":                  f.Telegram.Token(),
		"TELEGRAM_API_URL":           f.Telegram.URL(),
		"TELEGRAM_MODE":              "polling",
		"TELEGRAM_WEBHOOK_SECRET":    "",
		"PUBLIC_URL":                 publicURL,
		"ADMIN_IDS":                  strconv.FormatInt(AdminID, 10),
		"CURRENCIES":                 "XTR,RUB",
		"YOOKASSA_API_URL":           yc.BaseURL,
		"YOOKASSA_SHOP_ID":           yc.ShopID,
		"YOOKASSA_SECRET_KEY":        yc.SecretKey,
		"YOOKASSA_PAYOUT_AGENT_ID":   yc.PayoutAgentID,
		"YOOKASSA_PAYOUT_SECRET_KEY": yc.PayoutSecretKey,
		// The stand-in notifies from this machine; in production these are YooKassa's ranges.
		"YOOKASSA_TRUSTED_IPS":  "127.0.0.1/32,::1/128",
		"TRUSTED_PROXIES":       "",
		"RANDOM_ORG_API_KEY":    randomorgtest.TestAPIKey,
		"RANDOM_ORG_API_URL":    f.RandomOrg.URL,
		"RANDOM_ORG_PUBLIC_KEY": f.keyFile,
		"DRAND_URL":             f.Drand.URL,
		"SENTRY_DSN":            "",
		"ALLOW_PAID_BROADCAST":  "false",
	}
}

// waitCtx is how long one simulated action (a payment, a crowd member's join) may take.
func waitCtx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, 60*time.Second)
}

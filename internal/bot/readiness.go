package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Defaults of WebhookKeeper.
const (
	DefaultWebhookCheck      = time.Minute
	DefaultWebhookRetryFirst = time.Second
	DefaultWebhookRetryMax   = time.Minute
)

// WebhookKeeper keeps the webhook registered: it calls setWebhook until Telegram accepts it
// (backing off from RetryFirst to RetryMax), then every Check asks getWebhookInfo and
// registers again if the URL is not ours (another deployment, a deleteWebhook). Ready
// reports an error until Telegram has accepted the webhook, while it is not ours, and while
// Telegram reports a delivery error newer than the last good check with updates piling up.
type WebhookKeeper struct {
	Bot    *Bot
	URL    string
	Secret string
	Logger *slog.Logger
	// Check, RetryFirst and RetryMax take their defaults when zero.
	Check, RetryFirst, RetryMax time.Duration

	mu       sync.Mutex
	notReady error
	accepted bool // Telegram has accepted setWebhook at least once (set by setNotReady(nil))
}

// Run keeps the webhook until ctx ends.
func (k *WebhookKeeper) Run(ctx context.Context) {
	retry := cmpOr(k.RetryFirst, DefaultWebhookRetryFirst)
	for ctx.Err() == nil {
		if err := k.Bot.SetWebhook(ctx, k.URL, k.Secret); err != nil {
			if ctx.Err() != nil {
				return
			}
			k.setNotReady(fmt.Errorf("telegram: webhook not registered: %w", err))
			k.Logger.Error("set webhook; trying again", slog.Any("error", err), slog.Duration("retry_in", retry))
			sleep(ctx, retry)
			retry = min(retry*2, cmpOr(k.RetryMax, DefaultWebhookRetryMax))
			continue
		}
		retry = cmpOr(k.RetryFirst, DefaultWebhookRetryFirst)
		k.setNotReady(nil)
		k.Logger.Info("webhook registered")
		since := time.Now()
		for ctx.Err() == nil {
			sleep(ctx, cmpOr(k.Check, DefaultWebhookCheck))
			if ctx.Err() != nil {
				return
			}
			info, err := k.Bot.api.GetWebhookInfo(ctx)
			if err != nil {
				k.Logger.Warn("get webhook info", slog.Any("error", err))
				continue // Telegram unreachable says nothing about the webhook
			}
			if info.URL != k.URL {
				k.setNotReady(errors.New("telegram: the webhook points elsewhere"))
				k.Logger.Error("webhook changed outside fairdraw; registering again", slog.String("url", info.URL))
				break
			}
			if info.LastErrorDate > since.Unix() && info.PendingUpdateCount > 0 {
				k.setNotReady(fmt.Errorf("telegram: deliveries failing: %s (%d updates waiting)", info.LastErrorMessage, info.PendingUpdateCount))
				k.Logger.Warn("telegram cannot deliver updates", slog.String("last_error", info.LastErrorMessage), slog.Int("pending", info.PendingUpdateCount))
			} else {
				k.setNotReady(nil)
			}
			since = time.Now()
		}
	}
}

// Ready is nil while updates can arrive by webhook: never before Telegram has accepted the
// webhook, even if asked before Run has started.
func (k *WebhookKeeper) Ready(context.Context) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.notReady == nil && !k.accepted {
		return errNotRegisteredYet
	}
	return k.notReady
}

var errNotRegisteredYet = errors.New("telegram: webhook not registered yet")

// setNotReady records why updates cannot arrive; nil once Telegram has accepted the webhook.
func (k *WebhookKeeper) setNotReady(err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.notReady = err
	k.accepted = k.accepted || err == nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// pollState is what the poller last managed, for Ready.
type pollState struct {
	mu      sync.Mutex
	lastOK  time.Time // a getUpdates answered
	standby bool      // another replica holds the poller lock
}

// Ready is nil while updates can arrive by polling: this replica's getUpdates succeeded in
// the last long-poll period plus a margin, or another replica is the poller.
func (p *Poller) Ready(context.Context) error {
	p.state.mu.Lock()
	defer p.state.mu.Unlock()
	if p.state.standby {
		return nil
	}
	if p.state.lastOK.IsZero() {
		return errors.New("telegram: no getUpdates answered yet")
	}
	if since := time.Since(p.state.lastOK); since > cmpOr(p.Timeout, 25*time.Second)+30*time.Second {
		return fmt.Errorf("telegram: no getUpdates answered for %s", since.Round(time.Second))
	}
	return nil
}

func (p *Poller) polled(standby bool) {
	p.state.mu.Lock()
	defer p.state.mu.Unlock()
	p.state.standby = standby
	if !standby {
		p.state.lastOK = time.Now()
	}
}

// becamePoller records that this replica took the poller lock: ready once getUpdates answers.
func (p *Poller) becamePoller() {
	p.state.mu.Lock()
	defer p.state.mu.Unlock()
	p.state.standby, p.state.lastOK = false, time.Time{}
}

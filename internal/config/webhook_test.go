package config

import (
	"strings"
	"testing"
)

// Webhook mode refuses at start what setWebhook would refuse later, naming the variable.
func TestWebhookSettingsTelegramWouldRefuse(t *testing.T) {
	base := map[string]string{
		"DATABASE_URL": "postgres://x@localhost/db", "REDIS_URL": "redis://localhost:6379",
		"BOT_TOKEN": "1:abc", "CURRENCIES": "XTR", "TELEGRAM_MODE": "webhook",
	}
	tests := []struct {
		name, url, secret, want string
	}{
		{"https and a good secret", "https://bot.example.com", "hook-secret_1", ""},
		{"https with a path", "https://example.com/fairdraw", "s", ""},
		{"http on loopback (a local Bot API server)", "http://127.0.0.1:8080", "s", ""},
		{"http on localhost", "http://localhost:8080", "s", ""},
		{"plain http", "http://bot.example.com", "s", "PUBLIC_URL: Telegram delivers webhooks only over https"},
		{"a query", "https://bot.example.com/?x=1", "s", "PUBLIC_URL: must not carry a query"},
		{"a fragment", "https://bot.example.com/#top", "s", "PUBLIC_URL: must not carry a query or fragment"},
		{"a space in the secret", "https://bot.example.com", "two words", "TELEGRAM_WEBHOOK_SECRET: Telegram accepts 1-256"},
		{"a secret too long", "https://bot.example.com", strings.Repeat("a", 257), "TELEGRAM_WEBHOOK_SECRET: Telegram accepts 1-256"},
		{"a secret of 256", "https://bot.example.com", strings.Repeat("a", 256), ""},
		{"a secret with a dot", "https://bot.example.com", "a.b", "TELEGRAM_WEBHOOK_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := map[string]string{"PUBLIC_URL": tt.url, "TELEGRAM_WEBHOOK_SECRET": tt.secret}
			for k, v := range base {
				e[k] = v
			}
			c, err := Load(env(e))
			if err == nil {
				err = c.RequireServe()
			}
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

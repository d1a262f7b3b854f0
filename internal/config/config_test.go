package config

import (
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatalf("Load with no environment: %v", err)
	}
	if c.HTTPAddr != ":8080" || c.SendRateGlobal != 30 || c.SendRatePerChat != 1 || c.MaxEntriesPerDay != 20 {
		t.Fatalf("defaults not applied: %+v", c)
	}
	if c.TelegramAPIURL != "https://api.telegram.org" || c.TelegramMode != ModePolling {
		t.Fatalf("telegram defaults: %q %q", c.TelegramAPIURL, c.TelegramMode)
	}
	if len(c.Currencies) != 2 || !c.Accepts(CurrencyXTR) || !c.Accepts(CurrencyRUB) {
		t.Fatalf("currencies: %v", c.Currencies)
	}
	if c.JoinDigestInterval != 10*time.Minute || c.StarsReserveThreshold != 3000 {
		t.Fatalf("digest/reserve defaults: %v %d", c.JoinDigestInterval, c.StarsReserveThreshold)
	}
	if len(c.YooKassaTrustedIPs) == 0 {
		t.Fatal("YooKassa trusted IPs default is empty")
	}
}

func TestLoadErrorsNameTheVariable(t *testing.T) {
	for _, tc := range []struct {
		name, key, val, want string
	}{
		{"database scheme", "DATABASE_URL", "mysql://x/y", "DATABASE_URL: not a postgres URL"},
		{"redis scheme", "REDIS_URL", "http://x", "REDIS_URL: not a redis URL"},
		{"mode", "TELEGRAM_MODE", "push", "TELEGRAM_MODE: must be"},
		{"admin id", "ADMIN_IDS", "1,abc", `ADMIN_IDS: not a Telegram user id: "abc"`},
		{"channel id", "CHANNEL_ID", "@mychannel", `CHANNEL_ID: not a channel id like -1001234567890: "@mychannel"`},
		{"channel id of a user", "CHANNEL_ID", "12345", "CHANNEL_ID: not a channel id"},
		{"rate", "SEND_RATE_GLOBAL", "0", "SEND_RATE_GLOBAL: not a positive whole number"},
		{"currency", "CURRENCIES", "USD", `CURRENCIES: unknown currency "USD"`},
		{"ips", "YOOKASSA_TRUSTED_IPS", "1.2.3.4/99", "YOOKASSA_TRUSTED_IPS: not a CIDR"},
		{"log level", "LOG_LEVEL", "loud", "LOG_LEVEL: must be"},
		{"digest", "JOIN_DIGEST_INTERVAL", "soon", "JOIN_DIGEST_INTERVAL: not a positive duration"},
		{"public url", "PUBLIC_URL", "ftp://x", "PUBLIC_URL: not an http(s) URL"},
		{"http addr", "HTTP_ADDR", "8080", "HTTP_ADDR: not a listen address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(map[string]string{tc.key: tc.val}))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load(%s=%q) error = %v, want it to contain %q", tc.key, tc.val, err, tc.want)
			}
		})
	}
}

func TestRequireServeOnlyAsksForWhatIsUsed(t *testing.T) {
	base := map[string]string{
		"DATABASE_URL": "postgres://x@localhost/db", "REDIS_URL": "redis://localhost:6379",
		"BOT_TOKEN": "1:abc", "CURRENCIES": "XTR",
	}
	c, err := Load(env(base))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RequireServe(); err != nil {
		t.Fatalf("Stars-only operator must not need YooKassa keys: %v", err)
	}
	base["CURRENCIES"] = "XTR,RUB"
	c, _ = Load(env(base))
	if err := c.RequireServe(); err == nil || !strings.Contains(err.Error(), "YOOKASSA_SHOP_ID") {
		t.Fatalf("RUB without YooKassa keys: %v", err)
	}
	base["TELEGRAM_MODE"] = "webhook"
	base["CURRENCIES"] = "XTR"
	c, _ = Load(env(base))
	if err := c.RequireServe(); err == nil || !strings.Contains(err.Error(), "TELEGRAM_WEBHOOK_SECRET") {
		t.Fatalf("webhook without secret: %v", err)
	}
}

func TestDumpMasksSecrets(t *testing.T) {
	e := env(map[string]string{
		"BOT_TOKEN": "123:SECRETSECRET", "DATABASE_URL": "postgres://u:pw@h/db",
		"YOOKASSA_SECRET_KEY": "live_abc", "HTTP_ADDR": ":9090",
	})
	c, err := Load(e)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := c.Dump(&b, e); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, leak := range []string{"SECRETSECRET", "pw@", "live_abc"} {
		if strings.Contains(out, leak) {
			t.Fatalf("dump leaks %q:\n%s", leak, out)
		}
	}
	for _, want := range []string{"BOT_TOKEN=***", "HTTP_ADDR=:9090", "RANDOM_ORG_API_KEY=\n"} {
		if !strings.Contains(out, want) {
			t.Fatalf("dump lacks %q:\n%s", want, out)
		}
	}
}

// Package config reads fairdraw's configuration from the environment once, at start.
//
// Every variable of the design (section 7) is parsed here and nowhere else, each default is
// written down in one place (the defaults table below), and Validate reports every problem at
// once with the variable's name first ("DATABASE_URL: not a postgres URL"). A missing secret is
// not an error by itself: the feature that needs it asks with the Require* methods, so an
// operator who takes only Stars never has to invent YooKassa keys.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fairdraw/fairdraw/internal/ledger"
)

// Currencies an operator may accept entries in (ledger's names).
const (
	CurrencyXTR = ledger.XTR
	CurrencyRUB = ledger.RUB
)

// Telegram intake modes.
const (
	ModePolling = "polling"
	ModeWebhook = "webhook"
)

// DefaultYooKassaTrustedIPs are the source ranges YooKassa sends HTTP notifications from, as
// published in its documentation (research/yookassa.md §3.5).
const DefaultYooKassaTrustedIPs = "185.71.76.0/27,185.71.77.0/27,77.75.153.0/25,77.75.156.11,77.75.156.35,77.75.154.128/25,2a02:5180::/32"

// defaults holds the default of every variable that has one. It is the single place where
// defaults are written down; the README's configuration table mirrors it.
var defaults = map[string]string{
	"TELEGRAM_API_URL":           "https://api.telegram.org",
	"TELEGRAM_MODE":              ModePolling,
	"HTTP_ADDR":                  ":8080",
	"YOOKASSA_API_URL":           "https://api.yookassa.ru/v3",
	"YOOKASSA_TRUSTED_IPS":       DefaultYooKassaTrustedIPs,
	"RANDOM_ORG_API_URL":         "https://api.random.org/json-rpc/4/invoke",
	"DRAND_URL":                  "https://api.drand.sh",
	"SEND_RATE_GLOBAL":           "30",
	"SEND_RATE_PER_CHAT":         "1",
	"CURRENCIES":                 "XTR,RUB",
	"MAX_ENTRIES_PER_DAY":        "20",
	"JOIN_DIGEST_INTERVAL":       "10m",
	"STARS_RESERVE_THRESHOLD":    "3000",
	"ALLOW_PAID_BROADCAST":       "false",
	"LOG_LEVEL":                  "info",
	"TRUSTED_PROXIES":            "",
	"DATABASE_URL":               "",
	"REDIS_URL":                  "",
	"BOT_TOKEN":                  "",
	"TELEGRAM_WEBHOOK_SECRET":    "",
	"PUBLIC_URL":                 "",
	"ADMIN_IDS":                  "",
	"CHANNEL_ID":                 "",
	"YOOKASSA_SHOP_ID":           "",
	"YOOKASSA_SECRET_KEY":        "",
	"YOOKASSA_PAYOUT_AGENT_ID":   "",
	"YOOKASSA_PAYOUT_SECRET_KEY": "",
	"RANDOM_ORG_API_KEY":         "",
	"RANDOM_ORG_PUBLIC_KEY":      "",
	"SENTRY_DSN":                 "",
	"SENTRY_ENVIRONMENT":         "production",
	"METRICS_ADDR":               "",
	"YOOKASSA_RECEIPTS":          "false",
	"YOOKASSA_TAX_SYSTEM_CODE":   "",
	"YOOKASSA_VAT_CODE":          "1",
	"METRICS_TOKEN":              "",
}

// secrets are masked in Dump.
var secrets = []string{
	"BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "YOOKASSA_SECRET_KEY", "YOOKASSA_PAYOUT_SECRET_KEY",
	"RANDOM_ORG_API_KEY", "SENTRY_DSN", "DATABASE_URL", "REDIS_URL", "METRICS_TOKEN",
}

// Config is the effective configuration. Fields are documented with the variable they come from;
// defaults are in the defaults table.
type Config struct {
	// BotToken (BOT_TOKEN) is the token from @BotFather. Required by serve.
	BotToken string
	// TelegramAPIURL (TELEGRAM_API_URL) is the Bot API server; tests point it at a fake.
	TelegramAPIURL string
	// TelegramMode (TELEGRAM_MODE) is polling or webhook.
	TelegramMode string
	// TelegramWebhookSecret (TELEGRAM_WEBHOOK_SECRET) is checked against
	// X-Telegram-Bot-Api-Secret-Token. Required in webhook mode.
	TelegramWebhookSecret string
	// DatabaseURL (DATABASE_URL) is a postgres:// URL. Required by every command that touches data.
	DatabaseURL string
	// RedisURL (REDIS_URL) is a redis:// URL. Required by serve.
	RedisURL string
	// HTTPAddr (HTTP_ADDR) is where the HTTP server listens.
	HTTPAddr string
	// PublicURL (PUBLIC_URL) is the externally reachable base URL: webhooks, proof pages, return URLs.
	PublicURL string
	// AdminIDs (ADMIN_IDS) are the Telegram user ids allowed into /admin, comma-separated.
	AdminIDs []int64
	// ChannelID (CHANNEL_ID) is a channel (-100...) where new draws, closings and results are
	// posted; 0 posts nowhere. The bot must be an administrator of the channel.
	ChannelID int64

	YooKassaShopID          string         // YOOKASSA_SHOP_ID
	YooKassaSecretKey       string         // YOOKASSA_SECRET_KEY
	YooKassaAPIURL          string         // YOOKASSA_API_URL
	YooKassaPayoutAgentID   string         // YOOKASSA_PAYOUT_AGENT_ID
	YooKassaPayoutSecretKey string         // YOOKASSA_PAYOUT_SECRET_KEY
	YooKassaTrustedIPs      []netip.Prefix // YOOKASSA_TRUSTED_IPS: CIDRs or single addresses
	// YooKassaReceipts (YOOKASSA_RECEIPTS) sends a 54-FZ receipt with every ruble payment, with
	// YooKassaVATCode (YOOKASSA_VAT_CODE, 1..12) and YooKassaTaxSystemCode
	// (YOOKASSA_TAX_SYSTEM_CODE, 1..6, 0 or empty: left out).
	YooKassaReceipts      bool
	YooKassaVATCode       int
	YooKassaTaxSystemCode int
	// TrustedProxies (TRUSTED_PROXIES) are reverse proxies whose X-Forwarded-For is believed.
	// Empty means the TCP peer address is the source address.
	TrustedProxies []netip.Prefix

	RandomOrgAPIKey    string // RANDOM_ORG_API_KEY
	RandomOrgAPIURL    string // RANDOM_ORG_API_URL
	RandomOrgPublicKey string // RANDOM_ORG_PUBLIC_KEY: path of a PEM file; empty means the pinned key
	DrandURL           string // DRAND_URL

	// SendRateGlobal (SEND_RATE_GLOBAL) is messages per second across all replicas.
	SendRateGlobal int
	// SendRatePerChat (SEND_RATE_PER_CHAT) is messages per second to one chat.
	SendRatePerChat int
	// AllowPaidBroadcast (ALLOW_PAID_BROADCAST) sends large fan-outs with allow_paid_broadcast.
	AllowPaidBroadcast bool
	// JoinDigestInterval (JOIN_DIGEST_INTERVAL) is the least time between two "new participants"
	// digests to one participant of one draw.
	JoinDigestInterval time.Duration
	// Currencies (CURRENCIES) are the entry currencies this operator accepts.
	Currencies []string
	// MaxEntriesPerDay (MAX_ENTRIES_PER_DAY) is how many entries one user may buy per UTC day.
	MaxEntriesPerDay int
	// StarsReserveThreshold (STARS_RESERVE_THRESHOLD) alerts admins when the bot's spare Stars
	// (real balance minus what users hold) fall below it.
	StarsReserveThreshold int64

	SentryDSN string // SENTRY_DSN: empty disables Sentry
	// SentryEnvironment (SENTRY_ENVIRONMENT) tags every Sentry event (production, staging, ...).
	SentryEnvironment string
	// MetricsAddr (METRICS_ADDR) is a listen address of its own for /metrics (":9090"); then the
	// public address serves no /metrics. Empty: /metrics stays on HTTP_ADDR, answered only with
	// METRICS_TOKEN or, without a token, only to direct loopback requests.
	MetricsAddr string
	// MetricsToken (METRICS_TOKEN) is the bearer token /metrics on HTTP_ADDR asks for.
	MetricsToken string
	LogLevel     slog.Level // LOG_LEVEL: debug, info, warn, error
}

// Load parses the configuration from getenv. It returns every problem found, joined, so an
// operator fixes them all in one go.
func Load(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return defaults[name]
	}
	var errs []error
	fail := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	posInt := func(name string) int {
		v, err := strconv.Atoi(get(name))
		if err != nil || v <= 0 {
			fail(name, "not a positive whole number: %q", get(name))
		}
		return v
	}

	c := Config{
		BotToken:                get("BOT_TOKEN"),
		TelegramAPIURL:          strings.TrimRight(get("TELEGRAM_API_URL"), "/"),
		TelegramMode:            get("TELEGRAM_MODE"),
		TelegramWebhookSecret:   get("TELEGRAM_WEBHOOK_SECRET"),
		DatabaseURL:             get("DATABASE_URL"),
		RedisURL:                get("REDIS_URL"),
		HTTPAddr:                get("HTTP_ADDR"),
		PublicURL:               strings.TrimRight(get("PUBLIC_URL"), "/"),
		YooKassaShopID:          get("YOOKASSA_SHOP_ID"),
		YooKassaSecretKey:       get("YOOKASSA_SECRET_KEY"),
		YooKassaAPIURL:          strings.TrimRight(get("YOOKASSA_API_URL"), "/"),
		YooKassaPayoutAgentID:   get("YOOKASSA_PAYOUT_AGENT_ID"),
		YooKassaPayoutSecretKey: get("YOOKASSA_PAYOUT_SECRET_KEY"),
		RandomOrgAPIKey:         get("RANDOM_ORG_API_KEY"),
		RandomOrgAPIURL:         get("RANDOM_ORG_API_URL"),
		RandomOrgPublicKey:      get("RANDOM_ORG_PUBLIC_KEY"),
		DrandURL:                strings.TrimRight(get("DRAND_URL"), "/"),
		SentryDSN:               get("SENTRY_DSN"),
		SentryEnvironment:       get("SENTRY_ENVIRONMENT"),
		MetricsAddr:             get("METRICS_ADDR"),
		MetricsToken:            get("METRICS_TOKEN"),
	}

	if c.TelegramMode != ModePolling && c.TelegramMode != ModeWebhook {
		fail("TELEGRAM_MODE", "must be %q or %q, not %q", ModePolling, ModeWebhook, c.TelegramMode)
	}
	for _, u := range []struct{ name, val string }{
		{"TELEGRAM_API_URL", c.TelegramAPIURL}, {"YOOKASSA_API_URL", c.YooKassaAPIURL},
		{"RANDOM_ORG_API_URL", c.RandomOrgAPIURL}, {"DRAND_URL", c.DrandURL}, {"PUBLIC_URL", c.PublicURL},
	} {
		if u.val == "" {
			continue
		}
		if p, err := url.Parse(u.val); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			fail(u.name, "not an http(s) URL")
		}
	}
	if c.DatabaseURL != "" {
		if p, err := url.Parse(c.DatabaseURL); err != nil || (p.Scheme != "postgres" && p.Scheme != "postgresql") {
			fail("DATABASE_URL", "not a postgres URL")
		}
	}
	if c.RedisURL != "" {
		if p, err := url.Parse(c.RedisURL); err != nil || (p.Scheme != "redis" && p.Scheme != "rediss") {
			fail("REDIS_URL", "not a redis URL")
		}
	}
	if _, _, err := splitHostPortLoose(c.HTTPAddr); err != nil {
		fail("HTTP_ADDR", "not a listen address like :8080: %v", err)
	}
	if c.MetricsAddr != "" {
		if _, _, err := splitHostPortLoose(c.MetricsAddr); err != nil {
			fail("METRICS_ADDR", "not a listen address like :9090: %v", err)
		} else if c.MetricsAddr == c.HTTPAddr {
			fail("METRICS_ADDR", "must differ from HTTP_ADDR (%s)", c.HTTPAddr)
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		fail("METRICS_TOKEN", "too short to be a secret: use at least 16 characters")
	}
	for _, s := range splitList(get("ADMIN_IDS")) {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			fail("ADMIN_IDS", "not a Telegram user id: %q", s)
			continue
		}
		c.AdminIDs = append(c.AdminIDs, id)
	}
	if s := get("CHANNEL_ID"); s != "" {
		if id, err := strconv.ParseInt(s, 10, 64); err != nil || id >= 0 {
			fail("CHANNEL_ID", "not a channel id like -1001234567890: %q", s)
		} else {
			c.ChannelID = id
		}
	}
	var err error
	if c.YooKassaTrustedIPs, err = ParsePrefixes(get("YOOKASSA_TRUSTED_IPS")); err != nil {
		fail("YOOKASSA_TRUSTED_IPS", "%v", err)
	}
	if c.TrustedProxies, err = ParsePrefixes(get("TRUSTED_PROXIES")); err != nil {
		fail("TRUSTED_PROXIES", "%v", err)
	}
	if c.YooKassaReceipts, err = strconv.ParseBool(get("YOOKASSA_RECEIPTS")); err != nil {
		fail("YOOKASSA_RECEIPTS", "not true or false: %q", get("YOOKASSA_RECEIPTS"))
	}
	if v, err := strconv.Atoi(get("YOOKASSA_VAT_CODE")); err != nil || v < 1 || v > 12 {
		fail("YOOKASSA_VAT_CODE", "not a YooKassa VAT code 1..12: %q", get("YOOKASSA_VAT_CODE"))
	} else {
		c.YooKassaVATCode = v
	}
	if s := get("YOOKASSA_TAX_SYSTEM_CODE"); s != "" {
		if v, err := strconv.Atoi(s); err != nil || v < 1 || v > 6 {
			fail("YOOKASSA_TAX_SYSTEM_CODE", "not a tax system code 1..6: %q", s)
		} else {
			c.YooKassaTaxSystemCode = v
		}
	}
	c.SendRateGlobal = posInt("SEND_RATE_GLOBAL")
	c.SendRatePerChat = posInt("SEND_RATE_PER_CHAT")
	c.MaxEntriesPerDay = posInt("MAX_ENTRIES_PER_DAY")
	if v, err := strconv.ParseInt(get("STARS_RESERVE_THRESHOLD"), 10, 64); err != nil || v < 0 {
		fail("STARS_RESERVE_THRESHOLD", "not a whole number of Stars: %q", get("STARS_RESERVE_THRESHOLD"))
	} else {
		c.StarsReserveThreshold = v
	}
	if c.AllowPaidBroadcast, err = strconv.ParseBool(get("ALLOW_PAID_BROADCAST")); err != nil {
		fail("ALLOW_PAID_BROADCAST", "not true or false: %q", get("ALLOW_PAID_BROADCAST"))
	}
	if c.JoinDigestInterval, err = time.ParseDuration(get("JOIN_DIGEST_INTERVAL")); err != nil || c.JoinDigestInterval <= 0 {
		fail("JOIN_DIGEST_INTERVAL", "not a positive duration like 10m: %q", get("JOIN_DIGEST_INTERVAL"))
	}
	for _, cur := range splitList(get("CURRENCIES")) {
		cur = strings.ToUpper(cur)
		if cur != CurrencyXTR && cur != CurrencyRUB {
			fail("CURRENCIES", "unknown currency %q (XTR and RUB are supported)", cur)
			continue
		}
		if !slices.Contains(c.Currencies, cur) {
			c.Currencies = append(c.Currencies, cur)
		}
	}
	if len(c.Currencies) == 0 {
		fail("CURRENCIES", "at least one of XTR, RUB is needed")
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL"))); err != nil {
		fail("LOG_LEVEL", "must be debug, info, warn or error, not %q", get("LOG_LEVEL"))
	}
	return c, errors.Join(errs...)
}

// Accepts reports whether entries in currency are accepted by this operator.
func (c Config) Accepts(currency string) bool { return slices.Contains(c.Currencies, currency) }

// IsAdmin reports whether the Telegram user id is in ADMIN_IDS.
func (c Config) IsAdmin(id int64) bool { return slices.Contains(c.AdminIDs, id) }

// RequireDatabase is the check of every command that touches data.
func (c Config) RequireDatabase() error {
	if c.DatabaseURL == "" {
		return errors.New("DATABASE_URL: required (postgres://user@host:5432/db)")
	}
	return nil
}

// RequireServe checks what serve needs beyond the database: the bot token, Redis, the webhook
// secret in webhook mode, and the credentials of every accepted currency.
func (c Config) RequireServe() error {
	var errs []error
	if err := c.RequireDatabase(); err != nil {
		errs = append(errs, err)
	}
	if c.RedisURL == "" {
		errs = append(errs, errors.New("REDIS_URL: required by serve (redis://host:6379)"))
	}
	if c.BotToken == "" {
		errs = append(errs, errors.New("BOT_TOKEN: required by serve (get one from @BotFather)"))
	}
	if c.TelegramMode == ModeWebhook {
		if c.TelegramWebhookSecret == "" {
			errs = append(errs, errors.New("TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_MODE=webhook"))
		}
		if c.PublicURL == "" {
			errs = append(errs, errors.New("PUBLIC_URL: required when TELEGRAM_MODE=webhook"))
		}
		errs = append(errs, webhookProblems(c.PublicURL, c.TelegramWebhookSecret)...)
	}
	if c.Accepts(CurrencyRUB) {
		if c.YooKassaShopID == "" || c.YooKassaSecretKey == "" {
			errs = append(errs, errors.New("YOOKASSA_SHOP_ID, YOOKASSA_SECRET_KEY: required while CURRENCIES includes RUB"))
		}
		if c.PublicURL == "" {
			errs = append(errs, errors.New("PUBLIC_URL: required while CURRENCIES includes RUB (payment return and webhook)"))
		}
	}
	return errors.Join(errs...)
}

// PayoutsEnabled reports whether ruble payouts can be sent (the payout gateway's credentials are set).
func (c Config) PayoutsEnabled() bool {
	return c.YooKassaPayoutAgentID != "" && c.YooKassaPayoutSecretKey != ""
}

// Dump writes the effective configuration, one VARIABLE=value a line in name order, with secrets
// masked (set secrets print as "***", unset ones as empty).
func (c Config) Dump(w io.Writer, getenv func(string) string) error {
	names := make([]string, 0, len(defaults))
	for n := range defaults {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		v := strings.TrimSpace(getenv(n))
		if v == "" {
			v = defaults[n]
		}
		if slices.Contains(secrets, n) && v != "" {
			v = "***"
		}
		if _, err := fmt.Fprintf(w, "%s=%s\n", n, v); err != nil {
			return fmt.Errorf("config: dump: %w", err)
		}
	}
	return nil
}

// ParsePrefixes parses a comma-separated list of CIDRs or single addresses.
func ParsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range splitList(s) {
		if strings.Contains(part, "/") {
			p, err := netip.ParsePrefix(part)
			if err != nil {
				return nil, fmt.Errorf("not a CIDR or address: %q", part)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("not a CIDR or address: %q", part)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func splitHostPortLoose(addr string) (string, int, error) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return "", 0, errors.New("missing port")
	}
	port, err := strconv.Atoi(addr[i+1:])
	if err != nil || port < 0 || port > 65535 {
		return "", 0, errors.New("bad port")
	}
	return addr[:i], port, nil
}

package config

import (
	"errors"
	"net"
	"net/url"
	"regexp"
)

// webhookSecret is what setWebhook accepts as secret_token: "1-256 characters. Only
// characters A-Z, a-z, 0-9, _ and - are allowed" (Bot API, setWebhook).
var webhookSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// webhookProblems refuses at start what Telegram would refuse at setWebhook, when no update
// could arrive any more: a webhook URL that is not https (Telegram's servers deliver only
// over HTTPS; plain http is let through only for a loopback host, where a local Bot API
// server or a test delivers), one with a query or fragment (fairdraw appends the route to
// PUBLIC_URL), and a secret token outside 1-256 of A-Za-z0-9_-. An empty value is reported
// by RequireServe itself.
func webhookProblems(publicURL, secret string) []error {
	var errs []error
	if publicURL != "" {
		u, err := url.Parse(publicURL)
		switch {
		case err != nil || u.Host == "":
			errs = append(errs, errors.New("PUBLIC_URL: not an absolute URL (https://bot.example.com)"))
		case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
			errs = append(errs, errors.New("PUBLIC_URL: must not carry a query or fragment; the webhook URL is PUBLIC_URL/webhooks/telegram"))
		case u.Scheme != "https" && !(u.Scheme == "http" && loopback(u.Hostname())):
			errs = append(errs, errors.New("PUBLIC_URL: Telegram delivers webhooks only over https"))
		}
	}
	if secret != "" && !webhookSecret.MatchString(secret) {
		errs = append(errs, errors.New("TELEGRAM_WEBHOOK_SECRET: Telegram accepts 1-256 characters of A-Z, a-z, 0-9, _ and -"))
	}
	return errs
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

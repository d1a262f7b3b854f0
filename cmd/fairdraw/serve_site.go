package main

import (
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/web"
)

// siteOptions configures the public site: canonical links and Open Graph URLs under
// PUBLIC_URL, and the Telegram Mini App at /app, whose initData is checked with BOT_TOKEN.
func (e *env) siteOptions(draws *raffle.Service) []web.PublicOption {
	return []web.PublicOption{
		web.WithPublicURL(e.cfg.PublicURL),
		web.WithMiniApp(e.cfg.BotToken, draws),
	}
}

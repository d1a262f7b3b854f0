package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
	"github.com/fairdraw/fairdraw/internal/raffle"
	"github.com/fairdraw/fairdraw/internal/web"
)

// siteOptions configures the public site: canonical links and Open Graph URLs under
// PUBLIC_URL, the Telegram Mini App at /app, whose initData is checked with BOT_TOKEN, and
// the reverse proxies whose X-Forwarded-For names the visitor for the self-check's limit.
func (e *env) siteOptions(draws *raffle.Service) []web.PublicOption {
	return []web.PublicOption{
		web.WithPublicURL(e.cfg.PublicURL),
		web.WithMiniApp(e.cfg.BotToken, draws),
		web.WithTrustedProxies(yookassa.TrustedIPsFromPrefixes(e.cfg.TrustedProxies)),
	}
}

// setMiniAppButton makes the bot's default menu button open the Mini App (PUBLIC_URL/app).
// Telegram opens only HTTPS Web Apps, so without an https PUBLIC_URL the menu keeps its
// commands and nothing is sent.
func setMiniAppButton(ctx context.Context, api *telego.Bot, publicURL string) (bool, error) {
	if !strings.HasPrefix(publicURL, "https://") {
		return false, nil
	}
	err := api.SetChatMenuButton(ctx, &telego.SetChatMenuButtonParams{MenuButton: &telego.MenuButtonWebApp{
		Type: telego.ButtonTypeWebApp, Text: i18n.T(i18n.RU, "web.menu_button"), WebApp: telego.WebAppInfo{URL: publicURL + "/app"},
	}})
	if err != nil {
		return false, fmt.Errorf("telegram: set menu button: %w", err)
	}
	return true, nil
}

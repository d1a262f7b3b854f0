package bot

import (
	"context"
	"fmt"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
)

// commandList is the command menu Telegram shows, in both languages.
var commandList = []struct{ command, key string }{
	{"start", "cmd.start"}, {"join_raffle", "cmd.join_raffle"}, {"my_raffles", "cmd.my_raffles"},
	{"balance", "cmd.balance"}, {"rules", "cmd.rules"}, {"stop_news", "cmd.stop_news"},
	{"paysupport", "cmd.paysupport"}, {"privacy", "cmd.privacy"},
}

// RegisterCommands sets the bot's command menu: Russian by default, English for English users.
func (b *Bot) RegisterCommands(ctx context.Context) error {
	for _, lang := range []string{i18n.RU, i18n.EN} {
		cmds := make([]telego.BotCommand, len(commandList))
		for i, c := range commandList {
			cmds[i] = telego.BotCommand{Command: c.command, Description: i18n.T(lang, c.key)}
		}
		p := &telego.SetMyCommandsParams{Commands: cmds}
		if lang == i18n.EN {
			p.LanguageCode = "en"
		}
		if err := b.api.SetMyCommands(ctx, p); err != nil {
			return fmt.Errorf("bot: set commands (%s): %w", lang, err)
		}
	}
	return nil
}

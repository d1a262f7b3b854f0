package telegramtest

import (
	"net/url"
	"strings"
)

// MenuButton is a bot's menu button as set with setChatMenuButton (Bot API 10.1: MenuButton is
// one of MenuButtonCommands, MenuButtonWebApp, MenuButtonDefault).
type MenuButton struct {
	Type   string `json:"type"`
	Text   string `json:"text,omitempty"`
	WebApp *struct {
		URL string `json:"url"`
	} `json:"web_app,omitempty"`
}

// setChatMenuButton checks the button as the spec describes it: a web_app button needs its text
// and an HTTPS URL (WebAppInfo: "An HTTPS URL of a Web App"); chat_id, when given, is a private
// chat the bot knows.
func (s *Server) setChatMenuButton(r *request) (result, *apiError) {
	chat := int64(0)
	if r.has("chat_id") {
		chat = r.int("chat_id")
		if chat <= 0 {
			return result{}, badRequest("chat not found")
		}
	}
	b := MenuButton{Type: "default"}
	if r.has("menu_button") {
		if err := r.decode("menu_button", &b); err != nil {
			return result{}, badRequest("can't parse menu button JSON object")
		}
	}
	switch b.Type {
	case "default", "commands":
	case "web_app":
		if strings.TrimSpace(b.Text) == "" {
			return result{}, badRequest("BUTTON_TEXT_INVALID")
		}
		if b.WebApp == nil {
			return result{}, badRequest("can't parse menu button JSON object")
		}
		if u, err := url.Parse(b.WebApp.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			return result{}, badRequest("BUTTON_URL_INVALID")
		}
	default:
		return result{}, badRequest("unsupported menu button type")
	}
	s.menuButtons[chat] = b
	return resultTrue, nil
}

// MenuButton returns the menu button set for chat (0: the default button) and whether one was
// set.
func (s *Server) MenuButton(chat int64) (MenuButton, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.menuButtons[chat]
	return b, ok
}

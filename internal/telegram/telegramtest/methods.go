package telegramtest

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// methodHandlers maps lower-case method names to their handlers. Every
// handler runs with mu held, after the spec check, so required parameters
// are present and typed; handlers check what the spec text says in words
// (lengths, XTR rules) and the state (chats, charges).
func (s *Server) methodHandlers() map[string]handler {
	hs := map[string]handler{
		"getMe":                   s.getMe,
		"getUpdates":              nil, // served by getUpdates, which manages mu itself
		"setWebhook":              s.setWebhook,
		"deleteWebhook":           s.deleteWebhook,
		"getWebhookInfo":          s.getWebhookInfo,
		"setMyCommands":           s.setMyCommands,
		"setChatMenuButton":       s.setChatMenuButton,
		"sendMessage":             s.sendMessage,
		"editMessageText":         s.editMessageText,
		"editMessageReplyMarkup":  s.editMessageReplyMarkup,
		"answerCallbackQuery":     s.answerCallbackQuery,
		"sendDocument":            s.sendDocument,
		"sendInvoice":             s.sendInvoice,
		"answerPreCheckoutQuery":  s.answerPreCheckoutQuery,
		"refundStarPayment":       s.refundStarPayment,
		"getMyStarBalance":        s.getMyStarBalance,
		"getStarTransactions":     s.getStarTransactions,
		"getAvailableGifts":       s.getAvailableGifts,
		"sendGift":                s.sendGift,
		"giftPremiumSubscription": s.giftPremiumSubscription,
	}
	out := make(map[string]handler, len(hs))
	for name, h := range hs {
		out[strings.ToLower(name)] = h
	}
	return out
}

// botUser is the getMe answer: a User with the bot-only fields.
type botUser struct {
	ID                      int64  `json:"id"`
	IsBot                   bool   `json:"is_bot"`
	FirstName               string `json:"first_name"`
	Username                string `json:"username"`
	CanJoinGroups           bool   `json:"can_join_groups"`
	CanReadAllGroupMessages bool   `json:"can_read_all_group_messages"`
	SupportsInlineQueries   bool   `json:"supports_inline_queries"`
	CanConnectToBusiness    bool   `json:"can_connect_to_business"`
	HasMainWebApp           bool   `json:"has_main_web_app"`
}

func (s *Server) botID() int64 {
	id, _ := strconv.ParseInt(strings.SplitN(s.cfg.Token, ":", 2)[0], 10, 64)
	return id
}

// bot is the bot as the author of its messages.
func (s *Server) bot() *User {
	return &User{ID: s.botID(), IsBot: true, FirstName: "FairDraw", Username: s.cfg.BotUsername}
}

func (s *Server) getMe(*request) (result, *apiError) {
	return marshalResult(botUser{ID: s.botID(), IsBot: true, FirstName: "FairDraw", Username: s.cfg.BotUsername, CanJoinGroups: true})
}

// chatFor resolves chat_id to a private chat the bot may write to.
func (s *Server) chatFor(r *request) (*userState, *chatState, *apiError) {
	var id int64
	switch v := r.params["chat_id"].(type) {
	case json.Number:
		id = r.int("chat_id")
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, nil, errChatNotFound // @usernames name channels; the fake has none
		}
		id = n
	}
	u, ok := s.users[id]
	if !ok {
		return nil, nil, errChatNotFound
	}
	switch {
	case u.deactivated:
		return nil, nil, errDeactivated
	case u.blocked:
		return nil, nil, errBlocked
	}
	return u, s.chats[id], nil
}

// admit applies the sending limits to a new message in chat.
func (s *Server) admit(chatID int64) *apiError {
	if wait, ok := s.limiter.allow(chatID, s.now()); !ok {
		return tooManyRequests(wait)
	}
	return nil
}

// appendMessage stores m in the chat with the next message id and date.
func (s *Server) appendMessage(c *chatState, m *Message) *Message {
	c.nextID++
	m.MessageID = c.nextID
	m.Date = s.now().Unix()
	c.messages = append(c.messages, m)
	s.notify()
	return m
}

func (c *chatState) find(id int64) *Message {
	for _, m := range c.messages {
		if m.MessageID == id {
			return m
		}
	}
	return nil
}

const (
	maxTextLength    = 4096
	maxCaptionLength = 1024
)

// textLength counts what Telegram counts: UTF-16 code units.
func textLength(s string) int { return len(utf16.Encode([]rune(s))) }

func checkParseMode(mode string) *apiError {
	switch mode {
	case "", "HTML", "Markdown", "MarkdownV2":
		return nil
	}
	return badRequest("unsupported parse_mode")
}

// markup splits reply_markup into an inline keyboard (kept in the message)
// or another keyboard (kept as JSON), checking the inline buttons.
func (r *request) markup() (*InlineKeyboardMarkup, json.RawMessage, *apiError) {
	if !r.has("reply_markup") {
		return nil, nil, nil
	}
	obj, _ := r.params["reply_markup"].(map[string]any)
	if _, inline := obj["inline_keyboard"]; !inline {
		raw, _ := json.Marshal(obj)
		return nil, raw, nil
	}
	var kb InlineKeyboardMarkup
	if err := r.decode("reply_markup", &kb); err != nil {
		return nil, nil, badRequest("can't parse inline keyboard markup JSON object")
	}
	for _, row := range kb.InlineKeyboard {
		for _, b := range row {
			if e := checkButton(b); e != nil {
				return nil, nil, e
			}
		}
	}
	return &kb, nil, nil
}

// checkButton applies InlineKeyboardButton's rule: "Exactly one of the fields
// other than text, icon_custom_emoji_id, and style must be used", and the
// 1-64 bytes of callback_data.
func checkButton(b InlineKeyboardButton) *apiError {
	actions := 0
	for _, set := range []bool{
		b.URL != "", b.CallbackData != nil, b.WebApp != nil, b.LoginURL != nil, b.SwitchInlineQuery != nil,
		b.SwitchInlineQueryCurrentChat != nil, b.SwitchInlineQueryChosenChat != nil, b.CopyText != nil,
		b.CallbackGame != nil, b.Pay,
	} {
		if set {
			actions++
		}
	}
	if actions == 0 {
		return badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
	}
	if actions > 1 {
		return badRequest("can't parse inline keyboard button: exactly one of the optional fields must be used")
	}
	if b.Text == "" {
		return badRequest("BUTTON_TEXT_INVALID")
	}
	if b.CallbackData != nil && (len(*b.CallbackData) == 0 || len(*b.CallbackData) > 64) {
		return badRequest("BUTTON_DATA_INVALID")
	}
	return nil
}

func (s *Server) sendMessage(r *request) (result, *apiError) {
	text := r.str("text")
	switch {
	case strings.TrimSpace(text) == "":
		return result{}, badRequest("message text is empty")
	case textLength(text) > maxTextLength:
		return result{}, badRequest("message is too long")
	}
	if e := checkParseMode(r.str("parse_mode")); e != nil {
		return result{}, e
	}
	inline, keyboard, e := r.markup()
	if e != nil {
		return result{}, e
	}
	u, c, e := s.chatFor(r)
	if e != nil {
		return result{}, e
	}
	if e := s.admit(u.user.ID); e != nil {
		return result{}, e
	}
	m := s.appendMessage(c, &Message{
		From: s.bot(), Chat: privateChat(u.user), Text: text, ReplyMarkup: inline,
		ParseMode: r.str("parse_mode"), Keyboard: keyboard,
	})
	return marshalResult(m)
}

// editTarget finds the bot message an edit names.
func (s *Server) editTarget(r *request) (*chatState, *Message, *apiError) {
	if r.has("inline_message_id") {
		return nil, nil, badRequest("message to edit not found") // the fake sends no inline messages
	}
	if !r.has("chat_id") {
		return nil, nil, badRequest("chat_id is empty")
	}
	if !r.has("message_id") {
		return nil, nil, badRequest("message identifier is not specified")
	}
	_, c, e := s.chatFor(r)
	if e != nil {
		return nil, nil, e
	}
	m := c.find(r.int("message_id"))
	if m == nil {
		return nil, nil, badRequest("message to edit not found")
	}
	if !m.FromBot() {
		return nil, nil, badRequest("message can't be edited")
	}
	return c, m, nil
}

var errNotModified = badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")

func sameMarkup(a, b *InlineKeyboardMarkup) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func (s *Server) editMessageText(r *request) (result, *apiError) {
	text := r.str("text")
	switch {
	case strings.TrimSpace(text) == "":
		return result{}, badRequest("message text is empty")
	case textLength(text) > maxTextLength:
		return result{}, badRequest("message is too long")
	}
	if e := checkParseMode(r.str("parse_mode")); e != nil {
		return result{}, e
	}
	inline, _, e := r.markup()
	if e != nil {
		return result{}, e
	}
	_, m, e := s.editTarget(r)
	if e != nil {
		return result{}, e
	}
	if m.Text == "" {
		return result{}, badRequest("there is no text in the message to edit")
	}
	if m.Text == text && sameMarkup(m.ReplyMarkup, inline) {
		return result{}, errNotModified
	}
	// An edit without reply_markup removes the inline keyboard.
	edited := *m
	edited.Text, edited.ReplyMarkup, edited.ParseMode, edited.EditDate = text, inline, r.str("parse_mode"), s.now().Unix()
	*m = edited
	s.notify()
	return marshalResult(m)
}

func (s *Server) editMessageReplyMarkup(r *request) (result, *apiError) {
	inline, _, e := r.markup()
	if e != nil {
		return result{}, e
	}
	_, m, e := s.editTarget(r)
	if e != nil {
		return result{}, e
	}
	if sameMarkup(m.ReplyMarkup, inline) {
		return result{}, errNotModified
	}
	edited := *m
	edited.ReplyMarkup, edited.EditDate = inline, s.now().Unix()
	*m = edited
	s.notify()
	return marshalResult(m)
}

func (s *Server) answerCallbackQuery(r *request) (result, *apiError) {
	cb, ok := s.callbacks[r.str("callback_query_id")]
	if !ok || cb.answered {
		return result{}, errQueryInvalid
	}
	if textLength(r.str("text")) > 200 {
		return result{}, badRequest("MESSAGE_TOO_LONG")
	}
	cb.answered = true
	cb.answer = CallbackAnswer{
		Text: r.str("text"), ShowAlert: r.boolean("show_alert"), URL: r.str("url"), CacheTime: int(r.int("cache_time")),
	}
	s.notify()
	return resultTrue, nil
}

// mimeType is the little detection the fake does on uploads (Telegram
// detects more; these are the kinds bots here send).
func mimeType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv":
		return "text/csv"
	case ".json":
		return "application/json"
	case ".txt":
		return "text/plain"
	case ".pdf":
		return "application/pdf"
	case ".zip":
		return "application/zip"
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	}
	return "application/octet-stream"
}

func (s *Server) sendDocument(r *request) (result, *apiError) {
	caption := r.str("caption")
	if textLength(caption) > maxCaptionLength {
		return result{}, badRequest("message caption is too long")
	}
	if e := checkParseMode(r.str("parse_mode")); e != nil {
		return result{}, e
	}
	inline, keyboard, e := r.markup()
	if e != nil {
		return result{}, e
	}
	doc, e := s.document(r)
	if e != nil {
		return result{}, e
	}
	u, c, e := s.chatFor(r)
	if e != nil {
		return result{}, e
	}
	if e := s.admit(u.user.ID); e != nil {
		return result{}, e
	}
	m := s.appendMessage(c, &Message{
		From: s.bot(), Chat: privateChat(u.user), Document: doc, Caption: caption, ReplyMarkup: inline,
		ParseMode: r.str("parse_mode"), Keyboard: keyboard,
	})
	return marshalResult(m)
}

// document resolves the document parameter: an uploaded part, a file_id
// the fake issued, or an HTTP URL.
func (s *Server) document(r *request) (*Document, *apiError) {
	ref := r.str("document")
	if part, ok := strings.CutPrefix(ref, "attach://"); ok {
		fh := r.files[part]
		f, err := fh.Open()
		if err != nil {
			return nil, badRequest("can't read the uploaded file")
		}
		defer f.Close()
		data, err := io.ReadAll(f)
		if err != nil {
			return nil, badRequest("can't read the uploaded file")
		}
		if len(data) == 0 {
			return nil, badRequest("file must be non-empty")
		}
		doc := s.newDocument(fh.Filename, data)
		return doc, nil
	}
	if doc, ok := s.files[ref]; ok {
		cp := *doc
		return &cp, nil
	}
	if strings.HasPrefix(ref, "http://") || strings.HasPrefix(ref, "https://") {
		return s.newDocument(path.Base(ref), nil), nil
	}
	return nil, badRequest("wrong file identifier/HTTP URL specified")
}

func (s *Server) newDocument(name string, data []byte) *Document {
	seq := s.nextSeq()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seq))
	doc := &Document{
		FileID:       "BQACAgIAAxkBAAI" + base64.RawURLEncoding.EncodeToString(b[:]),
		FileUniqueID: "AgAD" + base64.RawURLEncoding.EncodeToString(b[2:]),
		FileName:     name,
		MimeType:     mimeType(name),
		FileSize:     int64(len(data)),
		Data:         data,
	}
	s.files[doc.FileID] = doc
	cp := *doc
	return &cp
}

var commandRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (s *Server) setMyCommands(r *request) (result, *apiError) {
	var cmds []BotCommand
	if err := r.decode("commands", &cmds); err != nil {
		return result{}, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return result{}, badRequest("too many commands")
	}
	for _, c := range cmds {
		if !commandRe.MatchString(c.Command) {
			return result{}, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf8.RuneCountInString(c.Description); n < 1 || n > 256 {
			return result{}, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	scope := "default"
	if r.has("scope") {
		var sc struct {
			Type string `json:"type"`
		}
		if err := r.decode("scope", &sc); err == nil {
			scope = sc.Type
		}
	}
	s.commands[scope+"/"+r.str("language_code")] = cmds
	return resultTrue, nil
}

// Commands returns the commands the bot set for a scope type ("default",
// "all_private_chats", ...; "" means "default") and language code ("" for
// all languages).
func (s *Server) Commands(scope, languageCode string) []BotCommand {
	if scope == "" {
		scope = "default"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cmds := s.commands[scope+"/"+languageCode]
	out := make([]BotCommand, len(cmds))
	copy(out, cmds)
	return out
}

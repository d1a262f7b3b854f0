package telegramtest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// learn makes u known (so the bot may write to them) and refreshes their
// profile; call with mu held.
func (s *Server) learn(u User) *userState {
	st, ok := s.users[u.ID]
	if !ok {
		st = &userState{}
		s.users[u.ID] = st
		s.chats[u.ID] = &chatState{}
	}
	st.user = u
	return st
}

// AddUser makes u known without a message, as a user who started the bot
// before the test began.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.learn(u)
	s.notify()
}

// SendText is the user typing text to the bot. A text starting with "/"
// carries a bot_command entity, as Telegram adds. If the user had blocked the
// bot, this is them pressing Restart: the bot is unblocked first (with a
// my_chat_member update). Returns the message as the bot receives it.
func (s *Server) SendText(u User, text string) Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.learn(u)
	if st.blocked {
		s.setBlocked(st, false)
	}
	m := &Message{From: &u, Chat: privateChat(u), Text: text}
	if strings.HasPrefix(text, "/") {
		cmd, _, _ := strings.Cut(text, " ")
		m.Entities = []MessageEntity{{Type: "bot_command", Offset: 0, Length: textLength(cmd)}}
	}
	s.appendMessage(s.chats[u.ID], m)
	s.enqueue("message", m)
	return *m
}

// callbackQuery is the callback_query update payload.
type callbackQuery struct {
	ID           string   `json:"id"`
	From         User     `json:"from"`
	Message      *Message `json:"message,omitempty"`
	ChatInstance string   `json:"chat_instance"`
	Data         string   `json:"data"`
}

// PressButton is the user pressing the inline button with callbackData
// under msg (as the message is now: an edit may have changed its buttons).
// It queues a callback_query update and returns the query id; see
// [Server.CallbackAnswer] for the bot's answer.
func (s *Server) PressButton(u User, msg Message, callbackData string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.learn(u)
	m := s.chats[u.ID].find(msg.MessageID)
	if m == nil {
		return "", ErrMessageNotFound
	}
	if _, ok := m.Button(callbackData); !ok {
		return "", fmt.Errorf("%w: %q under message %d", ErrNoSuchButton, callbackData, msg.MessageID)
	}
	return s.callbackLocked(u, m, callbackData), nil
}

// ForgeCallback is a modified client sending callback data that no button
// under msg carries (MTProto lets a client send any data for a bot's
// message), or a button the bot has since replaced. Returns the query id.
func (s *Server) ForgeCallback(u User, msg Message, callbackData string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.learn(u)
	m := s.chats[u.ID].find(msg.MessageID)
	if m == nil {
		return "", ErrMessageNotFound
	}
	return s.callbackLocked(u, m, callbackData), nil
}

// callbackLocked sends a callback_query for m; call with mu held.
func (s *Server) callbackLocked(u User, m *Message, callbackData string) string {
	id := s.queryID()
	s.callbacks[id] = &callbackState{}
	cp := *m
	s.enqueue("callback_query", callbackQuery{
		ID: id, From: u, Message: &cp, ChatInstance: chatInstance(u.ID), Data: callbackData,
	})
	return id
}

// PressForgedButton is a modified client sending a callback_query with
// callbackData under msg whether or not any button there carries it, as
// someone replaying or editing button data would. Whether Telegram's servers
// pass such a query on is not established (no primary source says), so the
// bot must treat callback data as untrusted either way; this lets a test or
// the sandbox exercise that. The message must still be in the user's chat.
func (s *Server) PressForgedButton(u User, msg Message, callbackData string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.learn(u)
	m := s.chats[u.ID].find(msg.MessageID)
	if m == nil {
		return "", ErrMessageNotFound
	}
	id := s.queryID()
	s.callbacks[id] = &callbackState{}
	cp := *m
	s.enqueue("callback_query", callbackQuery{
		ID: id, From: u, Message: &cp, ChatInstance: chatInstance(u.ID), Data: callbackData,
	})
	return id, nil
}

// chatInstance is a stable per-chat identifier shaped like Telegram's.
func chatInstance(chatID int64) string {
	return strconv.FormatInt(-(chatID*7919 + 1234567890123), 10)
}

// CallbackAnswer returns the bot's answer to a button press, and whether it
// answered at all.
func (s *Server) CallbackAnswer(queryID string) (CallbackAnswer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cb, ok := s.callbacks[queryID]
	if !ok || !cb.answered {
		return CallbackAnswer{}, false
	}
	return cb.answer, true
}

// WaitForCallbackAnswer waits until the bot answers the button press.
func (s *Server) WaitForCallbackAnswer(ctx context.Context, queryID string) (CallbackAnswer, error) {
	var a CallbackAnswer
	err := s.waitFor(ctx, func() bool {
		cb, ok := s.callbacks[queryID]
		if ok && cb.answered {
			a = cb.answer
		}
		return ok && cb.answered
	})
	if err != nil {
		return CallbackAnswer{}, fmt.Errorf("telegramtest: waiting for the answer to %s: %w", queryID, err)
	}
	return a, nil
}

// chatMember is ChatMemberMember or ChatMemberBanned ("kicked").
type chatMember struct {
	Status    string `json:"status"`
	User      User   `json:"user"`
	UntilDate *int64 `json:"until_date,omitempty"`
}

type chatMemberUpdated struct {
	Chat          Chat       `json:"chat"`
	From          User       `json:"from"`
	Date          int64      `json:"date"`
	OldChatMember chatMember `json:"old_chat_member"`
	NewChatMember chatMember `json:"new_chat_member"`
}

// BlockUser is the user blocking the bot: sends to their chat now fail with
// 403 "Forbidden: bot was blocked by the user", and the bot gets a
// my_chat_member update (member -> kicked), as Telegram sends in private
// chats.
func (s *Server) BlockUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.learn(u)
	if !st.blocked {
		s.setBlocked(st, true)
	}
}

// UnblockUser is the user unblocking the bot (my_chat_member kicked ->
// member).
func (s *Server) UnblockUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.learn(u)
	if st.blocked {
		s.setBlocked(st, false)
	}
}

func (s *Server) setBlocked(st *userState, blocked bool) {
	st.blocked = blocked
	var zero int64
	member := chatMember{Status: "member", User: *s.bot()}
	kicked := chatMember{Status: "kicked", User: *s.bot(), UntilDate: &zero}
	old, cur := member, kicked
	if !blocked {
		old, cur = kicked, member
	}
	s.enqueue("my_chat_member", chatMemberUpdated{
		Chat: privateChat(st.user), From: st.user, Date: s.now().Unix(), OldChatMember: old, NewChatMember: cur,
	})
}

// DeactivateUser is the user deleting their account: sends to their chat
// fail with 403 "Forbidden: user is deactivated".
func (s *Server) DeactivateUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.learn(u).deactivated = true
	s.notify()
}

// Messages returns the chat with the user as they see it now, oldest first:
// their messages, the bot's (after edits) and payment service messages.
func (s *Server) Messages(chatID int64) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.messagesLocked(chatID, false)
}

func (s *Server) messagesLocked(chatID int64, botOnly bool) []Message {
	c, ok := s.chats[chatID]
	if !ok {
		return nil
	}
	var out []Message
	for _, m := range c.messages {
		if !botOnly || m.FromBot() {
			out = append(out, *m)
		}
	}
	return out
}

// WaitForBotMessages waits until the bot has sent at least n messages to
// the chat and returns all the bot's messages there, oldest first.
func (s *Server) WaitForBotMessages(ctx context.Context, chatID int64, n int) ([]Message, error) {
	var out []Message
	err := s.waitFor(ctx, func() bool {
		out = s.messagesLocked(chatID, true)
		return len(out) >= n
	})
	if err != nil {
		return nil, fmt.Errorf("telegramtest: waiting for %d bot messages in chat %d (have %d): %w", n, chatID, len(out), err)
	}
	return out, nil
}

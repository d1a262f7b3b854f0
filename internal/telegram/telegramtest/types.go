package telegramtest

import (
	"encoding/json"
	"time"
)

// The types below are the fake's own view of Bot API objects. They marshal
// to the shapes the real server emits (field names and the optional fields it
// leaves out), and every result and update the fake sends is checked against
// the embedded spec, so a drift shows up in [Server.Violations].

// User is a Telegram user. Tests create them freely; the fake learns a user
// the first time it acts ([Server.SendText], [Server.AddUser], ...).
type User struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name,omitempty"`
	Username     string `json:"username,omitempty"`
	LanguageCode string `json:"language_code,omitempty"`
}

// Chat is the private chat between the bot and a user; its id is the user's.
type Chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Username  string `json:"username,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
}

func privateChat(u User) Chat {
	return Chat{ID: u.ID, Type: "private", Username: u.Username, FirstName: u.FirstName, LastName: u.LastName}
}

// Message is a message as the user sees it now: edits replace Text and
// ReplyMarkup and set EditDate.
type Message struct {
	MessageID         int64                 `json:"message_id"`
	From              *User                 `json:"from,omitempty"`
	Chat              Chat                  `json:"chat"`
	Date              int64                 `json:"date"`
	EditDate          int64                 `json:"edit_date,omitempty"`
	Text              string                `json:"text,omitempty"`
	Entities          []MessageEntity       `json:"entities,omitempty"`
	Document          *Document             `json:"document,omitempty"`
	Caption           string                `json:"caption,omitempty"`
	Invoice           *Invoice              `json:"invoice,omitempty"`
	SuccessfulPayment *SuccessfulPayment    `json:"successful_payment,omitempty"`
	RefundedPayment   *RefundedPayment      `json:"refunded_payment,omitempty"`
	ReplyMarkup       *InlineKeyboardMarkup `json:"reply_markup,omitempty"`

	// ParseMode is the parse_mode the bot sent with; Text is kept as sent.
	ParseMode string `json:"-"`
	// Keyboard is a reply keyboard (ReplyKeyboardMarkup, ReplyKeyboardRemove
	// or ForceReply) sent with the message, as JSON. Telegram does not echo
	// these in the Message object, but the user sees them.
	Keyboard json.RawMessage `json:"-"`
	// InvoicePayload is the hidden payload of an invoice message.
	InvoicePayload string `json:"-"`
}

// FromBot reports whether the bot sent m.
func (m Message) FromBot() bool { return m.From != nil && m.From.IsBot }

// Time is the message date as a time.
func (m Message) Time() time.Time { return time.Unix(m.Date, 0) }

// Button finds the inline button with the given callback data.
func (m Message) Button(callbackData string) (InlineKeyboardButton, bool) {
	if m.ReplyMarkup == nil {
		return InlineKeyboardButton{}, false
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData != nil && *b.CallbackData == callbackData {
				return b, true
			}
		}
	}
	return InlineKeyboardButton{}, false
}

// MessageEntity marks a part of a message text (the fake emits bot_command).
type MessageEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

// InlineKeyboardMarkup is an inline keyboard attached to a message.
type InlineKeyboardMarkup struct {
	InlineKeyboard [][]InlineKeyboardButton `json:"inline_keyboard"`
}

// InlineKeyboardButton keeps every field a bot may send, so the message
// echoes back what was sent. Optional strings that may legitimately be empty
// are pointers.
type InlineKeyboardButton struct {
	Text                         string          `json:"text"`
	IconCustomEmojiID            string          `json:"icon_custom_emoji_id,omitempty"`
	Style                        string          `json:"style,omitempty"`
	URL                          string          `json:"url,omitempty"`
	CallbackData                 *string         `json:"callback_data,omitempty"`
	WebApp                       json.RawMessage `json:"web_app,omitempty"`
	LoginURL                     json.RawMessage `json:"login_url,omitempty"`
	SwitchInlineQuery            *string         `json:"switch_inline_query,omitempty"`
	SwitchInlineQueryCurrentChat *string         `json:"switch_inline_query_current_chat,omitempty"`
	SwitchInlineQueryChosenChat  json.RawMessage `json:"switch_inline_query_chosen_chat,omitempty"`
	CopyText                     json.RawMessage `json:"copy_text,omitempty"`
	CallbackGame                 json.RawMessage `json:"callback_game,omitempty"`
	Pay                          bool            `json:"pay,omitempty"`
}

// Document is a file sent with sendDocument. Data holds the uploaded bytes.
type Document struct {
	FileID       string `json:"file_id"`
	FileUniqueID string `json:"file_unique_id"`
	FileName     string `json:"file_name,omitempty"`
	MimeType     string `json:"mime_type,omitempty"`
	FileSize     int64  `json:"file_size,omitempty"`

	Data []byte `json:"-"`
}

// Invoice is the visible part of an invoice message.
type Invoice struct {
	Title          string `json:"title"`
	Description    string `json:"description"`
	StartParameter string `json:"start_parameter"`
	Currency       string `json:"currency"`
	TotalAmount    int64  `json:"total_amount"`
}

// SuccessfulPayment is the service message content of a completed payment.
// provider_payment_charge_id is always present, empty for Stars, as the real
// server writes it.
type SuccessfulPayment struct {
	Currency                string `json:"currency"`
	TotalAmount             int64  `json:"total_amount"`
	InvoicePayload          string `json:"invoice_payload"`
	TelegramPaymentChargeID string `json:"telegram_payment_charge_id"`
	ProviderPaymentChargeID string `json:"provider_payment_charge_id"`
}

// RefundedPayment is the service message content of a refund.
type RefundedPayment struct {
	Currency                string `json:"currency"`
	TotalAmount             int64  `json:"total_amount"`
	InvoicePayload          string `json:"invoice_payload"`
	TelegramPaymentChargeID string `json:"telegram_payment_charge_id"`
}

// StarTransaction is one entry of getStarTransactions. Exactly one of
// Source (incoming) and Receiver (outgoing) is set.
type StarTransaction struct {
	ID       string              `json:"id"`
	Amount   int64               `json:"amount"`
	Date     int64               `json:"date"`
	Source   *TransactionPartner `json:"source,omitempty"`
	Receiver *TransactionPartner `json:"receiver,omitempty"`
}

// TransactionPartner is a TransactionPartnerUser ("user"), a
// TransactionPartnerFragment ("fragment", for an owner's withdrawal) or a
// TransactionPartnerOther ("other").
type TransactionPartner struct {
	Type            string           `json:"type"`
	TransactionType string           `json:"transaction_type,omitempty"`
	User            *User            `json:"user,omitempty"`
	InvoicePayload  string           `json:"invoice_payload,omitempty"`
	WithdrawalState *WithdrawalState `json:"withdrawal_state,omitempty"`
	// Gift is set on "gift_purchase" transactions.
	Gift *Gift `json:"gift,omitempty"`
	// PremiumSubscriptionDuration is set on "premium_purchase" transactions.
	PremiumSubscriptionDuration int64 `json:"premium_subscription_duration,omitempty"`
}

// WithdrawalState is RevenueWithdrawalStateSucceeded.
type WithdrawalState struct {
	Type string `json:"type"`
	Date int64  `json:"date"`
	URL  string `json:"url"`
}

// BotCommand is one entry of setMyCommands.
type BotCommand struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// CallbackAnswer is what the bot answered to a button press.
type CallbackAnswer struct {
	Text      string
	ShowAlert bool
	URL       string
	CacheTime int
}

// Payment is a Stars payment the fake completed.
type Payment struct {
	ChargeID string
	User     User
	Amount   int64
	Payload  string
	Date     time.Time
	Refunded bool
}

// Call is one request the fake received. Params are the parameters as JSON
// values, whatever the request's encoding was (form values are converted
// following the spec, so chat_id "42" appears as 42). Uploaded files appear
// as the string "attach://<part name>".
type Call struct {
	// At is when the call arrived, on the server's clock.
	At          time.Time
	Method      string
	ContentType string
	Params      map[string]json.RawMessage
	Status      int
	Response    json.RawMessage
}

// Decode unmarshals the call's parameters into v (a struct with json tags,
// for example telego.SendMessageParams).
func (c Call) Decode(v any) error {
	data, err := json.Marshal(c.Params)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// Violation is a request or an emitted object that breaks the Bot API spec.
type Violation struct {
	// Method is the Bot API method, or "update" for an emitted update.
	Method string
	// Problem says what is wrong, naming the parameter or field.
	Problem string
}

func (v Violation) String() string { return v.Method + ": " + v.Problem }

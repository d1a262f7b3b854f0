package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
)

// PreCheckoutAnswerer answers pre-checkout queries over the Bot API's HTTP interface itself,
// not through telego's generic request path: no reflective encoding, no response dump built
// for a debug log nobody reads. Telegram waits at most 10 seconds for these answers, and a
// launch spike brings thousands at once, so each one's cost is every later one's wait.
// It uses the same HTTP client (and so the same transport, fault points included) and the
// same token redaction as NewBot; it is not paced, as answers are not messages.
type PreCheckoutAnswerer struct {
	caller ta.Caller
	url    string
}

// NewPreCheckoutAnswerer returns an answerer talking to apiURL ("" means [DefaultAPIURL])
// over httpClient (nil means a new client), with token.
func NewPreCheckoutAnswerer(token, apiURL string, httpClient *http.Client) *PreCheckoutAnswerer {
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	return &PreCheckoutAnswerer{
		caller: redactingCaller{caller: ta.HTTPCaller{Client: httpClient}, red: newRedactor(token)},
		url:    strings.TrimRight(apiURL, "/") + "/bot" + token + "/answerPreCheckoutQuery",
	}
}

// AnswerPreCheckoutQuery sends p, as telego's method of the same name does.
func (a *PreCheckoutAnswerer) AnswerPreCheckoutQuery(ctx context.Context, p *telego.AnswerPreCheckoutQueryParams) error {
	body, err := PreCheckoutAnswerBody(p, false)
	if err != nil {
		return err
	}
	resp, err := a.caller.Call(ctx, a.url, &ta.RequestData{ContentType: ta.ContentTypeJSON, BodyRaw: body})
	if err != nil {
		return fmt.Errorf("telegram: answer pre-checkout query: %w", err)
	}
	if !resp.Ok {
		if resp.Error == nil {
			return errors.New("telegram: answer pre-checkout query: not ok, no error given")
		}
		return fmt.Errorf("telegram: answer pre-checkout query: api: %w", resp.Error)
	}
	return nil
}

// preCheckoutAnswer is answerPreCheckoutQuery's JSON body; Method is set only for an answer
// given in a webhook's response.
type preCheckoutAnswer struct {
	Method       string `json:"method,omitempty"`
	ID           string `json:"pre_checkout_query_id"`
	Ok           bool   `json:"ok"`
	ErrorMessage string `json:"error_message,omitempty"`
}

// PreCheckoutAnswerBody is p as answerPreCheckoutQuery's JSON body. inWebhookReply adds the
// "method" field Telegram needs to take the body, sent as the response to the webhook request
// that brought the query, as a call (see "Making requests when getting updates" in the Bot
// API documentation).
func PreCheckoutAnswerBody(p *telego.AnswerPreCheckoutQueryParams, inWebhookReply bool) ([]byte, error) {
	a := preCheckoutAnswer{ID: p.PreCheckoutQueryID, Ok: p.Ok, ErrorMessage: p.ErrorMessage}
	if inWebhookReply {
		a.Method = "answerPreCheckoutQuery"
	}
	body, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("telegram: answer pre-checkout query: %w", err)
	}
	return body, nil
}

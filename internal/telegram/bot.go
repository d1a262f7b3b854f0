package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
)

// DefaultAPIURL is Telegram's Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// redacted stands in for the token in logs and errors.
const redacted = "<redacted>"

// NewBot returns a telego client that talks to apiURL ("" means
// [DefaultAPIURL]) over httpClient (nil means a new client with no overall
// timeout, because long polls last as long as their timeout parameter; bound
// calls with their context instead). Requests are logged to logger at debug
// level and telego's own errors at error level, with the token replaced by
// "<redacted>" in every message; errors returned by calls are redacted the
// same way. The token must look like Telegram's (digits, ':', 35 of
// [A-Za-z0-9_-]); NewBot makes no request.
func NewBot(token, apiURL string, httpClient *http.Client, logger *slog.Logger) (*telego.Bot, error) {
	return NewPacedBot(token, apiURL, httpClient, logger, nil)
}

// NewPacedBot is NewBot with every call that puts a message in a chat paced by pacing (see
// Pacing); nil pacing sends unpaced, as NewBot. pacing must not be shared by two bots.
func NewPacedBot(token, apiURL string, httpClient *http.Client, logger *slog.Logger, pacing *Pacing) (*telego.Bot, error) {
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	if httpClient == nil {
		httpClient = &http.Client{}
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	red := newRedactor(token)
	var caller ta.Caller = redactingCaller{caller: ta.HTTPCaller{Client: httpClient}, red: red}
	if pacing != nil {
		if pacing.Limiter == nil {
			return nil, errors.New("telegram: new bot: pacing without a limiter")
		}
		pacing.next, pacing.base = caller, strings.TrimRight(apiURL, "/")+"/bot"+token+"/"
		pacing.metrics = newPacingMetrics(pacing.Registry)
		caller = pacing
	}
	bot, err := telego.NewBot(token,
		telego.WithAPICaller(caller),
		telego.WithAPIServer(strings.TrimRight(apiURL, "/")),
		telego.WithLogger(slogLogger{log: logger, red: red}),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: new bot: %w", err)
	}
	return bot, nil
}

// newRedactor replaces the token as it appears raw and URL-escaped.
func newRedactor(token string) *strings.Replacer {
	pairs := []string{token, redacted}
	if esc := url.PathEscape(token); esc != token {
		pairs = append(pairs, esc, redacted)
	}
	if esc := url.QueryEscape(token); esc != token && esc != url.PathEscape(token) {
		pairs = append(pairs, esc, redacted)
	}
	return strings.NewReplacer(pairs...)
}

// slogLogger adapts telego's printf-style logger to slog. Messages are
// constant; telego's text goes in the "detail" attribute, redacted.
type slogLogger struct {
	log *slog.Logger
	red *strings.Replacer
}

func (l slogLogger) Debugf(format string, args ...any) {
	if !l.log.Enabled(context.Background(), slog.LevelDebug) {
		return // skip formatting request dumps nobody reads
	}
	l.log.Debug("telegram client", slog.String("detail", l.red.Replace(fmt.Sprintf(format, args...))))
}

func (l slogLogger) Errorf(format string, args ...any) {
	l.log.Error("telegram client", slog.String("detail", l.red.Replace(fmt.Sprintf(format, args...))))
}

// redactingCaller is telego's net/http caller with the token taken out of
// transport errors (a *url.Error quotes the request URL, which holds the
// token).
type redactingCaller struct {
	caller ta.Caller
	red    *strings.Replacer
}

func (c redactingCaller) Call(ctx context.Context, url string, data *ta.RequestData) (*ta.Response, error) {
	resp, err := c.caller.Call(ctx, url, data)
	if err != nil {
		return nil, redactError(err, c.red)
	}
	return resp, nil
}

// redactError returns err with the token removed from its text, keeping
// errors.Is and errors.As working (context.Canceled, *url.Error, ...).
func redactError(err error, red *strings.Replacer) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = red.Replace(ue.URL)
	}
	return &redactedError{msg: red.Replace(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

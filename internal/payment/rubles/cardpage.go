package rubles

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/ledger"
	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

// CardPayoutPath is where the card payout page is served (GET shows it, POST takes the widget's
// card token); links from CardPayoutLink point here.
const CardPayoutPath = "/payout/card"

// PayoutWidgetScript is YooKassa's payout widget, version 3.1.0, as given in «Подключение
// виджета для выплат» (yookassa.ru/developers/payouts/making-payouts/bank-card/using-payout-widget/
// implementing-widget). It defines window.PayoutsData.
const PayoutWidgetScript = "https://yookassa.ru/payouts-data/3.1.0/widget.js"

// cardLink is what a card payout link carries; s signs the rest.
type cardLink struct {
	user, amount, expires int64
	lang                  string
	sig                   string
}

// values renders the link's query (and the page's hidden form).
func (l cardLink) values() url.Values {
	return url.Values{"u": {itoa(l.user)}, "a": {itoa(l.amount)}, "e": {itoa(l.expires)}, "l": {l.lang}, "s": {l.sig}}
}

func (s *Service) signLink(l cardLink) string {
	m := hmac.New(sha256.New, s.linkKey)
	fmt.Fprintf(m, "v1\n%d\n%d\n%d\n%s", l.user, l.amount, l.expires, l.lang)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Errors of a card link, shown as a page.
var (
	errLinkInvalid = errors.New("rubles: card link is not valid")
	errLinkExpired = errors.New("rubles: card link has expired")
)

// parseLink reads and checks a link's fields from a query or a form.
func (s *Service) parseLink(v url.Values) (cardLink, error) {
	var l cardLink
	var err1, err2, err3 error
	l.user, err1 = strconv.ParseInt(v.Get("u"), 10, 64)
	l.amount, err2 = strconv.ParseInt(v.Get("a"), 10, 64)
	l.expires, err3 = strconv.ParseInt(v.Get("e"), 10, 64)
	l.lang, l.sig = v.Get("l"), v.Get("s")
	if err1 != nil || err2 != nil || err3 != nil || (l.lang != i18n.RU && l.lang != i18n.EN) || len(s.linkKey) == 0 {
		return l, errLinkInvalid
	}
	if !hmac.Equal([]byte(l.sig), []byte(s.signLink(l))) {
		return l, errLinkInvalid
	}
	if s.now().Unix() >= l.expires {
		return l, errLinkExpired
	}
	return l, nil
}

// CardPayoutLink returns a link to the page where the user enters a card into YooKassa's payout
// widget to withdraw amount kopecks; the bot sends it as a URL button. The link is signed
// (HMAC-SHA-256 over the user, the amount, the expiry and the language, with a key derived from
// Config.LinkSecret), valid for Config.LinkTTL, and pays at most once. It checks the card
// limits and the balance now (ErrAmountOutOfRange, ErrInsufficientFunds); the payout itself is
// requested, and checked again, when the page sends the card token. ErrNotConfigured without
// PublicURL, PayoutGatewayID or LinkSecret.
func (s *Service) CardPayoutLink(ctx context.Context, userID, amount int64, lang string) (string, error) {
	if s.publicURL == "" || s.gatewayID == "" || len(s.linkKey) == 0 {
		return "", fmt.Errorf("%w: card payouts need PUBLIC_URL and the payout gateway's id and key", ErrNotConfigured)
	}
	if err := s.checkCardPayout(ctx, userID, amount); err != nil {
		return "", err
	}
	l := cardLink{user: userID, amount: amount, expires: s.now().Add(s.linkTTL).Unix(), lang: i18n.Lang(lang)}
	l.sig = s.signLink(l)
	return s.publicURL + CardPayoutPath + "?" + l.values().Encode(), nil
}

func (s *Service) checkCardPayout(ctx context.Context, userID, amount int64) error {
	if err := yookassa.CheckPayoutAmount(yookassa.PayoutBankCard, amount); err != nil {
		return fmt.Errorf("%w: %w", ErrAmountOutOfRange, err)
	}
	bal, err := ledger.Balance(ctx, s.pool, ledger.UserAccount(userID, Currency))
	if err != nil {
		return err
	}
	if bal < amount {
		return fmt.Errorf("%w: %s available", ErrInsufficientFunds, yookassa.FormatAmount(bal))
	}
	return nil
}

// CardPayoutHandler serves the card payout page at CardPayoutPath.
//
// GET, with a valid link, shows YooKassa's payout widget (account_id: the payout gateway's id).
// The widget takes the card number on YooKassa's side and hands the page a card synonym
// (payout_token) and the card's mask, which the page posts back. POST checks the link again
// and requests the payout (RequestPayout with the link as its RequestKey, so a link pays once)
// and shows the result; the outcome also reaches the user in the bot. An invalid link is 403,
// an expired one 410. Card numbers never reach fairdraw.
func (s *Service) CardPayoutHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		switch r.Method {
		case http.MethodGet:
			s.cardGet(w, r)
		case http.MethodPost:
			s.cardPost(w, r)
		default:
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
}

func (s *Service) cardGet(w http.ResponseWriter, r *http.Request) {
	l, err := s.parseLink(r.URL.Query())
	if err != nil {
		s.linkError(w, r.URL.Query().Get("l"), err)
		return
	}
	amount := i18n.Money(l.lang, l.amount, Currency)
	if err := s.checkCardPayout(r.Context(), l.user, l.amount); err != nil {
		s.renderPage(w, http.StatusConflict, page{Lang: l.lang, Title: i18n.T(l.lang, "rub.card_title"),
			Paragraphs: []string{PayoutErrorText(l.lang, yookassa.PayoutBankCard, err)}})
		return
	}
	s.renderPage(w, http.StatusOK, page{
		Lang: l.lang, Title: i18n.T(l.lang, "rub.card_title"),
		Paragraphs: []string{i18n.T(l.lang, "rub.card_intro", "amount", amount)},
		Widget: &widget{
			Action: CardPayoutPath, Link: l.values(), ScriptURL: PayoutWidgetScript, AccountID: s.gatewayID,
			ErrorText: i18n.T(l.lang, "rub.card_widget_error"), Note: i18n.T(l.lang, "rub.card_note"),
		},
	})
}

func (s *Service) cardPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	l, err := s.parseLink(r.PostForm)
	if err != nil {
		s.linkError(w, r.PostForm.Get("l"), err)
		return
	}
	title := i18n.T(l.lang, "rub.card_title")
	p, err := s.RequestPayout(r.Context(), PayoutRequest{
		UserID: l.user, Amount: l.amount, Method: yookassa.PayoutBankCard,
		CardToken: r.PostForm.Get("payout_token"),
		Card:      CardMask{First6: r.PostForm.Get("first6"), Last4: r.PostForm.Get("last4"), Type: r.PostForm.Get("card_type")},
		// The signature names the link; a second post of the same link returns the first payout.
		RequestKey: "cardlink:" + l.sig,
	})
	if err != nil {
		status := http.StatusConflict
		if !errors.Is(err, ErrInsufficientFunds) && !errors.Is(err, ErrAmountOutOfRange) && !errors.Is(err, ErrInvalidDestination) {
			s.log.Error("card payout request", slog.Int64("user_id", l.user), slog.Any("error", err))
			status = http.StatusInternalServerError
		}
		s.renderPage(w, status, page{Lang: l.lang, Title: title, Paragraphs: []string{PayoutErrorText(l.lang, yookassa.PayoutBankCard, err)}})
		return
	}
	s.renderPage(w, http.StatusOK, page{Lang: l.lang, Title: title, Paragraphs: []string{
		i18n.T(l.lang, "rub.card_accepted", "amount", i18n.Money(l.lang, p.Amount, Currency), "card", p.Destination),
	}})
}

// PayoutErrorText is the user's text for an error of RequestPayout or CardPayoutLink, in lang
// (a Telegram language code); for the bot's replies.
func PayoutErrorText(lang string, method yookassa.PayoutMethod, err error) string {
	switch {
	case errors.Is(err, ErrInsufficientFunds):
		return i18n.T(lang, "rub.payout_err_balance")
	case errors.Is(err, ErrAmountOutOfRange):
		lo, hi := yookassa.PayoutLimits(method)
		return i18n.T(lang, "rub.payout_err_amount", "min", i18n.Money(lang, lo, Currency), "max", i18n.Money(lang, hi, Currency))
	case errors.Is(err, ErrInvalidDestination):
		return i18n.T(lang, "rub.payout_err_destination")
	default:
		return i18n.T(lang, "error.internal")
	}
}

func (s *Service) linkError(w http.ResponseWriter, lang string, err error) {
	lang = i18n.Lang(lang)
	status, key := http.StatusForbidden, "rub.card_link_invalid"
	if errors.Is(err, errLinkExpired) {
		status, key = http.StatusGone, "rub.card_link_expired"
	}
	s.renderPage(w, status, page{Lang: lang, Title: i18n.T(lang, "rub.card_title"), Paragraphs: []string{i18n.T(lang, key)}})
}

type page struct {
	Lang       string
	Title      string
	Paragraphs []string
	Widget     *widget
}

type widget struct {
	Action    string
	Link      url.Values
	ScriptURL string
	AccountID string
	ErrorText string
	Note      string
}

func (s *Service) renderPage(w http.ResponseWriter, status int, p page) {
	var buf bytes.Buffer
	if err := cardTemplate.Execute(&buf, p); err != nil {
		s.log.Error("render card page", slog.Any("error", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// cardTemplate is the page. The script URL, the global PayoutsData and account_id (the payout
// gateway's agentId) are from YooKassa's «Подключение виджета для выплат»; type: 'payout',
// success_callback's fields (payout_token, first6, last4, card_type), error_callback and
// render(id) returning a Promise are as integrations in the wild use them — that part of the
// page could not be read, so check it against the live widget before going live.
var cardTemplate = template.Must(template.New("card").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>
body{font:16px/1.5 system-ui,-apple-system,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
.note{color:#555;font-size:.9rem}.error{color:#a40000}#payout-form{min-height:12rem}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{with .Widget}}<div id="payout-form"></div>
<p id="widget-error" class="error" hidden>{{.ErrorText}}</p>
<form id="payout-done" method="post" action="{{.Action}}" hidden>
{{range $k, $v := .Link}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">
{{end}}<input type="hidden" name="payout_token" value="">
<input type="hidden" name="first6" value="">
<input type="hidden" name="last4" value="">
<input type="hidden" name="card_type" value="">
</form>
<p class="note">{{.Note}}</p>
<script src="{{.ScriptURL}}"></script>
<script>
(function () {
  var form = document.getElementById('payout-done');
  function failed() { document.getElementById('widget-error').hidden = false; }
  if (!window.PayoutsData) { failed(); return; }
  var widget = new window.PayoutsData({
    type: 'payout',
    account_id: {{.AccountID}},
    success_callback: function (data) {
      if (!data || !data.payout_token) { failed(); return; }
      form.elements.payout_token.value = data.payout_token;
      form.elements.first6.value = data.first6 || '';
      form.elements.last4.value = data.last4 || '';
      form.elements.card_type.value = data.card_type || '';
      form.submit();
    },
    error_callback: failed
  });
  var shown = widget.render('payout-form');
  if (shown && shown.catch) { shown.catch(failed); }
})();
</script>
{{end}}</body>
</html>
`))

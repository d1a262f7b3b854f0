package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

// InitDataMaxAge is how old a Mini App's initData may be: a day, then the user reopens the app.
const InitDataMaxAge = 24 * time.Hour

// initDataSkew is how far in the future auth_date may be (clock differences).
const initDataSkew = 5 * time.Minute

// ErrInitData means Mini App initData is missing, malformed, forged or stale.
var ErrInitData = errors.New("web: initData refused")

// WebAppUser is the user a valid initData names.
type WebAppUser struct {
	ID           int64  `json:"id"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Username     string `json:"username"`
	LanguageCode string `json:"language_code"`
}

// ValidateInitData checks Telegram Mini App initData exactly as Telegram documents it: the
// data-check string is every received field except hash, as key=value with the values
// decoded, sorted by key and joined by "\n"; secret_key = HMAC-SHA256(key "WebAppData",
// message bot token); hash must equal hex(HMAC-SHA256(key secret_key, message data-check
// string)), compared in constant time. auth_date must be no older than maxAge (and not in the
// future). The error wraps ErrInitData and says which rule failed.
func ValidateInitData(initData, botToken string, now time.Time, maxAge time.Duration) (WebAppUser, error) {
	refuse := func(format string, args ...any) (WebAppUser, error) {
		return WebAppUser{}, fmt.Errorf("%w: "+format, append([]any{ErrInitData}, args...)...)
	}
	if botToken == "" {
		return refuse("no bot token configured")
	}
	vals, err := url.ParseQuery(initData)
	if err != nil {
		return refuse("not a query string: %v", err)
	}
	hashes := vals["hash"]
	if len(hashes) != 1 {
		return refuse("want exactly one hash, got %d", len(hashes))
	}
	got, err := hex.DecodeString(hashes[0])
	if err != nil || len(got) != sha256.Size {
		return refuse("hash is not 64 hex digits")
	}
	keys := make([]string, 0, len(vals))
	for k, v := range vals {
		if len(v) != 1 {
			return refuse("field %q given %d times", k, len(v))
		}
		if k != "hash" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	lines := make([]string, len(keys))
	for i, k := range keys {
		lines[i] = k + "=" + vals.Get(k)
	}
	secret := hmacSHA256([]byte("WebAppData"), []byte(botToken))
	if !hmac.Equal(got, hmacSHA256(secret, []byte(strings.Join(lines, "\n")))) {
		return refuse("hash does not match")
	}
	authDate, err := strconv.ParseInt(vals.Get("auth_date"), 10, 64)
	if err != nil {
		return refuse("auth_date is not a number")
	}
	at := time.Unix(authDate, 0)
	if now.Sub(at) > maxAge {
		return refuse("auth_date %s is older than %s", at.UTC().Format(time.RFC3339), maxAge)
	}
	if at.Sub(now) > initDataSkew {
		return refuse("auth_date %s is in the future", at.UTC().Format(time.RFC3339))
	}
	var u WebAppUser
	if err := json.Unmarshal([]byte(vals.Get("user")), &u); err != nil || u.ID == 0 {
		return refuse("no user")
	}
	return u, nil
}

func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// UserEntries is what the Mini App reads: one user's entries.
type UserEntries interface {
	UserEntries(ctx context.Context, telegramID int64) ([]raffle.UserEntry, error)
}

// miniApp is GET /app (the page Telegram opens from the bot's menu button) and POST /app/me
// (the user's draws, for a valid initData only).
type miniApp struct {
	botToken string
	entries  UserEntries
}

// WithMiniApp enables the Telegram Mini App at /app, validating initData with botToken.
func WithMiniApp(botToken string, entries UserEntries) PublicOption {
	return func(p *Public) { p.miniApp = &miniApp{botToken: botToken, entries: entries} }
}

// App serves GET /app. The page reads initData from the launch URL's fragment
// (tgWebAppData) and posts it to /app/me; nothing about the user is in the page itself.
func (p *Public) App(w http.ResponseWriter, r *http.Request) {
	l := p.lang(r)
	labels := map[string]string{
		"loading": i18n.T(l, "web.app_loading"), "need_telegram": i18n.T(l, "web.app_need_telegram"),
		"refused": i18n.T(l, "web.app_refused"), "error": i18n.T(l, "web.unavailable"),
	}
	body := struct{ Labels map[string]string }{labels}
	p.render(w, r, http.StatusOK, "app.html", p.newPage(r, l, i18n.T(l, "web.app_title"), i18n.T(l, "web.footer"), body))
}

// appEntry is one line of "my draws" as the Mini App shows it (texts in the user's language).
type appEntry struct {
	DrawID int64  `json:"draw_id"`
	Title  string `json:"title"`
	Status string `json:"status"`
	Code   string `json:"code"`
	Result string `json:"result"`
	URL    string `json:"url"`
}

// AppMe serves POST /app/me with the form field init_data: 200 with the user's draws and
// codes, or 401 when initData is forged, stale or missing.
func (p *Public) AppMe(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		writeJSON(w, http.StatusRequestEntityTooLarge, map[string]string{"error": "request too large"})
		return
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		form = url.Values{}
	}
	l := p.lang(r)
	user, err := ValidateInitData(form.Get("init_data"), p.miniApp.botToken, p.now(), InitDataMaxAge)
	if err != nil {
		p.logger.Info("mini app initData refused", slog.Any("error", err))
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": i18n.T(l, "web.app_refused")})
		return
	}
	l = i18n.Lang(user.LanguageCode)
	entries, err := p.miniApp.entries.UserEntries(r.Context(), user.ID)
	if err != nil {
		p.logger.Error("mini app entries", slog.Any("error", err))
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": i18n.T(l, "web.unavailable")})
		return
	}
	out := struct {
		Hello   string     `json:"hello"`
		Title   string     `json:"title"`
		Empty   string     `json:"empty,omitempty"`
		Entries []appEntry `json:"entries"`
	}{Hello: i18n.T(l, "web.app_hello", "name", user.FirstName), Title: i18n.T(l, "web.app_title"), Entries: []appEntry{}}
	for _, e := range entries {
		result := ""
		switch {
		case e.Prize >= 0:
			result = i18n.T(l, "web.app_won", "prize", i18n.Money(l, e.Prize, e.Draw.Currency))
		case e.Draw.Status == raffle.StatusDrawn || e.Draw.Status == raffle.StatusSettled:
			result = i18n.T(l, "web.app_lost")
		}
		out.Entries = append(out.Entries, appEntry{
			DrawID: e.Draw.ID, Title: e.Draw.Title, Status: i18n.T(l, "status."+e.Draw.Status), Code: e.Code,
			Result: result, URL: "/raffles/" + strconv.FormatInt(e.Draw.ID, 10),
		})
	}
	if len(out.Entries) == 0 {
		out.Empty = i18n.T(l, "web.app_none")
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

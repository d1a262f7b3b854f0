package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/raffle"
)

const testBotToken = "123456789:TEST-token-for-mini-app-signatures"

// signInitData builds initData as Telegram's client would pass it, signed with token (the
// documented algorithm, written out independently of ValidateInitData).
func signInitData(token string, fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var lines []string
	for _, k := range keys {
		lines = append(lines, k+"="+fields[k])
	}
	secret := hmacSHA256([]byte("WebAppData"), []byte(token))
	v := url.Values{}
	for k, val := range fields {
		v.Set(k, val)
	}
	v.Set("hash", hexString(hmacSHA256(secret, []byte(strings.Join(lines, "\n")))))
	return v.Encode()
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func userFields(id int64, at time.Time) map[string]string {
	return map[string]string{
		"query_id":  "AAHdF6IQAAAAAN0XohDhrOrc",
		"user":      `{"id":` + strconv.FormatInt(id, 10) + `,"first_name":"Анна","language_code":"ru"}`,
		"auth_date": strconv.FormatInt(at.Unix(), 10),
	}
}

func TestValidateInitData(t *testing.T) {
	now := testNow
	valid := signInitData(testBotToken, userFields(42, now.Add(-time.Hour)))
	tamper := func(s, from, to string) string { return strings.Replace(s, from, to, 1) }
	for _, tc := range []struct {
		name, data, token string
		ok                bool
	}{
		{"valid", valid, testBotToken, true},
		{"valid at almost a day", signInitData(testBotToken, userFields(42, now.Add(-InitDataMaxAge+time.Second))), testBotToken, true},
		{"stale", signInitData(testBotToken, userFields(42, now.Add(-InitDataMaxAge-time.Second))), testBotToken, false},
		{"from the future", signInitData(testBotToken, userFields(42, now.Add(time.Hour))), testBotToken, false},
		{"another bot's token", signInitData("987654321:other", userFields(42, now)), testBotToken, false},
		{"user id changed", tamper(valid, "%3A42%2C", "%3A43%2C"), testBotToken, false},
		{"hash changed", valid[:len(valid)-1] + map[bool]string{true: "0", false: "1"}[!strings.HasSuffix(valid, "0")], testBotToken, false},
		{"field added", valid + "&start_param=x", testBotToken, false},
		{"field repeated", valid + "&auth_date=1", testBotToken, false},
		{"no hash", "user=%7B%22id%22%3A42%7D&auth_date=1", testBotToken, false},
		{"empty", "", testBotToken, false},
		{"no token configured", valid, "", false},
		{"signed but no user", signInitData(testBotToken, map[string]string{"auth_date": strconv.FormatInt(now.Unix(), 10)}), testBotToken, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := ValidateInitData(tc.data, tc.token, now, InitDataMaxAge)
			if tc.ok && (err != nil || u.ID != 42 || u.FirstName != "Анна") {
				t.Fatalf("refused valid initData: %v %+v", err, u)
			}
			if !tc.ok && err == nil {
				t.Fatalf("accepted %q as %+v", tc.data, u)
			}
		})
	}
}

func TestMiniAppShowsOnlyTheSignedUsersDraws(t *testing.T) {
	draws := newFake(t)
	draws.userEntries = map[int64][]raffle.UserEntry{
		42: {{Draw: draws.draws[3], Code: draws.proofs[3].Winners[0].EntryCode, Prize: draws.proofs[3].Winners[0].Prize},
			{Draw: draws.draws[7], Code: "QQQQ-0001", Prize: -1}},
		43: {{Draw: draws.draws[8], Code: "SECR-ET00", Prize: -1}},
	}
	h := newTestHandler(t, draws)
	post := func(initData string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/app/me", strings.NewReader(url.Values{"init_data": {initData}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	valid := signInitData(testBotToken, userFields(42, testNow.Add(-time.Minute)))
	rec := post(valid)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "QQQQ-0001") || !strings.Contains(rec.Body.String(), "выигрыш") ||
		strings.Contains(rec.Body.String(), "SECR-ET00") {
		t.Fatalf("valid initData: %d %s", rec.Code, rec.Body.String())
	}
	forged := strings.Replace(valid, "%3A42%2C", "%3A43%2C", 1)
	if rec := post(forged); rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "SECR-ET00") {
		t.Fatalf("forged initData: %d %s", rec.Code, rec.Body.String())
	}
	if rec := post(""); rec.Code != http.StatusUnauthorized {
		t.Fatalf("no initData: %d", rec.Code)
	}
}

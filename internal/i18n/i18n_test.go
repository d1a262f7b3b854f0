package i18n

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

func TestEveryKeyInBothLanguagesWithSamePlaceholders(t *testing.T) {
	for _, pair := range [][2]string{{RU, EN}, {EN, RU}} {
		for key, text := range catalog[pair[0]] {
			other, ok := catalog[pair[1]][key]
			if !ok {
				t.Errorf("key %q is in %s but not in %s", key, pair[0], pair[1])
				continue
			}
			a, b := placeholder.FindAllString(text, -1), placeholder.FindAllString(other, -1)
			slices.Sort(a)
			slices.Sort(b)
			if !slices.Equal(slices.Compact(a), slices.Compact(b)) {
				t.Errorf("key %q: placeholders %v in %s, %v in %s", key, a, pair[0], b, pair[1])
			}
		}
	}
}

func TestNoForbiddenWords(t *testing.T) {
	forbidden := []string{"лотере", "казино", "lottery", "lotteries", "casino"}
	for lang, texts := range catalog {
		for key, text := range texts {
			low := strings.ToLower(text)
			for _, w := range forbidden {
				if strings.Contains(low, w) {
					t.Errorf("%s %q contains %q", lang, key, w)
				}
			}
		}
	}
}

func TestRussianPlurals(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 участников"}, {1, "1 участник"}, {2, "2 участника"}, {4, "4 участника"}, {5, "5 участников"},
		{11, "11 участников"}, {12, "12 участников"}, {14, "14 участников"}, {21, "21 участник"},
		{22, "22 участника"}, {25, "25 участников"}, {101, "101 участник"}, {111, "111 участников"}, {1000, "1000 участников"},
	} {
		if got := Plural(RU, tc.n, "participants"); got != tc.want {
			t.Errorf("Plural(ru, %d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0 participants"}, {1, "1 participant"}, {2, "2 participants"}, {21, "21 participants"}} {
		if got := Plural(EN, tc.n, "participants"); got != tc.want {
			t.Errorf("Plural(en, %d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestLangAndFill(t *testing.T) {
	for code, want := range map[string]string{"en": EN, "en-US": EN, "ru": RU, "uk": RU, "": RU, "de": RU} {
		if got := Lang(code); got != want {
			t.Errorf("Lang(%q) = %q, want %q", code, got, want)
		}
	}
	if got := T("en", "draw.not_found", "id", 7); got != "Draw #7 was not found." {
		t.Fatalf("T = %q", got)
	}
	if got := T("ru", "no.such.key"); got != "no.such.key" {
		t.Fatalf("missing key = %q", got)
	}
	for _, tc := range []struct {
		lang, cur string
		amt       int64
		want      string
	}{{RU, "XTR", 10, "10 ⭐"}, {RU, "RUB", 10050, "100,50 ₽"}, {EN, "RUB", 10050, "100.50 ₽"}, {RU, "RUB", 10000, "100 ₽"}, {RU, "RUB", 5, "0,05 ₽"}} {
		if got := Money(tc.lang, tc.amt, tc.cur); got != tc.want {
			t.Errorf("Money(%s, %d, %s) = %q, want %q", tc.lang, tc.amt, tc.cur, got, tc.want)
		}
	}
}

func TestRenderTypedArgs(t *testing.T) {
	args := map[string]Arg{
		"id": I(7), "title": S("Весна"), "reason": K("cancel.below_min"), "amount": M(10050, "RUB"),
	}
	got := Render(RU, "notify.cancelled", args)
	want := "Розыгрыш #7 «Весна» отменён (к сроку не набралось минимума участников). Ваш взнос 100,50 ₽ возвращается."
	if got != want {
		t.Fatalf("Render = %q\nwant     %q", got, want)
	}
	if got := Render(EN, "notify.joined_digest", map[string]Arg{"participants": N(3, "participants"), "id": I(1), "title": S("x"), "total": I(9)}); got != "3 participants more joined draw #1 “x”. Total: 9." {
		t.Fatalf("Render en = %q", got)
	}
}

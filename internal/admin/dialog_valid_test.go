package admin_test

import (
	"strings"
	"testing"
	"time"
)

// TestDialogUsesTheDrawRules: the create dialog refuses what raffle.Params refuses, in the
// admin's language: a title with a line break or a right-to-left override left open; and a
// deadline that passed while the summary waited sends the admin back to the deadline step
// instead of showing the domain's English error.
func TestDialogUsesTheDrawRules(t *testing.T) {
	t.Parallel()
	f := newFixture(t, options{})
	a := organiser
	_, first := f.press(t, a, f.say(t, a, "/admin"), "adm:new")
	mustContain(t, first, "шаг 1 из 10")
	for _, title := range []string{"Весна\nи лето", "Приз \u202eзифрп"} {
		mustContain(t, f.say(t, a, title), "⚠️", "переводов строки", "шаг 1 из 10")
	}
	mustContain(t, f.say(t, a, "Весна"), "шаг 2 из 10")
	f.click(t, a, ":set:XTR")
	f.say(t, a, "10")
	f.say(t, a, "2")
	f.click(t, a, ":set:none")
	f.say(t, a, "1")
	f.click(t, a, ":set:def")
	f.click(t, a, ":set:1h")
	f.click(t, a, ":set:deadline")
	_, summary := f.click(t, a, ":set:drand")
	mustContain(t, summary, "Проверьте новый розыгрыш")

	f.rt.Clock.Set(start.Add(2 * time.Hour)) // the admin came back late
	ans, back := f.click(t, a, ":ok")
	if !strings.Contains(ans.Text, "Срок прошёл") {
		t.Fatalf("answer %q, want the deadline passed", ans.Text)
	}
	mustContain(t, back, "⚠️", "Срок прошёл", "шаг 8 из 10")
	if n := f.rt.Count(t, "SELECT count(*) FROM raffles"); n != 0 {
		t.Fatalf("%d draws created with a past deadline", n)
	}
	mustContain(t, f.say(t, a, "2д"), "шаг 9 из 10")
	f.click(t, a, ":keep")
	f.click(t, a, ":keep")
	_, created := f.click(t, a, ":ok")
	mustContain(t, created, "создан и открыт")
	draws, err := f.rt.Svc.List(t.Context())
	if err != nil || len(draws) != 1 || !draws[0].Deadline.Equal(start.Add(50*time.Hour)) {
		t.Fatalf("draws %+v (%v), want one with the new deadline", draws, err)
	}
}

package tgui_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mymmrac/telego"
	"go.uber.org/goleak"

	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
	"github.com/fairdraw/fairdraw/internal/telegram/tgui"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var ann = telegramtest.User{ID: 11, FirstName: "Ann", LanguageCode: "en"}

func setup(t *testing.T) (*telegramtest.Server, *telego.Bot) {
	t.Helper()
	srv := telegramtest.NewServer(t, telegramtest.Config{})
	api, err := telegram.NewBot(srv.Token(), srv.URL(), srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.AddUser(ann)
	return srv, api
}

// TestRouterMatches: which data each kind of placeholder takes, and what it reads.
func TestRouterMatches(t *testing.T) {
	var r tgui.Router
	var got string
	route := func(pattern string, read func(p *tgui.Press) string) {
		r.Handle(pattern, func(_ context.Context, p *tgui.Press) error {
			got = pattern + " " + read(p)
			return nil
		})
	}
	none := func(*tgui.Press) string { return "" }
	route("menu", none)
	route("draw:{id:id}", func(p *tgui.Press) string { return p.Text("id") })
	route("ppl:{id:id}:{page:int}", func(p *tgui.Press) string { return p.Text("id") + "/" + p.Text("page") })
	route("list:{currency}", func(p *tgui.Press) string { return p.Text("currency") })
	route("adm:{rest...}", func(p *tgui.Press) string { return "[" + p.Text("rest") + "]" })
	for _, tc := range []struct{ data, want string }{
		{"menu", "menu "},
		{"draw:5", "draw:{id:id} 5"},
		{"draw:0", ""},
		{"draw:-1", ""},
		{"draw:+1", ""},
		{"draw: 5", ""},
		{"draw:abc", ""},
		{"draw:99999999999999999999", ""},
		{"draw:5:6", ""},
		{"ppl:5:0", "ppl:{id:id}:{page:int} 5/0"},
		{"ppl:5", ""},
		{"list:XTR", "list:{currency} XTR"},
		{"list:", ""},
		{"adm:", "adm:{rest...} []"},
		{"adm:do:cancel:1", "adm:{rest...} [do:cancel:1]"},
		{"adm", ""},
		{"menu:x", ""},
		{"", ""},
	} {
		t.Run(tc.data, func(t *testing.T) {
			srv, api := setup(t)
			m := srv.SendText(ann, "hi")
			id, err := srv.ForgeCallback(ann, m, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			got = ""
			cb := &telego.CallbackQuery{ID: id, From: telego.User{ID: ann.ID, LanguageCode: "en"}, Data: tc.data}
			if err := r.Serve(t.Context(), tgui.NewPress(api, cb)); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("routed to %q, want %q", got, tc.want)
			}
			ans, ok := srv.CallbackAnswer(id)
			if !ok || (tc.want == "") != ans.ShowAlert {
				t.Fatalf("answer %+v (%v)", ans, ok)
			}
		})
	}
}

// TestServeAnswersOnce: a press is answered exactly once, by whoever answers first: the
// handler, or the router after it (nothing, the error alert, the out-of-date alert).
func TestServeAnswersOnce(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name    string
		h       tgui.Handler
		want    telegramtest.CallbackAnswer
		wantErr error
	}{
		{"nothing to say", func(context.Context, *tgui.Press) error { return nil }, telegramtest.CallbackAnswer{}, nil},
		{"the handler answers", func(ctx context.Context, p *tgui.Press) error { return p.Answer(ctx, "done", false) },
			telegramtest.CallbackAnswer{Text: "done"}, nil},
		{"the handler answers, then fails", func(ctx context.Context, p *tgui.Press) error {
			_ = p.Answer(ctx, "refused", true)
			return boom
		}, telegramtest.CallbackAnswer{Text: "refused", ShowAlert: true}, boom},
		{"the handler fails", func(context.Context, *tgui.Press) error { return boom },
			telegramtest.CallbackAnswer{Text: "Something went wrong. Please try again a little later.", ShowAlert: true}, boom},
		{"the handler knows no such thing", func(context.Context, *tgui.Press) error { return tgui.ErrUnknown },
			telegramtest.CallbackAnswer{Text: "This button is out of date. Open the menu: /start", ShowAlert: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, api := setup(t)
			var r tgui.Router
			r.Handle("x", tc.h)
			m := srv.SendText(ann, "hi")
			id, err := srv.ForgeCallback(ann, m, "x")
			if err != nil {
				t.Fatal(err)
			}
			cb := &telego.CallbackQuery{ID: id, From: telego.User{ID: ann.ID, LanguageCode: "en"}, Data: "x"}
			if err := r.Serve(t.Context(), tgui.NewPress(api, cb)); !errors.Is(err, tc.wantErr) {
				t.Fatalf("Serve = %v, want %v", err, tc.wantErr)
			}
			if n := len(srv.Calls("answerCallbackQuery")); n != 1 {
				t.Fatalf("answered %d times", n)
			}
			got, _ := srv.CallbackAnswer(id)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScreenShow: a screen without a message to edit sends one; with one it edits it, and
// editing it into what it already shows is no error.
func TestScreenShow(t *testing.T) {
	srv, api := setup(t)
	ctx := t.Context()
	kb := tgui.Rows(tgui.Row(tgui.Button("A", "a"), tgui.Button("B", "b")), tgui.Row(tgui.URLButton("site", "https://draws.test")))
	if err := tgui.Send(ctx, api, ann.ID, "first", kb); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages(ann.ID)
	sent := msgs[len(msgs)-1]
	s := tgui.Screen{API: api, ChatID: ann.ID, EditID: int(sent.MessageID)}
	for range 2 { // the second edit changes nothing: Telegram says "not modified"
		if err := s.Show(ctx, "second", nil); err != nil {
			t.Fatal(err)
		}
	}
	msgs = srv.Messages(ann.ID)
	if got := msgs[len(msgs)-1]; got.MessageID != sent.MessageID || got.Text != "second" || got.ReplyMarkup != nil {
		t.Fatalf("edited message %+v", got)
	}
	if err := (tgui.Screen{API: api, ChatID: ann.ID, EditID: 999_999}).Show(ctx, "third", nil); err == nil {
		t.Fatal("editing a message that does not exist succeeded")
	}
	if v := srv.Violations(); len(v) > 0 {
		t.Fatalf("spec violations: %v", v)
	}
}

func TestGridAndTruncate(t *testing.T) {
	b := func(s string) telego.InlineKeyboardButton { return tgui.Button(s, s) }
	got := tgui.Grid(2, []telego.InlineKeyboardButton{b("1"), b("2"), b("3")})
	if diff := cmp.Diff([][]telego.InlineKeyboardButton{{b("1"), b("2")}, {b("3")}}, got); diff != "" {
		t.Fatalf("grid (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{{"Весна", 5, "Весна"}, {"Весна 2026", 6, "Весна…"}, {"", 3, ""}} {
		if got := tgui.Truncate(tc.in, tc.n); got != tc.want {
			t.Fatalf("Truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestData(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		args    []any
		want    string
	}{
		{"menu", nil, "menu"},
		{"draw:{id:id}", []any{int64(42)}, "draw:42"},
		{"adm:ppl:{id:id}:{page:int}", []any{int64(7), 0}, "adm:ppl:7:0"},
		{"gift:pick:{gift}", []any{"5168103777563050263"}, "gift:pick:5168103777563050263"},
	} {
		if got := tgui.Data(tc.pattern, tc.args...); got != tc.want {
			t.Fatalf("Data(%q, %v) = %q, want %q", tc.pattern, tc.args, got, tc.want)
		}
	}
}

package main

import (
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/fairdraw/fairdraw/internal/telegram"
	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

func TestMiniAppMenuButton(t *testing.T) {
	for _, tc := range []struct {
		name, publicURL string
		set             bool
	}{
		{"https public URL opens the Mini App", "https://draws.example", true},
		{"http public URL keeps the commands menu", "http://127.0.0.1:8080", false},
		{"no public URL", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := telegramtest.NewServer(t, telegramtest.Config{})
			api, err := telegram.NewBot(tg.Token(), tg.URL(), &http.Client{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			set, err := setMiniAppButton(t.Context(), api, tc.publicURL)
			if err != nil || set != tc.set {
				t.Fatalf("set=%v err=%v", set, err)
			}
			b, ok := tg.MenuButton(0)
			if ok != tc.set {
				t.Fatalf("menu button set: %v %+v", ok, b)
			}
			if tc.set && (b.Type != "web_app" || b.WebApp == nil || b.WebApp.URL != tc.publicURL+"/app" || b.Text == "") {
				t.Fatalf("menu button %+v", b)
			}
		})
	}
}

package sandbox

import (
	_ "embed"
	"net/http"
)

// pageHTML is the chat page; it renders the state it receives by server-sent events and posts
// each action back.
//
//go:embed page.html
var pageHTML []byte

func (c *Chat) page(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(pageHTML)
}

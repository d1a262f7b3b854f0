package tgui

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/fairdraw/fairdraw/internal/i18n"
)

// MaxData is the most bytes of callback data Telegram keeps in a button.
const MaxData = 64

// Press is one button press being handled: the callback query, the values of its route's
// placeholders, and the screen the answer goes to (the message the button was under, or the
// presser's own chat when that message can no longer be edited). It is answered once: the
// first Answer counts, later ones do nothing.
type Press struct {
	*telego.CallbackQuery
	Screen Screen

	api      *telego.Bot
	args     map[string]string
	ints     map[string]int64
	answered bool
}

// NewPress returns the press of cb.
func NewPress(api *telego.Bot, cb *telego.CallbackQuery) *Press {
	s := Screen{API: api, ChatID: cb.From.ID}
	if cb.Message != nil && cb.Message.IsAccessible() {
		s.ChatID, s.EditID = cb.Message.GetChat().ID, cb.Message.GetMessageID()
	}
	return &Press{CallbackQuery: cb, Screen: s, api: api}
}

// Lang is the language to answer the presser in.
func (p *Press) Lang() string { return i18n.Lang(p.From.LanguageCode) }

// Answer answers the press with text (shortened to what Telegram shows; "" for none), as a
// dialog the user closes when alert, else as a note that fades. Only the first call answers.
func (p *Press) Answer(ctx context.Context, text string, alert bool) error {
	if p.answered {
		return nil
	}
	p.answered = true
	err := p.api.AnswerCallbackQuery(ctx, &telego.AnswerCallbackQueryParams{CallbackQueryID: p.ID, Text: Truncate(text, MaxAnswer), ShowAlert: alert})
	if err != nil {
		return fmt.Errorf("tgui: answer button: %w", err)
	}
	return nil
}

// Answered reports whether the press has been answered.
func (p *Press) Answered() bool { return p.answered }

// Int is the number a route's {name:int} or {name:id} placeholder matched.
func (p *Press) Int(name string) int64 { return p.ints[name] }

// Text is what a route's {name} or {name...} placeholder matched.
func (p *Press) Text(name string) string { return p.args[name] }

// Handler handles a press. It may answer the press itself; when it does not, a nil error is
// answered with nothing (the new screen says it all) and any other error with the "something
// went wrong" alert. ErrUnknown answers the press as an out-of-date button.
type Handler func(ctx context.Context, p *Press) error

// ErrUnknown is a handler's way to say the data it matched names nothing that exists (a
// currency, a setting, a gift): the press is answered as an out-of-date button, like data that
// matches no route.
var ErrUnknown = errors.New("tgui: unknown button")

// Router dispatches button presses by their callback data to the handler of the pattern the
// data matches. Registering every button in one table makes the table the documentation of the
// buttons, and parses every id in one place.
//
// A pattern is segments separated by ":": a literal segment matches itself; a placeholder
// matches one segment and names it:
//
//	{name}      any non-empty text without ":"
//	{name:int}  a whole number 0 or more (digits only), read with Press.Int
//	{name:id}   a whole number 1 or more: an id
//	{name...}   the rest of the data, ":" included, possibly empty (last segment only)
//
// Routes are tried in the order they were added; data no route matches, or whose numbers do
// not parse, is answered as an out-of-date button (after OnUnknown).
type Router struct {
	routes []route
	// OnUnknown, if set, hears of every press answered as an out-of-date button, to log or
	// count it.
	OnUnknown func(ctx context.Context, p *Press)
}

type route struct {
	pattern string
	segs    []segment
	h       Handler
}

type segment struct {
	literal string
	name    string
	kind    string // "" (literal), "text", "int", "id", "rest"
}

// Handle adds the route pattern -> h. It panics on a malformed pattern: the table is fixed at
// start-up.
func (r *Router) Handle(pattern string, h Handler) {
	r.routes = append(r.routes, route{pattern: pattern, segs: parsePattern(pattern), h: h})
}

func parsePattern(pattern string) []segment {
	parts := strings.Split(pattern, ":")
	var segs []segment
	for i := 0; i < len(parts); i++ {
		part := parts[i]
		if !strings.HasPrefix(part, "{") {
			if strings.ContainsAny(part, "{}") {
				panic(fmt.Sprintf("tgui: pattern %q: bad segment %q", pattern, part))
			}
			segs = append(segs, segment{literal: part})
			continue
		}
		// A typed placeholder spans two parts: "{id" and "int}".
		name, kind := strings.TrimPrefix(part, "{"), "text"
		if !strings.HasSuffix(name, "}") && i+1 < len(parts) {
			i++
			kind = strings.TrimSuffix(parts[i], "}")
			if kind != "int" && kind != "id" || !strings.HasSuffix(parts[i], "}") {
				panic(fmt.Sprintf("tgui: pattern %q: bad placeholder type %q", pattern, parts[i]))
			}
		} else {
			name = strings.TrimSuffix(name, "}")
		}
		if n, ok := strings.CutSuffix(name, "..."); ok {
			if i != len(parts)-1 {
				panic(fmt.Sprintf("tgui: pattern %q: {%s} must be last", pattern, name))
			}
			name, kind = n, "rest"
		}
		if name == "" || strings.ContainsAny(name, "{}") {
			panic(fmt.Sprintf("tgui: pattern %q: bad placeholder", pattern))
		}
		segs = append(segs, segment{name: name, kind: kind})
	}
	return segs
}

// match reports whether data matches the route, with the placeholders' values.
func (rt route) match(data string) (map[string]string, map[string]int64, bool) {
	parts := strings.Split(data, ":")
	last := rt.segs[len(rt.segs)-1]
	if len(parts) < len(rt.segs) || (last.kind != "rest" && len(parts) != len(rt.segs)) {
		return nil, nil, false
	}
	args, ints := map[string]string{}, map[string]int64{}
	for i, s := range rt.segs {
		v := parts[i]
		switch s.kind {
		case "":
			if v != s.literal {
				return nil, nil, false
			}
		case "rest":
			args[s.name] = strings.Join(parts[i:], ":")
		case "text":
			if v == "" {
				return nil, nil, false
			}
			args[s.name] = v
		case "int", "id":
			n, ok := number(v)
			if !ok || (s.kind == "id" && n == 0) {
				return nil, nil, false
			}
			args[s.name], ints[s.name] = v, n
		}
	}
	return args, ints, true
}

// number reads digits only: no sign, no spaces, no leading "+".
func number(v string) (int64, bool) {
	if v == "" || strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// Serve runs the handler of the route p's data matches and answers the press exactly once:
// with whatever the handler answered; else, for unknown data or ErrUnknown, as an out-of-date
// button; for another error, with the "something went wrong" alert, returning the error; else
// with nothing.
func (r *Router) Serve(ctx context.Context, p *Press) error {
	err := ErrUnknown
	for _, rt := range r.routes {
		if args, ints, ok := rt.match(p.Data); ok {
			p.args, p.ints = args, ints
			err = rt.h(ctx, p)
			break
		}
	}
	switch {
	case errors.Is(err, ErrUnknown):
		if r.OnUnknown != nil && !p.answered {
			r.OnUnknown(ctx, p)
		}
		return p.Answer(ctx, i18n.T(p.Lang(), "error.unknown_button"), true)
	case err != nil:
		_ = p.Answer(context.WithoutCancel(ctx), i18n.T(p.Lang(), "error.internal"), true)
		return err
	}
	return p.Answer(ctx, "", false)
}

// Data is the callback data of a button for pattern, its placeholders filled with args in
// order. It panics when the number of args is wrong (a bug in a fixed table). Whether the
// data fits Telegram's MaxData bytes is for the pattern's owner to keep (each table has a
// test filling its patterns with the longest values).
func Data(pattern string, args ...any) string {
	segs := parsePattern(pattern)
	out := make([]string, 0, len(segs))
	n := 0
	for _, s := range segs {
		if s.kind == "" {
			out = append(out, s.literal)
			continue
		}
		if n == len(args) {
			panic(fmt.Sprintf("tgui: data of %q: too few values", pattern))
		}
		out = append(out, fmt.Sprint(args[n]))
		n++
	}
	if n != len(args) {
		panic(fmt.Sprintf("tgui: data of %q: too many values", pattern))
	}
	return strings.Join(out, ":")
}

package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/i18n"
	"github.com/fairdraw/fairdraw/internal/raffle"
)

//go:embed templates/*.html
var templates embed.FS

// Draws is what the public pages read.
type Draws interface {
	List(ctx context.Context) ([]raffle.Draw, error)
	Get(ctx context.Context, id int64) (raffle.Draw, error)
	Proof(ctx context.Context, id int64) (fairness.Proof, error)
}

// Public serves the public history of draws and their proofs: GET /, GET /raffles/{id} and
// GET /raffles/{id}/proof.json (the exact bytes `fairdraw verify` checks).
type Public struct {
	draws  Draws
	logger *slog.Logger
	tmpl   *template.Template
	keys   fairness.Keys
}

// NewPublic returns the public pages.
func NewPublic(draws Draws, logger *slog.Logger) *Public {
	funcs := template.FuncMap{
		"money":  func(amount int64, cur string) string { return i18n.Money(i18n.RU, amount, cur) },
		"when":   func(d raffle.Draw) string { return i18n.FormatTime(i18n.RU, d.Deadline) },
		"status": func(s string) string { return i18n.T(i18n.RU, "status."+s) },
		"inc":    func(i int) int { return i + 1 },
	}
	return &Public{draws: draws, logger: logger, tmpl: template.Must(template.New("").Funcs(funcs).ParseFS(templates, "templates/*.html")), keys: fairness.DefaultKeys()}
}

// drawID reads the {id} of a draw route; false (after a 404) when it is not a draw id.
func drawID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		http.NotFound(w, r)
		return 0, false
	}
	return id, true
}

// Index serves GET /: every draw, newest first.
func (p *Public) Index(w http.ResponseWriter, r *http.Request) {
	list, err := p.draws.List(r.Context())
	if err != nil {
		p.fail(w, err)
		return
	}
	// Newest first.
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	p.render(w, "index.html", map[string]any{"Draws": list})
}

// Page serves GET /raffles/{id}: the draw, its winners and its proof checked on the server.
func (p *Public) Page(w http.ResponseWriter, r *http.Request) {
	id, ok := drawID(w, r)
	if !ok {
		return
	}
	d, err := p.draws.Get(r.Context(), id)
	if errors.Is(err, raffle.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		p.fail(w, err)
		return
	}
	data := map[string]any{"Draw": d}
	if proof, err := p.draws.Proof(r.Context(), id); err == nil {
		data["Proof"] = proof
		data["Verified"] = fairness.VerifyProof(proof, p.keys) == nil
	} else if !errors.Is(err, raffle.ErrNotDrawn) {
		p.fail(w, err)
		return
	}
	p.render(w, "draw.html", data)
}

// ProofJSON serves GET /raffles/{id}/proof.json: the exact bytes `fairdraw verify` checks.
func (p *Public) ProofJSON(w http.ResponseWriter, r *http.Request) {
	id, ok := drawID(w, r)
	if !ok {
		return
	}
	proof, err := p.draws.Proof(r.Context(), id)
	switch {
	case errors.Is(err, raffle.ErrNotFound):
		http.NotFound(w, r)
		return
	case errors.Is(err, raffle.ErrNotDrawn):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "this draw has no result yet"})
		return
	case err != nil:
		p.fail(w, err)
		return
	}
	b, err := fairness.MarshalProof(proof)
	if err != nil {
		p.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", "inline; filename=\"proof-"+strconv.FormatInt(id, 10)+".json\"")
	_, _ = w.Write(b)
}

func (p *Public) render(w http.ResponseWriter, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := p.tmpl.ExecuteTemplate(w, name, data); err != nil {
		p.logger.Error("render page", slog.String("page", name), slog.Any("error", err))
	}
}

func (p *Public) fail(w http.ResponseWriter, err error) {
	p.logger.Error("public page", slog.Any("error", err))
	http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
}

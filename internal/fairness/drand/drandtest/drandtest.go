package drandtest

import (
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/fairdraw/fairdraw/internal/fairness/drand"
)

//go:embed testdata/beacons.json
var beaconsJSON []byte

// Recorded returns the real quicknet beacons recorded in testdata, in file
// order.
func Recorded() ([]drand.Beacon, error) {
	var f struct {
		Quicknet struct {
			Beacons []drand.Beacon `json:"beacons"`
		} `json:"quicknet"`
	}
	if err := json.Unmarshal(beaconsJSON, &f); err != nil {
		return nil, fmt.Errorf("drandtest: decode recorded beacons: %w", err)
	}
	return f.Quicknet.Beacons, nil
}

// Server is a fake drand relay. Create it with NewServer; it stops when the
// test ends.
type Server struct {
	// URL is the base URL to put in drand.Client.URL.
	URL string

	chain drand.Chain
	srv   *httptest.Server

	mu          sync.Mutex
	beacons     map[uint64]drand.Beacon
	latest      uint64
	failNext    int
	failStatus  int
	corruptNext int
	notYetCode  int
	calls       int
}

// NewServer starts a fake relay serving the recorded quicknet beacons. Its
// latest round is the highest recorded one.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s, err := Start()
	if err != nil {
		t.Fatalf("drandtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts the fake relay outside a test (the sandbox runs one for as
// long as it serves). Close stops it.
func Start() (*Server, error) {
	recorded, err := Recorded()
	if err != nil {
		return nil, err
	}
	s := &Server{
		chain:      drand.Quicknet(),
		beacons:    make(map[uint64]drand.Beacon),
		notYetCode: http.StatusTooEarly,
	}
	for _, b := range recorded {
		s.beacons[b.Round] = b
		s.latest = max(s.latest, b.Round)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{chain}/info", s.info)
	mux.HandleFunc("GET /{chain}/public/{round}", s.public)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	return s, nil
}

// Close stops the server; it is idempotent.
func (s *Server) Close() { s.srv.Close() }

// Chain returns the chain the fake serves (quicknet).
func (s *Server) Chain() drand.Chain { return s.chain }

// SetLatest sets the latest published round: later rounds answer "not yet".
func (s *Server) SetLatest(round uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latest = round
}

// NotYetStatus sets the HTTP status used for rounds not yet published:
// 425 (the default) or 404, as older relays answer.
func (s *Server) NotYetStatus(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notYetCode = code
}

// FailNext makes the next n beacon requests answer with status (e.g. 503).
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failStatus = n, status
}

// CorruptNext makes the next n beacons served carry a signature with one
// flipped bit (and the matching randomness), as a lying relay would.
func (s *Server) CorruptNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corruptNext = n
}

// Calls reports how many beacon requests the fake received.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("chain") != s.chain.Hash {
		http.Error(w, "unknown chain", http.StatusNotFound)
		return
	}
	writeJSON(w, map[string]any{
		"public_key":   hex.EncodeToString(s.chain.PublicKey),
		"period":       int(s.chain.Period.Seconds()),
		"genesis_time": s.chain.Genesis.Unix(),
		"hash":         s.chain.Hash,
		"schemeID":     s.chain.Scheme,
		"metadata":     map[string]string{"beaconID": "quicknet"},
	})
}

func (s *Server) public(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if r.PathValue("chain") != s.chain.Hash {
		http.Error(w, "unknown chain", http.StatusNotFound)
		return
	}
	if s.failNext > 0 {
		s.failNext--
		http.Error(w, http.StatusText(s.failStatus), s.failStatus)
		return
	}
	var round uint64
	if v := r.PathValue("round"); v == "latest" {
		round = s.latest
	} else {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			http.Error(w, "bad round", http.StatusBadRequest)
			return
		}
		round = n
	}
	if round > s.latest {
		http.Error(w, "round not yet available", s.notYetCode)
		return
	}
	b, ok := s.beacons[round]
	if !ok {
		http.Error(w, fmt.Sprintf("drandtest: round %d was not recorded", round), http.StatusInternalServerError)
		return
	}
	if s.corruptNext > 0 {
		s.corruptNext--
		sig := append([]byte(nil), b.Signature...)
		sig[len(sig)-1] ^= 1
		b = drand.Beacon{Round: b.Round, Signature: sig, Randomness: drand.Randomness(sig)}
	}
	writeJSON(w, b)
}

func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

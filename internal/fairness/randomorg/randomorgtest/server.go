package randomorgtest

import (
	"bytes"
	"crypto"
	crand "crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
)

// testKeyPEM is a PKCS#8 RSA-4096 private key generated for these tests
// only (openssl genpkey). It signs the fake's results; nothing outside tests
// may trust it.
//
//go:embed testkey-rsa4096.pem
var testKeyPEM []byte

// API keys the fake accepts. TestAPIKey is RANDOM.ORG's documented all-zero
// demo key, whose hash appears in the API manual.
const (
	TestAPIKey  = "00000000-0000-0000-0000-000000000000"
	OtherAPIKey = "11111111-1111-1111-1111-111111111111"
)

// DeveloperLicenseText is the license text of a developer key, as seen in a
// real Release 4 result.
const DeveloperLicenseText = "Random values licensed strictly for development and testing only"

const timeLayout = "2006-01-02 15:04:05Z"

// Server is a fake RANDOM.ORG endpoint. Create it with NewServer; it stops
// when the test ends. All knobs are safe to call while requests run.
type Server struct {
	// URL is the endpoint to put in randomorg.Config.URL.
	URL string

	key *rsa.PrivateKey
	srv *httptest.Server

	mu             sync.Mutex
	rng            *rand.Rand
	now            func() time.Time
	tickets        map[string]*ticket
	serial         int64
	calls          map[string]int
	failHTTP       int
	failHTTPStatus int
	failRPC        int
	failRPCCode    int
	failRPCMsg     string
	lose           int
	advisory       time.Duration
	corrupt        bool
	forced         []int
}

type ticket struct {
	id      string
	owner   string
	show    bool
	created time.Time
	used    *time.Time
	serial  int64
	result  json.RawMessage // the whole result member that consumed it
}

// NewServer starts a fake endpoint whose random numbers repeat from run to run.
func NewServer(t testing.TB) *Server {
	t.Helper()
	s, err := Start(1)
	if err != nil {
		t.Fatalf("randomorgtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake endpoint outside a test (the sandbox runs one for as long as it serves);
// seed seeds its random numbers. Close stops it.
func Start(seed uint64) (*Server, error) {
	key, err := loadKey()
	if err != nil {
		return nil, err
	}
	s := &Server{
		key:     key,
		rng:     rand.New(rand.NewPCG(seed, 2)),
		now:     func() time.Time { return time.Now().UTC() },
		tickets: make(map[string]*ticket),
		calls:   make(map[string]int),
		serial:  1000,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	s.URL = s.srv.URL
	return s, nil
}

// Close stops the server; it is idempotent.
func (s *Server) Close() { s.srv.Close() }

func loadKey() (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(testKeyPEM)
	if block == nil {
		return nil, fmt.Errorf("test key: no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("test key: %w", err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("test key: %T is not RSA", k)
	}
	return rk, nil
}

// PublicKey returns the key the fake signs with.
func (s *Server) PublicKey() *rsa.PublicKey { return &s.key.PublicKey }

// PublicKeyPEM returns PublicKey as a PEM SubjectPublicKeyInfo.
func (s *Server) PublicKeyPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(&s.key.PublicKey)
	if err != nil {
		panic("randomorgtest: marshal public key: " + err.Error())
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// FailNextHTTP makes the next n requests answer with HTTP status (e.g. 503)
// and a plain-text body, before any processing.
func (s *Server) FailNextHTTP(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failHTTP, s.failHTTPStatus = n, status
}

// FailNextRPC makes the next n requests answer with a JSON-RPC error, before
// any processing.
func (s *Server) FailNextRPC(n, code int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failRPC, s.failRPCCode, s.failRPCMsg = n, code, message
}

// LoseNextResponses makes the next n requests be processed in full (a ticket
// is consumed, a serial number spent) and then answered with HTTP 502, as
// when a response is lost on the way back.
func (s *Server) LoseNextResponses(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lose = n
}

// SetAdvisoryDelay sets the advisoryDelay returned with signed results.
func (s *Server) SetAdvisoryDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advisory = d
}

// CorruptSignatures makes the fake flip one bit of every signature it
// returns from now on (or stop doing so).
func (s *Server) CorruptSignatures(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.corrupt = on
}

// ForceData makes the next generateSignedIntegers return data (which must
// fit the request; the fake does not check it) instead of random values.
func (s *Server) ForceData(data []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forced = append([]int(nil), data...)
}

// SetNow sets the fake's clock for creationTime, usedTime and completionTime.
func (s *Server) SetNow(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.now = now
}

// Calls reports how many requests for method the fake received, failed
// ones included.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

type rpcRequest struct {
	JSONRPC string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	ID      json.RawMessage `json:"id"`
}

type rpcError struct {
	Code    int             `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()

	var req rpcRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, nil, randomorg.CodeParseError, "Parse error")
		return
	}
	s.calls[req.Method]++
	if s.failHTTP > 0 {
		s.failHTTP--
		http.Error(w, http.StatusText(s.failHTTPStatus), s.failHTTPStatus)
		return
	}
	if s.failRPC > 0 {
		s.failRPC--
		writeError(w, req.ID, s.failRPCCode, s.failRPCMsg)
		return
	}
	if req.JSONRPC != "2.0" || req.Method == "" || len(req.ID) == 0 {
		writeError(w, req.ID, randomorg.CodeInvalidRequest, "Invalid Request")
		return
	}
	var result any
	var rerr *rpcError
	switch req.Method {
	case "createTickets":
		result, rerr = s.createTickets(req.Params)
	case "generateSignedIntegers":
		result, rerr = s.generateSignedIntegers(req.Params)
	case "getTicket":
		result, rerr = s.getTicket(req.Params)
	default:
		rerr = &rpcError{Code: randomorg.CodeMethodNotFound, Message: "Method not found"}
	}
	if s.lose > 0 {
		s.lose--
		http.Error(w, http.StatusText(http.StatusBadGateway), http.StatusBadGateway)
		return
	}
	if rerr != nil {
		writeError(w, req.ID, rerr.Code, rerr.Message)
		return
	}
	writeJSON(w, struct {
		JSONRPC string          `json:"jsonrpc"`
		Result  any             `json:"result"`
		ID      json.RawMessage `json:"id"`
	}{"2.0", result, req.ID})
}

func invalidParams() *rpcError {
	return &rpcError{Code: randomorg.CodeInvalidParams, Message: "Invalid params"}
}

func (s *Server) checkKey(key string) *rpcError {
	if key != TestAPIKey && key != OtherAPIKey {
		return &rpcError{Code: randomorg.CodeKeyNotExist, Message: "The API key you specified does not exist"}
	}
	return nil
}

func (s *Server) createTickets(raw json.RawMessage) (any, *rpcError) {
	var p struct {
		APIKey     string `json:"apiKey"`
		N          int    `json:"n"`
		ShowResult bool   `json:"showResult"`
	}
	if err := json.Unmarshal(raw, &p); err != nil || p.N < 1 || p.N > 50 {
		return nil, invalidParams()
	}
	if e := s.checkKey(p.APIKey); e != nil {
		return nil, e
	}
	type created struct {
		TicketID         string  `json:"ticketId"`
		CreationTime     string  `json:"creationTime"`
		PreviousTicketID *string `json:"previousTicketId"`
		NextTicketID     *string `json:"nextTicketId"`
	}
	out := make([]created, 0, p.N)
	for range p.N {
		t := &ticket{id: fmt.Sprintf("%016x", s.rng.Uint64()), owner: p.APIKey, show: p.ShowResult, created: s.now()}
		s.tickets[t.id] = t
		out = append(out, created{TicketID: t.id, CreationTime: t.created.Format(timeLayout)})
	}
	return out, nil
}

// randomJSON is a Release 4 generateSignedIntegers random object; member
// order is the API's (research fairness.md §1.2) and matters for the signature.
type randomJSON struct {
	Method                    string          `json:"method"`
	HashedAPIKey              string          `json:"hashedApiKey"`
	N                         int             `json:"n"`
	Min                       int             `json:"min"`
	Max                       int             `json:"max"`
	Replacement               bool            `json:"replacement"`
	Base                      int             `json:"base"`
	PregeneratedRandomization json.RawMessage `json:"pregeneratedRandomization"`
	Data                      []int           `json:"data"`
	License                   licenseJSON     `json:"license"`
	LicenseData               json.RawMessage `json:"licenseData"`
	UserData                  json.RawMessage `json:"userData"`
	TicketData                *ticketDataJSON `json:"ticketData"`
	CompletionTime            string          `json:"completionTime"`
	SerialNumber              int64           `json:"serialNumber"`
}

type licenseJSON struct {
	Type    string  `json:"type"`
	Text    string  `json:"text"`
	InfoURL *string `json:"infoUrl"`
}

type ticketDataJSON struct {
	TicketID         string  `json:"ticketId"`
	PreviousTicketID *string `json:"previousTicketId"`
	NextTicketID     *string `json:"nextTicketId"`
}

type signedResultJSON struct {
	Random        json.RawMessage `json:"random"`
	Signature     string          `json:"signature"`
	BitsUsed      int64           `json:"bitsUsed"`
	BitsLeft      int64           `json:"bitsLeft"`
	RequestsLeft  int64           `json:"requestsLeft"`
	AdvisoryDelay int64           `json:"advisoryDelay"`
}

func (s *Server) generateSignedIntegers(raw json.RawMessage) (any, *rpcError) {
	var p struct {
		APIKey                    string          `json:"apiKey"`
		N                         int             `json:"n"`
		Min                       *int            `json:"min"`
		Max                       *int            `json:"max"`
		Replacement               *bool           `json:"replacement"`
		Base                      *int            `json:"base"`
		PregeneratedRandomization json.RawMessage `json:"pregeneratedRandomization"`
		LicenseData               json.RawMessage `json:"licenseData"`
		UserData                  json.RawMessage `json:"userData"`
		TicketID                  *string         `json:"ticketId"`
	}
	if err := json.Unmarshal(raw, &p); err != nil || p.Min == nil || p.Max == nil {
		return nil, invalidParams()
	}
	if e := s.checkKey(p.APIKey); e != nil {
		return nil, e
	}
	replacement := p.Replacement == nil || *p.Replacement
	// RANDOM.ORG answers range errors with its own codes (2xx/3xx) whose
	// exact numbers and wording are not confirmed; the fake uses -32602.
	switch {
	case p.N < 1 || p.N > randomorg.MaxN, *p.Min > *p.Max,
		*p.Min < -randomorg.MaxAbsValue, *p.Max > randomorg.MaxAbsValue,
		p.Base != nil && *p.Base != 10,
		!replacement && p.N > *p.Max-*p.Min+1,
		len(p.UserData) > randomorg.MaxUserDataLen:
		return nil, invalidParams()
	}
	var t *ticket
	if p.TicketID != nil {
		t = s.tickets[*p.TicketID]
		switch {
		case t == nil:
			return nil, &rpcError{Code: randomorg.CodeTicketNotExist, Message: "The ticket you specified does not exist"}
		case t.owner != p.APIKey:
			return nil, &rpcError{Code: randomorg.CodeTicketKeyMismatch, Message: "The ticket you specified exists but is not for the API key you specified"}
		case t.used != nil:
			return nil, &rpcError{Code: randomorg.CodeTicketUsed, Message: "The ticket you specified has already been used"}
		}
	}
	data := s.forced
	s.forced = nil
	if data == nil {
		data = s.draw(p.N, *p.Min, *p.Max, replacement)
	}
	s.serial++
	now := s.now()
	obj := randomJSON{
		Method:                    randomorg.MethodSignedIntegers,
		HashedAPIKey:              randomorg.HashAPIKey(p.APIKey),
		N:                         p.N,
		Min:                       *p.Min,
		Max:                       *p.Max,
		Replacement:               replacement,
		Base:                      10,
		PregeneratedRandomization: compactOrNull(p.PregeneratedRandomization),
		Data:                      data,
		License:                   licenseJSON{Type: "developer", Text: DeveloperLicenseText},
		LicenseData:               compactOrNull(p.LicenseData),
		UserData:                  compactOrNull(p.UserData),
		CompletionTime:            now.Format(timeLayout),
		SerialNumber:              s.serial,
	}
	if t != nil {
		obj.TicketData = &ticketDataJSON{TicketID: t.id}
	}
	random, err := marshalCompact(obj)
	if err != nil {
		return nil, &rpcError{Code: randomorg.CodeInternalError, Message: "Internal error"}
	}
	sig, err := s.sign(random)
	if err != nil {
		return nil, &rpcError{Code: randomorg.CodeInternalError, Message: "Internal error"}
	}
	res := signedResultJSON{
		Random:        random,
		Signature:     sig,
		BitsUsed:      int64(p.N) * 32,
		BitsLeft:      250000,
		RequestsLeft:  1000,
		AdvisoryDelay: s.advisory.Milliseconds(),
	}
	if t != nil {
		t.used = &now
		t.serial = s.serial
		if t.result, err = marshalCompact(res); err != nil {
			return nil, &rpcError{Code: randomorg.CodeInternalError, Message: "Internal error"}
		}
	}
	return res, nil
}

func (s *Server) getTicket(raw json.RawMessage) (any, *rpcError) {
	var p struct {
		TicketID string `json:"ticketId"`
	}
	if err := json.Unmarshal(raw, &p); err != nil || p.TicketID == "" {
		return nil, invalidParams()
	}
	t := s.tickets[p.TicketID]
	if t == nil {
		return nil, &rpcError{Code: randomorg.CodeTicketNotExist, Message: "The ticket you specified does not exist"}
	}
	out := struct {
		TicketID         string          `json:"ticketId"`
		HashedAPIKey     string          `json:"hashedApiKey"`
		ShowResult       bool            `json:"showResult"`
		CreationTime     string          `json:"creationTime"`
		UsedTime         *string         `json:"usedTime"`
		SerialNumber     *int64          `json:"serialNumber"`
		ExpirationTime   *string         `json:"expirationTime"`
		PreviousTicketID *string         `json:"previousTicketId"`
		NextTicketID     *string         `json:"nextTicketId"`
		Result           json.RawMessage `json:"result,omitempty"`
	}{
		TicketID:     t.id,
		HashedAPIKey: randomorg.HashAPIKey(t.owner),
		ShowResult:   t.show,
		CreationTime: t.created.Format(timeLayout),
	}
	if t.used != nil {
		used := t.used.Format(timeLayout)
		serial := t.serial
		out.UsedTime, out.SerialNumber = &used, &serial
		if t.show {
			out.Result = t.result
		}
	}
	return out, nil
}

// draw picks n integers in [lo, hi] with the fake's deterministic generator.
func (s *Server) draw(n, lo, hi int, replacement bool) []int {
	span := hi - lo + 1
	out := make([]int, n)
	if replacement {
		for i := range out {
			out[i] = lo + s.rng.IntN(span)
		}
		return out
	}
	swapped := make(map[int]int)
	at := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	for i := range out {
		j := i + s.rng.IntN(span-i)
		vi, vj := at(i), at(j)
		swapped[i], swapped[j] = vj, vi
		out[i] = lo + vj
	}
	return out
}

func (s *Server) sign(random []byte) (string, error) {
	digest := sha512.Sum512(random)
	sig, err := rsa.SignPKCS1v15(crand.Reader, s.key, crypto.SHA512, digest[:])
	if err != nil {
		return "", err
	}
	if s.corrupt {
		sig[len(sig)/2] ^= 0x01
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// marshalCompact encodes v compactly without HTML escaping and without the
// encoder's trailing newline, as RANDOM.ORG serialises.
func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func compactOrNull(raw json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage("null")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return json.RawMessage("null")
	}
	return buf.Bytes()
}

func writeError(w http.ResponseWriter, id json.RawMessage, code int, msg string) {
	if len(id) == 0 {
		id = json.RawMessage("null")
	}
	writeJSON(w, struct {
		JSONRPC string          `json:"jsonrpc"`
		Error   rpcError        `json:"error"`
		ID      json.RawMessage `json:"id"`
	}{"2.0", rpcError{Code: code, Message: msg, Data: json.RawMessage("null")}, id})
}

func writeJSON(w http.ResponseWriter, v any) {
	body, err := marshalCompact(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

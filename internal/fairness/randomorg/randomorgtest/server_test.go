package randomorgtest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg/randomorgtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func post(t *testing.T, url, body string) string {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	return string(data)
}

// TestWireShape pins the fake's bytes: Release 4 member order, compact, and
// JSON-RPC error objects with HTTP 200.
func TestWireShape(t *testing.T) {
	srv := randomorgtest.NewServer(t)
	srv.ForceData([]int{4, 7, 2})
	out := post(t, srv.URL, `{"jsonrpc":"2.0","method":"generateSignedIntegers","params":{"apiKey":"`+randomorgtest.TestAPIKey+
		`","n":3,"min":0,"max":9,"replacement":false,"base":10,"pregeneratedRandomization":null,"licenseData":null,"userData":{"draw": 7, "list":"a/b"},"ticketId":null},"id":5}`)
	var env struct {
		Result struct {
			Random    json.RawMessage `json:"random"`
			Signature string          `json:"signature"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(out), &env); err != nil {
		t.Fatalf("decode: %v", err)
	}
	shape := regexp.MustCompile(`^\{"method":"generateSignedIntegers","hashedApiKey":"[A-Za-z0-9+/=]{88}","n":3,"min":0,"max":9,"replacement":false,"base":10,"pregeneratedRandomization":null,"data":\[4,7,2\],"license":\{"type":"developer","text":"[^"]+","infoUrl":null\},"licenseData":null,"userData":\{"draw":7,"list":"a/b"\},"ticketData":null,"completionTime":"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ","serialNumber":\d+\}$`)
	if !shape.Match(env.Result.Random) {
		t.Fatalf("random object has the wrong shape:\n%s", env.Result.Random)
	}
	if err := randomorg.VerifySignature(srv.PublicKey(), env.Result.Random, env.Result.Signature); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if !regexp.MustCompile(`^\{"jsonrpc":"2.0","result":\{"random":\{.*\},"signature":"[^"]+","bitsUsed":\d+,"bitsLeft":\d+,"requestsLeft":\d+,"advisoryDelay":\d+\},"id":5\}$`).MatchString(out) {
		t.Fatalf("envelope has the wrong shape:\n%s", out)
	}
}

func TestErrorBodies(t *testing.T) {
	srv := randomorgtest.NewServer(t)
	tests := []struct {
		name string
		body string
		want string
	}{
		{"malformed JSON", `{"jsonrpc":`, `{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":null},"id":null}`},
		{"no version", `{"method":"getTicket","params":{"ticketId":"x"},"id":3}`, `{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":null},"id":3}`},
		{"unknown method", `{"jsonrpc":"2.0","method":"fooBar","params":{},"id":4}`, `{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found","data":null},"id":4}`},
		{"bad key", `{"jsonrpc":"2.0","method":"createTickets","params":{"apiKey":"nope","n":1,"showResult":true},"id":6}`, `{"jsonrpc":"2.0","error":{"code":400,"message":"The API key you specified does not exist","data":null},"id":6}`},
		{"unknown ticket", `{"jsonrpc":"2.0","method":"getTicket","params":{"ticketId":"abc"},"id":7}`, `{"jsonrpc":"2.0","error":{"code":420,"message":"The ticket you specified does not exist","data":null},"id":7}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, post(t, srv.URL, tt.body)); diff != "" {
				t.Fatalf("body (-want +got):\n%s", diff)
			}
		})
	}
}

package randomorg_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
)

type vector struct {
	Name            string `json:"name"`
	RandomRaw       string `json:"random_raw"`
	SignatureB64    string `json:"signature_b64"`
	ExpectedValid   bool   `json:"expected_valid"`
	SHA512Hex       string `json:"sha512_of_random_raw_hex"`
	FullResponseRaw string `json:"full_response_raw"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	data, err := os.ReadFile("testdata/signed-results.json")
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	var f struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("decode vectors: %v", err)
	}
	if len(f.Vectors) == 0 {
		t.Fatalf("no vectors")
	}
	return f.Vectors
}

func TestPinnedKey(t *testing.T) {
	pub := randomorg.PublicKey()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	sum := sha256.Sum256(der)
	if got := hex.EncodeToString(sum[:]); got != randomorg.PinnedKeySPKISHA256 {
		t.Fatalf("SPKI sha256 = %s, want %s", got, randomorg.PinnedKeySPKISHA256)
	}
	if pub.N.BitLen() != 4096 || pub.E != 65537 {
		t.Fatalf("key is %d bits, e=%d; want 4096, 65537", pub.N.BitLen(), pub.E)
	}
}

func TestSignedResultVectors(t *testing.T) {
	pub := randomorg.PublicKey()
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			sum := sha512.Sum512([]byte(v.RandomRaw))
			if got := hex.EncodeToString(sum[:]); got != v.SHA512Hex {
				t.Fatalf("sha512 of random_raw = %s, want %s (test data damaged?)", got, v.SHA512Hex)
			}
			err := randomorg.VerifySignature(pub, []byte(v.RandomRaw), v.SignatureB64)
			if v.ExpectedValid && err != nil {
				t.Fatalf("VerifySignature = %v, want nil", err)
			}
			if !v.ExpectedValid && !errors.Is(err, randomorg.ErrBadSignature) {
				t.Fatalf("VerifySignature = %v, want ErrBadSignature", err)
			}
		})
	}
}

// TestFullResponseRawMessage checks the recipe: decode the whole JSON-RPC
// response with random as json.RawMessage and verify those bytes.
func TestFullResponseRawMessage(t *testing.T) {
	var full string
	for _, v := range loadVectors(t) {
		if v.FullResponseRaw != "" {
			full = v.FullResponseRaw
		}
	}
	if full == "" {
		t.Fatalf("no vector with full_response_raw")
	}
	var resp struct {
		Result struct {
			Random    json.RawMessage `json:"random"`
			Signature string          `json:"signature"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(full), &resp); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if err := randomorg.VerifySignature(randomorg.PublicKey(), resp.Result.Random, resp.Result.Signature); err != nil {
		t.Fatalf("VerifySignature over RawMessage = %v", err)
	}
	o, err := randomorg.ParseRandom(resp.Result.Random)
	if err != nil {
		t.Fatalf("ParseRandom: %v", err)
	}
	if o.Method != "generateSignedBlobs" || o.SerialNumber != 213 || o.Data != nil {
		t.Fatalf("parsed %q serial %d data %v; want generateSignedBlobs 213 nil ints", o.Method, o.SerialNumber, o.Data)
	}
}

func TestHashAPIKey(t *testing.T) {
	// The manual example was made with the all-zero demo key.
	const want = "oT3AdLMVZKajz0pgW/8Z+t5sGZkqQSOnAi1aB8Li0tXgWf8LolrgdQ1wn9sKx1ehxhUZmhwUIpAtM8QeRbn51Q=="
	if got := randomorg.HashAPIKey("00000000-0000-0000-0000-000000000000"); got != want {
		t.Fatalf("HashAPIKey(zero key) = %s, want %s", got, want)
	}
}

func TestVerificationURL(t *testing.T) {
	data, err := os.ReadFile("testdata/verification-form-url-example.txt")
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var want string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "https://") {
			want = line
		}
	}
	v := loadVectors(t)[0] // the manual example, serial 79924
	got := randomorg.VerificationURL(json.RawMessage(v.RandomRaw), v.SignatureB64)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("VerificationURL mismatch (-want +got):\n%s", diff)
	}
	if len(got) != 1173 || len(got) > randomorg.MaxVerificationURLLen {
		t.Fatalf("URL length %d, want 1173", len(got))
	}
}

func TestLoadPublicKey(t *testing.T) {
	cert, err := os.ReadFile("testdata/randomorg-tls-cert-2017-2019.pem")
	if err != nil {
		t.Fatalf("read cert: %v", err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("ec key: %v", err)
	}
	ecDER, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil {
		t.Fatalf("marshal ec: %v", err)
	}
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(randomorg.PublicKey())})
	tests := []struct {
		name    string
		pem     []byte
		wantErr bool
	}{
		{"pinned SPKI", randomorg.PinnedKeyPEM(), false},
		{"PKCS#1", pkcs1, false},
		{"RANDOM.ORG certificate", cert, false},
		{"not PEM", []byte("hello"), true},
		{"EC key", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER}), true},
		{"private key block", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), true},
		{"corrupt DER", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1, 2, 3}}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub, err := randomorg.LoadPublicKey(tt.pem)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("LoadPublicKey = nil error, want one")
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadPublicKey: %v", err)
			}
			if !pub.Equal(randomorg.PublicKey()) {
				t.Fatalf("loaded key differs from the pinned key")
			}
		})
	}
}

func TestVerifySignatureErrors(t *testing.T) {
	v := loadVectors(t)[0]
	if err := randomorg.VerifySignature(nil, []byte(v.RandomRaw), v.SignatureB64); err == nil {
		t.Fatalf("nil key: want error")
	}
	if err := randomorg.VerifySignature(randomorg.PublicKey(), []byte(v.RandomRaw), "!!not base64"); !errors.Is(err, randomorg.ErrBadSignature) {
		t.Fatalf("bad base64: got %v, want ErrBadSignature", err)
	}
}

func BenchmarkVerifySignature(b *testing.B) {
	v := loadVectors(b)[1] // Release 4 generateSignedIntegers, serial 489
	pub := randomorg.PublicKey()
	raw := []byte(v.RandomRaw)
	for b.Loop() {
		if err := randomorg.VerifySignature(pub, raw, v.SignatureB64); err != nil {
			b.Fatal(err)
		}
	}
}

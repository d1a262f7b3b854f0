package drand_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/fairdraw/fairdraw/internal/fairness/drand"
	"github.com/fairdraw/fairdraw/internal/fairness/drand/drandtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type vectorFile struct {
	Quicknet struct {
		Info struct {
			PublicKey   string `json:"public_key"`
			Period      int    `json:"period"`
			GenesisTime int64  `json:"genesis_time"`
			Hash        string `json:"hash"`
			SchemeID    string `json:"schemeID"`
		} `json:"info"`
		Beacons  []drand.Beacon `json:"beacons"`
		Negative []struct {
			What      string `json:"what"`
			Round     uint64 `json:"round"`
			Signature string `json:"signature"`
		} `json:"negative"`
	} `json:"quicknet"`
}

func loadVectors(t testing.TB) vectorFile {
	t.Helper()
	data, err := os.ReadFile("drandtest/testdata/beacons.json")
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var f vectorFile
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(f.Quicknet.Beacons) == 0 {
		t.Fatalf("no beacons")
	}
	return f
}

func quicknetKey(t testing.TB) *drand.PublicKey {
	t.Helper()
	pk, err := drand.Quicknet().Key()
	if err != nil {
		t.Fatalf("Key: %v", err)
	}
	return pk
}

func TestQuicknetMatchesChainInfo(t *testing.T) {
	info := loadVectors(t).Quicknet.Info
	q := drand.Quicknet()
	got := []any{q.Hash, hex.EncodeToString(q.PublicKey), q.Genesis.Unix(), q.Period, q.Scheme}
	want := []any{info.Hash, info.PublicKey, info.GenesisTime, time.Duration(info.Period) * time.Second, info.SchemeID}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("quicknet constants differ from chain info (-info +code):\n%s", diff)
	}
}

func TestRecordedBeaconsVerify(t *testing.T) {
	pk := quicknetKey(t)
	for _, b := range loadVectors(t).Quicknet.Beacons {
		t.Run(fmt.Sprintf("round %d", b.Round), func(t *testing.T) {
			if err := b.Verify(pk); err != nil {
				t.Fatalf("round %d: %v", b.Round, err)
			}
			if drand.Randomness(b.Signature) != b.Randomness {
				t.Fatalf("round %d: randomness is not sha256(signature)", b.Round)
			}
			if err := drand.VerifyBeacon(b.Round+1, b.Signature, pk); !errors.Is(err, drand.ErrBadSignature) {
				t.Fatalf("round %d signature accepted for round %d: %v", b.Round, b.Round+1, err)
			}
			flipped := append([]byte(nil), b.Signature...)
			flipped[10] ^= 0x04
			if err := drand.VerifyBeacon(b.Round, flipped, pk); !errors.Is(err, drand.ErrBadSignature) {
				t.Fatalf("round %d: flipped signature: %v", b.Round, err)
			}
			wrongRand := b
			wrongRand.Randomness[0] ^= 1
			if err := wrongRand.Verify(pk); !errors.Is(err, drand.ErrBadSignature) {
				t.Fatalf("round %d: wrong randomness accepted: %v", b.Round, err)
			}
		})
	}
}

func TestNegativeVectors(t *testing.T) {
	pk := quicknetKey(t)
	for _, v := range loadVectors(t).Quicknet.Negative {
		if v.Signature == "" {
			continue // the "every beacon with round+1" note, covered above
		}
		sig, err := hex.DecodeString(v.Signature)
		if err != nil {
			t.Fatalf("%s: %v", v.What, err)
		}
		if err := drand.VerifyBeacon(v.Round, sig, pk); !errors.Is(err, drand.ErrBadSignature) {
			t.Fatalf("%s: got %v, want ErrBadSignature", v.What, err)
		}
	}
	if err := drand.VerifyBeacon(1, make([]byte, 47), pk); !errors.Is(err, drand.ErrBadSignature) {
		t.Fatalf("short signature: %v", err)
	}
	if err := drand.VerifyBeacon(1, make([]byte, 48), nil); err == nil {
		t.Fatalf("nil key accepted")
	}
}

func TestParsePublicKey(t *testing.T) {
	if _, err := drand.ParsePublicKey([]byte{1, 2, 3}); err == nil {
		t.Fatalf("short key accepted")
	}
	bad := drand.Quicknet()
	bad.Scheme = "pedersen-bls-chained"
	if _, err := bad.Key(); err == nil {
		t.Fatalf("other scheme accepted")
	}
}

func TestRoundAt(t *testing.T) {
	genesis := time.Unix(drand.QuicknetGenesisUnix, 0)
	tests := []struct {
		name string
		t    time.Time
		want uint64
	}{
		{"drand gem cross-check midnight", time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC), 27946612},
		{"drand gem cross-check 12:30:45", time.Date(2026, 4, 20, 12, 30, 45, 0, time.UTC), 27961627},
		{"research example 2026-01-01", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 24807412},
		{"genesis", genesis, 1},
		{"just before genesis", genesis.Add(-time.Nanosecond), 0},
		{"end of round 1", genesis.Add(3*time.Second - time.Nanosecond), 1},
		{"start of round 2", genesis.Add(3 * time.Second), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := drand.RoundAt(tt.t); got != tt.want {
				t.Fatalf("RoundAt(%s) = %d, want %d", tt.t, got, tt.want)
			}
		})
	}
}

func TestFirstRoundAfter(t *testing.T) {
	q := drand.Quicknet()
	r100 := q.TimeOfRound(100)
	tests := []struct {
		name string
		t    time.Time
		want uint64
	}{
		{"exactly at round 100 skips it", r100, 101},
		{"just after round 100", r100.Add(time.Nanosecond), 101},
		{"just before round 101", q.TimeOfRound(101).Add(-time.Nanosecond), 101},
		{"before genesis", q.Genesis.Add(-time.Hour), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := drand.FirstRoundAfter(tt.t)
			if got != tt.want {
				t.Fatalf("FirstRoundAfter = %d, want %d", got, tt.want)
			}
			if !q.TimeOfRound(got).After(tt.t) {
				t.Fatalf("round %d at %s is not after %s", got, q.TimeOfRound(got), tt.t)
			}
		})
	}
	if got := q.TimeOfRound(123).Unix(); got != drand.QuicknetGenesisUnix+122*3 {
		t.Fatalf("TimeOfRound(123) = %d", got)
	}
}

func TestBeaconJSON(t *testing.T) {
	b := loadVectors(t).Quicknet.Beacons[3] // round 123
	data, err := json.Marshal(b)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	want := `{"round":123,"randomness":"fb8f7bc29bf24db51871ec8c79f3a1e4bd0557bc0dfcee9ed1d924e69d1c60dc","signature":"b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92"}`
	if diff := cmp.Diff(want, string(data)); diff != "" {
		t.Fatalf("JSON (-want +got):\n%s", diff)
	}
	var bare drand.Beacon
	if err := json.Unmarshal([]byte(`{"round":123,"signature":"b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92"}`), &bare); err != nil {
		t.Fatalf("unmarshal bare: %v", err)
	}
	if bare.Randomness != b.Randomness {
		t.Fatalf("bare beacon randomness not derived from the signature")
	}
	for _, in := range []string{`{"round":1,"signature":"zz"}`, `{"round":1,"signature":"00","randomness":"00"}`, `[]`} {
		if err := json.Unmarshal([]byte(in), &bare); err == nil {
			t.Fatalf("Unmarshal(%s) = nil error", in)
		}
	}
}

func TestClient(t *testing.T) {
	recorded := loadVectors(t).Quicknet.Beacons
	tests := []struct {
		name    string
		setup   func(*drandtest.Server)
		round   uint64
		wantErr error
	}{
		{name: "recorded round", round: 123},
		{name: "latest recorded round", round: 30662982},
		{name: "future round 425", setup: func(s *drandtest.Server) { s.SetLatest(3) }, round: 123, wantErr: drand.ErrNotYet},
		{name: "future round 404", setup: func(s *drandtest.Server) { s.SetLatest(3); s.NotYetStatus(http.StatusNotFound) }, round: 123, wantErr: drand.ErrNotYet},
		{name: "relay 503", setup: func(s *drandtest.Server) { s.FailNext(1, http.StatusServiceUnavailable) }, round: 123, wantErr: drand.ErrUnavailable},
		{name: "relay serves a bad signature", setup: func(s *drandtest.Server) { s.CorruptNext(1) }, round: 123, wantErr: drand.ErrBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := drandtest.NewServer(t)
			if tt.setup != nil {
				tt.setup(srv)
			}
			c := &drand.Client{URL: srv.URL}
			b, err := c.Beacon(context.Background(), tt.round)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Beacon = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Beacon: %v", err)
			}
			var want drand.Beacon
			for _, r := range recorded {
				if r.Round == tt.round {
					want = r
				}
			}
			if diff := cmp.Diff(want, b); diff != "" {
				t.Fatalf("beacon (-recorded +got):\n%s", diff)
			}
			if srv.Calls() != 1 {
				t.Fatalf("calls = %d, want 1", srv.Calls())
			}
		})
	}
	t.Run("round 0", func(t *testing.T) {
		c := &drand.Client{URL: "http://127.0.0.1:1"}
		if _, err := c.Beacon(context.Background(), 0); err == nil {
			t.Fatalf("round 0 accepted")
		}
	})
	t.Run("unreachable relay", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		dead.Close()
		c := &drand.Client{URL: dead.URL}
		if _, err := c.Beacon(context.Background(), 123); !errors.Is(err, drand.ErrUnavailable) {
			t.Fatalf("Beacon = %v, want ErrUnavailable", err)
		}
	})
}

func BenchmarkVerifyBeacon(b *testing.B) {
	beacon := loadVectors(b).Quicknet.Beacons[3]
	pk := quicknetKey(b)
	for b.Loop() {
		if err := drand.VerifyBeacon(beacon.Round, beacon.Signature, pk); err != nil {
			b.Fatal(err)
		}
	}
}

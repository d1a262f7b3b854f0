package verifier

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/fairness/drand"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func drandProof(t *testing.T) fairness.Proof {
	t.Helper()
	var v struct {
		Quicknet struct {
			Beacons []struct {
				Round     uint64 `json:"round"`
				Signature string `json:"signature"`
			} `json:"beacons"`
		} `json:"quicknet"`
	}
	b, err := os.ReadFile("../drand/drandtest/testdata/beacons.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	last := v.Quicknet.Beacons[len(v.Quicknet.Beacons)-1]
	sig, _ := hex.DecodeString(last.Signature)
	chain := drand.Quicknet()
	closed := chain.TimeOfRound(last.Round).Add(-time.Second)
	rules := fairness.DrawRules{ID: 5, Title: "t", Currency: "XTR", Fee: 3, Min: 1, Winners: 2, CommissionBP: 700, CloseMode: "deadline", Deadline: closed}
	p, err := fairness.NewDrandProof(rules, []string{"AAAA-0001", "AAAA-0002", "AAAA-0003", "AAAA-0004"}, closed, chain.Hash,
		drand.Beacon{Round: last.Round, Signature: sig, Randomness: drand.Randomness(sig)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, p fairness.Proof) Result {
	t.Helper()
	b, err := fairness.MarshalProof(p)
	if err != nil {
		t.Fatal(err)
	}
	return Run(b, fairness.DefaultKeys())
}

func statuses(r Result) map[string]string {
	m := map[string]string{}
	for _, c := range r.Checks {
		m[c.Name] = c.Status
	}
	return m
}

// TestNamesAreTheChecksVerifyProofRuns: a valid proof passes exactly Names, in order.
func TestNamesAreTheChecksVerifyProofRuns(t *testing.T) {
	p := drandProof(t)
	b, _ := fairness.MarshalProof(p)
	rep, err := fairness.VerifyFile(b, fairness.DefaultKeys())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Passed, Names(fairness.KindProof, fairness.SourceDrand)) {
		t.Fatalf("VerifyFile passed %v, Names says %v", rep.Passed, Names(fairness.KindProof, fairness.SourceDrand))
	}
	res := run(t, p)
	if !res.Valid || res.Text != rep.String() || res.Entries != 4 {
		t.Fatalf("valid proof: %+v", res)
	}
	for _, c := range res.Checks {
		if c.Status != Pass {
			t.Fatalf("check %s: %s", c.Name, c.Status)
		}
	}
}

func TestTamperedProofNamesTheFailedCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*fairness.Proof)
		failed string
	}{
		{"entry code changed", func(p *fairness.Proof) { p.Entries[1] = "ZZZZ-0002" }, fairness.CheckListHash},
		{"winner changed", func(p *fairness.Proof) {
			for i, c := range p.Entries {
				if c != p.Winners[0].EntryCode {
					p.Winners[0].Index, p.Winners[0].EntryCode = i, c
					return
				}
			}
		}, fairness.CheckWinners},
		{"signature byte changed", func(p *fairness.Proof) {
			s := []byte(p.Drand.Signature)
			s[10] = map[bool]byte{true: 'a', false: 'b'}[s[10] != 'a']
			p.Drand.Signature = string(s)
		}, fairness.CheckSignature},
		{"prize changed", func(p *fairness.Proof) { p.Winners[0].Prize++ }, fairness.CheckPrizes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := drandProof(t)
			tc.change(&p)
			res := run(t, p)
			st := statuses(res)
			if res.Valid || st[tc.failed] != Fail {
				t.Fatalf("want %s failed: %+v", tc.failed, res.Checks)
			}
			after := false
			for _, c := range res.Checks {
				if after && c.Status != NotRun {
					t.Errorf("check %s after the failure is %s", c.Name, c.Status)
				}
				after = after || c.Status == Fail
			}
		})
	}
	t.Run("not JSON", func(t *testing.T) {
		res := Run([]byte("{"), fairness.DefaultKeys())
		if res.Valid || len(res.Checks) != 1 || res.Checks[0].Status != Fail || !strings.Contains(res.Text, "INVALID") {
			t.Fatalf("%+v", res)
		}
	})
}

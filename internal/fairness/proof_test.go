package fairness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/fairness/drand"
	"github.com/fairdraw/fairdraw/internal/fairness/drand/drandtest"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg"
	"github.com/fairdraw/fairdraw/internal/fairness/randomorg/randomorgtest"
)

var testEntries = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"}

func testRules(id int64) fairness.DrawRules {
	return fairness.DrawRules{
		ID: id, Title: "Spring <Stars> & friends", Currency: "XTR", Fee: 25, Min: 5, Max: 100,
		Winners: 3, CommissionBP: 1000, CloseMode: fairness.CloseModeDeadline,
		Deadline: time.Date(2026, 3, 1, 18, 0, 0, 0, time.UTC),
	}
}

// randomOrgProof runs a whole RANDOM.ORG draw against the fake and returns
// its proof and the keys that verify it.
func randomOrgProof(t testing.TB) (fairness.Proof, fairness.Keys) {
	t.Helper()
	srv := randomorgtest.NewServer(t)
	c, err := randomorg.New(randomorg.Config{URL: srv.URL, APIKey: randomorgtest.TestAPIKey})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx := context.Background()
	ticket, err := c.CreateTicket(ctx)
	if err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	rules := testRules(42)
	req := fairness.RandomOrgRequest(rules.ID, len(testEntries), rules.Winners, fairness.ListHash(testEntries), ticket)
	res, err := c.GenerateSignedIntegers(ctx, req)
	if err != nil {
		t.Fatalf("GenerateSignedIntegers: %v", err)
	}
	if err := randomorg.CheckResult(res, req, srv.PublicKey(), c.HashedAPIKey()); err != nil {
		t.Fatalf("CheckResult: %v", err)
	}
	p, err := fairness.NewRandomOrgProof(rules, testEntries, rules.Deadline, res, ticket, c.HashedAPIKey())
	if err != nil {
		t.Fatalf("NewRandomOrgProof: %v", err)
	}
	keys := fairness.Keys{RandomOrg: srv.PublicKey(), Drand: drand.Quicknet()}
	if err := fairness.VerifyProof(p, keys); err != nil {
		t.Fatalf("VerifyProof(valid) = %v", err)
	}
	return p, keys
}

// drandProof builds the proof of a draw decided by the real quicknet beacon
// of round 123: the draw closed one second after round 122.
func drandProof(t testing.TB) fairness.Proof {
	t.Helper()
	recorded, err := drandtest.Recorded()
	if err != nil {
		t.Fatalf("Recorded: %v", err)
	}
	var b drand.Beacon
	for _, r := range recorded {
		if r.Round == 123 {
			b = r
		}
	}
	q := drand.Quicknet()
	closedAt := q.TimeOfRound(122).Add(time.Second)
	if got := q.FirstRoundAfter(closedAt); got != 123 {
		t.Fatalf("FirstRoundAfter = %d, want 123", got)
	}
	p, err := fairness.NewDrandProof(testRules(7), testEntries, closedAt, q.Hash, b)
	if err != nil {
		t.Fatalf("NewDrandProof: %v", err)
	}
	if err := fairness.VerifyProof(p, fairness.DefaultKeys()); err != nil {
		t.Fatalf("VerifyProof(valid) = %v", err)
	}
	return p
}

// clone deep-copies a proof through JSON so that mutations do not leak.
func clone(t *testing.T, p fairness.Proof) fairness.Proof {
	t.Helper()
	data, err := fairness.MarshalProof(p)
	if err != nil {
		t.Fatalf("MarshalProof: %v", err)
	}
	q, err := fairness.ParseProof(data)
	if err != nil {
		t.Fatalf("ParseProof: %v", err)
	}
	return q
}

type mutation struct {
	name      string
	mutate    func(p *fairness.Proof)
	wantCheck string
}

func runMutations(t *testing.T, valid fairness.Proof, keys fairness.Keys, tests []mutation) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := clone(t, valid)
			tt.mutate(&p)
			err := fairness.VerifyProof(p, keys)
			var ce *fairness.CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("VerifyProof = %v, want *CheckError %q", err, tt.wantCheck)
			}
			if ce.Check != tt.wantCheck {
				t.Fatalf("failed check %q (%s), want %q", ce.Check, ce.Reason, tt.wantCheck)
			}
		})
	}
}

// flipDigit changes the first digit after marker inside the raw random object.
func flipDigit(t *testing.T, raw json.RawMessage, marker string) json.RawMessage {
	i := bytes.Index(raw, []byte(marker))
	if i < 0 {
		t.Fatalf("%q not in random object", marker)
	}
	out := append(json.RawMessage(nil), raw...)
	j := i + len(marker)
	if out[j] == '9' {
		out[j] = '8'
	} else {
		out[j]++
	}
	return out
}

func TestVerifyProofRandomOrgMutations(t *testing.T) {
	valid, keys := randomOrgProof(t)
	other := "x" + valid.Entries[0]
	tests := []mutation{
		{"version", func(p *fairness.Proof) { p.Version = 2 }, fairness.CheckFormat},
		{"unknown source", func(p *fairness.Proof) { p.Source = "dice" }, fairness.CheckFormat},
		{"drand evidence added", func(p *fairness.Proof) { p.Drand = &fairness.DrandEvidence{} }, fairness.CheckFormat},
		{"entry code changed", func(p *fairness.Proof) { p.Entries[0] = other }, fairness.CheckListHash},
		{"entry appended", func(p *fairness.Proof) { p.Entries = append(p.Entries, "zed") }, fairness.CheckListHash},
		{"entries reordered", func(p *fairness.Proof) { p.Entries[0], p.Entries[1] = p.Entries[1], p.Entries[0] }, fairness.CheckListHash},
		{"entry with a line break", func(p *fairness.Proof) { p.Entries[0] = "a\nb"; p.ListHash = fairness.ListHash(p.Entries) }, fairness.CheckListHash},
		{"list hash changed", func(p *fairness.Proof) { p.ListHash = fairness.ListHash([]string{"x"}) }, fairness.CheckListHash},
		{"a byte of the random object", func(p *fairness.Proof) { p.RandomOrg.Random = flipDigit(t, p.RandomOrg.Random, `"serialNumber":`) }, fairness.CheckSignature},
		{"data in the random object", func(p *fairness.Proof) { p.RandomOrg.Random = flipDigit(t, p.RandomOrg.Random, `"data":[`) }, fairness.CheckSignature},
		{"random object re-indented", func(p *fairness.Proof) {
			var buf bytes.Buffer
			if err := json.Indent(&buf, p.RandomOrg.Random, "", "  "); err != nil {
				t.Fatalf("indent: %v", err)
			}
			p.RandomOrg.Random = buf.Bytes()
		}, fairness.CheckSignature},
		{"signature", func(p *fairness.Proof) {
			s := []byte(p.RandomOrg.Signature)
			if s[10] == 'A' {
				s[10] = 'B'
			} else {
				s[10] = 'A'
			}
			p.RandomOrg.Signature = string(s)
		}, fairness.CheckSignature},
		{"winners count k", func(p *fairness.Proof) { p.Draw.Winners = 2 }, fairness.CheckParams},
		{"minimum above entries", func(p *fairness.Proof) { p.Draw.Min = 11 }, fairness.CheckParams},
		{"maximum below entries", func(p *fairness.Proof) { p.Draw.Max = 9 }, fairness.CheckParams},
		{"entry removed with a matching hash", func(p *fairness.Proof) {
			p.Entries = p.Entries[:9]
			p.ListHash = fairness.ListHash(p.Entries)
		}, fairness.CheckParams},
		{"entry changed with a matching hash", func(p *fairness.Proof) {
			p.Entries[0] = other
			p.ListHash = fairness.ListHash(p.Entries)
		}, fairness.CheckUserData},
		{"draw id", func(p *fairness.Proof) { p.Draw.ID = 43 }, fairness.CheckUserData},
		{"ticket", func(p *fairness.Proof) { p.RandomOrg.TicketID = "0000000000000000" }, fairness.CheckTicket},
		{"no ticket", func(p *fairness.Proof) { p.RandomOrg.TicketID = "" }, fairness.CheckTicket},
		{"hashed api key", func(p *fairness.Proof) { p.RandomOrg.HashedAPIKey = randomorg.HashAPIKey("someone else") }, fairness.CheckHashedAPIKey},
		{"no hashed api key", func(p *fairness.Proof) { p.RandomOrg.HashedAPIKey = "" }, fairness.CheckHashedAPIKey},
		{"verification url", func(p *fairness.Proof) { p.RandomOrg.VerificationURL += "x" }, fairness.CheckVerificationURL},
		{"winner entry code", func(p *fairness.Proof) { p.Winners[0].EntryCode = other }, fairness.CheckWinners},
		{"winner index", func(p *fairness.Proof) { p.Winners[1].Index = (p.Winners[1].Index + 1) % 10 }, fairness.CheckWinners},
		{"winner moved to another entry", func(p *fairness.Proof) {
			e := (p.Winners[0].Index + 5) % 10
			p.Winners[0].Index, p.Winners[0].EntryCode = e, p.Entries[e]
		}, fairness.CheckWinners},
		{"winners swapped", func(p *fairness.Proof) { p.Winners[0], p.Winners[1] = p.Winners[1], p.Winners[0] }, fairness.CheckWinners},
		{"winner dropped", func(p *fairness.Proof) { p.Winners = p.Winners[:2] }, fairness.CheckWinners},
		{"prize amount", func(p *fairness.Proof) { p.Winners[0].Prize++ }, fairness.CheckPrizes},
		{"prize moved between winners", func(p *fairness.Proof) { p.Winners[0].Prize--; p.Winners[1].Prize++ }, fairness.CheckPrizes},
		{"prizes list", func(p *fairness.Proof) { p.Prizes[2]++ }, fairness.CheckPrizes},
		{"pool", func(p *fairness.Proof) { p.Pool++ }, fairness.CheckPrizes},
		{"commission", func(p *fairness.Proof) { p.Commission-- }, fairness.CheckPrizes},
		{"commission bp", func(p *fairness.Proof) { p.Draw.CommissionBP = 500 }, fairness.CheckPrizes},
		{"fee", func(p *fairness.Proof) { p.Draw.Fee = 30 }, fairness.CheckPrizes},
	}
	runMutations(t, valid, keys, tests)

	t.Run("pinned real key rejects the fake's signature", func(t *testing.T) {
		err := fairness.VerifyProof(valid, fairness.DefaultKeys())
		var ce *fairness.CheckError
		if !errors.As(err, &ce) || ce.Check != fairness.CheckSignature {
			t.Fatalf("VerifyProof = %v, want check signature", err)
		}
	})
	t.Run("re-indented object gets a hint", func(t *testing.T) {
		p := clone(t, valid)
		var buf bytes.Buffer
		if err := json.Indent(&buf, p.RandomOrg.Random, "", " "); err != nil {
			t.Fatalf("indent: %v", err)
		}
		p.RandomOrg.Random = buf.Bytes()
		err := fairness.VerifyProof(p, keys)
		if err == nil || !strings.Contains(err.Error(), "re-formatted") {
			t.Fatalf("VerifyProof = %v, want a re-formatting hint", err)
		}
	})
}

// TestVerifyProofPregenerated asks the fake for a result with
// pregeneratedRandomization set (the client never sends one) and checks
// that an otherwise perfect proof made from it is refused.
func TestVerifyProofPregenerated(t *testing.T) {
	srv := randomorgtest.NewServer(t)
	rules := testRules(42)
	lh := fairness.ListHash(testEntries)
	c, err := randomorg.New(randomorg.Config{URL: srv.URL, APIKey: randomorgtest.TestAPIKey})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ticket, err := c.CreateTicket(context.Background())
	if err != nil {
		t.Fatalf("CreateTicket: %v", err)
	}
	body := `{"jsonrpc":"2.0","method":"generateSignedIntegers","params":{"apiKey":"` + randomorgtest.TestAPIKey +
		`","n":3,"min":0,"max":9,"replacement":false,"base":10,"pregeneratedRandomization":{"date":"2020-01-01"},"licenseData":null,"userData":` +
		string(fairness.UserData(rules.ID, len(testEntries), lh)) + `,"ticketId":"` + ticket + `"},"id":1}`
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var env struct {
		Result struct {
			Random    json.RawMessage `json:"random"`
			Signature string          `json:"signature"`
		} `json:"result"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatalf("decode: %v", err)
	}
	res := &randomorg.SignedResult{Random: env.Result.Random, Signature: env.Result.Signature}
	p, err := fairness.NewRandomOrgProof(rules, testEntries, rules.Deadline, res, ticket, c.HashedAPIKey())
	if err != nil {
		t.Fatalf("NewRandomOrgProof: %v", err)
	}
	err = fairness.VerifyProof(p, fairness.Keys{RandomOrg: srv.PublicKey(), Drand: drand.Quicknet()})
	var ce *fairness.CheckError
	if !errors.As(err, &ce) || ce.Check != fairness.CheckPregenerated {
		t.Fatalf("VerifyProof = %v, want check pregenerated", err)
	}
}

func TestVerifyProofDrandMutations(t *testing.T) {
	valid := drandProof(t)
	// Draw 7 over the ten names with round 123 (docs/fairness.md quotes it).
	want := []fairness.Winner{{Index: 9, EntryCode: "judy", Prize: 75}, {Index: 3, EntryCode: "dave", Prize: 75}, {Index: 6, EntryCode: "grace", Prize: 75}}
	if diff := cmp.Diff(want, valid.Winners); diff != "" {
		t.Fatalf("winners for draw 7 (-want +got):\n%s", diff)
	}
	tests := []mutation{
		{"entry code changed", func(p *fairness.Proof) { p.Entries[3] = "mallory" }, fairness.CheckListHash},
		{"list hash changed", func(p *fairness.Proof) { p.ListHash = strings.Repeat("0", 64) }, fairness.CheckListHash},
		{"round changed", func(p *fairness.Proof) { p.Drand.Round = 124 }, fairness.CheckSignature},
		{"signature changed", func(p *fairness.Proof) {
			p.Drand.Signature = "b3fab6df720b68cc47175f2c777e86d84187caab5770906f515ff1099cb01e4deaa027075d860823e49477b93c72bd64"
		}, fairness.CheckSignature},
		{"randomness changed", func(p *fairness.Proof) { p.Drand.Randomness = strings.Repeat("ab", 32) }, fairness.CheckSignature},
		{"other chain", func(p *fairness.Proof) {
			p.Drand.ChainHash = "8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce"
		}, fairness.CheckSignature},
		{"more winners than entries", func(p *fairness.Proof) { p.Draw.Winners = 11 }, fairness.CheckParams},
		{"closed later than the round", func(p *fairness.Proof) { p.ClosedAt = p.ClosedAt.Add(3 * time.Second) }, fairness.CheckRound},
		{"closed much earlier", func(p *fairness.Proof) { p.ClosedAt = p.ClosedAt.Add(-time.Minute) }, fairness.CheckRound},
		{"no close time", func(p *fairness.Proof) { p.ClosedAt = time.Time{} }, fairness.CheckRound},
		{"seed", func(p *fairness.Proof) { p.Drand.Seed = strings.Repeat("00", 32) }, fairness.CheckWinners},
		{"draw id", func(p *fairness.Proof) { p.Draw.ID = 8 }, fairness.CheckWinners},
		{"winner entry code", func(p *fairness.Proof) { p.Winners[0].EntryCode = "alice" }, fairness.CheckWinners},
		{"winner index", func(p *fairness.Proof) { p.Winners[2].Index = 0 }, fairness.CheckWinners},
		{"fewer winners", func(p *fairness.Proof) { p.Draw.Winners = 2 }, fairness.CheckWinners},
		{"prize amount", func(p *fairness.Proof) { p.Winners[1].Prize = 0 }, fairness.CheckPrizes},
		{"commission", func(p *fairness.Proof) { p.Commission = 0 }, fairness.CheckPrizes},
		{"pool", func(p *fairness.Proof) { p.Pool = 1000 }, fairness.CheckPrizes},
	}
	runMutations(t, valid, fairness.DefaultKeys(), tests)
}

func TestProofArithmeticExample(t *testing.T) {
	p := drandProof(t)
	// 10 entries x 25 = 250; 10% commission = 25; 225 / 3 = 75 each.
	if p.Pool != 250 || p.Commission != 25 {
		t.Fatalf("pool %d commission %d, want 250 and 25", p.Pool, p.Commission)
	}
	if diff := cmp.Diff([]int64{75, 75, 75}, p.Prizes); diff != "" {
		t.Fatalf("prizes (-want +got):\n%s", diff)
	}
}

func TestMarshalProofKeepsRandomBytes(t *testing.T) {
	valid, keys := randomOrgProof(t)
	data, err := fairness.MarshalProof(valid)
	if err != nil {
		t.Fatalf("MarshalProof: %v", err)
	}
	if !bytes.Contains(data, valid.RandomOrg.Random) {
		t.Fatalf("marshalled proof does not contain the random object byte for byte")
	}
	if !bytes.Contains(data, []byte(`"Spring <Stars> & friends"`)) {
		t.Fatalf("title was HTML-escaped:\n%s", data)
	}
	if !bytes.Contains(data, []byte("\n  \"version\": 1,")) {
		t.Fatalf("proof is not indented:\n%s", data)
	}
	back, err := fairness.ParseProof(data)
	if err != nil {
		t.Fatalf("ParseProof: %v", err)
	}
	if diff := cmp.Diff(string(valid.RandomOrg.Random), string(back.RandomOrg.Random)); diff != "" {
		t.Fatalf("random changed in a round trip (-want +got):\n%s", diff)
	}
	if err := fairness.VerifyProof(back, keys); err != nil {
		t.Fatalf("VerifyProof after round trip: %v", err)
	}
	if diff := cmp.Diff(valid, back); diff != "" {
		t.Fatalf("round trip changed the proof (-want +got):\n%s", diff)
	}

	// Plain json.Marshal escapes "<" inside the raw member too, so the
	// proof must go through MarshalProof.
	bad := clone(t, valid)
	bad.RandomOrg.Random = json.RawMessage(`{"x":"<"}`)
	out, err := json.Marshal(bad)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	if bytes.Contains(out, []byte(`{"x":"<"}`)) {
		t.Fatalf("expected encoding/json to rewrite the raw member; MarshalProof's reason is gone")
	}
	out, err = fairness.MarshalProof(bad)
	if err != nil || !bytes.Contains(out, []byte(`"random": {"x":"<"}`)) {
		t.Fatalf("MarshalProof rewrote the raw member: %v\n%s", err, out)
	}

	bad.RandomOrg.Random = json.RawMessage(`{`)
	if _, err := fairness.MarshalProof(bad); err == nil {
		t.Fatalf("MarshalProof accepted invalid raw JSON")
	}
}

func TestUserData(t *testing.T) {
	got := string(fairness.UserData(42, 10, "82ad52e67c287192da0409f3db1bf44e1569c2095b51efcaeb808b0bb00f066f"))
	want := `{"draw":42,"n":10,"list":"82ad52e67c287192da0409f3db1bf44e1569c2095b51efcaeb808b0bb00f066f"}`
	if got != want {
		t.Fatalf("UserData = %s, want %s", got, want)
	}
	if !json.Valid([]byte(got)) {
		t.Fatalf("UserData is not JSON")
	}
}

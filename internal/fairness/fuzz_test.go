package fairness_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/fairdraw/fairdraw/internal/fairness"
	"github.com/fairdraw/fairdraw/internal/fairness/drand/drandtest"
)

// FuzzVerifyFile feeds `fairdraw verify` (and so the public proof check) arbitrary files, seeded
// with valid proofs of both sources, bare RANDOM.ORG results and bare beacons. Whatever the
// input: no panic, an answer that names a check, the same answer twice, and a file judged valid
// stays valid after a parse and re-encode (what is verified is what is published).
func FuzzVerifyFile(f *testing.F) {
	roProof, keys := randomOrgProof(f)
	for _, p := range []fairness.Proof{roProof, drandProof(f)} {
		data, err := fairness.MarshalProof(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	recorded, err := drandtest.Recorded()
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range recorded[:2] {
		f.Add([]byte(fmt.Sprintf(`{"round":%d,"signature":"%s"}`, b.Round, hex.EncodeToString(b.Signature))))
	}
	for _, v := range loadRandomOrgVectors(f) {
		f.Add([]byte(`{"random":` + v.RandomRaw + `,"signature":"` + v.SignatureB64 + `"}`))
		if v.FullResponseRaw != "" {
			f.Add([]byte(v.FullResponseRaw))
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"round":-1,"signature":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := fairness.VerifyFile(data, keys)
		again, err2 := fairness.VerifyFile(data, keys)
		if (err == nil) != (err2 == nil) || !slices.Equal(rep.Passed, again.Passed) {
			t.Fatalf("two verifications of one file disagree: %v / %v", err, err2)
		}
		if err != nil {
			var ce *fairness.CheckError
			if !errors.As(err, &ce) || ce.Check == "" {
				t.Fatalf("error %v does not name a check", err)
			}
			if rep.Failed == nil || rep.Failed.Check != ce.Check {
				t.Fatalf("report's failed check %+v, error names %q", rep.Failed, ce.Check)
			}
			return
		}
		if rep.Failed != nil || len(rep.Passed) == 0 {
			t.Fatalf("valid file, report %+v", rep)
		}
		switch rep.Kind {
		case fairness.KindProof:
			out, err := fairness.MarshalProof(*rep.Proof)
			if err != nil {
				t.Fatalf("valid proof does not re-encode: %v", err)
			}
			if _, err := fairness.VerifyFile(out, keys); err != nil {
				t.Fatalf("valid proof fails after re-encoding: %v\n%s", err, out)
			}
		case fairness.KindRandomOrg, fairness.KindDrand:
		default:
			t.Fatalf("kind %q", rep.Kind)
		}
	})
}

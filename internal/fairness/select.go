package fairness

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
)

// SeedDomain separates fairdraw's seeds from any other use of the same
// randomness. It is part of the published rule; changing it changes every
// result.
const SeedDomain = "tg-draw-v1"

// DrandSeed derives the 32-byte selection seed for a draw from public inputs:
//
//	seed = SHA-256("tg-draw-v1" || 0x00 || drawID || 0x00 || list_sha256 || randomness)
//
// where list_sha256 is the 32 raw bytes of the list hash (ListHash, hex
// decoded) and randomness the 32-byte beacon randomness. fairdraw's draw id
// is its decimal form. drawID must not contain a NUL byte.
func DrandSeed(drawID string, listHash string, randomness []byte) ([]byte, error) {
	if strings.IndexByte(drawID, 0) >= 0 {
		return nil, fmt.Errorf("fairness: seed: draw id contains NUL")
	}
	lh, err := hex.DecodeString(listHash)
	if err != nil || len(lh) != sha256.Size {
		return nil, fmt.Errorf("fairness: seed: list hash must be %d hex bytes", sha256.Size)
	}
	if len(randomness) != 32 {
		return nil, fmt.Errorf("fairness: seed: randomness is %d bytes, want 32", len(randomness))
	}
	h := sha256.New()
	h.Write([]byte(SeedDomain))
	h.Write([]byte{0})
	h.Write([]byte(drawID))
	h.Write([]byte{0})
	h.Write(lh)
	h.Write(randomness)
	return h.Sum(nil), nil
}

// SelectFromSeed picks k distinct indices out of [0, n) from a 32-byte
// seed, uniformly and reproducibly in any language (research fairness.md
// §6.3). It is a partial Fisher-Yates shuffle of pool = [0, 1, ..., n-1]
// driven by rejection sampling:
//
//	for j in 0..k-1:
//	  m = n - j
//	  for ctr = 0, 1, 2, ...:
//	    x = big-endian uint64 of the first 8 bytes of
//	        SHA-256(seed || uint32be(j) || uint32be(ctr))
//	    accept x if x < 2^64 - (2^64 mod m)     // removes modulo bias
//	  r = x mod m
//	  swap(pool[j], pool[j+r]); winner j = pool[j]
//
// The i-th returned index is the i-th winner. Errors: seed not 32 bytes,
// n < 1 or n > 2^32-1, k < 1 or k > n.
func SelectFromSeed(seed []byte, n, k int) ([]int, error) {
	switch {
	case len(seed) != 32:
		return nil, fmt.Errorf("fairness: select: seed is %d bytes, want 32", len(seed))
	case n < 1 || uint64(n) > math.MaxUint32:
		return nil, fmt.Errorf("fairness: select: n=%d outside [1, 2^32-1]", n)
	case k < 1 || k > n:
		return nil, fmt.Errorf("fairness: select: k=%d outside [1, n=%d]", k, n)
	}
	var buf [32 + 8]byte
	copy(buf[:], seed)
	// The pool is kept sparse: only positions touched by a swap are stored,
	// so the cost is O(k) whatever n is.
	moved := make(map[int]int, 2*k)
	at := func(i int) int {
		if v, ok := moved[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, k)
	for j := range k {
		m := uint64(n - j)
		rem := -m % m // 2^64 mod m
		var x uint64
		for ctr := uint32(0); ; ctr++ {
			binary.BigEndian.PutUint32(buf[32:], uint32(j))
			binary.BigEndian.PutUint32(buf[36:], ctr)
			sum := sha256.Sum256(buf[:])
			x = binary.BigEndian.Uint64(sum[:8])
			if rem == 0 || x < -rem {
				break
			}
			if ctr == math.MaxUint32 {
				return nil, fmt.Errorf("fairness: select: no acceptable value for j=%d", j)
			}
		}
		r := int(x % m)
		vj, vr := at(j), at(j+r)
		moved[j], moved[j+r] = vr, vj
		out[j] = vr
	}
	return out, nil
}

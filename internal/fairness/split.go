package fairness

import (
	"errors"
	"fmt"
	"math/bits"
)

// MaxCommissionBP is 100% in basis points.
const MaxCommissionBP = 10000

// Split divides a prize pool (minor units) among k winners (design §2):
// commission = floor(pool*commissionBP/10000), each winner gets
// floor((pool-commission)/k), and the remainder of that division goes to the
// first winner, so commission + sum(prizes) == pool exactly. With k > pool
// (after commission) every winner but the first gets 0.
// Errors: k < 1, commissionBP outside [0, 10000], pool < 0.
func Split(pool int64, commissionBP int, k int) (commission int64, prizes []int64, err error) {
	switch {
	case k < 1:
		return 0, nil, fmt.Errorf("fairness: split: %d winners, need at least 1", k)
	case commissionBP < 0 || commissionBP > MaxCommissionBP:
		return 0, nil, fmt.Errorf("fairness: split: commission %d bp outside [0, %d]", commissionBP, MaxCommissionBP)
	case pool < 0:
		return 0, nil, errors.New("fairness: split: negative pool")
	}
	// pool*bp can exceed int64; do it in 128 bits. The quotient is at most
	// pool, so it fits, and hi < 10000 so Div64 cannot panic.
	hi, lo := bits.Mul64(uint64(pool), uint64(commissionBP))
	q, _ := bits.Div64(hi, lo, MaxCommissionBP)
	commission = int64(q)

	rest := pool - commission
	each := rest / int64(k)
	prizes = make([]int64, k)
	for i := range prizes {
		prizes[i] = each
	}
	prizes[0] += rest - each*int64(k)
	return commission, prizes, nil
}

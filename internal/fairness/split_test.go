package fairness_test

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/fairdraw/fairdraw/internal/fairness"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		name           string
		pool           int64
		bp, k          int
		wantCommission int64
		wantPrizes     []int64
	}{
		{"one winner 10%", 1000, 1000, 1, 100, []int64{900}},
		{"remainder to the first winner", 1000, 0, 3, 0, []int64{334, 333, 333}},
		{"commission rounds down", 999, 250, 2, 24, []int64{488, 487}},
		{"bp 0", 500, 0, 2, 0, []int64{250, 250}},
		{"bp 10000 takes everything", 1000, 10000, 2, 1000, []int64{0, 0}},
		{"more winners than units", 3, 0, 5, 0, []int64{3, 0, 0, 0, 0}},
		{"more winners than units after commission", 10, 5000, 7, 5, []int64{5, 0, 0, 0, 0, 0, 0}},
		{"empty pool", 0, 1500, 2, 0, []int64{0, 0}},
		{"huge pool does not overflow", math.MaxInt64, 10000, 1, math.MaxInt64, []int64{0}},
		{"huge pool half", math.MaxInt64, 5000, 2, 4611686018427387903, []int64{2305843009213693952, 2305843009213693952}},
		{"huge pool 1 bp", math.MaxInt64, 1, 1, 922337203685477, []int64{math.MaxInt64 - 922337203685477}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, p, err := fairness.Split(tt.pool, tt.bp, tt.k)
			if err != nil {
				t.Fatalf("Split: %v", err)
			}
			if c != tt.wantCommission {
				t.Fatalf("commission = %d, want %d", c, tt.wantCommission)
			}
			if diff := cmp.Diff(tt.wantPrizes, p); diff != "" {
				t.Fatalf("prizes (-want +got):\n%s", diff)
			}
			sum := c
			for _, x := range p {
				sum += x
			}
			if sum != tt.pool {
				t.Fatalf("commission + prizes = %d, want the pool %d", sum, tt.pool)
			}
		})
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct {
		name  string
		pool  int64
		bp, k int
	}{
		{"no winners", 100, 0, 0},
		{"negative winners", 100, 0, -1},
		{"negative bp", 100, -1, 1},
		{"bp above 100%", 100, 10001, 1},
		{"negative pool", -1, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := fairness.Split(tt.pool, tt.bp, tt.k); err == nil {
				t.Fatalf("Split(%d, %d, %d) = nil error", tt.pool, tt.bp, tt.k)
			}
		})
	}
}

func TestPool(t *testing.T) {
	if p, err := fairness.Pool(25, 4); err != nil || p != 100 {
		t.Fatalf("Pool(25, 4) = %d, %v", p, err)
	}
	if _, err := fairness.Pool(math.MaxInt64, 2); err == nil {
		t.Fatalf("overflow not detected")
	}
	if _, err := fairness.Pool(-1, 2); err == nil {
		t.Fatalf("negative fee accepted")
	}
}

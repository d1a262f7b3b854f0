package telegramtest

import (
	"sync"
	"time"
)

// Clock is a manual clock for [Config.Now]: it stands still until Advance.
// Use it to step over the pre-checkout deadline, rate-limit windows or the
// 21 days a Stars payment takes to mature, without waiting.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock showing start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

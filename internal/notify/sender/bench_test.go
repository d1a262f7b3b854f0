package sender_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/telegram/telegramtest"
)

// BenchmarkSendRate sends a fan-out of five seconds' worth of messages at the configured
// limit, through the whole path (River, the send worker, the Redis limiter, telego, the
// Telegram fake enforcing the same limit over sliding one-second windows), and reports:
//
//   - rate/limit: messages per second between the first and the last send, over the limit;
//   - e2e/limit: the same from the commit of the fan-out to the last job finished;
//   - 429s: Telegram's refusals (the goal is none).
//
// Run it once per limit: go test -run '^$' -bench SendRate -benchtime 1x ./internal/notify/
func BenchmarkSendRate(b *testing.B) {
	for _, limit := range []int{30, 1000} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			n := 5 * limit
			e := newEnv(b, telegramtest.Config{GlobalRate: limit, PerChatRate: 1})
			ids := e.addUsers(10_000_001, n)
			p := e.startProc(procOptions{global: limit})
			var window, e2e time.Duration
			sent, round := 0, 0
			for b.Loop() {
				round++
				before := len(p.sent.attempts())
				start := time.Now()
				e.enqueue(fanout(fmt.Sprintf("bench:%d", round), nil, ids, nil))
				e.waitDone()
				e2e += time.Since(start)
				atts := p.sent.attempts()[before:]
				window += atts[len(atts)-1].at.Sub(atts[0].at)
				sent += len(atts)
				e.wantEach(ids, round)
			}
			rate := float64(sent-round) / window.Seconds() // n-1 intervals per round
			b.ReportMetric(rate/float64(limit), "rate/limit")
			b.ReportMetric(float64(sent)/e2e.Seconds()/float64(limit), "e2e/limit")
			b.ReportMetric(float64(e.tg.TooManyRequests()), "429s")
			b.ReportMetric(0, "ns/op")
		})
	}
}

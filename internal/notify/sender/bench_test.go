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

// BenchmarkFanOut10k is issue 10's figure: a result fanned out to 10,000 distinct chats (one
// winner first, 9,999 participants) through the whole path (River, the send worker, the
// Redis limiter, telego) to the Telegram fake enforcing the limit with 429s, at 30/s (the
// global budget) and at 1000/s (paid broadcast), with River configured as serve configures it
// (sender.QueueConfig, River's fetch timings). It reports:
//
//   - rate/limit: messages per second between the first and the last send, over the limit;
//   - e2e/limit: 10,000 over the time from the start of the enqueue to the queue drained;
//   - 429s: Telegram's refusals (the goal is none);
//   - s: seconds from the start of the enqueue to the queue drained;
//   - winner_s: seconds from the start of the enqueue to the winner's message, and
//     winner_pos its place among the sends (0: first).
//
// At 30/s it takes about six minutes; it is opt-in:
//
//	go test -run '^$' -bench FanOut10k -benchtime 1x -timeout 30m ./internal/notify/
func BenchmarkFanOut10k(b *testing.B) {
	const n = 10_000
	for _, c := range []struct {
		limit int
		paid  bool
	}{{limit: 1000, paid: true}, {limit: 30}} {
		b.Run(fmt.Sprintf("limit=%d", c.limit), func(b *testing.B) {
			e := newEnv(b, telegramtest.Config{GlobalRate: c.limit, PerChatRate: 1})
			ids := e.addUsers(20_000_001, n)
			p := e.startProc(procOptions{global: c.limit, paid: c.paid, asServe: true})
			var window, e2e, winnerAt time.Duration
			sent, round, winnerPos := 0, 0, 0
			for b.Loop() {
				round++
				before := len(p.sent.attempts())
				start := time.Now()
				e.enqueue(fanout(fmt.Sprintf("bench:%d", round), ids[:1], ids[1:], nil))
				// The queue is counted only once every message has been tried: a count(*) over
				// river_job every 20 ms would take a good part of PostgreSQL's time from the sends.
				waitFor(b, "the fan-out to drain", time.Duration(2*n/c.limit)*time.Second+2*time.Minute, func() bool {
					return p.sent.count()-before >= n && e.unfinished() == 0
				})
				e2e += time.Since(start)
				atts := p.sent.attempts()[before:]
				window += atts[len(atts)-1].at.Sub(atts[0].at)
				sent += len(atts)
				for i, a := range atts {
					if a.chat == ids[0] {
						winnerPos, winnerAt = i, a.at.Sub(start)
						break
					}
				}
				e.wantEach(ids, round)
			}
			b.ReportMetric(float64(sent-round)/window.Seconds()/float64(c.limit), "rate/limit")
			b.ReportMetric(float64(sent)/e2e.Seconds()/float64(c.limit), "e2e/limit")
			b.ReportMetric(float64(e.tg.TooManyRequests()), "429s")
			b.ReportMetric(e2e.Seconds()/float64(round), "s")
			b.ReportMetric(winnerAt.Seconds(), "winner_s")
			b.ReportMetric(float64(winnerPos), "winner_pos")
			b.ReportMetric(0, "ns/op")
		})
	}
}

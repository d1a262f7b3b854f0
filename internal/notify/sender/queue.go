package sender

import (
	"time"

	"github.com/riverqueue/river"
)

// paidFetchCooldown is how often the notify queue looks for new jobs when paid broadcasts are
// on, instead of River's default of 100 ms.
const paidFetchCooldown = 20 * time.Millisecond

// QueueConfig is the River configuration of the notify queue for a bot sending at globalRate
// messages a second, or with paid broadcasts (up to DefaultPaidRate).
//
// Workers: enough messages in flight that the time each job spends outside its slot (its
// database round trips, a busy machine) never leaves a slot of the budget unused.
//
// Fetching: a worker that finishes waits for River's next fetch before it takes another job,
// and River fetches at most once per cooldown. At 1000 a second, River's default of 100 ms
// left the budget partly unused: BenchmarkFanOut10k reached 0.74–0.79 of the limit end to end
// with it and 0.82–0.88 with 20 ms, on a 2-core machine that also runs PostgreSQL, Redis and
// the Telegram stand-in (steady state is then the limiter's 0.95; the rest is the first
// second or two, while the fan-out is still being enqueued). At 30 to a few hundred a second
// the default is enough: 0.95 of 30/s.
func QueueConfig(paidBroadcast bool, globalRate int) river.QueueConfig {
	if paidBroadcast {
		return river.QueueConfig{MaxWorkers: 100, FetchCooldown: paidFetchCooldown}
	}
	return river.QueueConfig{MaxWorkers: max(20, globalRate/2)}
}

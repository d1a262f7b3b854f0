package notify

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the sending counters exported on /metrics.
type Metrics struct {
	Sent, Throttled, Failed, Blocked, Skipped, DeadLetters prometheus.Counter
}

// NewMetrics creates the counters and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	c := func(name, help string) prometheus.Counter {
		ctr := prometheus.NewCounter(prometheus.CounterOpts{Namespace: "fairdraw", Subsystem: "notify", Name: name, Help: help})
		if reg != nil {
			reg.MustRegister(ctr)
		}
		return ctr
	}
	return &Metrics{
		Sent:        c("sent_total", "Messages delivered to Telegram."),
		Throttled:   c("throttled_total", "Sends answered 429 and postponed by retry_after."),
		Failed:      c("failed_total", "Sends that failed and will be retried."),
		Blocked:     c("blocked_users_total", "Users found to have blocked the bot."),
		Skipped:     c("skipped_blocked_total", "Messages not sent because the user blocked the bot."),
		DeadLetters: c("dead_letters_total", "Messages given up after the last attempt."),
	}
}

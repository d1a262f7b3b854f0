package bot

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	handle      prometheus.Histogram
	precheckout prometheus.Histogram
	malformed   prometheus.Counter
	payments    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		handle: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "fairdraw", Subsystem: "bot", Name: "update_seconds",
			Help: "Time to handle one update.", Buckets: prometheus.DefBuckets}),
		precheckout: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "fairdraw", Subsystem: "bot", Name: "precheckout_seconds",
			Help: "Time from receiving a pre-checkout query to answering it (Telegram allows 10 s).", Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10}}),
		malformed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "fairdraw", Subsystem: "bot", Name: "malformed_updates_total",
			Help: "Updates that could not be decoded or understood."}),
		payments: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "fairdraw", Subsystem: "bot", Name: "stars_payments_total",
			Help: "Stars payments by outcome: entered, refused, replay."}, []string{"outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.handle, m.precheckout, m.malformed, m.payments)
	}
	return m
}

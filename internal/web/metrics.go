package web

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsHandler serves the registry with no access check: for METRICS_ADDR, an address of its
// own that the operator keeps off the internet.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// guardedMetrics serves /metrics beside the public pages. With a token, only requests that carry
// it (Authorization: Bearer TOKEN) are answered. Without one, only direct requests from this
// machine are: a loopback peer with no X-Forwarded-For, so a reverse proxy on the same host does
// not make the metrics public. Everyone else gets 404, as if the route did not exist.
func guardedMetrics(reg *prometheus.Registry, token string) http.Handler {
	next := MetricsHandler(reg)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			want := "Bearer " + token
			if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
				http.Error(w, "metrics need METRICS_TOKEN as a bearer token", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" || !loopbackPeer(r.RemoteAddr) {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func loopbackPeer(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// HTTPMetrics times every request by route pattern (never by raw path, so draw ids do not make
// new series) and status code.
type HTTPMetrics struct {
	seconds *prometheus.HistogramVec
}

// NewHTTPMetrics creates the histogram and registers it with reg.
func NewHTTPMetrics(reg prometheus.Registerer) *HTTPMetrics {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "fairdraw", Subsystem: "http", Name: "request_seconds",
		Help: "Time to answer an HTTP request, by route pattern and status code.", Buckets: prometheus.DefBuckets},
		[]string{"route", "code"})
	reg.MustRegister(h)
	// Pre-create the health route so the series exists before the first request.
	h.WithLabelValues("GET /healthz", "200")
	return &HTTPMetrics{seconds: h}
}

func (m *HTTPMetrics) wrap(next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		defer func() {
			// ServeMux sets r.Pattern on this request when it routes it; unrouted is "none".
			route := r.Pattern
			if route == "" {
				route = "none"
			}
			m.seconds.WithLabelValues(route, strconv.Itoa(rec.code)).Observe(time.Since(start).Seconds())
		}()
		next.ServeHTTP(rec, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, deadlines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

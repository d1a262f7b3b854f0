package web

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fairdraw/fairdraw/internal/raffle/raffletest"
)

// benchGet requests path from a real HTTP server, 50 requests at a time on 2 cores
// (b.SetParallelism(25) x GOMAXPROCS), and reports requests/s and the median latency.
func benchGet(b *testing.B, h http.Handler, path string) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	var lat []time.Duration
	b.SetParallelism(25)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			resp, err := client.Get(srv.URL + path)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("GET %s = %d", path, resp.StatusCode)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// BenchmarkIndex: GET / on PostgreSQL with 10 and with 3,000 draws (10 open, the rest past).
// go test -run '^$' -bench BenchmarkIndex ./internal/web
func BenchmarkIndex(b *testing.B) {
	for _, n := range []int{10, 3000} {
		b.Run(fmt.Sprintf("draws=%d", n), func(b *testing.B) {
			rt := raffletest.Setup(b, raffletest.Options{NoStart: true})
			_, err := rt.Pool.Exec(b.Context(), `
				INSERT INTO raffles (title, currency, fee, min_participants, winners_count, commission_bp, deadline, close_mode,
				                     source, status, entries_count, created_at, list_hash)
				SELECT 'draw ' || i, 'XTR', 10, 2, 1, 1000, now() + interval '1 day', 'deadline', 'drand',
				       CASE WHEN i > $1 - 10 THEN 'open' WHEN i % 2 = 0 THEN 'settled' ELSE 'refunded' END, i % 50, now(),
				       encode(sha256(i::text::bytea), 'hex')
				  FROM generate_series(1, $1::int) AS i`, n)
			if err != nil {
				b.Fatal(err)
			}
			logger := slog.New(slog.NewTextHandler(io.Discard, nil))
			benchGet(b, NewHandler(Deps{Logger: logger, Public: NewPublic(rt.Svc, logger)}), "/")
		})
	}
}

// BenchmarkDrawPage100k: the page and proof.json of a drawn draw with 100,000 entries, its
// proof cached after the first request (the store is in memory: this measures the site).
// go test -run '^$' -bench BenchmarkDrawPage100k ./internal/web
func BenchmarkDrawPage100k(b *testing.B) {
	draws := newFake(b)
	d, p := drawnDraw(b, 50, "big", 100000)
	draws.draws[50], draws.proofs[50] = d, p
	h := newTestHandler(b, draws)
	for _, path := range []string{"/raffles/50", "/raffles/50/proof.json"} {
		b.Run(path, func(b *testing.B) { benchGet(b, h, path) })
	}
}

//go:build !faults

package faults

import (
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
)

// Enabled reports whether the binary was built with crash points.
const Enabled = false

// Point is a crash point; without the faults tag it does nothing.
func Point(string) {}

// WrapTransport returns rt; with the faults tag it adds crash points around each request.
func WrapTransport(_ string, rt http.RoundTripper) http.RoundTripper { return rt }

// Tracer returns nil; with the faults tag it returns a tracer with crash points around commits.
func Tracer() pgx.QueryTracer { return nil }

// JobTimes returns River's job timeout (0: River's default) and rescueAfter unchanged; with the
// faults tag both are a few seconds, so that a job killed mid-run is rescued soon after restart.
func JobTimes(rescueAfter time.Duration) (timeout, rescue time.Duration) { return 0, rescueAfter }

// JobTimeout returns d; with the faults tag, the short timeout of JobTimes, so that a worker with
// a timeout of its own is rescued as soon as the others after a crash.
func JobTimeout(d time.Duration) time.Duration { return d }

package main

import (
	"net/http"
	"time"

	"github.com/fairdraw/fairdraw/internal/faults"
)

// faultClient is the HTTP client for an outside service in a binary built with -tags faults:
// crash points around every request (see internal/faults). Otherwise nil, which each client
// takes as "use your default".
func faultClient(service string) *http.Client {
	if !faults.Enabled {
		return nil
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: faults.WrapTransport(service, nil)}
}

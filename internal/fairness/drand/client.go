package drand

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxBeaconBody bounds how much of a relay response is read.
const maxBeaconBody = 64 << 10

// Client fetches beacons from a drand HTTP relay
// (GET {URL}/{chainhash}/public/{round}, drand/go-clients client/http).
// The zero Chain means quicknet; a nil HTTPClient means http.DefaultClient.
// Client does not retry: a draw job waits and asks again.
type Client struct {
	// URL is the relay base URL, e.g. https://api.drand.sh (DRAND_URL).
	URL string
	// Chain is the chain to fetch and verify against; zero means Quicknet().
	Chain Chain
	// HTTPClient is used for requests; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// Beacon fetches round and returns it only after its signature verified.
// Errors: ErrNotYet (HTTP 425 or 404: not published yet), ErrUnavailable
// (5xx, network), ErrBadSignature (the relay served a beacon that does not
// verify, or for another round).
func (c *Client) Beacon(ctx context.Context, round uint64) (Beacon, error) {
	if round == 0 {
		return Beacon{}, errors.New("drand: round 0 does not exist")
	}
	chain := c.Chain
	if chain.Hash == "" {
		chain = Quicknet()
	}
	pk, err := chain.Key()
	if err != nil {
		return Beacon{}, err
	}
	u := strings.TrimRight(c.URL, "/") + "/" + chain.Hash + "/public/" + strconv.FormatUint(round, 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Beacon{}, fmt.Errorf("drand: build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Beacon{}, fmt.Errorf("drand: get round %d: %w", round, ctx.Err())
		}
		return Beacon{}, fmt.Errorf("%w: get round %d: %w", ErrUnavailable, round, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBeaconBody))
	if err != nil {
		return Beacon{}, fmt.Errorf("%w: read round %d: %w", ErrUnavailable, round, err)
	}
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusTooEarly || resp.StatusCode == http.StatusNotFound:
		return Beacon{}, fmt.Errorf("%w: round %d: http %d", ErrNotYet, round, resp.StatusCode)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return Beacon{}, fmt.Errorf("%w: round %d: http %d", ErrUnavailable, round, resp.StatusCode)
	default:
		return Beacon{}, fmt.Errorf("drand: round %d: unexpected http %d", round, resp.StatusCode)
	}
	var b Beacon
	if err := json.Unmarshal(body, &b); err != nil {
		return Beacon{}, err
	}
	if b.Round != round {
		return Beacon{}, fmt.Errorf("%w: asked for round %d, relay sent round %d", ErrBadSignature, round, b.Round)
	}
	if err := b.Verify(pk); err != nil {
		return Beacon{}, err
	}
	return b, nil
}

package yookassa

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// DefaultTrustedIPList is where YooKassa sends notifications from, as published at
// https://yookassa.ru/developers/using-api/webhooks#ip (research/yookassa.md §3.5). It is the
// default of YOOKASSA_TRUSTED_IPS and the only copy of the list in the code. YooKassa's PHP SDK
// uses the same IPv4 ranges but four narrower IPv6 /64s (2a02:5180:0:1509::/64,
// 2a02:5180:0:2655::/64, 2a02:5180:0:1533::/64, 2a02:5180:0:2669::/64); operators who want
// those can set them through the environment.
const DefaultTrustedIPList = "185.71.76.0/27,185.71.77.0/27,77.75.153.0/25,77.75.156.11,77.75.156.35,77.75.154.128/25,2a02:5180::/32"

// TrustedIPs is a set of addresses and networks. The zero value contains nothing.
type TrustedIPs struct {
	prefixes []netip.Prefix
}

// ParseTrustedIPs parses a comma-separated list of CIDRs and bare addresses ("10.0.0.0/8,
// 127.0.0.1, ::1"). Spaces around items are ignored; an empty list, an empty item or a bad item
// is an error. IPv4-mapped IPv6 entries are stored as IPv4.
func ParseTrustedIPs(s string) (TrustedIPs, error) {
	var t TrustedIPs
	if strings.TrimSpace(s) == "" {
		return t, fmt.Errorf("yookassa: trusted ips: empty list")
	}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return TrustedIPs{}, fmt.Errorf("yookassa: trusted ips: empty item in %q", s)
		}
		var p netip.Prefix
		if strings.Contains(item, "/") {
			var err error
			if p, err = netip.ParsePrefix(item); err != nil {
				return TrustedIPs{}, fmt.Errorf("yookassa: trusted ips: %w", err)
			}
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			p = p.Masked()
		} else {
			a, err := netip.ParseAddr(item)
			if err != nil {
				return TrustedIPs{}, fmt.Errorf("yookassa: trusted ips: %w", err)
			}
			if a.Zone() != "" {
				return TrustedIPs{}, fmt.Errorf("yookassa: trusted ips: %q: zones are not allowed", item)
			}
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		t.prefixes = append(t.prefixes, p)
	}
	return t, nil
}

// TrustedIPsFromPrefixes builds a set from prefixes already parsed elsewhere (config's
// YOOKASSA_TRUSTED_IPS and TRUSTED_PROXIES), normalized as ParseTrustedIPs does. Invalid
// prefixes are skipped; no prefixes make the empty set.
func TrustedIPsFromPrefixes(prefixes []netip.Prefix) TrustedIPs {
	var t TrustedIPs
	for _, p := range prefixes {
		if !p.IsValid() {
			continue
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		t.prefixes = append(t.prefixes, netip.PrefixFrom(p.Addr().WithZone(""), p.Bits()).Masked())
	}
	return t
}

// DefaultTrustedIPs returns DefaultTrustedIPList parsed.
func DefaultTrustedIPs() TrustedIPs {
	t, err := ParseTrustedIPs(DefaultTrustedIPList)
	if err != nil {
		panic("yookassa: DefaultTrustedIPList does not parse: " + err.Error()) // guarded by a test
	}
	return t
}

// Contains reports whether ip is in the set. An invalid address is never contained; IPv4-mapped
// IPv6 addresses match their IPv4 form.
func (t TrustedIPs) Contains(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	ip = ip.Unmap().WithZone("")
	for _, p := range t.prefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// String renders the set in ParseTrustedIPs' syntax.
func (t TrustedIPs) String() string {
	items := make([]string, len(t.prefixes))
	for i, p := range t.prefixes {
		if p.IsSingleIP() {
			items[i] = p.Addr().String()
		} else {
			items[i] = p.String()
		}
	}
	return strings.Join(items, ",")
}

// ClientIP returns the address a request came from, for checking against YooKassa's ranges.
//
// The direct peer (RemoteAddr) is the answer unless it is one of trustedProxies (the operator's
// own reverse proxies). Only then are forwarding headers read: X-Forwarded-For from right to
// left, skipping hops that are themselves trusted proxies, and the first untrusted hop is the
// client; without X-Forwarded-For, X-Real-IP. Anything a client wrote into these headers sits to
// the left of what the proxies appended, so it cannot be picked, and headers from an untrusted
// peer are ignored entirely. If the chain holds nothing but trusted proxies, or a malformed hop
// where a proxy's entry should be, the last good proxy address is returned, which YooKassa's
// ranges will not contain. An unparsable RemoteAddr gives the invalid Addr.
func ClientIP(r *http.Request, trustedProxies TrustedIPs) netip.Addr {
	peer := parseHostAddr(r.RemoteAddr)
	if !peer.IsValid() || !trustedProxies.Contains(peer) {
		return peer
	}
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		hops := strings.Split(strings.Join(xff, ","), ",")
		last := peer
		for i := len(hops) - 1; i >= 0; i-- {
			a := parseHostAddr(strings.TrimSpace(hops[i]))
			if !a.IsValid() {
				return last
			}
			if !trustedProxies.Contains(a) {
				return a
			}
			last = a
		}
		return last
	}
	if a := parseHostAddr(strings.TrimSpace(r.Header.Get("X-Real-IP"))); a.IsValid() {
		return a
	}
	return peer
}

// parseHostAddr accepts "1.2.3.4", "1.2.3.4:5678", "::1", "[::1]:80" and returns the address
// unmapped and without zone, or the invalid Addr.
func parseHostAddr(s string) netip.Addr {
	if s == "" {
		return netip.Addr{}
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone("")
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		if a, err := netip.ParseAddr(host); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	return netip.Addr{}
}

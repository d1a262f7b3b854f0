package yookassa_test

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/fairdraw/fairdraw/internal/payment/yookassa"
)

func TestTrustedIPs(t *testing.T) {
	def := yookassa.DefaultTrustedIPs()
	if got := def.String(); got != yookassa.DefaultTrustedIPList {
		t.Fatalf("String() = %q, want %q", got, yookassa.DefaultTrustedIPList)
	}
	tests := []struct {
		name string
		ip   string
		want bool
	}{
		{"first of 185.71.76.0/27", "185.71.76.0", true},
		{"last of 185.71.76.0/27", "185.71.76.31", true},
		{"just past 185.71.76.0/27", "185.71.76.32", false},
		{"185.71.77.0/27", "185.71.77.10", true},
		{"77.75.153.0/25", "77.75.153.127", true},
		{"past 77.75.153.0/25", "77.75.153.128", false},
		{"77.75.154.128/25", "77.75.154.200", true},
		{"below 77.75.154.128/25", "77.75.154.127", false},
		{"single 77.75.156.11", "77.75.156.11", true},
		{"single 77.75.156.35", "77.75.156.35", true},
		{"neighbour of a single", "77.75.156.12", false},
		{"ipv6 range", "2a02:5180:0:1509::1", true},
		{"ipv6 outside", "2a03:5180::1", false},
		{"ipv4-mapped ipv6", "::ffff:185.71.76.5", true},
		{"loopback", "127.0.0.1", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := def.Contains(netip.MustParseAddr(tc.ip)); got != tc.want {
				t.Fatalf("Contains(%s) = %v, want %v", tc.ip, got, tc.want)
			}
		})
	}
	if def.Contains(netip.Addr{}) {
		t.Fatalf("Contains(invalid) = true")
	}
	var zero yookassa.TrustedIPs
	if zero.Contains(netip.MustParseAddr("185.71.76.1")) {
		t.Fatalf("zero TrustedIPs contains an address")
	}
}

func TestParseTrustedIPs(t *testing.T) {
	good := []struct{ name, in, want string }{
		{"spaces are trimmed", " 10.0.0.0/8 , 127.0.0.1 ", "10.0.0.0/8,127.0.0.1"},
		{"host bits are masked", "10.1.2.3/8", "10.0.0.0/8"},
		{"ipv6 single", "::1", "::1"},
		{"mapped address becomes ipv4", "::ffff:10.0.0.1", "10.0.0.1"},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			got, err := yookassa.ParseTrustedIPs(tc.in)
			if err != nil {
				t.Fatalf("ParseTrustedIPs(%q): %v", tc.in, err)
			}
			if got.String() != tc.want {
				t.Fatalf("ParseTrustedIPs(%q) = %q, want %q", tc.in, got.String(), tc.want)
			}
		})
	}
	bad := []struct{ name, in string }{
		{"empty", ""},
		{"blank", "   "},
		{"empty item", "10.0.0.1,,10.0.0.2"},
		{"trailing comma", "10.0.0.1,"},
		{"hostname", "yookassa.ru"},
		{"bad prefix length", "10.0.0.0/33"},
		{"with port", "10.0.0.1:80"},
		{"zone", "fe80::1%eth0"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := yookassa.ParseTrustedIPs(tc.in); err == nil {
				t.Fatalf("ParseTrustedIPs(%q) = %q, want an error", tc.in, got)
			}
		})
	}
}

func TestClientIP(t *testing.T) {
	proxies, err := yookassa.ParseTrustedIPs("10.0.0.0/8,127.0.0.1,::1")
	if err != nil {
		t.Fatalf("ParseTrustedIPs: %v", err)
	}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		realIP  string
		proxies yookassa.TrustedIPs
		want    string
	}{
		{name: "direct, no proxies configured", remote: "185.71.76.5:40000", want: "185.71.76.5"},
		{name: "direct peer, headers ignored", remote: "203.0.113.9:40000", xff: []string{"185.71.76.5"}, realIP: "185.71.76.6",
			proxies: proxies, want: "203.0.113.9"},
		{name: "spoofed XFF without configured proxies", remote: "203.0.113.9:40000", xff: []string{"185.71.76.5"}, want: "203.0.113.9"},
		{name: "through our proxy", remote: "127.0.0.1:5000", xff: []string{"185.71.76.5"}, proxies: proxies, want: "185.71.76.5"},
		{name: "client-written XFF left of the real hop", remote: "127.0.0.1:5000", xff: []string{"185.71.76.5, 203.0.113.9"},
			proxies: proxies, want: "203.0.113.9"},
		{name: "two proxies", remote: "10.0.0.2:5000", xff: []string{"185.71.76.5, 10.0.0.7"}, proxies: proxies, want: "185.71.76.5"},
		{name: "several XFF headers", remote: "10.0.0.2:5000", xff: []string{"1.1.1.1", "185.71.76.5, 10.0.0.7"}, proxies: proxies, want: "185.71.76.5"},
		{name: "X-Real-IP from our proxy", remote: "127.0.0.1:5000", realIP: "185.71.76.5", proxies: proxies, want: "185.71.76.5"},
		{name: "XFF wins over X-Real-IP", remote: "127.0.0.1:5000", xff: []string{"203.0.113.9"}, realIP: "185.71.76.5", proxies: proxies, want: "203.0.113.9"},
		{name: "garbage where a proxy hop should be", remote: "127.0.0.1:5000", xff: []string{"185.71.76.5, bogus"}, proxies: proxies, want: "127.0.0.1"},
		{name: "only proxies in the chain", remote: "127.0.0.1:5000", xff: []string{"10.0.0.1"}, proxies: proxies, want: "10.0.0.1"},
		{name: "proxy without headers", remote: "127.0.0.1:5000", proxies: proxies, want: "127.0.0.1"},
		{name: "ipv6 proxy", remote: "[::1]:5000", xff: []string{"2a02:5180::10"}, proxies: proxies, want: "2a02:5180::10"},
		{name: "mapped peer", remote: "[::ffff:185.71.76.5]:443", want: "185.71.76.5"},
		{name: "hop with port", remote: "127.0.0.1:5000", xff: []string{"185.71.76.5:1234"}, proxies: proxies, want: "185.71.76.5"},
		{name: "bad remote addr", remote: "nonsense", want: "invalid IP"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/webhooks/yookassa", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if tc.realIP != "" {
				r.Header.Set("X-Real-IP", tc.realIP)
			}
			if got := yookassa.ClientIP(r, tc.proxies).String(); got != tc.want {
				t.Fatalf("ClientIP = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestTrustedIPsFromPrefixes(t *testing.T) {
	var prefixes []netip.Prefix
	for _, s := range []string{"185.71.76.0/27", "77.75.156.11/32", "::ffff:10.0.0.0/104", "2a02:5180::/32"} {
		prefixes = append(prefixes, netip.MustParsePrefix(s))
	}
	set := yookassa.TrustedIPsFromPrefixes(prefixes)
	if got, want := set.String(), "185.71.76.0/27,77.75.156.11,10.0.0.0/8,2a02:5180::/32"; got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	for _, tc := range []struct {
		name string
		ip   string
		want bool
	}{
		{"in a range", "185.71.76.9", true},
		{"single address", "77.75.156.11", true},
		{"mapped prefix matches ipv4", "10.1.2.3", true},
		{"ipv6", "2a02:5180::1", true},
		{"outside", "203.0.113.1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := set.Contains(netip.MustParseAddr(tc.ip)); got != tc.want {
				t.Fatalf("Contains(%s) = %v, want %v", tc.ip, got, tc.want)
			}
		})
	}
	if empty := yookassa.TrustedIPsFromPrefixes(nil); empty.Contains(netip.MustParseAddr("127.0.0.1")) {
		t.Fatal("the empty set contains an address")
	}
}

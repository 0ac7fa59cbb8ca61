package plugin

import (
	"errors"
	"net/netip"
	"strings"

	"github.com/hookguard/hookguard/filter/config"
	"github.com/hookguard/hookguard/filter/internal/proxywasm"
	"github.com/hookguard/hookguard/filter/verify"
)

var errNoSourceAddress = errors.New("the host gave no source.address")

// clientAddress is the address a route's source_cidrs are checked against:
// the connection's peer (Envoy's source.address), or, behind
// trusted_proxy_hops proxies that each append the address they received
// the request from to X-Forwarded-For, the entry that many from the right.
// ok is false when there is none to trust (too few entries, unparsable):
// the request is then refused.
func clientAddress(rt *config.Route, header []verify.Field) (addr netip.Addr, ok bool, err error) {
	raw := ""
	if rt.TrustedProxyHops > 0 {
		var entries []string
		for _, f := range header {
			if f.Name == "x-forwarded-for" {
				for _, e := range strings.Split(f.Value, ",") {
					entries = append(entries, strings.TrimSpace(e))
				}
			}
		}
		if len(entries) < rt.TrustedProxyHops {
			return netip.Addr{}, false, nil
		}
		raw = entries[len(entries)-rt.TrustedProxyHops]
	} else {
		v, err := proxywasm.GetProperty("source", "address")
		if err != nil {
			return netip.Addr{}, false, err
		}
		if v == nil {
			return netip.Addr{}, false, errNoSourceAddress
		}
		raw = string(v)
	}
	return parseAddress(raw)
}

// parseAddress reads "ip", "ip:port" or "[ipv6]:port".
func parseAddress(s string) (netip.Addr, bool, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true, nil
	}
	if a, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return a.Unmap(), true, nil
	}
	return netip.Addr{}, false, nil
}

// sourceAllowed reports whether the request comes from one of the route's
// source_cidrs (always, for a route without them).
func sourceAllowed(rt *config.Route, header []verify.Field) (bool, error) {
	if len(rt.SourceCIDRs) == 0 {
		return true, nil
	}
	addr, ok, err := clientAddress(rt, header)
	if err != nil || !ok {
		return false, err
	}
	for _, p := range rt.SourceCIDRs {
		if p.Contains(addr) {
			return true, nil
		}
	}
	return false, nil
}

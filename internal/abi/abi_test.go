package abi

import (
	"strings"
	"testing"
)

// TestTables: every function is named once, its types are wasm's i32 and
// i64, and a host call names each parameter and its result.
func TestTables(t *testing.T) {
	seen := map[string]bool{}
	for _, table := range [][]Func{Callbacks, HostCalls} {
		for _, f := range table {
			if f.Name == "" || seen[f.Name] {
				t.Errorf("%q: empty or listed twice", f.Name)
			}
			seen[f.Name] = true
			if strings.Trim(f.Params+f.Results, "iI") != "" || len(f.Results) > 1 {
				t.Errorf("%s: types (%s)->(%s); want i and I only, one result at most", f.Name, f.Params, f.Results)
			}
		}
	}
	for _, f := range HostCalls {
		if len(f.ParamNames) != len(f.Params) {
			t.Errorf("%s: %d parameter names for %d parameters", f.Name, len(f.ParamNames), len(f.Params))
		}
		if (f.ResultName != "") != (f.Results != "") {
			t.Errorf("%s: result name %q for results %q", f.Name, f.ResultName, f.Results)
		}
		if strings.HasPrefix(f.Name, "proxy_") && (f.Results != "i" || f.ResultName != "status") {
			t.Errorf("%s: a proxy_* call returns its i32 status", f.Name)
		}
	}
	for _, name := range []string{ProxyOnRequestHeadersName, ProxyLogName} {
		_, cb := Callback(name)
		_, hc := HostCall(name)
		if cb == hc {
			t.Errorf("%s: found as callback %v, as host call %v; want one", name, cb, hc)
		}
	}
}

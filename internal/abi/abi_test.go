package abi

import (
	"strings"
	"testing"
)

// TestTables: every function is named once per ABI version, its types are
// wasm's i32 and i64, and a host call names each parameter and its result.
func TestTables(t *testing.T) {
	seen := map[string]Version{}
	for _, table := range [][]Func{Callbacks, HostCalls} {
		for _, f := range table {
			in := f.Versions
			if in == 0 {
				in = Version010 | Version020 | Version021
			}
			if f.Name == "" || seen[f.Name]&in != 0 {
				t.Errorf("%q: empty or listed twice for one version", f.Name)
			}
			seen[f.Name] |= in
			if strings.Trim(f.Params+f.Results, "iI") != "" || len(f.Results) > 1 {
				t.Errorf("%s: types (%s)->(%s); want i and I only, one result at most", f.Name, f.Params, f.Results)
			}
			if f.Versions&^(Version010|Version020|Version021) != 0 {
				t.Errorf("%s: unknown versions %b", f.Name, f.Versions)
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

// TestVersions: what each ABI version links and how it calls the headers
// callbacks, as proxy-wasm-cpp-host's WasmBase::registerCallbacks and
// getFunctions have it.
func TestVersions(t *testing.T) {
	for _, v := range versions {
		if MarkerVersion(v.Marker()) != v {
			t.Errorf("%v: marker %q reads back as %v", v, v.Marker(), MarkerVersion(v.Marker()))
		}
	}
	if MarkerVersion("proxy_abi_version_0_3_0") != 0 || MarkerVersion(ProxyLogName) != 0 {
		t.Error("MarkerVersion: a version for a name that declares none")
	}
	for v, want := range map[Version]string{
		Version010: "0.1.0", Version021: "0.2.1", Version020 | Version021: "0.2.0 and 0.2.1",
		Version010 | Version020 | Version021: "0.1.0, 0.2.0 and 0.2.1", 0: "",
	} {
		if got := v.String(); got != want {
			t.Errorf("Version(%b).String() = %q, want %q", v, got, want)
		}
	}
	only := map[string]Version{
		ProxyGetConfigurationName: Version010, ProxyContinueRequestName: Version010,
		ProxyContinueResponseName: Version010, ProxyClearRouteCacheName: Version010,
		ProxyContinueStreamName: Version020 | Version021, ProxyCloseStreamName: Version020 | Version021,
		ProxyGetLogLevelName: Version021,
	}
	for _, f := range HostCalls {
		for _, v := range versions {
			_, got := HostCallIn(v, f.Name)
			want := only[f.Name] == 0 || only[f.Name]&v != 0
			if got != want {
				t.Errorf("HostCallIn(%v, %s) found %v, want %v", v, f.Name, got, want)
			}
		}
	}
	for _, name := range []string{ProxyOnRequestHeadersName, ProxyOnResponseHeadersName} {
		for v, want := range map[Version]string{Version010: "ii", Version020: "iii", Version021: "iii"} {
			if f, ok := CallbackIn(v, name); !ok || f.Params != want || f.Results != "i" {
				t.Errorf("CallbackIn(%v, %s) = %+v, %v; want (%s)->(i)", v, name, f, ok, want)
			}
		}
	}
	if _, ok := CallbackIn(Version010, ProxyOnForeignFunctionName); ok {
		t.Errorf("ABI 0.1.0 has %s", ProxyOnForeignFunctionName)
	}
	if _, ok := HostCall(ProxyContinueRequestName); ok {
		t.Errorf("HostCall found %s, which ABI 0.2.x does not have", ProxyContinueRequestName)
	}
}

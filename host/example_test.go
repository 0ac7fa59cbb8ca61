package host_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/hookguard/hookguard/host"
	"github.com/hookguard/hookguard/internal/testing/testwasm"
)

// Example runs one request through a proxy-wasm module without net/http:
// compile once, start a plugin, then one stream per request. It is also
// the host's one smoke test of hookguard's module (a valid request and a
// forged one); the module's behaviour is tested beside it, in ./filter.
func Example() {
	ctx := context.Background()
	wasm := testwasm.MustModule() // in your program: os.ReadFile("hookguard.wasm")

	mod, err := host.Compile(ctx, wasm, host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir()})
	if err != nil {
		panic(err)
	}
	defer mod.Close(ctx)

	secret := "example-secret-0123456789abcdef0123"
	plugin, err := mod.NewPlugin(ctx, host.PluginConfig{
		Configuration:               []byte(`{"secret_env":"SECRET"}`),
		Env:                         map[string]string{"SECRET": secret},
		AllowOnHeadersStopIteration: true,
		VMs:                         1,
	})
	if err != nil {
		panic(err) // a configuration the module refuses is reported here
	}
	defer plugin.Close(ctx)

	body := `{"event":"ping"}`
	mac := hmac.New(sha256.New, []byte(secret)) // what the sender does: hex HMAC-SHA256 of the body
	mac.Write([]byte(body))
	for _, sig := range []string{hex.EncodeToString(mac.Sum(nil)), "forged"} {
		stream, err := plugin.NewStream(ctx)
		if err != nil {
			panic(err)
		}
		out, err := stream.HandleRequest(ctx, &host.Request{
			Header: host.Header{{Key: ":method", Value: "POST"}, {Key: ":path", Value: "/hook"}, {Key: "x-pipes-signature", Value: sig}},
			Body:   strings.NewReader(body),
		})
		stream.Close(ctx)
		if err != nil {
			panic(err)
		}
		if out.LocalResponse != nil {
			fmt.Println("answered by the module:", out.LocalResponse.Status, string(out.LocalResponse.Body))
		} else {
			fmt.Println("let through:", string(out.Body))
		}
	}
	// Output:
	// let through: {"event":"ping"}
	// answered by the module: 401 Invalid signature
}

// ExampleMetrics_WritePrometheus exposes a module's metrics, named as
// Envoy's /stats/prometheus names them.
func ExampleMetrics_WritePrometheus() {
	ctx := context.Background()
	mod, _ := host.Compile(ctx, testwasm.MustModule(), host.ModuleConfig{CompilationCacheDir: testwasm.CacheDir()})
	defer mod.Close(ctx)
	plugin, _ := mod.NewPlugin(ctx, host.PluginConfig{
		Configuration: []byte(`{"secret_env":"SECRET"}`), Env: map[string]string{"SECRET": "example-secret-0123456789abcdef0123"}, VMs: 1,
	})
	defer plugin.Close(ctx)

	stream, _ := plugin.NewStream(ctx)
	stream.HandleRequest(ctx, &host.Request{Header: host.Header{{Key: ":method", Value: "GET"}, {Key: ":path", Value: "/"}}})
	stream.Close(ctx)

	plugin.Metrics().WritePrometheus(os.Stdout) // in a server: an http.Handler on /metrics
	// Output:
	// # TYPE hookguard_config_rejected counter
	// hookguard_config_rejected 0
	// # TYPE hookguard_requests_rejected counter
	// hookguard_requests_rejected{route="_unmatched",reason="headers_too_large"} 0
	// hookguard_requests_rejected{route="_unmatched",reason="internal_error"} 0
	// hookguard_requests_rejected{route="default",reason="body_too_large"} 0
	// hookguard_requests_rejected{route="default",reason="internal_error"} 0
	// hookguard_requests_rejected{route="default",reason="invalid_signature"} 0
	// hookguard_requests_rejected{route="default",reason="malformed_body"} 0
	// hookguard_requests_rejected{route="default",reason="malformed_signature"} 0
	// hookguard_requests_rejected{route="default",reason="malformed_timestamp"} 0
	// hookguard_requests_rejected{route="default",reason="missing_signature"} 1
	// hookguard_requests_rejected{route="default",reason="missing_timestamp"} 0
	// hookguard_requests_rejected{route="default",reason="timestamp_out_of_tolerance"} 0
	// hookguard_requests_rejected{route="default",reason="unauthorized"} 0
	// # TYPE hookguard_requests_verified counter
	// hookguard_requests_verified{route="default",key="SECRET"} 0
}

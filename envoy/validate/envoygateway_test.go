package validate

import (
	"regexp"
	"slices"
	"testing"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	"github.com/hookguard/hookguard/filter/config"
	corev1 "k8s.io/api/core/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

const (
	envoyGatewayDir = "envoy-gateway"
	// hookguardRootID is the root_id envoy/envoy.yaml gives the filter.
	hookguardRootID = "hookguard"
)

// envoyGateway is deploy/envoy-gateway decoded.
type envoyGateway struct {
	policy  *egv1a1.EnvoyExtensionPolicy
	proxy   *egv1a1.EnvoyProxy
	gateway *gwapiv1.Gateway
	route   *gwapiv1.HTTPRoute
	secret  *corev1.Secret
}

func loadEnvoyGateway(t *testing.T) envoyGateway {
	t.Helper()
	ms := loadManifests(t, envoyGatewayDir)
	return envoyGateway{
		policy:  only[*egv1a1.EnvoyExtensionPolicy](t, ms),
		proxy:   only[*egv1a1.EnvoyProxy](t, ms),
		gateway: only[*gwapiv1.Gateway](t, ms),
		route:   only[*gwapiv1.HTTPRoute](t, ms),
		secret:  only[*corev1.Secret](t, ms),
	}
}

// TestEnvoyGatewayReferences checks the policy targets the HTTPRoute, the
// route's parent is the Gateway's listener, and the Gateway's Envoy is the
// EnvoyProxy here, all in one namespace.
func TestEnvoyGatewayReferences(t *testing.T) {
	eg := loadEnvoyGateway(t)
	ns := eg.policy.Namespace
	for _, obj := range []string{eg.route.Namespace, eg.gateway.Namespace, eg.proxy.Namespace} {
		if obj != ns {
			t.Errorf("namespace %q, want the policy's %q", obj, ns)
		}
	}
	refs := eg.policy.Spec.TargetRefs
	if len(refs) != 1 || refs[0].Group != gwapiv1.GroupName || refs[0].Kind != "HTTPRoute" || string(refs[0].Name) != eg.route.Name {
		t.Errorf("policy targets %+v, want only HTTPRoute %s", refs, eg.route.Name)
	}
	var listeners []string
	for _, l := range eg.gateway.Spec.Listeners {
		listeners = append(listeners, string(l.Name))
	}
	for _, p := range eg.route.Spec.ParentRefs {
		if string(p.Name) != eg.gateway.Name || p.SectionName == nil || !slices.Contains(listeners, string(*p.SectionName)) {
			t.Errorf("an HTTPRoute parent is not a listener of Gateway %s (%v)", eg.gateway.Name, listeners)
		}
	}
	infra := eg.gateway.Spec.Infrastructure
	if infra == nil || infra.ParametersRef == nil || infra.ParametersRef.Kind != egv1a1.KindEnvoyProxy || infra.ParametersRef.Name != eg.proxy.Name {
		t.Errorf("Gateway's infrastructure %+v does not name EnvoyProxy %s", infra, eg.proxy.Name)
	}
}

// TestEnvoyGatewayWasm checks the module's settings: from an OCI image,
// failing closed, the root id hookguard registers, and a configuration
// hookguard's parser accepts with the secrets the Envoy pods are given.
func TestEnvoyGatewayWasm(t *testing.T) {
	eg := loadEnvoyGateway(t)
	if len(eg.policy.Spec.Wasm) != 1 {
		t.Fatalf("%d wasm entries, want 1", len(eg.policy.Spec.Wasm))
	}
	w := eg.policy.Spec.Wasm[0]
	if w.Name == nil || *w.Name != "hookguard" || w.RootID == nil || *w.RootID != hookguardRootID {
		t.Errorf("wasm name %v, rootID %v: want hookguard, %s", w.Name, w.RootID, hookguardRootID)
	}
	if w.Code.Type != egv1a1.ImageWasmCodeSourceType || w.Code.Image == nil || w.Code.Image.URL == "" || w.Code.HTTP != nil {
		t.Errorf("code %+v: want type Image with a url", w.Code)
	}
	if w.FailOpen == nil || *w.FailOpen {
		t.Error("failOpen is not set to false: a module that fails must not let requests through")
	}
	if w.Config == nil || w.Env == nil {
		t.Fatal("no config or env")
	}
	env := containerEnv(t, eg.proxyEnv(t), eg.secret)
	hostEnv := map[string]string{}
	for _, k := range w.Env.HostKeys {
		v, ok := env[k]
		if !ok {
			t.Errorf("hostKeys names %s, which the EnvoyProxy's container does not set", k)
		}
		hostEnv[k] = v // the module sees only these
	}
	cfg := parseHookguardConfig(t, w.Config.Raw, hostEnv)
	if cfg.HoldHeaders {
		t.Error(`Envoy Gateway does not set allow_on_headers_stop_iteration: the configuration needs "hold_headers": false`)
	}
	eg.checkRoutesCovered(t, cfg.Routes)
}

// proxyEnv is the environment of the EnvoyProxy's Envoy container.
func (eg envoyGateway) proxyEnv(t *testing.T) []corev1.EnvVar {
	t.Helper()
	p := eg.proxy.Spec.Provider
	if p == nil || p.Kubernetes == nil || p.Kubernetes.EnvoyDeployment == nil || p.Kubernetes.EnvoyDeployment.Container == nil {
		t.Fatal("the EnvoyProxy sets no Envoy container")
	}
	return p.Kubernetes.EnvoyDeployment.Container.Env
}

// checkRoutesCovered checks every request the HTTPRoute sends through
// hookguard matches one of its routes (else it would be 404 no_route).
func (eg envoyGateway) checkRoutesCovered(t *testing.T, routes []config.Route) {
	t.Helper()
	for _, host := range eg.route.Spec.Hostnames {
		for _, rule := range eg.route.Spec.Rules {
			for _, m := range rule.Matches {
				if m.Path == nil || m.Path.Type == nil || *m.Path.Type != gwapiv1.PathMatchExact || m.Method == nil {
					t.Errorf("match %+v: the test checks exact paths with a method", m)
					continue
				}
				if !slices.ContainsFunc(routes, func(rt config.Route) bool {
					return rt.Match.Matches(string(*m.Method), string(host), *m.Path.Value)
				}) {
					t.Errorf("%s %s%s goes to hookguard and matches none of its routes", *m.Method, host, *m.Path.Value)
				}
			}
		}
	}
}

var envoyImageVersion = regexp.MustCompile(`:(?:distroless-)?(v\d+\.\d+\.\d+)`)

// TestEnvoyGatewayEnvoyVersion checks the Envoy that Envoy Gateway's API
// module runs by default (the EnvoyProxy sets no image) is one the module
// loads in.
func TestEnvoyGatewayEnvoyVersion(t *testing.T) {
	eg := loadEnvoyGateway(t)
	if c := eg.proxy.Spec.Provider.Kubernetes.EnvoyDeployment.Container; c.Image != nil || c.ImageRepository != nil {
		t.Fatalf("the EnvoyProxy sets its own image; check that it is Envoy %s or later", minEnvoy)
	}
	m := envoyImageVersion.FindStringSubmatch(egv1a1.DefaultEnvoyProxyImage)
	if m == nil || !atLeast(m[1], minEnvoy) {
		t.Errorf("Envoy Gateway's default Envoy %s is older than %s", egv1a1.DefaultEnvoyProxyImage, minEnvoy)
	}
}

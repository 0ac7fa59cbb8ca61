package validate

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	extensionsv1alpha1 "istio.io/api/extensions/v1alpha1"
	"sigs.k8s.io/yaml"
)

// parseWasmPlugin parses a WasmPlugin manifest's spec strictly into
// Istio's own API message.
func parseWasmPlugin(data []byte) (*extensionsv1alpha1.WasmPlugin, string, error) {
	var doc struct {
		APIVersion string         `json:"apiVersion"`
		Kind       string         `json:"kind"`
		Spec       map[string]any `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, "", err
	}
	spec, err := yaml.Marshal(doc.Spec)
	if err != nil {
		return nil, "", err
	}
	js, err := yaml.YAMLToJSON(spec)
	if err != nil {
		return nil, "", err
	}
	wp := &extensionsv1alpha1.WasmPlugin{}
	return wp, doc.APIVersion + "/" + doc.Kind, protojson.Unmarshal(js, wp)
}

// TestIstioWasmPlugin checks the example manifest against Istio's API and
// the settings hookguard needs there.
func TestIstioWasmPlugin(t *testing.T) {
	data := readFile(t, "istio/wasmplugin.yaml")
	wp, kind, err := parseWasmPlugin(data)
	if err != nil {
		t.Fatalf("istio/wasmplugin.yaml is not a valid WasmPlugin: %v", err)
	}
	if kind != "extensions.istio.io/v1alpha1/WasmPlugin" {
		t.Errorf("kind %q", kind)
	}
	if !strings.HasPrefix(wp.GetUrl(), "oci://") {
		t.Errorf("url %q is not an OCI reference", wp.GetUrl())
	}
	if wp.GetFailStrategy() != extensionsv1alpha1.FailStrategy_FAIL_CLOSE || !strings.Contains(string(data), "failStrategy: FAIL_CLOSE") {
		t.Error("failStrategy is not FAIL_CLOSE, set explicitly")
	}
	if wp.GetSelector() == nil && len(wp.GetTargetRefs()) == 0 {
		t.Error("no selector or targetRefs: the plugin would apply to every workload")
	}
	if len(wp.GetMatch()) == 0 {
		t.Error("no match: the plugin would apply to every port")
	}
	cfg := wp.GetPluginConfig().AsMap()
	if cfg["secret_env"] != secretEnvKey || cfg["secret"] != nil {
		t.Errorf("pluginConfig %v: want secret_env %s and no inline secret", cfg, secretEnvKey)
	}
	if cfg["hold_headers"] != false {
		t.Error("pluginConfig must set hold_headers: false; WasmPlugin cannot set allow_on_headers_stop_iteration")
	}
	fromHost := false
	for _, e := range wp.GetVmConfig().GetEnv() {
		if e.GetName() == secretEnvKey {
			fromHost = e.GetValueFrom() == extensionsv1alpha1.EnvValueSource_HOST && e.GetValue() == ""
		}
	}
	if !fromHost {
		t.Errorf("%s is not taken from the proxy's environment (valueFrom: HOST)", secretEnvKey)
	}
}

func TestIstioValidationIsStrict(t *testing.T) {
	good := string(readFile(t, "istio/wasmplugin.yaml"))
	assertRefused(t, good, func(b []byte) error { _, _, err := parseWasmPlugin(b); return err }, map[string]string{
		"unknown field": strings.Replace(good, "failStrategy:", "failStrategie:", 1),
		"bad enum":      strings.Replace(good, "failStrategy: FAIL_CLOSE", "failStrategy: FAIL_SOMETIMES", 1),
	})
}

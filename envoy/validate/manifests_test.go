package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	kustomize "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// deployDir holds the manifests these tests check (deploy/ at the root).
const deployDir = "../../deploy"

// errUnknownKind is a manifest whose apiVersion and kind no test knows:
// it would go unchecked.
var errUnknownKind = errors.New("no Go type known for this apiVersion and kind")

// manifestTypes are the API types the manifests under deploy/ may be, by
// "apiVersion/kind": each is decoded into its API's own Go type.
var manifestTypes = map[string]func() any{
	"v1/Namespace":                           func() any { return &corev1.Namespace{} },
	"v1/ConfigMap":                           func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                              func() any { return &corev1.Secret{} },
	"v1/Service":                             func() any { return &corev1.Service{} },
	"apps/v1/Deployment":                     func() any { return &appsv1.Deployment{} },
	"gateway.networking.k8s.io/v1/Gateway":   func() any { return &gwapiv1.Gateway{} },
	"gateway.networking.k8s.io/v1/HTTPRoute": func() any { return &gwapiv1.HTTPRoute{} },
	"gateway.envoyproxy.io/v1alpha1/EnvoyExtensionPolicy": func() any {
		return &egv1a1.EnvoyExtensionPolicy{}
	},
	"gateway.envoyproxy.io/v1alpha1/EnvoyProxy":     func() any { return &egv1a1.EnvoyProxy{} },
	"kustomize.config.k8s.io/v1beta1/Kustomization": func() any { return &kustomize.Kustomization{} },
}

// manifest is one decoded YAML document and where it came from.
type manifest struct {
	file string // relative to deployDir
	kind string // apiVersion/kind
	obj  any
}

var docSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// decodeStrict decodes one YAML document into the Go type of its
// apiVersion and kind; a field that type does not have is an error, as it
// is for `kubectl apply --validate=strict`.
func decodeStrict(doc []byte) (string, any, error) {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return "", nil, err
	}
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(js, &meta); err != nil {
		return "", nil, err
	}
	kind := meta.APIVersion + "/" + meta.Kind
	newObj, ok := manifestTypes[kind]
	if !ok {
		return kind, nil, fmt.Errorf("%s: %w", kind, errUnknownKind)
	}
	obj := newObj()
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return kind, nil, fmt.Errorf("%s: %w", kind, err)
	}
	return kind, obj, nil
}

// loadManifests decodes every YAML document under dir (relative to
// deployDir), failing the test on any that does not decode strictly.
func loadManifests(t *testing.T, dir string) []manifest {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deployDir, dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s: %v", filepath.Join(deployDir, dir), err)
	}
	var out []manifest
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(deployDir, path)
		for i, doc := range docSeparator.Split(string(data), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			kind, obj, err := decodeStrict([]byte(doc))
			if err != nil {
				t.Errorf("%s, document %d: %v", rel, i+1, err)
				continue
			}
			out = append(out, manifest{file: rel, kind: kind, obj: obj})
		}
	}
	return out
}

// stripComments drops YAML comment lines.
func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// only returns the one manifest of type T among ms, failing the test if
// there is not exactly one.
func only[T any](t *testing.T, ms []manifest) T {
	t.Helper()
	var found []T
	for _, m := range ms {
		if obj, ok := m.obj.(T); ok {
			found = append(found, obj)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("%d manifests of type %T, want 1", len(found), zero)
	}
	return found[0]
}

// TestEveryManifestDecodesStrictly walks all of deploy/: every YAML file,
// wherever it is, must be a type these tests know and decode strictly.
func TestEveryManifestDecodesStrictly(t *testing.T) {
	var dirs []string
	err := filepath.WalkDir(deployDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			rel, _ := filepath.Rel(deployDir, filepath.Dir(path))
			if !strings.HasSuffix(path, ".yaml") {
				t.Errorf("%s: name it .yaml, as the tests read", path)
			}
			dirs = append(dirs, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var count int
	for _, dir := range dirs {
		if !seen[dir] {
			seen[dir] = true
			count += len(loadManifests(t, dir))
		}
	}
	if count < 10 {
		t.Errorf("decoded %d manifests under deploy/, want the Kubernetes and Envoy Gateway ones (at least 10)", count)
	}
}

// TestDecodeStrictRefusesUnknownFields shows the decoding is strict: a
// misspelt field, which Kubernetes would drop silently under a lax
// decoder, is an error, and so is a kind nothing checks.
func TestDecodeStrictRefusesUnknownFields(t *testing.T) {
	for _, doc := range []string{
		"apiVersion: apps/v1\nkind: Deployment\nspec:\n  replica: 2\n",
		"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyExtensionPolicy\nspec:\n  wasm:\n  - code: {type: Image, image: {url: x, digest: y}}\n",
	} {
		if _, _, err := decodeStrict([]byte(doc)); err == nil || !strings.Contains(err.Error(), "unknown field") {
			t.Errorf("decodeStrict(%q) = %v, want an unknown field error", doc, err)
		}
	}
	if _, _, err := decodeStrict([]byte("apiVersion: v1\nkind: Pod\n")); !errors.Is(err, errUnknownKind) {
		t.Errorf("a Pod: %v, want errUnknownKind", err)
	}
}

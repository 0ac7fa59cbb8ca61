package validate

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookguard/hookguard/filter/config"
	corev1 "k8s.io/api/core/v1"
)

// placeholderMark is in every value of a committed Secret: those values
// are placeholders, never secrets.
const placeholderMark = "REPLACE-ME"

// secretValues returns a Secret's keys and values, from data and
// stringData alike, failing the test on a value not marked a placeholder.
func secretValues(t *testing.T, s *corev1.Secret) map[string]string {
	t.Helper()
	values := map[string]string{}
	for k, v := range s.Data {
		values[k] = string(v)
	}
	for k, v := range s.StringData {
		values[k] = v
	}
	for k, v := range values {
		if !strings.Contains(v, placeholderMark) {
			t.Errorf("Secret %s: key %s does not hold a placeholder marked %s", s.Name, k, placeholderMark)
		}
	}
	return values
}

// containerEnv is what a container's environment holds: plain values, and
// each secretKeyRef's value looked up in secret (whose name it must name,
// with a key it holds).
func containerEnv(t *testing.T, env []corev1.EnvVar, secret *corev1.Secret) map[string]string {
	t.Helper()
	values := secretValues(t, secret)
	out := map[string]string{}
	for _, e := range env {
		ref := e.ValueFrom
		switch {
		case ref == nil:
			out[e.Name] = e.Value
		case ref.SecretKeyRef != nil:
			if ref.SecretKeyRef.Name != secret.Name {
				t.Errorf("env %s: from Secret %q, want %q", e.Name, ref.SecretKeyRef.Name, secret.Name)
			}
			v, ok := values[ref.SecretKeyRef.Key]
			if !ok {
				t.Errorf("env %s: Secret %s has no key %s", e.Name, secret.Name, ref.SecretKeyRef.Key)
			}
			out[e.Name] = v
		default:
			t.Errorf("env %s: only values and secretKeyRefs are checked", e.Name)
		}
	}
	return out
}

// parseHookguardConfig parses data with hookguard's own parser, as the
// module does at plugin start, with env as the environment. Warnings
// (placeholders are short secrets, perhaps) are not failures.
func parseHookguardConfig(t *testing.T, data []byte, env map[string]string) config.Config {
	t.Helper()
	for _, name := range config.EnvNames(data) {
		if _, ok := env[name]; !ok {
			t.Errorf("the configuration reads %s, which the environment does not set", name)
		}
	}
	cfg, _, err := config.Parse(data, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("hookguard refuses the configuration: %v", err)
	}
	if len(cfg.Routes) == 0 {
		t.Fatal("the configuration has no routes")
	}
	return cfg
}

// TestParseHookguardConfigFailsClosed shows the parser these tests rely
// on refuses what they must catch: an unset secret and an unknown field.
func TestParseHookguardConfigFailsClosed(t *testing.T) {
	env := func(string) (string, bool) { return "", false }
	for data, want := range map[string]error{
		`{"routes": [{"name": "a", "scheme": "github", "secrets": [{"env": "UNSET_IN_THIS_TEST"}]}]}`:                              config.ErrSecretEnvUnset,
		`{"routes": [{"name": "a", "scheme": "github", "secrets": [{"value": "0123456789abcdef0123456789abcdef"}], "colour": 1}]}`: config.ErrUnknownField,
	} {
		if _, _, err := config.Parse([]byte(data), env); !errors.Is(err, want) {
			t.Errorf("config.Parse(%s) = %v, want %v", data, err, want)
		}
	}
}

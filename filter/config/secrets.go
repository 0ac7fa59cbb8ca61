package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hookguard/hookguard/filter/verify"
)

// MinSecretLen is the shortest secret accepted without a warning: Pipes.bot
// advises "at least 32 random hex characters".
const MinSecretLen = 32

// Secret holds secret bytes and refuses to be printed by fmt or log.
type Secret []byte

// String returns a placeholder, never the secret.
func (Secret) String() string { return "[redacted]" }

// GoString returns a placeholder, never the secret.
func (Secret) GoString() string { return "[redacted]" }

// Format prints a placeholder for every verb, so %x or %v cannot leak it.
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, "[redacted]") }

type rawSecret struct {
	ID    string  `json:"id"`
	Env   *string `json:"env"`
	File  *string `json:"file"`
	Value *string `json:"value"`
	// Optional lets the plugin start when Env is unset: the secret is
	// skipped, and a route left without secrets answers 500 (fail closed).
	Optional bool `json:"optional"`
	// NotBefore and NotAfter (RFC 3339) bound when the secret verifies
	// (keylife.go).
	NotBefore *string `json:"not_before"`
	NotAfter  *string `json:"not_after"`
}

// readSecrets reads a route's secrets from the environment or inline.
// warnShort warns of a secret shorter than MinSecretLen.
func readSecrets(r *Route, secrets []rawSecret, warnShort bool, lookupEnv func(string) (string, bool)) ([]verify.Key, []string, error) {
	if len(secrets) == 0 {
		return nil, nil, fmt.Errorf(`%w: set "secrets": [{"id": …, "env": …}]`, ErrNoSecret)
	}
	var keys []verify.Key
	var warnings, unset []string
	ids := map[string]bool{}
	for i, s := range secrets {
		id, value, source, err := readSecret(i, s, lookupEnv)
		if err != nil {
			return nil, nil, err
		}
		if value == "" { // optional and unset
			if s.File != nil {
				unset = append(unset, "file "+*s.File)
			} else {
				unset = append(unset, *s.Env)
			}
			continue
		}
		w, err := checkSecret(r.Name, i, id, value, source, warnShort)
		if err != nil {
			return nil, nil, err
		}
		if ids[id] {
			return nil, nil, fmt.Errorf(`secret %d: %w: id %q is used twice`, i, ErrInvalidRoute, id)
		}
		ids[id] = true
		warnings = append(warnings, w...)
		nb, na, err := parseLife(i, s)
		if err != nil {
			return nil, nil, err
		}
		keys = append(keys, verify.Key{ID: id, Secret: Secret(value)})
		r.KeyLives = append(r.KeyLives, KeyLife{ID: id, NotBefore: nb, NotAfter: na})
		r.KeyIDs = append(r.KeyIDs, id)
		r.SecretSources = append(r.SecretSources, source)
	}
	if len(keys) == 0 && len(unset) > 0 {
		warnings = append(warnings, "route "+r.Name+": none of its optional secrets is set ("+strings.Join(unset, ", ")+"): its requests are refused with 500 until one is")
	}
	return keys, warnings, nil
}

// readSecret reads the i-th secret: its id, value and where it came from
// ("env:NAME" or "inline"). An optional secret whose variable is unset has
// no value.
func readSecret(i int, s rawSecret, lookupEnv func(string) (string, bool)) (id, value, source string, err error) {
	id = s.ID
	if s.File != nil {
		return readFileSecret(i, s, lookupEnv)
	}
	switch {
	case s.Env != nil && s.Value != nil:
		return "", "", "", fmt.Errorf(`secret %d: %w: set only one of "env", "file" and "value"`, i, ErrInvalidRoute)
	case s.Env != nil:
		if *s.Env == "" {
			return "", "", "", fmt.Errorf(`secret %d: %w: "env" is empty`, i, ErrNoSecret)
		}
		v, ok := lookupEnv(*s.Env)
		if (!ok || v == "") && s.Optional {
			return "", "", "", nil
		}
		if !ok || v == "" {
			return "", "", "", fmt.Errorf("%w: %s (where the module runs: a host passes it only the variables it is given, as Envoy's host_env_keys)", ErrSecretEnvUnset, *s.Env)
		}
		if id == "" {
			id = *s.Env
		}
		return id, v, "env:" + *s.Env, nil
	case s.Value != nil:
		if *s.Value == "" {
			return "", "", "", fmt.Errorf(`secret %d: %w: "value" is empty`, i, ErrNoSecret)
		}
		if id == "" {
			id = "inline" + strconv.Itoa(i)
		}
		return id, *s.Value, "inline", nil
	}
	return "", "", "", fmt.Errorf(`secret %d: %w: set "env" (preferred) or "value"`, i, ErrNoSecret)
}

// A secret from a file ("file": a path, as Kubernetes and Docker mount
// secrets): the module has no file system (no host gives a proxy-wasm
// module one), so the host reads the file and passes its content as the
// variable FileVariable names; hookguard serve does, and re-reads it when
// it changes. In Envoy, give secrets by "env" (host_env_keys).

// FileVariable is the variable a host passes a "file" secret's content in.
func FileVariable(path string) string { return "HOOKGUARD_FILE:" + path }

// readFileSecret reads the i-th secret, a "file" one.
func readFileSecret(i int, s rawSecret, lookupEnv func(string) (string, bool)) (id, value, source string, err error) {
	switch {
	case s.Env != nil || s.Value != nil:
		return "", "", "", fmt.Errorf(`secret %d: %w: set only one of "env", "file" and "value"`, i, ErrInvalidRoute)
	case !strings.HasPrefix(*s.File, "/"):
		return "", "", "", fmt.Errorf(`secret %d: %w: "file" must be an absolute path`, i, ErrInvalidRoute)
	}
	v, ok := lookupEnv(FileVariable(*s.File))
	if (!ok || v == "") && s.Optional {
		return "", "", "", nil
	}
	if !ok || v == "" {
		return "", "", "", fmt.Errorf("%w: secret file %s is missing or empty, or the host did not pass it (hookguard serve reads \"file\" secrets; Envoy gives modules no files: use \"env\" and host_env_keys there)", ErrSecretEnvUnset, *s.File)
	}
	if id = s.ID; id == "" {
		id = "file" + strconv.Itoa(i)
	}
	return id, v, "file:" + *s.File, nil
}

// checkSecret checks the i-th secret's id and value, and returns what to
// warn of: an inline secret, surrounding whitespace, a short secret.
func checkSecret(route string, i int, id, value, source string, warnShort bool) ([]string, error) {
	var warnings []string
	if source == "inline" {
		warnings = append(warnings, "route "+route+": secret "+id+" is inline in the configuration; prefer \"env\"")
	}
	if !validName(id) {
		return nil, fmt.Errorf(`secret %d: %w: "id" must be 1-64 letters, digits, '-' or '_'`, i, ErrInvalidRoute)
	}
	// A blank secret would verify what anyone can sign; surrounding
	// whitespace is usually a file's newline that the provider's
	// secret does not have (PEM keys and JWK Sets may carry it).
	trimmed := strings.TrimSpace(value)
	if trimmed == "" {
		return nil, fmt.Errorf("secret %s from %s: %w", id, source, ErrBlankSecret)
	}
	if trimmed != value && !strings.HasPrefix(trimmed, "-----BEGIN") && !strings.HasPrefix(trimmed, "{") {
		warnings = append(warnings, fmt.Sprintf("route %s: secret %s from %s begins or ends with whitespace (a newline from a file?), which is part of the secret", route, id, source))
	}
	if len(value) < MinSecretLen && warnShort {
		warnings = append(warnings, fmt.Sprintf("route %s: secret %s from %s is %d characters; use at least %d random characters", route, id, source, len(value), MinSecretLen))
	}
	return warnings, nil
}

// EnvNames returns every environment variable data names — the value of
// any field called "env" or ending in "_env" ("secret_env", "jwks_env",
// a secret's "env"), at any depth — in order, without reading them: a host
// passes exactly these to the module (Envoy's host_env_keys, the
// gateway's environment). Invalid JSON is Parse's to report; EnvNames
// returns what it found before the fault.
func EnvNames(data []byte) []string { return fieldValues(data, isEnvField) }

// FileNames returns every file data names as a secret's "file", in order,
// without reading them: a host reads each and passes its content as the
// variable FileVariable names.
func FileNames(data []byte) []string {
	return fieldValues(data, func(key string) bool { return key == "file" })
}

// fieldValues returns the string values of the fields whose name wanted
// accepts, at any depth, each once.
func fieldValues(data []byte, wanted func(key string) bool) []string {
	// A frame is an open object or array; in an object, key is the field
	// whose value comes next, or "" while a key is awaited.
	type frame struct {
		object  bool
		key     string
		wantKey bool
	}
	stack := []frame{{}}
	var names []string
	seen := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return names
		}
		top := &stack[len(stack)-1]
		if k, ok := tok.(string); ok && top.object && top.wantKey {
			top.key, top.wantKey = k, false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, frame{object: tok == json.Delim('{'), wantKey: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			if len(stack) == 1 {
				return names
			}
			stack = stack[:len(stack)-1]
		default:
			if v, ok := tok.(string); ok && top.object && wanted(top.key) && v != "" && !seen[v] {
				seen[v] = true
				names = append(names, v)
			}
		}
		// A value ended: its object awaits the next key.
		if top := &stack[len(stack)-1]; top.object {
			top.wantKey = true
		}
	}
}

// isEnvField reports whether a configuration field names an environment
// variable.
func isEnvField(key string) bool { return key == "env" || strings.HasSuffix(key, "_env") }

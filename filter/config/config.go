// Package config parses hookguard's plugin configuration: the JSON that
// Envoy passes to the filter as a google.protobuf.StringValue, and that our
// host passes the same way.
//
//	{
//	  "secret_env": "PIPES_WEBHOOK_SECRET",
//	  "max_body_bytes": 1048576,
//	  "hold_headers": true
//	}
//
// Parse is a pure function: the environment comes in as a lookup function,
// so it is tested natively and the filter fails plugin start on any error.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/hookguard/hookguard/filter/verify"
)

// MinSecretLen is the shortest secret accepted without a warning: Pipes.bot
// advises "at least 32 random hex characters".
const MinSecretLen = 32

// SchemePipes is the Pipes.bot scheme, and the default.
const SchemePipes = "pipes"

// Errors returned by Parse, wrapped with detail. None carries a secret.
var (
	ErrSyntax          = errors.New("configuration is not valid JSON")
	ErrUnknownField    = errors.New("unknown configuration field")
	ErrNoSecret        = errors.New("no secret configured")
	ErrSecretTwice     = errors.New(`set only one of "secret" and "secret_env"`)
	ErrSecretEnvUnset  = errors.New("secret environment variable is unset or empty")
	ErrUnknownScheme   = errors.New("unknown scheme")
	ErrInvalidBodySize = errors.New("max_body_bytes must be a positive number of bytes")
)

// Config is a parsed, validated configuration.
type Config struct {
	// Scheme is the signature scheme; only "pipes" so far.
	Scheme string
	// Secret is the shared secret. Its String method never prints it.
	Secret Secret
	// SecretSource says where the secret came from ("inline" or
	// "env:NAME"), for log lines.
	SecretSource string
	// MaxBodyBytes caps the request body; over it the filter answers 413.
	MaxBodyBytes int64
	// HoldHeaders keeps the request headers from the upstream until the
	// verdict (the default). It needs Envoy's allow_on_headers_stop_iteration;
	// where that cannot be set (Istio's WasmPlugin), false lets the headers
	// go on at once while the body is still held until the verdict.
	HoldHeaders bool
}

// Secret holds secret bytes and refuses to be printed by fmt or log.
type Secret []byte

// String returns a placeholder, never the secret.
func (Secret) String() string { return "[redacted]" }

// GoString returns a placeholder, never the secret.
func (Secret) GoString() string { return "[redacted]" }

// Format prints a placeholder for every verb, so %x or %v cannot leak it.
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, "[redacted]") }

// Verifier builds the verifier this configuration describes.
func (c Config) Verifier() (*verify.Pipes, error) {
	return verify.NewPipes(c.MaxBodyBytes, c.Secret)
}

type rawConfig struct {
	Scheme       *string `json:"scheme"`
	Secret       *string `json:"secret"`
	SecretEnv    *string `json:"secret_env"`
	MaxBodyBytes *int64  `json:"max_body_bytes"`
	HoldHeaders  *bool   `json:"hold_headers"`
}

// Parse parses and validates data. lookupEnv reads the environment the
// filter runs in (os.LookupEnv in the module). It returns warnings a
// caller should log, such as a short secret; any error means the plugin
// must not start.
func Parse(data []byte, lookupEnv func(string) (string, bool)) (Config, []string, error) {
	var raw rawConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return Config{}, nil, describeDecodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Config{}, nil, fmt.Errorf("%w: data after the configuration object", ErrSyntax)
	}

	cfg := Config{Scheme: SchemePipes, MaxBodyBytes: verify.DefaultMaxBodyBytes, HoldHeaders: true}
	if raw.HoldHeaders != nil {
		cfg.HoldHeaders = *raw.HoldHeaders
	}
	if raw.Scheme != nil {
		if *raw.Scheme != SchemePipes {
			return Config{}, nil, fmt.Errorf("%w %q (supported: %q)", ErrUnknownScheme, *raw.Scheme, SchemePipes)
		}
	}
	if raw.MaxBodyBytes != nil {
		if *raw.MaxBodyBytes <= 0 {
			return Config{}, nil, fmt.Errorf("%w, got %d", ErrInvalidBodySize, *raw.MaxBodyBytes)
		}
		cfg.MaxBodyBytes = *raw.MaxBodyBytes
	}

	switch {
	case raw.Secret != nil && raw.SecretEnv != nil:
		return Config{}, nil, ErrSecretTwice
	case raw.SecretEnv != nil:
		name := *raw.SecretEnv
		if name == "" {
			return Config{}, nil, fmt.Errorf(`%w: "secret_env" is empty`, ErrNoSecret)
		}
		v, ok := lookupEnv(name)
		if !ok || v == "" {
			return Config{}, nil, fmt.Errorf("%w: %s", ErrSecretEnvUnset, name)
		}
		cfg.Secret, cfg.SecretSource = Secret(v), "env:"+name
	case raw.Secret != nil:
		if *raw.Secret == "" {
			return Config{}, nil, fmt.Errorf(`%w: "secret" is empty`, ErrNoSecret)
		}
		cfg.Secret, cfg.SecretSource = Secret(*raw.Secret), "inline"
	default:
		return Config{}, nil, fmt.Errorf(`%w: set "secret_env" (preferred) or "secret"`, ErrNoSecret)
	}

	var warnings []string
	if len(cfg.Secret) < MinSecretLen {
		warnings = append(warnings, fmt.Sprintf("secret from %s is %d characters; use at least %d random characters", cfg.SecretSource, len(cfg.Secret), MinSecretLen))
	}
	if !cfg.HoldHeaders {
		warnings = append(warnings, "hold_headers is false: request headers reach the upstream before the verdict (bodies still do not)")
	}
	if cfg.SecretSource == "inline" {
		warnings = append(warnings, `secret is inline in the configuration; prefer "secret_env"`)
	}
	return cfg, warnings, nil
}

// describeDecodeError turns a json error into one of ours that names fields
// and offsets, never values, so it is safe to log.
func describeDecodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &syntaxErr):
		// The decoder's text quotes the offending character, which may sit
		// inside an inline secret: report only where it is.
		return fmt.Errorf("%w: syntax error at byte %d", ErrSyntax, syntaxErr.Offset)
	case errors.As(err, &typeErr):
		return fmt.Errorf("%w: field %q must be a %s, got %s", ErrSyntax, typeErr.Field, typeErr.Type, typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("%w %s", ErrUnknownField, strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: configuration is empty", ErrSyntax)
	default:
		return fmt.Errorf("%w: %v", ErrSyntax, err)
	}
}

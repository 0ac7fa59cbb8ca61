package main

import (
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/hookguard/hookguard/filter/config"
)

// defaultConfig is the plugin configuration used unless HOOKGUARD_CONFIG
// names another. It is the same text envoy/envoy.yaml embeds.
//
//go:embed default-config.json
var defaultConfig []byte

const secretEnv = "PIPES_WEBHOOK_SECRET"

// fileSuffix names the variable that holds a secret's file: a variable
// the configuration names, when unset, is read from the file NAME_FILE
// names (Docker and Kubernetes secrets), and serve reloads when it changes.
const fileSuffix = "_FILE"

// pluginSettings are what a plugin is started with: read at start and at
// each reload.
type pluginSettings struct {
	config     []byte
	defaultCfg bool
	cfg        config.Config // parsed here too, to fail before any VM starts
	warnings   []string
	env        map[string]string // the module's whole environment
	generated  string            // a secret made for this run, printed once it starts
}

// pluginSource is where pluginSettings come from.
type pluginSource struct {
	lookupEnv  func(string) (string, bool)
	configPath string   // "" for the default configuration
	envKeys    []string // HOOKGUARD_ENV_KEYS
	generated  string   // the default configuration's secret, once made: kept across reloads
}

// load reads the configuration and the environment it names. Errors name
// the setting at fault and never carry a secret.
func (src *pluginSource) load() (*pluginSettings, error) {
	ps := &pluginSettings{config: defaultConfig, defaultCfg: true}
	if src.configPath != "" {
		var err error
		if ps.config, err = os.ReadFile(src.configPath); err != nil {
			return nil, fmt.Errorf("HOOKGUARD_CONFIG: %w", err)
		}
		ps.defaultCfg = false
	}
	// The module sees only the variables its configuration names, and
	// HOOKGUARD_ENV_KEYS, as Envoy's host_env_keys.
	env, err := resolveEnv(append(config.EnvNames(ps.config), src.envKeys...), src.lookupEnv)
	if err != nil {
		return nil, err
	}
	ps.env = env
	if err := readSecretFiles(ps.config, ps.env); err != nil {
		return nil, err
	}
	if _, ok := ps.env[secretEnv]; !ok && ps.defaultCfg {
		if src.generated == "" {
			b := make([]byte, 32)
			rand.Read(b)
			src.generated = hex.EncodeToString(b)
		}
		ps.generated = src.generated
		ps.env[secretEnv] = src.generated
	}
	ps.cfg, ps.warnings, err = config.Parse(ps.config, mapLookup(ps.env))
	if err != nil {
		if ps.defaultCfg {
			return nil, fmt.Errorf("default configuration: %w", err)
		}
		return nil, fmt.Errorf("HOOKGUARD_CONFIG: %w", err)
	}
	return ps, nil
}

// errBothSet: a secret given twice, in NAME and in the file NAME_FILE
// names, is refused rather than one silently preferred.
var errBothSet = errors.New("set only one of a variable and its _FILE")

// resolveEnv reads each named variable, or the file its NAME_FILE names.
// A file's one trailing newline is not part of the secret.
func resolveEnv(names []string, lookupEnv func(string) (string, bool)) (map[string]string, error) {
	env := map[string]string{}
	for _, k := range names {
		v, ok := lookupEnv(k)
		path, fromFile := lookupEnv(k + fileSuffix)
		switch {
		case ok && v != "" && fromFile && path != "":
			return nil, fmt.Errorf("%s: %w", k, errBothSet)
		case ok && v != "":
			env[k] = v
		case fromFile && path != "":
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("%s%s: %w", k, fileSuffix, err)
			}
			if s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"); s != "" {
				env[k] = s
			}
		}
	}
	return env, nil
}

// readSecretFiles reads each secret "file" the configuration names into
// the variable the module reads it from (config.FileVariable). A file's
// one trailing newline is not part of the secret.
func readSecretFiles(configData []byte, env map[string]string) error {
	for _, path := range config.FileNames(configData) {
		b, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // an optional secret's, or the configuration says it is missing
		}
		if err != nil {
			return fmt.Errorf("secret file: %w", err)
		}
		if s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r"); s != "" {
			env[config.FileVariable(path)] = s
		}
	}
	return nil
}

// secretFiles are the files the configuration's secrets are read from: its
// "file" secrets, and the NAME_FILE of the variables it names.
func secretFiles(configData []byte, envKeys []string, lookupEnv func(string) (string, bool)) []string {
	files := config.FileNames(configData)
	for _, k := range append(config.EnvNames(configData), envKeys...) {
		if path, ok := lookupEnv(k + fileSuffix); ok && path != "" {
			files = append(files, path)
		}
	}
	return files
}

func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

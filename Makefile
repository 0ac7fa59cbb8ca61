# hookguard — `make help` lists the targets.
GO       ?= go
WASM     := build/hookguard.wasm
# Tests exercise the module this Makefile just built: what is tested is what ships.
TEST_ENV := HOOKGUARD_WASM=$(abspath $(WASM))
# Tools are pinned and run with `go run`, so nothing needs installing first.
# `go run tool@version` asks the module proxy about the tool's module even
# when the module cache holds it; GO_PINNED names the cache as the first
# proxy, which answers offline, and what it lacks falls through to GOPROXY.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GO_PINNED   = GOPROXY=file://$$($(GO) env GOMODCACHE)/cache/download,$$($(GO) env GOPROXY) $(GO)
# govulncheck reads its database from a local copy built from the pinned
# golang.org/x/vulndb module: the module proxy serves that, where vuln.go.dev
# may not be reachable. The standard library is checked as the patched Go
# release VULN_GO builds it (fetched by the go command like a module); a
# machine's own older Go is reported by `make vulncheck VULN_GO=local`.
GOVULNCHECK    := golang.org/x/vuln/cmd/govulncheck@v1.9.0
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018
VULNDB         := build/vulndb-$(VULNDB_VERSION)
VULN_GO        ?= go1.26.10

.PHONY: help build run test bench abuse soak microbench fuzz cover check generate vulncheck clean envoy-up envoy-down e2e image module-image

COMPOSE := docker compose -f envoy/docker-compose.yaml
# Says what is missing instead of failing obscurely where no Docker engine runs.
NEED_DOCKER = @docker info >/dev/null 2>&1 || { echo "$@ needs a running Docker engine with compose (\`docker info\` failed)."; exit 1; }

help: ## List the targets.
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: $(WASM) ## Build the proxy-wasm filter module (build/hookguard.wasm).

# Every non-test Go and assembly file in the tree: more than the module or
# the gateway reads, but still right when a package moves or a new one (say
# header/) is imported, and go build's cache keeps the extra rebuilds cheap.
SOURCES := $(shell find . -name node_modules -prune -o \( -name '*.go' -o -name '*.s' \) -not -name '*_test.go' -print)

$(WASM): go.mod go.sum $(SOURCES)
	@mkdir -p $(dir $@)
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o $@ ./filter

GATEWAY := build/hookguard

run: build $(GATEWAY) ## Run the verifying gateway on 127.0.0.1:8080 until Ctrl-C (see README).
	@./$(GATEWAY) serve

# Built rather than `go run`, whose own handling of Ctrl-C made make report
# "Error 1" after the gateway had stopped cleanly.
$(GATEWAY): go.mod go.sum $(SOURCES) cmd/hookguard/default-config.json
	@mkdir -p $(dir $@)
	$(GO) build -o $@ ./cmd/hookguard

# wazero's CLI runs the pure packages' tests compiled to wasip1: the same
# tables natively and inside WebAssembly, as the module runs them.
WAZERO := build/wazero

$(WAZERO): go.mod go.sum
	@mkdir -p $(dir $@)
	$(GO) build -o $@ github.com/tetratelabs/wazero/cmd/wazero

test: build $(WAZERO) ## Build the module and run every test, with the race detector.
	$(TEST_ENV) $(GO) test -race -count=1 ./...
	GOOS=wasip1 GOARCH=wasm $(GO) test -count=1 -exec='$(abspath $(WAZERO)) run -mount=/:/' ./filter/verify/... ./filter/config
	cd envoy/validate && $(GO) test -count=1 ./...
	cd testdata/providers/gosdk && $(GO) test -count=1 ./...

# The table: native, wazero and V8 side by side, the middleware against a
# bare handler and a native verifier, the gateway against a plain reverse
# proxy under wrk (installed here when missing and apt-get can), start-up.
bench: build $(GATEWAY) ## Print the performance table (README: Performance); speed targets live here.
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		{ apt-get update -qq >/dev/null 2>&1; apt-get install -y -qq wrk >/dev/null 2>&1; } ; } || true
	$(GO) run ./bench -wasm $(WASM) -gateway $(GATEWAY)

abuse: build $(GATEWAY) ## Time small valid requests through the gateway alone and beside two attacks (README: Limits).
	$(GO) run ./bench/abuse -wasm $(WASM) -gateway $(GATEWAY)

soak: build ## Mixed valid/forged/oversized/stalled/abandoned traffic through the module for SOAK (default 2m).
	HOOKGUARD_SOAK=$${SOAK:-2m} $(TEST_ENV) $(GO) test -count=1 -timeout 0 -v -run '^TestSoak$$' ./host/nethttp

microbench: build ## Run the Go benchmarks of every package.
	$(TEST_ENV) $(GO) test -run '^$$' -bench . -benchmem ./...

# Every boundary: the header-map codec, the configuration, each scheme's
# parsers, JWTs and keys, the dedupe slots, our SHA-256 against the standard
# library, the deadline instrumentation, the host's ABI functions under a
# guest's arbitrary arguments, and whole requests through the built module.
# Each target's seeds are in its f.Add calls and testdata/fuzz.
FUZZTIME ?= 15s
FUZZ_TARGETS := \
	./internal/pairs:FuzzDecode ./internal/pairs:FuzzRoundTrip ./filter/config:FuzzParse \
	./filter/verify:FuzzPipesVerify ./filter/verify:FuzzPresetHeaders ./filter/verify:FuzzJWT \
	./filter/verify:FuzzDecodePublicKey ./filter/verify:FuzzEventIDScanner ./filter/internal/plugin:FuzzDecodeSlot \
	./filter/verify/internal/sha:FuzzAgainstStdlib ./host/internal/interrupt:FuzzInstrument \
	./host:FuzzHostABI ./host:FuzzWritePrometheus ./filter:FuzzRequestPath ./internal/capture:FuzzParse

fuzz: build ## Fuzz every boundary for FUZZTIME each (default 15s; FUZZTIME=10m make fuzz for long runs).
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "== $${t#*:} ($${t%%:*}, $(FUZZTIME))"; \
		$(TEST_ENV) $(GO) test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) "$${t%%:*}"; \
	done

cover: ## Coverage of the filter's packages from the native tests (build/cover.html).
	@mkdir -p build
	$(GO) test -count=1 -coverpkg=./filter/... -coverprofile=build/cover.out ./filter/...
	$(GO) tool cover -func=build/cover.out | tail -1
	$(GO) tool cover -html=build/cover.out -o build/cover.html

# Offline once the module cache holds what it reads: make vulncheck is the
# target that needs the network. The two nested modules keep Envoy's and
# Istio's protos and the providers' SDKs out of the root go.mod. make generate
# skips a generator whose tool is missing, saying so; GENERATE_ALL=1 (as in
# CI) makes that an error.
check: ## Offline: gofmt, go vet (native and wasip1), staticcheck, go mod tidy, and make generate changes nothing.
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo 'run gofmt -w .'; exit 1; }
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./filter/...
	$(GO_PINNED) run $(STATICCHECK) ./...
	cd envoy/validate && $(GO) vet ./...
	cd testdata/providers/gosdk && $(GO) vet ./...
	$(GO) mod tidy -diff
	cd envoy/validate && $(GO) mod tidy -diff
	cd testdata/providers/gosdk && $(GO) mod tidy -diff
	@GO='$(GO)' scripts/unchanged scripts/generate
	@scripts/commit-subjects

generate: ## Re-run every generator (docs/presets.md, test vectors, probes, SHA-256 code); skips, saying so, one whose tool is missing.
	@GO='$(GO)' scripts/generate

# The one target that needs the network, the first time: the vulndb module,
# the VULN_GO toolchain and the tools' modules come from the module proxy.
# Once the module cache holds them it runs offline, with the same answer, as
# the database is pinned; without them and without the network it fails,
# saying what it could not download.
vulncheck: $(VULNDB) ## govulncheck of the host, gateway and module (wasip1), from a pinned database; needs the network once.
	@mkdir -p build
	GOTOOLCHAIN=$(VULN_GO) GOBIN=$(abspath build) $(GO_PINNED) install $(GOVULNCHECK)
	GOTOOLCHAIN=$(VULN_GO) build/govulncheck -db file://$(abspath $(VULNDB)) ./...
	GOTOOLCHAIN=$(VULN_GO) GOOS=wasip1 GOARCH=wasm build/govulncheck -db file://$(abspath $(VULNDB)) ./filter/...

$(VULNDB):
	@mkdir -p build
	@$(GO) mod download golang.org/x/vulndb@$(VULNDB_VERSION) || \
		{ echo "make vulncheck: could not download golang.org/x/vulndb@$(VULNDB_VERSION) (GOPROXY=$$($(GO) env GOPROXY))"; exit 1; }
	rm -rf $@.tmp && $(GO_PINNED) run golang.org/x/vulndb/cmd/indexdb@$(VULNDB_VERSION) \
		-vulns "$$($(GO) env GOMODCACHE)/golang.org/x/vulndb@$(VULNDB_VERSION)/data/osv" -out $@.tmp && mv $@.tmp $@

envoy-up: build ## Start Envoy with the module in docker compose (needs PIPES_WEBHOOK_SECRET).
	$(NEED_DOCKER)
	@test -n "$$PIPES_WEBHOOK_SECRET" || test -f envoy/.env || { echo "set PIPES_WEBHOOK_SECRET or create envoy/.env (see envoy/.env.example)"; exit 1; }
	$(COMPOSE) up -d
	@echo "Envoy verifies webhooks on http://127.0.0.1:$${HOOKGUARD_ENVOY_PORT:-10000}; logs: $(COMPOSE) logs -f envoy"

envoy-down: ## Stop the docker compose setup.
	$(NEED_DOCKER)
	$(COMPOSE) down -v --remove-orphans

e2e: build ## Run the conformance matrix against Envoy in docker compose (ENVOY_IMAGE picks the release).
	HOOKGUARD_E2E=1 $(TEST_ENV) $(GO) test -count=1 -v -run '^TestEnvoyE2E$$' ./envoy

# The container image of `hookguard serve` builds the module itself
# (deploy/Dockerfile); the module's own OCI image (for Istio's WasmPlugin and
# Envoy Gateway) is module-image.
SERVE_IMAGE  ?= hookguard-serve:dev
MODULE_IMAGE ?= hookguard:dev
NEED_DOCKER_ENGINE = @docker info >/dev/null 2>&1 || { echo "$@ needs a running Docker engine with BuildKit (\`docker info\` failed); nothing was built."; exit 1; }

image: ## Build the container image of `hookguard serve` (SERVE_IMAGE=name:tag; deploy/README.md).
	$(NEED_DOCKER_ENGINE)
	DOCKER_BUILDKIT=1 docker build -f deploy/Dockerfile -t $(SERVE_IMAGE) .

module-image: build ## Build the module's OCI image for Istio/Envoy Gateway (MODULE_IMAGE=name:tag).
	$(NEED_DOCKER_ENGINE)
	docker build -f envoy/Dockerfile -t $(MODULE_IMAGE) .

clean: ## Remove build output.
	rm -rf build

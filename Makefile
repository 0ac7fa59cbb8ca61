# hookguard — `make help` lists the targets.
GO       ?= go
WASM     := build/hookguard.wasm
# Tests exercise the module this Makefile just built: what is tested is what ships.
TEST_ENV := HOOKGUARD_WASM=$(abspath $(WASM))
# Tools are pinned and run with `go run`, so nothing needs installing first.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: help build run test bench fuzz check e2e clean

help: ## List the targets.
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

build: $(WASM) ## Build the proxy-wasm filter module (build/hookguard.wasm).

$(WASM): go.mod go.sum $(shell find filter internal -name '*.go' -not -name '*_test.go')
	@mkdir -p $(dir $@)
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o $@ ./filter

run: build ## Run the verifying gateway on 127.0.0.1:8080 (see README).
	$(GO) run ./examples/gateway

test: build ## Build the module and run every test, with the race detector.
	$(TEST_ENV) $(GO) test -race -count=1 ./...

bench: build ## Run the benchmarks (speed and memory targets live here).
	$(TEST_ENV) $(GO) test -run '^$$' -bench . -benchmem ./...

fuzz: ## Fuzz each parser for 30 s.
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime 30s ./internal/pairs
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./filter/config
	$(GO) test -run '^$$' -fuzz '^FuzzPipesVerify$$' -fuzztime 30s ./filter/verify

check: ## gofmt, go vet (native and wasip1), staticcheck.
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo 'run gofmt -w .'; exit 1; }
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./filter/...
	$(GO) run $(STATICCHECK) ./...

clean: ## Remove build output.
	rm -rf build

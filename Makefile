SHELL := /bin/bash
GOBIN ?= $(shell go env GOPATH)/bin
BUF_VERSION := v1.75.0
PROTOC_GEN_GO_VERSION := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.6.2
BIN := bin/pdp

.PHONY: deps build run test test-short generate check-generated tools lint fmt-check bench bundles

build:
	go build -o $(BIN) ./cmd/pdp

run: build
	$(BIN) serve --bundle bundles/example

tools:
	@test -x $(GOBIN)/buf || go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	@test -x $(GOBIN)/protoc-gen-go || go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	@test -x $(GOBIN)/protoc-gen-go-grpc || go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

generate: tools
	PATH=$(GOBIN):$$PATH buf lint
	PATH=$(GOBIN):$$PATH buf generate --template api/buf.gen.yaml

# Regenerates into a scratch copy and fails when the committed code differs.
check-generated: tools
	@tmp=$$(mktemp -d) && cp -r api buf.yaml $$tmp/ && \
	  (cd $$tmp && PATH=$(GOBIN):$$PATH buf lint && PATH=$(GOBIN):$$PATH buf generate --template api/buf.gen.yaml) && \
	  diff -r api $$tmp/api && rm -rf $$tmp && echo "generated code is current"

fmt-check:
	@out=$$(gofmt -l cmd internal api test policies); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	go vet ./...

bundles:
	go test ./policies -update

# Real servers the tests start themselves (redis-server, PostgreSQL, headless Chromium), installed when missing.
deps:
	@{ command -v redis-server && command -v redis-cli; } >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y redis-server redis-tools; }
	@{ command -v initdb && command -v pg_ctl; } >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y postgresql; }
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y chromium; }

test: deps fmt-check check-generated
	go test -race -timeout 20m ./...
	go run ./cmd/pdp test --coverage --threshold 90 policies
	go run ./cmd/pdp lint policies
	go test -run '^$$' -fuzz FuzzToInput -fuzztime 15s ./internal/server
	go test -run '^$$' -fuzz FuzzVerify -fuzztime 15s ./internal/authn

test-short:
	go test -short ./...

# Load harness (test/bench, described in test/bench/README.md): noop, check-uncached, check-cached,
# check-redis, opa-rest and opa-rest-logged one after another, then the ratios. Not part of
# `make test`. BENCH_FLAGS passes flags, e.g. BENCH_FLAGS='-duration 30s -repeat 0.5'.
BENCH_FLAGS ?=
bench: deps
	go build -o bin/bench ./test/bench
	bin/bench $(BENCH_FLAGS)

# updraft: `make run` starts the standalone server on the example DAGs;
# `make test` runs every test. Tools are installed into the user's cache
# directory by hack/tools.sh, so a fresh clone needs only Go.

GO        ?= go
BIN       := bin/updraft
DATA_DIR  ?= .updraft
DAGS      ?= examples/dags
TOOLS_BIN := $(shell hack/tools.sh --bin-dir)
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/updraft-dev/updraft/internal/cli.Version=$(VERSION)

.PHONY: all build run test test-race vet lint tools bench bench-api schema clean

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/updraft

## run: build and start `updraft standalone` on SQLite with the example DAGs
run: build
	./$(BIN) standalone --data-dir $(DATA_DIR) --dags-folder $(DAGS)

## test: the example DAGs validated, then every test with the race detector
test: build
	./$(BIN) dags validate $(DAGS)
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

tools:
	hack/tools.sh

lint: tools
	$(TOOLS_BIN)/golangci-lint run ./...

## schema: regenerate the committed JSON Schema of DAG files
schema:
	$(GO) test ./internal/spec -run TestSchemaUpToDate -update

## bench: scheduler latency and throughput figures on SQLite
bench:
	$(GO) run ./cmd/updraft-bench

## bench-api: first-page latency of the API's lists with 100,000 runs (minutes to load)
bench-api:
	$(GO) test -run '^$$' -bench ListEndpoints -benchtime 300x -timeout 60m ./internal/api/

clean:
	rm -rf bin $(DATA_DIR)

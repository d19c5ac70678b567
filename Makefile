# updraft: `make run` starts the standalone server on the example DAGs;
# `make test` runs every test. Tools are installed into the user's cache
# directory by hack/tools.sh, so a fresh clone needs only Go to build and
# run; the web app's tests also need Node.js (20.19 or later), and install
# Debian's chromium when it is missing (hack/chromium.sh); the Kubernetes
# executor's tests start a test cluster built from the Go module proxy
# (hack/kube).

GO        ?= go
BIN       := bin/updraft
DATA_DIR  ?= .updraft
DAGS      ?= examples/dags
TOOLS_BIN := $(shell hack/tools.sh --bin-dir)
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/updraft-dev/updraft/internal/cli.Version=$(VERSION)

.PHONY: all build run test test-go test-web kube-up kube-down vet lint tools bench bench-api bench-ui schema web clean

all: build

build:
	$(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/updraft

## run: build and start `updraft standalone` on SQLite with the example DAGs
run: build
	./$(BIN) standalone --data-dir $(DATA_DIR) --dags-folder $(DAGS)

## test: every test: the example DAGs validated, the Go tests with the race
## detector, then the web app: its committed bundle checked against its
## source, its unit tests, and its end-to-end tests in headless Chromium
test: test-go test-web

# The Kubernetes executor's tests need a real API server, KWOK's simulated
# nodes and one real node (containerd, kubelet): hack/kube/up.sh builds them
# on first use (about 16 minutes on 2 cores, cached under the user's cache
# dir; Debian packages for the real node), starts them or finds them
# running, and prints READY with the kubeconfig; `make kube-down` stops them.
KUBE_DIR ?= $(or $(UPDRAFT_KUBE_DIR),/tmp/updraft-kube)

test-go: build kube-up
	./$(BIN) dags validate $(DAGS)
	UPDRAFT_KUBECONFIG=$(KUBE_DIR)/kubeconfig $(GO) test -race -count=1 -timeout 30m ./...

## kube-up / kube-down: start or stop the Kubernetes test cluster
kube-up:
	hack/kube/up.sh --real-node

kube-down:
	hack/kube/down.sh

test-web: build
	hack/web.sh check
	hack/web.sh test
	hack/web.sh e2e

## web: rebuild the embedded web app (internal/ui/dist) from web/
web:
	hack/web.sh build

vet:
	$(GO) vet ./...

tools:
	hack/tools.sh

lint: tools
	$(TOOLS_BIN)/golangci-lint run ./...

## schema: regenerate the committed JSON Schema of DAG files
schema:
	$(GO) test ./internal/spec -run TestSchemaUpToDate -update

## bench: scheduler latency and throughput figures on SQLite and PostgreSQL,
## and pod tasks on the Kubernetes test cluster's simulated nodes
bench: kube-up
	$(GO) run ./cmd/updraft-bench -kubeconfig $(KUBE_DIR)/kubeconfig

## bench-api: first-page latency of the API's lists with 100,000 runs (minutes to load)
bench-api:
	$(GO) test -run '^$$' -bench ListEndpoints -benchtime 300x -timeout 60m ./internal/api/

## bench-ui: render times of the DAG list (1,000 DAGs) and the grid
## (100 runs x 500 tasks) in headless Chromium
bench-ui: build
	hack/web.sh bench

clean:
	rm -rf bin $(DATA_DIR)

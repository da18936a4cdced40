# Signflow: `make run` starts everything on one machine; `make test` runs every test.

TEMPORAL_CLI_VERSION := v1.5.1
MAILPIT_VERSION      := v1.33.1
# MinIO publishes no semver module versions; this pseudo-version is its
# RELEASE.2026-02-12 source. It is AGPL: run as a separate test server only.
MINIO_VERSION        := v0.0.0-20260212201848-7aac2a2c5b7c
BIN                  := $(CURDIR)/bin
TEMPORAL             := $(BIN)/temporal
MAILPIT              := $(BIN)/mailpit
MINIO                := $(BIN)/minio
# axe-core checks the signing page's accessibility in the browser tests.
AXE_VERSION          := 4.14.1
AXE                  := $(BIN)/axe/node_modules/axe-core/axe.min.js

.PHONY: build run test test-deps test-servers lint clean chaos fuzz web

build: web
	go build -o $(BIN)/signflow .

# What the signing page takes from npm (signature_pad, which smooths a
# drawn signature), installed as api/signpage/package-lock.json pins it,
# integrity hash and all, and copied beside the page for go:embed. npm is
# the one tool besides Go that building needs: installed from Debian as
# test-deps installs its tools, or named.
SIGNATURE_PAD := api/signpage/vendor/signature_pad.js
web: $(SIGNATURE_PAD)
$(SIGNATURE_PAD): api/signpage/package.json api/signpage/package-lock.json
	@$(MAKE) --no-print-directory test-deps TEST_TOOLS=npm:npm
	@mkdir -p $(BIN)/web $(@D)
	cp api/signpage/package.json api/signpage/package-lock.json $(BIN)/web/
	npm ci --prefix $(BIN)/web --no-audit --no-fund --loglevel=error
	sed '/^\/\/# sourceMappingURL=/d' $(BIN)/web/node_modules/signature_pad/dist/signature_pad.umd.min.js > $@

# The Temporal CLI is built from the Go module proxy at a pinned version;
# nothing downloads a prebuilt binary.
$(TEMPORAL):
	GOBIN=$(BIN) go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

# Mailpit, a local SMTP server with a web UI, likewise from the module proxy.
$(MAILPIT):
	GOBIN=$(BIN) go install github.com/axllent/mailpit@$(MAILPIT_VERSION)

# MinIO, an S3-compatible object store the tests keep documents in.
$(MINIO):
	GOBIN=$(BIN) go install github.com/minio/minio@$(MINIO_VERSION)

# axe-core, from the npm registry at a pinned version.
$(AXE):
	npm install --prefix $(BIN)/axe --no-save --no-audit --no-fund --loglevel=error axe-core@$(AXE_VERSION)

# Without TEMPORAL_ADDRESS, `signflow dev` runs the CLI's dev server itself;
# without SIGNFLOW_SMTP_ADDR, Mailpit.
# The binary and the servers it starts (unless TEMPORAL_ADDRESS or
# SIGNFLOW_SMTP_ADDR point elsewhere) build at once: most of a cold start.
run:
	@$(MAKE) --no-print-directory -j3 build $(if $(TEMPORAL_ADDRESS),,$(TEMPORAL)) $(if $(SIGNFLOW_SMTP_ADDR),,$(MAILPIT))
	$(BIN)/signflow dev

lint: web
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	go vet ./...

# Debian packages the tests use, each by a command it provides:
# poppler-utils (pdftotext, pdfimages, pdfsig) checks PDFs and seals
# independently of our code; docker-compose checks docker-compose.yml (no
# engine runs); jq runs the README walkthrough; openssl verifies the
# offline audit export; chromium drives the signing page as a signer
# would; npm installs axe-core. Installed as root or with sudo; otherwise
# the one command to run is named.
TEST_TOOLS := pdfsig:poppler-utils docker-compose:docker-compose jq:jq openssl:openssl curl:curl chromium:chromium npm:npm
test-deps:
	@missing=""; for t in $(TEST_TOOLS); do command -v "$${t%%:*}" >/dev/null || missing="$$missing $${t#*:}"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "make test needs these Debian packages:$$missing"; echo "run: sudo apt-get install -y$$missing"; exit 1; fi; \
	echo "installing$$missing"; \
	$$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null

# The three servers and axe-core build at once: most of a cold start.
test-servers:
	@$(MAKE) --no-print-directory -j4 $(TEMPORAL) $(MAILPIT) $(MINIO) $(AXE)

# Integration tests mostly wait on workflows, timers and mail, so eight run
# at once on two cores; each has its own envelopes, tenant or task queue.
# Artifacts (the signing page's screenshots) are kept in test-artifacts/.
test: test-deps lint test-servers
	@if [ -z "$$TEST_DATABASE_URL" ]; then echo "TEST_DATABASE_URL is unset: integration tests run on SQLite, not PostgreSQL"; fi
	@mkdir -p $(CURDIR)/test-artifacts
	go test -race -count=1 -parallel 8 -timeout 25m -artifacts -outputdir $(CURDIR)/test-artifacts ./...
	$(MAKE) --no-print-directory fuzz

# Every fuzz target explores beyond its seeds for FUZZTIME: the JSON and CSV
# bodies of every route, and PDF intake. A finding is saved under the
# package's testdata/fuzz and fails the run.
FUZZTIME ?= 3s
FUZZ_TARGETS := ./api:FuzzCreateEnvelope ./api:FuzzCreateEnvelopeMultipart ./api:FuzzSenderRoutes \
	./api:FuzzSignerRoutes ./api:FuzzVerifyDocument ./api:FuzzTokenEndpoint ./api:FuzzTemplatesBulkAndCompliance \
	./internal/documents/pdf:FuzzInspect
fuzz: web
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $$t for $(FUZZTIME)"; \
		go test -run '^$$' -fuzz "^$${t#*:}$$" -fuzztime $(FUZZTIME) "$${t%%:*}"; \
	done

# The chaos suite at scale: API, worker, Temporal and Mailpit as processes,
# broken while CHAOS_ENVELOPES envelopes are in flight (make test runs 6).
CHAOS_ENVELOPES ?= 60
chaos: web $(TEMPORAL) $(MAILPIT)
	CHAOS_ENVELOPES=$(CHAOS_ENVELOPES) go test -count=1 -timeout 30m -run '^TestChaos$$' -v ./tests/

clean:
	rm -rf $(BIN) .data

# Metastatic-cancer assistant: one Makefile for set-up, training, chatting and testing.
# Every target documents itself with a `## ` comment; `make help` lists them.

SHELL := /bin/bash
.DEFAULT_GOAL := help

export RASA_TELEMETRY_ENABLED := false
export PYTHONDONTWRITEBYTECODE := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# Stores read by endpoints.yml (Rasa refuses unset ${VARS}): SQLite and an in-process lock
# unless the environment says otherwise (docs/production.md).
export TRACKER_DB_URL ?= sqlite:///.rasa/conversations.db
export LOCK_STORE     ?= in_memory
export LOCK_STORE_URL ?=
# Where Rasa finds the action server (endpoints.yml); HOST and ACTION_PORT are set below (`?=` expands late).
export ACTION_SERVER_URL ?= http://$(HOST):$(ACTION_PORT)/webhook

VENV        := .venv
BIN         := $(VENV)/bin
RASA        := $(BIN)/rasa
PY          := $(BIN)/python
ACTION_PORT ?= 5055
RASA_PORT   ?= 5005
WEB_PORT    ?= 8080
HOST        ?= 127.0.0.1

# Python 3.10 is required (Rasa 3.6 does not run on 3.11). Look for it in this order:
# $PYTHON, a working python3.10, pyenv's 3.10.
PYTHON ?= $(shell \
  if python3.10 -c 'import sys' >/dev/null 2>&1; then echo python3.10; \
  elif command -v pyenv >/dev/null 2>&1 && p="$$(pyenv prefix 3.10 2>/dev/null | head -n1)" && [ -x "$$p/bin/python3.10" ]; then echo "$$p/bin/python3.10"; \
  fi)

WEB_STAMP  := web/node_modules/.installed
CORS_ORIGINS ?= http://$(HOST):$(WEB_PORT) http://localhost:$(WEB_PORT)
export SOCKETIO_CORS_ORIGINS ?= $(CORS_ORIGINS)
REQ_HASH   := $(shell cat requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)
STAMP      := $(VENV)/.installed-$(REQ_HASH)
# The model is cached by a hash of everything that shapes it: training data, knowledge base,
# config, domain, and the custom NLU components' code.
MODEL_HASH  = $(shell cat config.yml domain.yml $$(find data components actions/knowledge -type f \( -name '*.yml' -o -name '*.py' \) | LC_ALL=C sort) | sha256sum | cut -c1-16)
MODEL       = models/metastasis-$(MODEL_HASH).tar.gz

.PHONY: help
help: ## List the targets with what they do
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

.PHONY: install
install: $(STAMP) ## Create .venv with Python 3.10 and install the pinned dependencies (fast when nothing changed)

$(STAMP): requirements.txt requirements-dev.txt
	@if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then \
	  echo "error: Python 3.10 is required (Rasa 3.6 does not run on 3.11+)." >&2; \
	  echo "  Install it (e.g. 'pyenv install 3.10', or your OS package python3.10) or run 'make PYTHON=/path/to/python3.10 ...'." >&2; \
	  exit 1; fi
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; assert sys.version_info[:2] == (3, 10)' >/dev/null 2>&1; then rm -rf $(VENV); fi
	@[ -x $(PY) ] || "$(PYTHON)" -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

.PHONY: model
model: install ## Print the path of the model for the current data/config/domain
	@echo $(MODEL)

.PHONY: train
train: install ## Train the model, only if data, config or domain changed since the last training
	@mkdir -p .rasa; if [ -f $(MODEL) ]; then echo "model up to date: $(MODEL)"; else \
	  mkdir -p models && $(RASA) train --quiet --out models --fixed-model-name metastasis-$(MODEL_HASH) && \
	  find models -name 'metastasis-*.tar.gz' ! -name 'metastasis-$(MODEL_HASH).tar.gz' -delete; fi

.PHONY: validate
validate: install ## Check the training data and domain (rasa data validate --fail-on-warnings)
	$(RASA) data validate --fail-on-warnings

ACTION_SERVER = SANIC_HOST=$(HOST) $(PY) -m rasa_sdk --actions actions --port $(ACTION_PORT)

.PHONY: actions
actions: install ## Run the action server on $(HOST):$(ACTION_PORT)
	$(ACTION_SERVER)

.PHONY: chat
chat: train ## Talk to the assistant in the terminal (starts the action server, stops it on exit)
	@$(ACTION_SERVER) >.rasa/action-server.log 2>&1 & \
	  pid=$$!; trap 'kill $$pid 2>/dev/null' EXIT INT TERM; \
	  $(RASA) shell --model $(MODEL) --endpoints endpoints.yml --interface $(HOST) --port $(RASA_PORT)

.PHONY: web
web: $(WEB_STAMP) ## Install the chat widget's pinned npm packages (npm ci in web/)

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

.PHONY: serve
serve: train web ## Run the action server, Rasa (REST + socketio) and the chat widget on $(HOST); prints the widget's URL
	@mkdir -p .rasa; $(ACTION_SERVER) & apid=$$!; \
	  $(PY) web/serve.py --host $(HOST) --port $(WEB_PORT) --rasa-url http://$(HOST):$(RASA_PORT) & wpid=$$!; \
	  trap 'kill $$apid $$wpid 2>/dev/null' EXIT INT TERM; \
	  $(RASA) run --model $(MODEL) --interface $(HOST) --port $(RASA_PORT) --endpoints endpoints.yml --credentials credentials.yml --cors $(CORS_ORIGINS)

# The fast lane for everyday work: lint, then the KB, answers, actions, components, add-on
# patches, the triage and eval sets' own checks and `rasa data validate`. No Rasa server, no
# training (about 1.5 min on 2 cores). `make test` runs everything, as CI does.
CHECK_TESTS = tests/knowledge tests/actions tests/components tests/patches tests/triage tests/eval tests/test_data_validate.py tests/test_support_servers.py

.PHONY: check
check: install ## Fast lane (~1.5 min): pyflakes, then KB, answers, actions, components and data validation tests; no server, no training
	$(PY) -m pyflakes actions components addons tests
	$(BIN)/pytest -q -p no:cacheprovider $(CHECK_TESTS)

.PHONY: test
test: train web ## Run every test: unit, data validation, conversation stories and end-to-end
	MODEL_PATH=$(MODEL) $(BIN)/pytest

.PHONY: crossval
crossval: install ## 5-fold NLU cross-validation; writes results/crossval/
	$(RASA) test nlu --nlu data/nlu --config config.yml --cross-validation --folds 5 --out results/crossval

.PHONY: triage
triage: train ## Safety triage set (tests/triage) against a fresh bot over REST, socketio and rasa shell: recall, false alarms
	$(PY) tests/triage/evaluate.py --model $(MODEL) --misses

.PHONY: eval
eval: train ## Answer evaluation (tests/eval, written from the users' side) against a fresh bot over REST: pass rate by kind and style
	$(PY) tests/eval/evaluate.py --model $(MODEL) --misses

.PHONY: fuzz
fuzz: install ## Fuzz the REST channel with 10,000 generated requests (make test runs 2,000)
	FUZZ_EXAMPLES=10000 $(BIN)/pytest tests/production/test_rest_channel_fuzz.py -q

.PHONY: bench
bench: train ## Benchmark against a fresh `rasa init` bot on 127.0.0.1 (~10 min); writes BENCHMARKS.md and results/bench/
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	$(PY) -m bench.run --model $(MODEL) --out results/bench --report BENCHMARKS.md

.PHONY: clean
clean: ## Remove the virtual environment, models and caches
	rm -rf $(VENV) models .rasa results .pytest_cache web/node_modules tests/output

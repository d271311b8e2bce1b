# The front door. `make dev` and `make test` set up everything they need on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.13 is the Lambda runtime: use a working python3.13 (pyenv's when it has one), else python3.
BOOTSTRAP_PYTHON ?= $(shell \
	if python3.13 -c '' >/dev/null 2>&1; then echo python3.13; \
	elif PYENV_VERSION=3.13.0 python3.13 -c '' >/dev/null 2>&1; then echo 'env PYENV_VERSION=3.13.0 python3.13'; \
	else echo python3; fi)

VENV     := .venv
PY       := $(VENV)/bin/python
UV       := $(VENV)/bin/uv
# checkov and the SAM CLI pin boto3 apart from each other and from the app: each gets a virtualenv of
# its own, installed from its own locked requirements/<tool>.txt.
CHECKOV  := .venv-checkov/bin/checkov
SAM      := .venv-sam/bin/sam
PORT     ?= 3000
COVERAGE_FLOOR := 95
# pytest's workers: many tests wait on subprocesses and sockets, so more than the cores pays (measured).
WORKERS  ?= 3
# Each stage of make test writes its time here, for the table printed at the end.
TIMES    := .make-times

export SAM_CLI_TELEMETRY := 0
export BC_SKIP_MAPPING := TRUE
export PYTHONDONTWRITEBYTECODE := 1
# uv compiles what it installs (nothing else writes bytecode, above) and copies it out of its cache.
export UV_COMPILE_BYTECODE := 1
export UV_LINK_MODE := copy

.PHONY: help dev dev-reset test times pytest lock bench token org api-key build deploy recompute redrive lint typecheck cfn-lint checkov sam-validate \
	complexity unit integration e2e browser clean

help:
	@echo "make dev     start the local cloud: the API on http://127.0.0.1:$(PORT) (PORT= to change);"
	@echo "             its data (table, bucket, link secret, outbox) survives a restart in .local-cloud/"
	@echo "make dev-reset  the same, from a clean state (what make dev kept is removed first)"
	@echo "make test    every check and test (lint, types, template gates, unit, integration, e2e)"
	@echo "make bench   benchmarks: import cost, DynamoDB calls, GET latency, stream consumer, approvals"
	@echo "make token   ORG=<org> EMAIL=<email> ROLE=<buyer|approver|admin> [PASSWORD=<to sign in to the console>]"
	@echo "make org     ORG=<id> NAME=<name> ADMIN=<email> [CUSTOMER_POS=on|off] [STACK=<deployed stack>]"
	@echo "make build   sam build (the artifact that deploys; the layer installs its locked requirements)"
	@echo "make lock    after a change to pyproject.toml: relock (uv.lock) and regenerate the requirements files"
	@echo "make deploy  sam build && sam deploy (needs AWS credentials)"
	@echo "make recompute ORG=<org> [PO=<id>] [STACK=<stack>]: rebuild POs' status and approvals"
	@echo "make redrive [STACK=<stack>]: dead letters back to their queues, stream failures recomputed"
	@echo "make api-key CLIENT=<name> [STACK=<stack>]: a client's own API key (x-api-key), throttled on its own"

# Everything installs from uv.lock (pinned, hashes checked): say each step, and number each package.
$(VENV)/.stamp: uv.lock requirements/uv.txt
	@echo "==> [1/3] virtualenv $(VENV) (Python: $(BOOTSTRAP_PYTHON))"
	@test -x $(PY) || $(BOOTSTRAP_PYTHON) -m venv $(VENV)
	@echo "==> [2/3] uv, from requirements/uv.txt (pinned, hashes checked)"
	@$(PY) -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r requirements/uv.txt
	@echo "==> [3/3] the app's dependencies and dev tools from uv.lock (hashes checked), then the app, editable"
	@set -o pipefail; UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --python $(PY) 2>&1 \
		| awk '/^ \+ /{n++; printf "    [%3d] %s\n", n, $$2; fflush(); next} {print "    " $$0; fflush()}'
	@touch $@

# The tools' virtualenvs, each from its locked requirements (uv makes both in seconds).
.venv-%/.stamp: requirements/%.txt $(VENV)/.stamp
	@echo "==> virtualenv .venv-$* from requirements/$*.txt (hashes checked)"
	@test -x .venv-$*/bin/python || $(UV) venv -q --python $(PY) .venv-$*
	@$(UV) pip sync -q --python .venv-$*/bin/python --require-hashes requirements/$*.txt
	@touch $@

# After a change to pyproject.toml or requirements/*.in: relock, and regenerate what installs read.
lock: $(VENV)/.stamp
	$(PY) -m local.locks --write

# The partner upload page is tested in a real headless Chromium: Debian's, with its driver.
BROWSER_PACKAGES := chromium chromium-driver
browser:
	@$(call timed,browser,command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		echo "installing $(BROWSER_PACKAGES) (Debian packages for the browser test)"; \
		$$(test "$$(id -u)" = 0 || echo sudo) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$(test "$$(id -u)" = 0 || echo sudo) \
			apt-get install -y -qq --no-install-recommends $(BROWSER_PACKAGES) >/dev/null; })

dev: $(VENV)/.stamp
	@echo "==> starting the local cloud (the URLs follow when it is ready)"
	@$(PY) -m local --port $(PORT)

LOCAL_STATE := $(or $(LOCAL_CLOUD_DIR),.local-cloud)
dev-reset: $(VENV)/.stamp
	@echo "==> removing what the local cloud kept: $(LOCAL_STATE)/aws and $(LOCAL_STATE)/outbox"
	@rm -rf $(LOCAL_STATE)/aws $(LOCAL_STATE)/aws.saving $(LOCAL_STATE)/outbox
	@$(MAKE) --no-print-directory dev

token: $(VENV)/.stamp
	@$(PY) -m local.token --org "$(ORG)" --email "$(EMAIL)" --role "$(ROLE)" $(if $(PASSWORD),--password "$(PASSWORD)")

# An org and its first admin (or CUSTOMER_POS=on|off alone to switch the feature): against the local
# cloud, or a deployed stack with STACK=<name> and your AWS credentials.
org: $(VENV)/.stamp
	@$(PY) -m local.org --org "$(ORG)" $(if $(NAME),--name "$(NAME)") $(if $(ADMIN),--admin "$(ADMIN)") \
		$(if $(CUSTOMER_POS),--customer-pos "$(CUSTOMER_POS)") $(if $(STACK),--stack "$(STACK)")

# The local cloud (make dev, on PORT) unless STACK names a deployed stack (AWS credentials needed).
REPAIR_TARGET = $(if $(STACK),--stack "$(STACK)",--url http://127.0.0.1:$(PORT))

recompute: $(VENV)/.stamp
	@test -n "$(ORG)" || { echo "usage: make recompute ORG=<org> [PO=<id>] [STACK=<stack>]"; exit 2; }
	@$(PY) -m local.repair $(REPAIR_TARGET) recompute --org "$(ORG)" $(if $(PO),--po "$(PO)")

redrive: $(VENV)/.stamp
	@$(PY) -m local.repair $(REPAIR_TARGET) redrive

api-key: $(VENV)/.stamp
	@test -n "$(CLIENT)" || { echo "usage: make api-key CLIENT=<name> [STACK=<stack>]"; exit 2; }
	@$(PY) -m local.api_key $(REPAIR_TARGET) --client "$(CLIENT)"

# A stage of make test, timed into $(TIMES)/<name> for the table at its end: $(call timed,<name>,<command>)
timed = (mkdir -p $(TIMES); start=$$(date +%s%N); ( $(2) ); status=$$?; \
	echo $$(( ($$(date +%s%N) - start) / 1000000 )) > $(TIMES)/$(1); exit $$status)

lint: $(VENV)/.stamp
	@$(call timed,lint,set -x; $(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .)

typecheck: $(VENV)/.stamp
	@$(call timed,types,set -x; $(VENV)/bin/mypy layers/shared/purchasing functions local tests bench)

# radon's grades, as the Powertools cookbook gates them: no function above C, no module above B.
complexity: $(VENV)/.stamp
	@$(call timed,complexity,set -x; $(VENV)/bin/xenon --max-absolute C --max-modules B --max-average A layers functions local bench web)

cfn-lint: $(VENV)/.stamp
	@$(call timed,cfn-lint,set -x; $(VENV)/bin/cfn-lint template.yaml)

checkov: .venv-checkov/.stamp
	@$(call timed,checkov,set -x; $(CHECKOV) -f template.yaml --framework cloudformation --skip-download --quiet --compact)

sam-validate: .venv-sam/.stamp
	@$(call timed,sam-validate,set -x; $(SAM) validate --lint)

# sam build needs a python3.13 on PATH: the virtualenv's own interpreter is one.
build: .venv-sam/.stamp $(VENV)/.stamp
	@$(call timed,build,set -x; PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(SAM) build --cached --parallel)

unit: $(VENV)/.stamp
	$(PY) -m pytest tests/unit -q

integration: $(VENV)/.stamp
	$(PY) -m pytest tests/integration -q

e2e: $(VENV)/.stamp browser
	$(PY) -m pytest tests/e2e -q

# The suite on $(WORKERS) pytest-xdist workers; each starts its own local cloud for the e2e tests it
# gets, and a worker that is done takes tests from the others' queues (worksteal: a few tests take
# far longer than the rest). Coverage combines theirs.
pytest: $(VENV)/.stamp browser
	@$(call timed,pytest,set -x; $(PY) -m pytest -n $(WORKERS) --dist worksteal --cov --cov-report=term --cov-fail-under=$(COVERAGE_FLOOR))

# Every check and test. The virtualenvs first (the tools' two at once), then the static checks and
# the build side by side, then the suite; the time of each stage at the end, failed or not.
STAGES := lint typecheck complexity cfn-lint checkov sam-validate build
test:
	@rm -rf $(TIMES) && mkdir -p $(TIMES) && date +%s%N > $(TIMES)/.start
	@$(call timed,virtualenvs,$(MAKE) --no-print-directory $(VENV)/.stamp && \
		$(MAKE) --no-print-directory -j2 -Otarget .venv-checkov/.stamp .venv-sam/.stamp) || { $(MAKE) -s times; exit 1; }
	@$(MAKE) --no-print-directory -j3 -Otarget $(STAGES) browser || { $(MAKE) -s times; exit 1; }
	@$(MAKE) --no-print-directory pytest || { $(MAKE) -s times; exit 1; }
	@$(MAKE) -s times

# The table of stage times (stages overlap: the total is the wall clock from the start of make test).
TABLE := virtualenvs lint types complexity cfn-lint checkov sam-validate build browser pytest
times:
	@test -f $(TIMES)/.start || { echo "no times: run make test"; exit 1; }
	@echo "==> make test: seconds per stage (lint to build run side by side)"
	@cd $(TIMES) && for stage in $(TABLE) $$(ls); do \
		case " $$seen " in *" $$stage "*) continue;; esac; seen="$$seen $$stage"; \
		test -f $$stage && awk -v stage=$$stage '{ printf "    %-13s %7.1f\n", stage, $$1 / 1000 }' $$stage; \
	done; true
	@awk -v now=$$(date +%s%N) '{ printf "    %-13s %7.1f\n", "total", (now - $$1) / 1e9 }' $(TIMES)/.start

bench: $(VENV)/.stamp
	$(PY) -m bench

deploy: build
	$(SAM) deploy

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .coverage

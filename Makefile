# The two README commands are `make run` and `make test`; everything else here is their helpers.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
HTMX_VERSION := 2.0.11
HTMX := app/static/js/vendor/htmx.min.js
SIGNATURE_PAD_VERSION := 5.1.4
SIGNATURE_PAD := app/static/js/vendor/signature_pad.js
AXE_VERSION := 4.14.1
PIP_TOOLS_VERSION := 7.6.2
AXE := tests/browser/vendor/axe.min.js
ESLINT := scripts/lint-js/node_modules/.bin/eslint
CATALOGS := $(patsubst %.po,%.mo,$(wildcard app/translations/*/LC_MESSAGES/messages.po))

.PHONY: run test system-deps system-deps-test venv htmx static translations db lint clean i18n-update lock

## Serve the app with demo data on SQLite at http://127.0.0.1:$(PORT), and its worker beside it.
run: system-deps venv htmx static translations db
	PORT=$(PORT) scripts/serve.sh

## Run the whole suite on SQLite and on a throwaway PostgreSQL.
test: system-deps system-deps-test venv htmx static translations $(AXE) lint
	scripts/test-all.sh

# Tools that may come from outside Debian's packages (pyenv, a Node.js install) are used as found.
system-deps:
	scripts/ensure-apt.sh fonts-noto-cjk libharfbuzz-subset0 poppler-utils
	command -v npm >/dev/null || scripts/ensure-apt.sh npm

system-deps-test:
	test -x /usr/bin/chromium || scripts/ensure-apt.sh chromium
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || scripts/ensure-apt.sh postgresql

venv: $(VENV)/.installed

# A .venv on an older Python (3.11 workers crashed, see scripts/ensure-python.sh) is made anew.
# Every package comes from requirements.lock, pinned and checked against its hashes.
$(VENV)/.installed: pyproject.toml requirements.lock scripts/ensure-python.sh
	$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null \
	  || { rm -rf $(VENV) && "$$(scripts/ensure-python.sh)" -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

## After changing pyproject.toml's dependencies: pin them (and theirs) anew, with hashes.
lock: venv
	$(BIN)/pip install --quiet pip-tools==$(PIP_TOOLS_VERSION)
	$(BIN)/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links --extra test --output-file requirements.lock \
	  pyproject.toml

htmx: $(HTMX) $(SIGNATURE_PAD)

# htmx is pinned: 4.x sends different request headers. npm checks the package's integrity.
$(HTMX):
	mkdir -p $(dir $@)
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null \
	  && tar xzf htmx.org-$(HTMX_VERSION).tgz package/dist/htmx.min.js \
	  && cp package/dist/htmx.min.js $(CURDIR)/$@ && rm -rf $$tmp

# The signature box on notices (app/static/js/signature.js imports it); pinned like htmx.
$(SIGNATURE_PAD):
	mkdir -p $(dir $@)
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent signature_pad@$(SIGNATURE_PAD_VERSION) >/dev/null \
	  && tar xzf signature_pad-$(SIGNATURE_PAD_VERSION).tgz package/dist/signature_pad.min.js \
	  && cp package/dist/signature_pad.min.js $(CURDIR)/$@ && rm -rf $$tmp

# gzip and brotli copies of the static files beside them, for WhiteNoise to send.
static: htmx venv
	$(BIN)/python -m whitenoise.compress -q app/static

# axe-core checks accessibility in the browser tests.
$(AXE):
	mkdir -p $(dir $@)
	tmp=$$(mktemp -d) && cd $$tmp && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null \
	  && tar xzf axe-core-$(AXE_VERSION).tgz package/axe.min.js \
	  && cp package/axe.min.js $(CURDIR)/$@ && rm -rf $$tmp

translations: $(CATALOGS)

%.mo: %.po
	$(BIN)/pybabel compile -i $< -o $@

db:
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo seed --if-empty

lint: $(ESLINT)
	$(BIN)/python scripts/check_lock.py
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff check app tests bench scripts
	$(BIN)/ruff format --check app tests bench scripts
	$(BIN)/python scripts/check_function_length.py
	$(ESLINT) --config scripts/lint-js/eslint.config.js app/static/js
	$(BIN)/python scripts/check_js_imports.py app/static/js
	$(BIN)/python scripts/lint_service_worker.py

# ESLint for the phone's scripts, pinned with hashes in its own package-lock.json.
$(ESLINT): scripts/lint-js/package.json scripts/lint-js/package-lock.json
	cd scripts/lint-js && npm ci --silent --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) .python $(HTMX) $(AXE) $(CATALOGS) scripts/lint-js/node_modules

## After changing interface text: refresh the catalogues, then translate the new zh_Hans entries.
i18n-update: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

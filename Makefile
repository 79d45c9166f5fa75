# Bancheng portal. The two set-up commands: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app portal
INSTANCE ?= instance
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml tests/plugin_example/pyproject.toml 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: run test install translations extract-messages update-messages update-plugin-messages test-postgres test-browser proof bench clean

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel

# Installs the portal, its plugins, the test extra and the out-of-tree example plugin.
$(STAMP): $(PY) pyproject.toml
	$(PIP) install -q -e '.[test,bench]'
	@if [ -f tests/plugin_example/pyproject.toml ]; then $(PIP) install -q -e tests/plugin_example; fi
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# The core's catalogues (top-level translations/, shipped in the wheel) and each plugin package's own
# (<package>/translations/). See translations/README.md.
TRANSLATIONS := translations
PLUGIN_PACKAGES := $(sort $(dir $(wildcard plugins/*/__init__.py tests/plugin_example/*/__init__.py)))
CATALOGUE_DIRS = $(TRANSLATIONS) $(wildcard $(addsuffix translations,$(PLUGIN_PACKAGES)))

# Compile the catalogues (.mo files are not committed); fuzzy entries are left out.
translations: $(STAMP)
	@for d in $(CATALOGUE_DIRS); do $(PY) -m portal.i18n_tools compile $$d >/dev/null; done

# translations/messages.pot from portal/ (the arguments live in portal/i18n_tools.py).
extract-messages: $(STAMP)
	$(PY) -m portal.i18n_tools extract $(TRANSLATIONS)/messages.pot

# After adding strings: extract, merge into the three catalogues (no fuzzy guesses), fill English,
# derive Traditional from Simplified, for the core and for every plugin package in the tree. Then
# translate the new (empty) zh_Hans entries it lists, run this again to re-derive zh_Hant, and
# `make translations`. See translations/README.md.
update-messages: $(STAMP)
	@for p in $(PLUGIN_PACKAGES); do $(PY) -m portal.i18n_tools update-plugin $${p%/} --seed $(TRANSLATIONS) || true; done
	@$(PY) -m portal.i18n_tools update $(TRANSLATIONS) portal || echo "(translate the entries listed above in the zh_Hans catalogues, then run make update-messages again)"

# One plugin package's catalogues, e.g. `make update-plugin-messages PLUGIN=plugins/dazhou` (an
# outside plugin runs `python -m portal.i18n_tools update-plugin path/to/its/package`).
update-plugin-messages: $(STAMP)
	@test -n "$(PLUGIN)" || { echo "usage: make update-plugin-messages PLUGIN=path/to/plugin/package"; exit 2; }
	$(PY) -m portal.i18n_tools update-plugin $(PLUGIN) --seed $(TRANSLATIONS)

# The keys and the instance folder are the owner's only (umask 077: no group or other bits).
$(INSTANCE)/secret_key:
	umask 077 && mkdir -p $(INSTANCE) && $(PY) -c 'import secrets; print(secrets.token_hex(32))' > $@

# The data key of complainants' personal data (portal/datakeys.py), owner-only; the app reads it.
$(INSTANCE)/data_key: | $(STAMP)
	umask 077 && mkdir -p $(INSTANCE) && $(PY) -m portal.datakeys generate > $@

# Start the portal with its embedded defaults: SQLite, a local index, demo data.
run: translations $(INSTANCE)/secret_key $(INSTANCE)/data_key
	PORTAL_INSTANCE_PATH=$(abspath $(INSTANCE)) PORTAL_SECRET_KEY=$$(cat $(INSTANCE)/secret_key) $(FLASK) portal init-db
	PORTAL_INSTANCE_PATH=$(abspath $(INSTANCE)) PORTAL_SECRET_KEY=$$(cat $(INSTANCE)/secret_key) $(FLASK) portal load-demo
	PORTAL_INSTANCE_PATH=$(abspath $(INSTANCE)) PORTAL_SECRET_KEY=$$(cat $(INSTANCE)/secret_key) $(FLASK) portal reindex
	@echo "Bancheng portal on http://127.0.0.1:5000 (staff: see README for the demo users)"
	PORTAL_INSTANCE_PATH=$(abspath $(INSTANCE)) PORTAL_SECRET_KEY=$$(cat $(INSTANCE)/secret_key) $(FLASK) run --host 127.0.0.1 --port 5000 --with-threads

# The whole test suite (browser journeys run when /usr/bin/chromium exists).
test: translations
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: translations
	PORTAL_TEST_DATABASE_URL=$${PORTAL_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} $(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(INSTANCE) .pytest_cache test-artifacts

# Proof harnesses and benchmarks (issue 6), each in its own include file.
include browser/Makefile.inc
-include proof/Makefile.inc
-include bench/Makefile.inc

# Bancheng portal. The two set-up commands: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app portal
INSTANCE ?= instance
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml tests/plugin_example/pyproject.toml 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: run test install translations extract-messages update-messages test-postgres test-browser proof bench clean

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

# Compile the catalogues (.mo files are not committed). `pybabel compile` leaves fuzzy entries out.
translations: $(STAMP)
	@if ls $(TRANSLATIONS)/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then $(VENV)/bin/pybabel --quiet compile --directory $(TRANSLATIONS); fi

# portal/translations/messages.pot from portal/ and plugins/ (the arguments live in portal/i18n_tools.py).
# The catalogues live inside the package so that a wheel ships them (see portal/translations/README.md).
TRANSLATIONS := portal/translations

extract-messages: $(STAMP)
	$(PY) -m portal.i18n_tools extract $(TRANSLATIONS)/messages.pot

# After adding strings: extract, merge into the three catalogues (no fuzzy guesses), fill
# English, derive Traditional from Simplified. Then translate the new (empty) zh_Hans entries,
# run this again to re-derive zh_Hant, and `make translations`. See portal/translations/README.md.
update-messages: extract-messages
	$(VENV)/bin/pybabel --quiet update --input-file $(TRANSLATIONS)/messages.pot --output-dir $(TRANSLATIONS) --no-fuzzy-matching --ignore-obsolete --no-wrap
	$(PY) -m portal.i18n_tools fill-english $(TRANSLATIONS)/en/LC_MESSAGES/messages.po
	$(PY) -m portal.i18n_tools derive-traditional $(TRANSLATIONS)/zh_Hans/LC_MESSAGES/messages.po $(TRANSLATIONS)/zh_Hant/LC_MESSAGES/messages.po
	@$(PY) -m portal.i18n_tools check $(TRANSLATIONS) $(TRANSLATIONS)/messages.pot || echo "(translate the entries listed above in $(TRANSLATIONS)/zh_Hans/LC_MESSAGES/messages.po, then run make update-messages again)"

$(INSTANCE)/secret_key:
	mkdir -p $(INSTANCE)
	$(PY) -c 'import secrets; print(secrets.token_hex(32))' > $@

# Start the portal with its embedded defaults: SQLite, a local index, demo data.
run: translations $(INSTANCE)/secret_key
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

# make run  : set up .venv (if needed) and start the dashboard
# make test : set up .venv with the dev tools and run the whole suite (browser test included)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test lint bench clean chromium

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.requirements: requirements.txt requirements-nodeps.txt | $(PY)
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -r requirements-nodeps.txt
	touch $@

$(VENV)/.requirements-dev: requirements-dev.txt $(VENV)/.requirements
	$(PIP) install -r requirements-dev.txt
	touch $@

run: $(VENV)/.requirements
	$(VENV)/bin/streamlit run Home.py

# The browser test drives Debian's Chromium; install it when it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y chromium || { $$SUDO apt-get update && $$SUDO apt-get install -y chromium; }; }

test: $(VENV)/.requirements-dev chromium
	$(PY) -m pytest

lint: $(VENV)/.requirements-dev
	$(VENV)/bin/ruff check .

bench: $(VENV)/.requirements-dev
	$(PY) bench/ingest.py
	$(PY) bench/search.py
	$(PY) bench/eval_dialog.py
	$(PY) bench/app.py
	$(PY) bench/player.py

clean:
	rm -rf $(VENV) .pytest_cache

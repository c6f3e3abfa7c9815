# make run  : set up .venv (if needed) and start the dashboard
# make test : set up .venv with the dev tools and run the whole suite (browser test included)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.requirements: requirements.txt | $(PY)
	$(PIP) install -r requirements.txt
	touch $@

$(VENV)/.requirements-dev: requirements-dev.txt $(VENV)/.requirements
	$(PIP) install -r requirements-dev.txt
	touch $@

run: $(VENV)/.requirements
	$(VENV)/bin/streamlit run Home.py

test: $(VENV)/.requirements-dev
	$(PY) -m pytest

lint: $(VENV)/.requirements-dev
	$(VENV)/bin/ruff check .

bench: $(VENV)/.requirements-dev
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) .pytest_cache

# make run  : set up .venv (if needed) and start the dashboard
# make test : set up .venv with the dev tools, lint (ruff, import layers, types), build the docs,
#             run the whole suite (browser test included)
# make docs : build the docs site into site/
# make lock : refresh the locked versions from the ranges in requirements*.txt (then make test)
# make app-size : build a venv from the app's lock alone (no torch) and print its size
#
# make run installs the app's core (requirements.lock) and the extras in EXTRAS (default:
# speech large); EXTRAS="speech large cluster export" make run adds Ray and the export extra
# (torch, transformers, onnx: to make a checkpoint of your own into an ONNX model folder).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
# Every package is installed at the version and hash its lock file gives, without resolving
# anything anew; torch (the export extra's) comes first, from its pin in requirements-export.txt
# (a CPU build where one is at hand, else PyTorch's CPU index), and is left out of the locks
# for that reason.
# Bytecode is written by the first import, not by pip (--no-compile): compiling all 24,000
# files of the dependencies up front cost a fresh clone's setup 70 s, for modules most runs never
# load. The app and the tests write it even where PYTHONDONTWRITEBYTECODE is set (as it is on
# some CI machines), or every process would compile every module it imports, every time.
INSTALL := $(PIP) install --no-compile
WRITE_BYTECODE := env -u PYTHONDONTWRITEBYTECODE
LOCKED := $(INSTALL) --no-deps --require-hashes
TORCH = $$(grep -E '^torch==' requirements-export.txt)
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
EXTRAS ?= speech large
ALL_EXTRAS := export speech large cluster
LOCK_VENV := .lock-venv
COMPILE := $(LOCK_VENV)/bin/pip-compile --quiet --upgrade --generate-hashes --strip-extras \
	--unsafe-package torch --no-emit-index-url --no-emit-find-links

.PHONY: run test lint docs bench clean debian-tools lock app-size

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.requirements: requirements.lock requirements-nodeps.lock pyproject.toml | $(PY)
	$(LOCKED) -r requirements.lock
	$(LOCKED) -r requirements-nodeps.lock
	$(INSTALL) --no-deps --no-build-isolation -e .  # the `oneframe` command, this tree
	touch $@

# torch from a CPU build: the local file where pip finds one, else PyTorch's CPU index
$(VENV)/.requirements-export: requirements-export.lock $(VENV)/.requirements
	$(INSTALL) --no-deps $(TORCH) 2>/dev/null || \
	  $(INSTALL) --no-deps --index-url $(TORCH_INDEX) $(TORCH)
	$(LOCKED) -r requirements-export.lock
	touch $@

# an extra: what it adds to the app's lock
$(VENV)/.requirements-speech $(VENV)/.requirements-large $(VENV)/.requirements-cluster: \
  $(VENV)/.requirements-%: requirements-%.lock $(VENV)/.requirements
	$(LOCKED) -r $<
	touch $@

# the dev lock holds every extra: their markers are set too, so that `make run` after `make test`
# installs nothing again
$(VENV)/.requirements-dev: requirements-dev.lock $(VENV)/.requirements-export \
  requirements-speech.lock requirements-large.lock requirements-cluster.lock
	$(LOCKED) -r requirements-dev.lock
	touch $(VENV)/.requirements-speech $(VENV)/.requirements-large $(VENV)/.requirements-cluster
	touch $@

run: $(VENV)/.requirements $(foreach extra,$(EXTRAS),$(VENV)/.requirements-$(extra))
	@echo "oneframe: serving http://127.0.0.1:8501 - open it in a browser (Ctrl+C stops it)"
	$(WRITE_BYTECODE) $(VENV)/bin/streamlit run Home.py

# Debian tools the tests need, installed when missing: the browser test drives Chromium, the
# speech tests say their lines with espeak-ng, a bitmap subtitle test draws with dvdauthor's
# spumux, and the AVX2 test runs ONNX Runtime on an emulated Haswell (qemu-user).
DEBIAN_TOOLS := chromium:chromium espeak-ng:espeak-ng spumux:dvdauthor qemu-x86_64:qemu-user
debian-tools:
	@missing=""; for pair in $(DEBIAN_TOOLS); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y $$missing || { $$SUDO apt-get update && $$SUDO apt-get install -y $$missing; }; fi

# the suite on every core (pytest-xdist), a test file's tests kept on one worker so that
# its module fixtures are made once
test: lint docs debian-tools
	$(WRITE_BYTECODE) $(PY) -m pytest -n auto --dist loadfile

# the docs site (MkDocs, Material theme) into site/; its CLI and settings pages are generated
# from the code (docs/hooks.py), and --strict fails on any warning or broken link
docs: $(VENV)/.requirements-dev
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

# ruff, the stages' one-way imports (import-linter, pyproject.toml), and types (mypy, strict)
lint: $(VENV)/.requirements-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: $(VENV)/.requirements-dev
	$(PY) bench/ingest.py
	$(PY) bench/search.py
	$(PY) bench/scale.py --films 50
	$(PY) bench/engines.py
	$(PY) bench/frames.py
	$(PY) bench/families.py --speed
	$(PY) bench/dialogue.py
	$(PY) bench/eval_dialog.py
	$(PY) bench/eval_speech.py
	$(PY) bench/speech_memory.py
	$(PY) bench/app.py
	$(PY) bench/browser.py
	$(PY) bench/player.py
	$(PY) bench/export.py

# pip-tools in a venv of its own, so the project's venv holds only what the locks list.
# requirements-nodeps.lock keeps only the packages named in requirements-nodeps.txt (installed
# without their dependencies; see that file).
lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install -q pip-tools
	$(COMPILE) -o requirements-dev.lock requirements.txt \
	  $(foreach extra,$(ALL_EXTRAS),requirements-$(extra).txt) requirements-dev.txt
	$(COMPILE) -c requirements-dev.lock -o requirements.lock requirements.txt
	for extra in $(ALL_EXTRAS); do \
	  $(COMPILE) -c requirements-dev.lock -o $(LOCK_VENV)/$$extra.lock requirements.txt \
	    requirements-$$extra.txt && \
	  { echo "# Made by make lock: what the $$extra extra adds to requirements.lock."; \
	    awk -v names="$$(grep -oE '^[A-Za-z0-9_.-]+==' requirements.lock | paste -sd'|')" \
	      '/^[^ #]/{keep = ($$0 !~ "^(" names ")")} keep' $(LOCK_VENV)/$$extra.lock; } \
	    > requirements-$$extra.lock || exit 1; done
	$(COMPILE) -o $(LOCK_VENV)/nodeps.lock requirements-nodeps.txt
	{ echo "# Made by make lock from requirements-nodeps.txt; installed with --no-deps."; \
	  awk -v names="$$(grep -oE '^[A-Za-z0-9_.-]+' requirements-nodeps.txt | paste -sd'|')" \
	    '/^[^ #]/{keep = ($$0 ~ "^(" names ")==")} keep' $(LOCK_VENV)/nodeps.lock; } \
	  > requirements-nodeps.lock

# A venv from the app's lock alone: no torch, transformers or onnx (checked), and its size; then
# with the extras make run adds by default (EXTRAS).
app-size:
	rm -rf /tmp/oneframe-app-venv && $(PYTHON) -m venv /tmp/oneframe-app-venv
	/tmp/oneframe-app-venv/bin/python -m pip --disable-pip-version-check -q install --no-deps \
	  --require-hashes -r requirements.lock -r requirements-nodeps.lock
	@! /tmp/oneframe-app-venv/bin/python -c "import torch" 2>/dev/null
	@! /tmp/oneframe-app-venv/bin/python -c "import transformers" 2>/dev/null
	@! /tmp/oneframe-app-venv/bin/python -c "import onnx" 2>/dev/null
	@du -sh /tmp/oneframe-app-venv | sed 's/^/app venv (no torch, transformers, onnx): /'
	/tmp/oneframe-app-venv/bin/python -m pip --disable-pip-version-check -q install --no-deps \
	  --require-hashes $(foreach extra,$(EXTRAS),-r requirements-$(extra).lock)
	@du -sh /tmp/oneframe-app-venv | sed 's/^/with the extras $(EXTRAS): /'

clean:
	rm -rf $(VENV) $(LOCK_VENV) .pytest_cache

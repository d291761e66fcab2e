# optbridge: `make html` builds the bilingual site, `make test` runs every test.
# Both create .venv and install the pinned dependencies on first use (python3 and make suffice).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SPHINX := $(BIN)/sphinx-build
SPHINXOPTS ?= -W --keep-going -q
LANGUAGES := en zh_CN
PORT ?= 8000
# Device the gallery examples run on while the site is built: cpu, cuda or npu (simulated);
# empty: each example's default (CUDA when present, else CPU; the NPU tutorial: the NPU).
DEVICE ?=

.DEFAULT_GOAL := help
.PHONY: help setup html gettext test check bench goldens frameworks frameworks-check serve lint clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24,<27"
	$(BIN)/python -m pip install --quiet -e ".[docs,test]"
	@# Compile the CPU kernel once into its disk cache, so no step pays for it later; without
	@# a compiler the optimizers use their pure-torch path.
	$(BIN)/python -m optbridge.engine.build || echo "note: CPU kernel not built; the pure-torch path will be used"
	touch $(STAMP)

setup: $(STAMP) ## Create .venv and install pinned dependencies (done by every target)

html: $(STAMP) ## Build the site in English and Chinese into build/html (DEVICE=cpu|cuda|npu)
	OPTBRIDGE_DEVICE=$(DEVICE) $(BIN)/python -m optbridge.sphinxext.build --languages $(LANGUAGES) -- $(SPHINXOPTS)

gettext: $(STAMP) ## Extract messages and update the zh_CN catalogs in docs/locale
	rm -rf build/gettext
	$(SPHINX) -b gettext -c . -q docs build/gettext
	@# Mapping pages are translated in their data files; the API reference's docstrings stay
	@# in English (optbridge.sphinxext.site keeps them out), its headings and prose do not.
	rm -rf build/gettext/migration
	$(BIN)/sphinx-intl update -p build/gettext -l zh_CN -d docs/locale --line-width=-1 >/dev/null

test: lint html ## ruff, build the site, then run every test (pytest)
	$(BIN)/python -m pytest

check: $(STAMP) ## Check every claim of every mapping page, as a table
	$(BIN)/python -m optbridge.mappings.checks docs/mappings

bench: $(STAMP) ## Benchmark the fused optimizers, the simulated NPU and the first step after a fresh pip install (about 8 min)
	$(BIN)/python -m optbridge.bench

# CHECK=1: compare with the committed records instead of rewriting them (what CI runs).
frameworks: $(STAMP) ## Run every native snippet and port recipe on its real framework (envs in build/frameworks); CHECK=1 compares
	$(BIN)/python -m optbridge.native --python $(PYTHON) $(if $(CHECK),--check)
	$(BIN)/python -m optbridge.port.real $(if $(CHECK),--check)

# Both halves run even when the first fails, so one log shows every difference.
frameworks-check: $(STAMP) ## Re-run every native snippet and port recipe (under each instruction set) and fail on a difference from its record
	@status=0; \
	$(BIN)/python -m optbridge.native --python $(PYTHON) --check || status=1; \
	$(BIN)/python -m optbridge.port.real --check || status=1; \
	exit $$status

goldens: $(STAMP) ## Maintainers: re-record each framework's data/ from the real frameworks (see README)
	$(BIN)/python -m optbridge.frameworks.recording

lint: $(STAMP) ## ruff
	$(BIN)/ruff check src tests examples conf.py setup.py

serve: ## Serve build/html on http://localhost:$(PORT)
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory build/html

clean: ## Remove build outputs (keeps .venv)
	rm -rf build docs/migration docs/auto_examples

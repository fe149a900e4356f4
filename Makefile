# Self-bootstrapping targets: each creates .venv and installs the project on first use.
# The first Python >= 3.11 among these is used (`make run PYTHON=/path/to/python3.12` to choose).
PYTHON_CANDIDATES := python3.13 python3.12 python3.11 python3
IS_311 := import sys; sys.exit(sys.version_info < (3, 11))
ifndef PYTHON
PYTHON := $(shell for p in $(PYTHON_CANDIDATES); do \
	command -v $$p >/dev/null 2>&1 && $$p -c '$(IS_311)' >/dev/null 2>&1 && { echo $$p; break; }; \
	done)
endif
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DURATION ?= 60

.PHONY: run test lint unit notebooks labs labs-check lab doctor clean lock check-python

check-python:  ## stop with the command to run when no Python 3.11+ is found
	@if [ -z "$(PYTHON)" ] || ! $(PYTHON) -c '$(IS_311)' >/dev/null 2>&1; then \
	  echo "No Python 3.11 or newer found (tried: $(or $(PYTHON),$(PYTHON_CANDIDATES)))."; \
	  echo "Install one, then run make again:"; \
	  case "$$(uname -s)" in \
	    Darwin) echo "  brew install python@3.12      (Homebrew; then: make run)";; \
	    Linux) if command -v apt-get >/dev/null 2>&1; then \
	      echo "  sudo apt-get install python3.11 python3.11-venv      (then: make run)"; \
	      else echo "  your distribution's python3.11 package (with venv), then: make run"; fi;; \
	  esac; \
	  echo "  or: conda env create -f environment.yml && conda activate fmslab && make run"; \
	  exit 2; \
	fi
	@echo "Python: $(PYTHON) ($$($(PYTHON) -c 'import platform; print(platform.python_version())'))"

$(STAMP): pyproject.toml requirements.lock
	@$(MAKE) -s check-python PYTHON="$(PYTHON)"
	@echo "==> creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> upgrading pip"
	$(BIN)/pip install --progress-bar on --upgrade pip
	@echo "==> installing fmslab and its dependencies (first time: a few minutes, pyspark is 300 MB)"
	$(BIN)/pip install --progress-bar on -c requirements.lock -e ".[dev]"
	@echo "==> registering the Jupyter kernel 'python3'"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)
	@echo "==> installed; next: make run (pipeline), make lab (JupyterLab), make doctor (checks)"

run: $(STAMP)  ## run the main job in embedded mode
	$(BIN)/fmslab run --duration $(DURATION)

test: $(STAMP) lint unit notebooks labs-check  ## the whole suite

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

unit: $(STAMP)
	$(BIN)/pytest -m "not notebook" tests

notebooks: $(STAMP)
	$(BIN)/pytest -m notebook tests

labs: $(STAMP)  ## regenerate labs/ from solutions/
	$(BIN)/fmslab labs generate

labs-check: $(STAMP)  ## labs/ must equal what solutions/ generate
	$(BIN)/fmslab labs generate
	git diff --exit-code -- labs/
	@test -z "$$(git status --porcelain -- labs/)" || (echo "labs/ has untracked or changed files: run make labs and commit" && exit 1)

lab: $(STAMP)  ## open JupyterLab on the workbook
	$(BIN)/jupyter lab --ip 127.0.0.1 --notebook-dir .

doctor: $(STAMP)
	$(BIN)/fmslab doctor

lock: $(STAMP)  ## re-pin every dependency (pyproject main + dev) into requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --quiet -o requirements.lock

clean:
	rm -rf $(VENV) .fmslab reports/*.json reports/*.html

.PHONY: solutions
solutions: $(STAMP)  ## run every solution notebook in embedded mode (papermill); summary in reports/solutions
	$(BIN)/fmslab notebooks run --kind solutions --mode embedded --keep-going --out reports/solutions

# Self-bootstrapping targets: each creates .venv and installs the project on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DURATION ?= 60

.PHONY: run test lint unit notebooks labs labs-check lab doctor clean lock

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

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

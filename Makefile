# speechtopics — `make report` and `make test` are the quick start.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | $(PYTHON) -c "import hashlib,sys;print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest()[:12])")
SPARK_STAMP := $(subst .installed-,.spark-,$(STAMP))
KERNEL := speechtopics

.DEFAULT_GOAL := help
.PHONY: help setup setup-spark report test test-fast lint lab bench clean notebooks

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)
	@$(BIN)/python -m speechtopics.pipeline.engines.spark.session

# The optional Spark engine: pyspark from PyPI (Java 17 comes from the system,
# e.g. apt-get install openjdk-17-jre-headless). A machine that cannot get it
# still runs the tests: the Spark tests are skipped and say why.
$(SPARK_STAMP): $(STAMP)
	@$(BIN)/python -m pip install --quiet -e '.[dev,spark]' \
	  || echo "pyspark could not be installed; the Spark engine and its tests are skipped" >&2
	@rm -f $(VENV)/.spark-*
	@touch $(SPARK_STAMP)
	@$(BIN)/python -m speechtopics.pipeline.engines.spark.session

setup: $(STAMP)  ## create .venv and install the project with its dev tools (says if Spark can run)

setup-spark: $(SPARK_STAMP)  ## also install the optional Spark engine (pyspark; needs Java 17)

report: $(STAMP)  ## run the whole analysis on data/raw (tables → data/processed, figures → figures)
	$(BIN)/speechtopics run

test: $(SPARK_STAMP)  ## run the whole test suite (notebooks, browser and Spark tests included)
	$(BIN)/python -m pytest

test-fast: $(STAMP)  ## tests without the slow ones (notebooks, browser, Spark, kill tests)
	$(BIN)/python -m pytest -m "not slow and not browser and not spark"

lint: $(STAMP)  ## ruff on the package, tests, notebooks and benchmarks
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/ruff format --check src tests benchmarks notebooks
	$(BIN)/lint-imports

notebooks: $(STAMP)  ## (re)create the .ipynb files from their paired .py sources
	$(BIN)/jupytext --sync notebooks/*.py

lab: $(STAMP) notebooks  ## open JupyterLab on notebooks/ with the project's kernel
	$(BIN)/python -m ipykernel install --user --name $(KERNEL) --display-name "Python (speechtopics)"
	$(BIN)/jupyter lab --notebook-dir=notebooks

bench: $(STAMP)  ## speed and memory benchmarks (needs ../shared/corpus/bench)
	$(BIN)/python benchmarks/run.py

clean:  ## remove generated data, figures and caches (data/raw is never touched)
	rm -rf data/interim/* data/processed/* figures/*
	@touch data/interim/.gitkeep data/processed/.gitkeep figures/.gitkeep

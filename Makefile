# The two commands: `make demo` (the main job) and `make test` (the whole suite).
# Both create the virtual environment and install the package with its extras first.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Extra pip arguments, e.g. the CPU torch index for the `train` extra (small, no CUDA):
#   make test PIP_ARGS="--extra-index-url https://download.pytorch.org/whl/cpu"
PIP_ARGS ?=

.PHONY: setup images demo test lint bench docs serve-docs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(PIP_ARGS) -e '.[dev,ray,data,llm,train]'
	touch $@

setup: $(VENV)/.installed

# Base images are built locally (no registry needed) when a Docker daemon answers.
images: setup
	@if docker info >/dev/null 2>&1; then $(BIN)/terminal-gym images bootstrap; \
	else echo "no Docker daemon: skipping base images (the local backend will be used)"; fi

demo: images
	$(BIN)/terminal-gym demo

# The browser test of the replay page needs: apt-get install -y chromium chromium-driver
test: images lint
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Style, types and the layer contract (pyproject.toml: [tool.ruff], [tool.mypy],
# [tool.importlinter]); `make test` runs it first.
lint: setup
	$(BIN)/ruff check terminal_gym tests benchmarks examples conftest.py
	$(BIN)/ruff format --check terminal_gym tests benchmarks examples conftest.py
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: images
	mkdir -p benchmarks/results
	$(BIN)/python benchmarks/step_latency.py --json benchmarks/results/step_latency.json; \
	$(BIN)/python benchmarks/throughput.py

# The documentation site (mkdocs.yml, docs/); --strict: a broken link is an error.
docs: setup
	$(BIN)/mkdocs build --strict --site-dir site

serve-docs: setup
	$(BIN)/mkdocs serve

clean:
	rm -rf $(VENV) *.egg-info site

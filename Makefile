# narrascope: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
NS := $(BIN)/narrascope
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export BENTOML_DO_NOT_TRACK := true
export NARRASCOPE_REGISTRY ?= $(CURDIR)/registry

.PHONY: run test test-slow install lint card bento

# Train the default model (the family best on the held-out split: finetuned, see README),
# register it as `production`, evaluate it, serve it on 127.0.0.1:3000.
run: $(STAMP)
	$(NS) train --config configs/finetuned.yaml --out artifacts/finetuned --register --alias production
	$(NS) eval --model production --data data/corpus/test.jsonl --out reports/latest --attach
	@echo ""
	@echo "Try it (in another terminal) once the server says it is ready:"
	@echo "  curl -s -X POST http://127.0.0.1:3000/v1/predict -H 'Content-Type: application/json' \\"
	@echo "    -d '{\"texts\": [{\"text\": \"NATO expansion left Russia no choice: the West provoked this war.\"}]}'"
	@echo ""
	$(NS) serve --model production --host 127.0.0.1 --port 3000

# Install (if needed) and run the whole default test suite.
test: $(STAMP)
	$(BIN)/pytest

test-slow: $(STAMP)
	$(BIN)/pytest -m slow

# Layers: lint-imports reads an installed copy (see [tool.importlinter] in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	rm -rf build/lint-site && $(BIN)/pip install --quiet --no-deps --no-build-isolation \
		--target build/lint-site . && cd build/lint-site && \
		PYTHONPATH=. ../../$(BIN)/lint-imports --config ../../pyproject.toml

install: $(STAMP)

# torch goes first and pinned: an unpinned resolve would download a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The bento carries the code as the narrascope wheel (see bentofile.yaml), built offline here.
bento: $(STAMP)
	rm -rf dist && $(BIN)/pip wheel --quiet --no-deps --no-build-isolation --wheel-dir dist .
	$(BIN)/bentoml build

# One command surface for people, the before-stop hook and CI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install demo test lint asyncapi clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: install  ## one monitoring quarter against the simulator, on embedded defaults; writes out/
	$(BIN)/xunjian demo --out out

test: install  ## unit and integration tests on a real nats-server and SecantusDB
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services simulator xunjian

asyncapi: install  ## regenerate docs/asyncapi.json from the code
	$(BIN)/xunjian asyncapi --out docs/asyncapi.json

clean:
	rm -rf out .xunjian .pytest_cache .mypy_cache .ruff_cache

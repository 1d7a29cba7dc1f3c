# Quick start on Debian/Ubuntu:  `make run` sets up and opens the window;
#                                `make test` sets up and runs every test offscreen.
# Both are idempotent: with .venv up to date they go straight to the point.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test system-deps system-deps-offscreen benchmark clean

run: system-deps $(STAMP)
	$(BIN)/sae-desktop

test: system-deps-offscreen $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

benchmark: $(STAMP)
	$(BIN)/sae-desktop benchmark

# The Debian packages Qt needs (installed when missing; asks for sudo if not root).
system-deps:
	@bash .ci/system-deps window
system-deps-offscreen:
	@bash .ci/system-deps offscreen

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis

# govops: two commands do everything on a fresh machine (as root): `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
GOVOPS := $(VENV)/bin/govops
PYTEST := $(VENV)/bin/pytest

.PHONY: install demo test lint bench clean

install:
	@bash scripts/install-deps.sh

demo: install
	@bash scripts/demo.sh

test: install
	@bash scripts/test.sh

lint: install
	$(VENV)/bin/ruff check src tests benchmarks

bench: install
	$(VENV)/bin/python benchmarks/estate.py

clean:
	rm -rf build .pytest_cache .ruff_cache

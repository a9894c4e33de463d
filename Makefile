# Two commands for a newcomer: `make run` (the platform with the demo district) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup system-deps system-deps-test frontend frontend-test lint typecheck pytest bench clean

run: setup frontend
	$(BIN)/commandpost demo --host $(HOST) --port $(PORT)

test: system-deps-test setup frontend lint typecheck frontend-test pytest

setup: system-deps $(VENV)/.installed

system-deps:
	@scripts/install-system-deps.sh

system-deps-test:
	@scripts/install-system-deps.sh --test

# pyproj is built from source against the system PROJ: the pyproj wheel bundles its own PROJ,
# and two PROJ libraries in one process (the other comes with SpatiaLite) crash at exit.
# pyproj 3.6.1 is the newest that builds on Debian 12's PROJ 9.1, and only with Cython 3.0.
PYPROJ := pyproj==3.6.1
# pyogrio (GIS file imports and exports) is built from source against the system GDAL for the same
# reason: its wheel bundles GDAL with a second PROJ.
PYOGRIO := pyogrio==0.13.0
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/python -c "import pathlib, sys, pyproj; sys.exit(pyproj.__version__ != '3.6.1' or (pathlib.Path(pyproj.__file__).parents[1] / 'pyproj.libs').exists())" 2>/dev/null \
	  || { $(BIN)/pip install -q "cython==3.0.11" setuptools wheel && \
	       PROJ_DIR=/usr $(BIN)/pip install -q --no-cache-dir --no-build-isolation --no-binary pyproj $(PYPROJ); }
	$(BIN)/python -c "import pathlib, sys, pyogrio; sys.exit(pyogrio.__version__ != '0.13.0' or (pathlib.Path(pyogrio.__file__).parents[1] / 'pyogrio.libs').exists())" 2>/dev/null \
	  || $(BIN)/pip install -q --no-cache-dir --no-binary pyogrio $(PYOGRIO)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

frontend:
	@if [ -f frontend/package.json ]; then $(MAKE) -C frontend build; fi

frontend-test:
	@if [ -f frontend/package.json ]; then $(MAKE) -C frontend test; fi

lint:
	$(BIN)/ruff check backend tests scripts bench
	$(BIN)/ruff format --check backend tests scripts bench

typecheck:
	$(BIN)/mypy

pytest:
	$(BIN)/pytest -v

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var frontend/dist frontend/node_modules

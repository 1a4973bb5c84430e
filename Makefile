# The two commands of the README. Both do all set-up from nothing (a Python 3.11 and the services).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: run test install install-dev browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

## make run: install, create ./var/greenmarket.db, load the demo market and analyses, serve on :8000
# The demo market's clock starts on its demo day's Tokyo morning session, whatever the hour
# (orders are taken, the operator runs the 11:30 auction); `make run DEMO_CLOCK=` uses the wall clock.
DEMO_CLOCK ?= 2025-06-02T09:15:00+09:00
run: install
	$(BIN)/greenmarket db upgrade
	$(BIN)/greenmarket demo load --if-empty
	$(BIN)/greenmarket analyses demo --if-empty
	GREENMARKET_CLOCK_START=$(DEMO_CLOCK) $(BIN)/greenmarket serve --port $(PORT)

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@test -x /usr/bin/chromium || ($(SUDO) apt-get update -qq && \
	  $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

## make test: install with dev extras and run every test (PostgreSQL and Chromium included)
test: install-dev browser
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: install-dev
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis

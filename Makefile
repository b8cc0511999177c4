# Two commands set everything up on a fresh machine:
#   make demo   installs riskkit in .venv and runs it on the demo workspace in this repo
#   make test   installs the test tools (and graphviz, chromium, poppler) and runs the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test system-deps bench clean golden

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

# The demo register is dated around 2026-11-26; --as-of keeps its story true.
AS_OF ?= 2026-11-26

demo: $(STAMP)
	$(BIN)/riskkit validate
	$(BIN)/riskkit risks --above-appetite
	$(BIN)/riskkit matrix
	$(BIN)/riskkit runbook list
	$(BIN)/riskkit runbook show db-failover --scenario host-lost
	$(BIN)/riskkit runbook render db-failover --var region=eu-west-1 --scenario host-lost \
	    --as-of $(AS_OF) --format html -o build/db-failover.html
	$(BIN)/riskkit review --as-of $(AS_OF)
	$(BIN)/riskkit drill plan --quarter 2027Q1 --as-of $(AS_OF)
	$(BIN)/riskkit drill checklist --quarter 2027Q1 --as-of $(AS_OF) --format html \
	    -o build/drills-2027Q1.html
	$(BIN)/riskkit report --as-of $(AS_OF) -o build/report.html

# Tools the tests drive for real: Graphviz renders the DOT, Chromium prints the HTML,
# poppler reads the PDF back. Installed from Debian's packages when missing.
system-deps:
	@if ! command -v dot >/dev/null || ! command -v chromium >/dev/null \
	    || ! command -v pdftotext >/dev/null; then \
	  echo "installing graphviz, chromium and poppler-utils"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq graphviz chromium poppler-utils >/dev/null; \
	fi

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q

golden: $(STAMP)
	$(BIN)/python -m pytest -q --update-golden tests

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

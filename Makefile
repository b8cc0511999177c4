# Two commands set everything up on a fresh machine:
#   make demo   installs riskkit in .venv and runs it on the demo workspace in this repo
#   make test   installs the test tools (and graphviz, chromium, poppler) and runs the tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo incident-demo test system-deps bench clean golden

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

# The demo register is dated around 2026-11-26; --as-of keeps its story true.
AS_OF ?= 2026-11-26

demo: $(STAMP)
	$(BIN)/riskkit validate
	$(BIN)/riskkit runbook find --alert PostgresPrimaryDown
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
	$(BIN)/riskkit site --as-of $(AS_OF) -o build/site
	$(BIN)/riskkit runbook render --all --blank --as-of $(AS_OF) --format html \
	    -o build/binder.html
	$(BIN)/riskkit postmortem 2026-10-07-bad-deploy-rollback --as-of $(AS_OF) \
	    -o build/postmortem-2026-10-07.md
	$(BIN)/riskkit postmortem 2026-10-07-bad-deploy-rollback --as-of $(AS_OF) --format html \
	    -o build/postmortem-2026-10-07.html
	$(BIN)/riskkit retro --quarter 2026Q4 --as-of $(AS_OF) -o build/retro-2026Q4.md
	$(BIN)/riskkit retro --quarter 2026Q4 --as-of $(AS_OF) --format html \
	    -o build/retro-2026Q4.html
	@$(MAKE) --no-print-directory incident-demo

# A live incident from start to close (the README's tour), run in a copy of the workspace
# under build/, so that the repository's own tree and `git status` stay as they were.
DEMO_WS  := build/incident-demo
INCIDENT := $(BIN)/riskkit -C $(DEMO_WS) incident
T        := $(AS_OF)T10

incident-demo: $(STAMP)
	rm -rf $(DEMO_WS) && mkdir -p $(DEMO_WS)
	cp -R riskkit.yaml .gitattributes risks runbooks drills $(DEMO_WS)/
	$(INCIDENT) start db-failover --scenario host-lost --var region=eu-west-1 \
	    --id demo --at $(T):00Z --by dana
	$(INCIDENT) assign ic dana --at $(T):01Z --by dana
	$(INCIDENT) done declare --note "Paged dba, sre and payments" --at $(T):04Z --by dana
	$(INCIDENT) done cluster-state --at $(T):09Z --by priya
	$(INCIDENT) done primary-diagnosis --note "Node NotReady, volume detached" \
	    --at $(T):10Z --by sam
	$(INCIDENT) status-update "Investigating: ledger writes failing" --at $(T):12Z --by kim
	$(INCIDENT) skip status-investigating --reason "Sent as the 10:12 update" \
	    --at $(T):12Z --by kim
	$(INCIDENT) done freeze-writes --at $(T):16Z --by lee
	$(INCIDENT) done fence-old-primary --at $(T):19Z --by sam
	$(INCIDENT) done check-candidate --at $(T):20Z --by priya
	$(INCIDENT) now --at $(T):21Z
	$(INCIDENT) approve promote --at $(T):21Z --by dana
	$(INCIDENT) begin promote --confirm --at $(T):22Z --by priya
	$(INCIDENT) now --at $(T):25Z --format html -o board.html
	$(INCIDENT) handover --to sam --note "Promote under way" --at $(T):30Z --by dana
	$(INCIDENT) done promote --at $(T):32Z --by priya
	$(INCIDENT) done check-routing --at $(T):36Z --by sam
	$(INCIDENT) done resume-writes --at $(T):41Z --by lee
	$(INCIDENT) status-update "Mitigated: writes flow again" --at $(T):42Z --by kim
	$(INCIDENT) done status-monitoring --at $(T):47Z --by kim
	$(INCIDENT) done restore-redundancy --at $(T):52Z --by priya
	$(INCIDENT) done reconcile --note "3 authorisations ticketed" --at $(T):55Z --by lee
	$(INCIDENT) done close --at $(T):58Z --by sam
	$(INCIDENT) close --outcome resolved --at $(T):59Z --by sam --postmortem
	$(INCIDENT) action "Page the database on-call from the replica lag alert" \
	    --owner team-data --due 2026-12-15 -i demo --at $(AS_OF)T11:30Z --by dana
	$(INCIDENT) log

# Tools the tests drive for real: Graphviz renders the DOT, Chromium prints the HTML,
# poppler reads the PDF back, promtool (Debian's prometheus package) checks the example
# alert rules. Installed from Debian's packages when missing.
system-deps:
	@if ! command -v dot >/dev/null || ! command -v chromium >/dev/null \
	    || ! command -v pdftotext >/dev/null || ! command -v promtool >/dev/null; then \
	  echo "installing graphviz, chromium, poppler-utils and prometheus (promtool)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq graphviz chromium poppler-utils prometheus >/dev/null; \
	fi

# mypy first (its settings are pyproject.toml's [tool.mypy]): a type error fails fast.
test: $(STAMP) system-deps
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

golden: $(STAMP)
	$(BIN)/python -m pytest -q --update-golden tests

bench: $(STAMP)  # every row of the README's performance table, 50,000 risks included
	$(BIN)/python bench/run.py --huge 50000

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# The few verbs a newcomer needs. Every target provisions what it uses first.
.PHONY: run test lint migrate bench bench-ingest bench-query bench-login bench-faults bench-realtime bench-dashboard bench-regressions bench-alerts provision clean

UV := .local/uv/bin/uv
VENV := .venv/bin

run:                 ## provision, migrate, start every service with demo data; logs in .local/logs (FOLLOW=1 shows them too)
	scripts/run.sh $(if $(FOLLOW),--follow)

test:                ## provision and run every test suite (what CI runs)
	scripts/test.sh

lint:                ## ruff and mypy (strict on services/)
	scripts/provision.sh python
	$(VENV)/ruff check .
	$(VENV)/mypy

migrate:             ## apply pending migrations to VITALS_DATABASE_URL (or the local database)
	scripts/provision.sh all
	. .local/env && $(VENV)/vitals migrate

bench-ingest:        ## write-path benchmark (ingest, workers, together); QUICK=1 smoke run, PHASE=workers one phase, RUNS=n, TOGETHER_S=600, NEIGHBOUR_CORES=0.5
	scripts/provision.sh all
	. .local/env && $(VENV)/python -m bench.ingest $(if $(QUICK),--quick) $(if $(PHASE),--phase $(PHASE)) $(if $(RUNS),--runs $(RUNS)) $(if $(TOGETHER_S),--together-s $(TOGETHER_S)) $(if $(NEIGHBOUR_CORES),--neighbour-cores $(NEIGHBOUR_CORES))

bench-regressions:   ## the release comparison's false positives (A/A) and power (10 % p75 regression), simulated, and its latency over bench-query's data set; TRIALS=n
	scripts/provision.sh all
	. .local/env && $(VENV)/python -m bench.regressions $(if $(TRIALS),--trials $(TRIALS))

bench-query:         ## read-path latency over 30 days x 200k page views (loads once, then reuses)
	scripts/provision.sh all
	. .local/env && $(VENV)/python -m bench.query.run

bench-login:         ## summary and login p95, quiet and under a login flood (wrong and correct passwords)
	scripts/provision.sh all
	. .local/env && $(VENV)/python -m bench.login

bench-alerts:        ## the alert evaluator's cycle: 1,000 rules over 1,000 projects cloned from bench-query's data set
	scripts/provision.sh all
	. .local/env && $(VENV)/python -m bench.alerts

bench-faults:        ## faults under load (kill -9, SIGSTOP, outages, full Redis): lost, duplicates, seconds without 202; QUICK=1, SCENARIO=name, HOLD_S=n
	scripts/provision.sh all
	. .local/env && $(VENV)/python -m bench.faults $(if $(QUICK),--quick) $(if $(SCENARIO),--scenario $(SCENARIO)) $(if $(HOLD_S),--hold-s $(HOLD_S))

bench-realtime:      ## live fan-out benchmark (latency and CPU of one realtime server)
	scripts/provision.sh python
	$(VENV)/python -m bench.realtime

bench-dashboard:     ## navigation → rendered overview in headless Chromium, cold and warm
	scripts/provision.sh all
	. .local/env && $(VENV)/python -m bench.dashboard

provision:           ## install and start what is missing, nothing else
	scripts/provision.sh all

clean:               ## stop local servers and delete .local/ (all local data, wherever it links to)
	scripts/provision.sh clean
	rm -rf .venv

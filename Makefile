# Quick start: `make run` (portal on http://127.0.0.1:8000) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test install lint messages worker beat bench bench-inprocess screens clean fonts

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# Test-only JavaScript (axe-core for tests/browser/test_accessibility.py), pinned by package-lock.json,
# installed from the npm registry into node_modules/ (git-ignored); no install scripts run.
# Without npm (a machine with only Python, git and make) the step is skipped with a note: the axe checks
# then skip locally, and fail under CI, whose .ci/run installs nodejs and npm first.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --ignore-scripts --no-audit --no-fund && touch $@; \
	else \
		echo "note: npm is missing (apt-get install nodejs npm); the accessibility checks will be skipped" >&2; \
	fi

# The transcripts' Hangul font (Debian's fonts-nanum, a TrueType font ReportLab embeds), installed only where
# apt-get can run (root); elsewhere a note: the PDFs then use ReportLab's built-in CID font, not embedded.
fonts:
	@if [ -f /usr/share/fonts/truetype/nanum/NanumGothic.ttf ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-nanum >/dev/null; \
	else \
		echo "note: fonts-nanum is missing (apt-get install fonts-nanum); transcript PDFs use a non-embedded CID font" >&2; \
	fi

install: $(VENV)/.installed node_modules/.installed fonts

# The portal itself needs only the Python environment.
run: $(VENV)/.installed
	DEBUG=true $(PY) manage.py migrate --noinput
	PORT=$(PORT) DEBUG=true $(PY) manage.py load_demo
	PORT=$(PORT) DEBUG=true $(PY) manage.py runserver 127.0.0.1:$(PORT)

# DATABASE_URL / REDIS_URL switch the suite to PostgreSQL / Redis (CI sets both).
test: install
	SECRET_KEY=test-only-not-secret-but-as-long-as-a-real-one-0123456789 $(PY) -m pytest $(PYTEST_ARGS)

# bandit: nothing above low severity on the project's own code (a `# nosec Bxxx` only for a justified false positive).
BANDIT_PATHS := core accounts academics affiliation creditexchange notices staffdesk partnerapi ustportal bench manage.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/bandit -q -r $(BANDIT_PATHS) -ll

messages: install
	DEBUG=true $(PY) manage.py makemessages -l ko --no-obsolete --ignore=.venv --ignore=staticfiles
	DEBUG=true $(PY) manage.py compilemessages -l ko --ignore=.venv

worker: install
	$(VENV)/bin/celery -A ustportal worker -Q default,mail,staff --loglevel=info

beat: install
	$(VENV)/bin/celery -A ustportal beat --loglevel=info

# The 09:00 registration rush against gunicorn + PostgreSQL + Redis (see bench/README.md).
bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(PY) bench/rush.py

# Per-request CPU of ping / register / "full" in-process (BENCH_PROFILE=success|full|stranger|ping adds a cProfile).
bench-inprocess: install
	$(PY) bench/inprocess.py

# PNGs of every main page, ko and en, at 390 and 1280 px, into var/screens/ (demo data on a throwaway SQLite DB;
# see docs/screens.md). SCREENS_PORT picks the development server's port (default 8199).
screens: install
	$(PY) tests/browser/screens.py

# Backup and restore drill (README "Backup and restore"): demo data and stored files in <db>_drill_source, backed up,
# restored into <db>_drill_restored and a new media directory, every table's rows and every file's SHA-256 compared.
# Needs DATABASE_URL=postgres://… (the drill's databases are named after its database and dropped afterwards).
.PHONY: restore-drill
restore-drill: $(VENV)/.installed
	SECRET_KEY=$${SECRET_KEY:-restore-drill-only-not-secret-0123456789abcdef} $(PY) manage.py restore_drill

clean:
	rm -rf $(VENV) node_modules db.sqlite3 var staticfiles

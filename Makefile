# The portal's commands. `make run` and `make test` are all a new developer needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
DEV := DEBUG=1

.PHONY: run test lint check-deploy bench bench-smoke data clean backup restore soak requirements

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Cần Python 3.11 trở lên (Python 3.11+ required).")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

# The demonstration period and accounts: on the embedded SQLite database only, unless DEMO=1 is given.
DEMO ?= $(if $(DATABASE_URL),0,1)
# The sample province (Thừa Thiên Huế's published tables and national indices): on the embedded database only,
# unless SAMPLE=1 is given; another province starts from an empty database (docs/new-province.md).
SAMPLE ?= $(DEMO)

# Migrate, load the sample province (see SAMPLE) and the demonstration period (see DEMO); safe to run again.
data: $(STAMP)
	$(DEV) $(PY) manage.py migrate --noinput
ifeq ($(SAMPLE),1)
	$(DEV) $(PY) manage.py import_results fixtures/ket-qua-cong-bo-2022.csv --skip-published
	$(DEV) $(PY) manage.py import_results fixtures/ket-qua-cong-bo-2021.csv --skip-published
	$(DEV) $(PY) manage.py import_results fixtures/ket-qua-cong-bo-2020-mot-phan.csv --partial --skip-published
	$(DEV) $(PY) manage.py loaddata --verbosity 0 fixtures/chi-so-quoc-gia.json
endif
ifeq ($(DEMO),1)
	$(DEV) DEMO=1 $(PY) manage.py seed_demo
	$(DEV) DEMO=1 PORT=$(PORT) $(PY) manage.py create_demo_accounts
endif

# The development server, and beside it the worker of background jobs (reports, imports, mail), which it stops with.
run: data
	@$(DEV) $(PY) manage.py run_jobs --verbosity 0 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(DEV) $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .
	$(DEV) $(PY) manage.py makemigrations --check --dry-run

# The production settings must pass Django's deployment checklist.
check-deploy: $(STAMP)
	DEBUG=0 SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  ALLOWED_HOSTS=cchc.example.gov.vn $(PY) manage.py check --deploy --fail-level WARNING

# The database and the evidence files in one archive (backups/…), and back into an empty database.
# On a server SECRET_KEY is set; on a development machine the development settings serve.
ADMIN_ENV := $(if $(SECRET_KEY),,DEBUG=1)

backup: $(STAMP)
	$(ADMIN_ENV) $(PY) manage.py backup $(if $(FILE),-o $(FILE),)

restore: $(STAMP)
	@test -n "$(FILE)" || (echo "Dùng: make restore FILE=backups/cchc-....tar.gz" && exit 2)
	$(ADMIN_ENV) $(PY) manage.py restore $(FILE)

# One minute of mixed load, a login flood and a PostgreSQL restart against gunicorn, on 127.0.0.1, on a PostgreSQL
# cluster the soak makes, restarts and removes itself (benchmarks/cluster.py).
soak: $(STAMP)
	$(PY) -m benchmarks.soak

# Every figure of the performance goals against a baseline of the same run, on a database the run creates and
# drops (DATABASE_URL says which server; see benchmarks/__main__.py). About 5 minutes on 2 cores; bench-smoke one.
bench: $(STAMP)
	$(PY) -m benchmarks

bench-smoke: $(STAMP)
	BENCH_SIZE=tiny $(PY) -m benchmarks

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache

# requirements.txt and requirements-dev.txt compiled from requirements.in and requirements-dev.in, every version
# pinned and hashed, by pip-tools in a throwaway virtualenv of its own (never the project's .venv), on Python 3.11
# as production runs. The pins already there are kept; to move one: make requirements UPGRADE="-P django".
PIP_TOOLS ?= $(or $(TMPDIR),/tmp)/cchc-pip-tools
COMPILE = CUSTOM_COMPILE_COMMAND="make requirements" $(PIP_TOOLS)/bin/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(UPGRADE)

requirements:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Cần Python 3.11: make requirements PYTHON=python3.11 (Python 3.11 required).")'
	@test -x $(PIP_TOOLS)/bin/pip-compile || ($(PYTHON) -m venv $(PIP_TOOLS) \
	  && $(PIP_TOOLS)/bin/pip install --quiet --disable-pip-version-check pip==26.3 pip-tools==7.7.0)
	$(COMPILE) --output-file=requirements.txt requirements.in
	$(COMPILE) --output-file=requirements-dev.txt requirements-dev.in

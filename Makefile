# The two commands: `make run` (embedded SQLite, demo data, http://127.0.0.1:6543; `make run PORT=8080`
# for another port) and `make test`. `make clean` deletes var/ (the demo database): the next run starts anew.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
CONFIG ?= config/development.ini
PORT   ?= 6543

.PHONY: run test install clean bench scaffold-check lint i18n

$(BIN)/mutuo: setup.cfg pyproject.toml tests/sample_plugin/setup.cfg
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip 'setuptools<81' wheel
	$(BIN)/pip install -q -e '.[test]' -e tests/sample_plugin
	touch $(BIN)/mutuo

# The .mo files are built, never committed: here, and by the app at start-up when a .po is newer.
install: $(BIN)/mutuo
	@$(BIN)/mutuo i18n compile > /dev/null

# After changing strings: refresh every .pot/.po, show what is left to translate, build the .mo files.
i18n: install
	$(BIN)/mutuo i18n update
	$(BIN)/mutuo i18n compile
	-$(BIN)/mutuo i18n check

run: install
	@mkdir -p var
	$(BIN)/mutuo -c $(CONFIG) db upgrade
	$(BIN)/mutuo -c $(CONFIG) demo load
	@echo ""
	@echo "  Mutuo: http://127.0.0.1:$(PORT)/   (Ctrl-C stops it; make clean resets the demo)"
	@echo "  Log in as admin / admin-demo-pass. Every demo role has a user named after it,"
	@echo "  password <username>-demo-pass (e.g. loan_officer / loan_officer-demo-pass); see: $(BIN)/mutuo users list"
	@echo ""
	$(BIN)/mutuo -c $(CONFIG) serve --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

scaffold-check: install
	bash .ci/scaffold-check

bench: install
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf var test-output

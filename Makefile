# make app    set up (first time) and start the Streamlit app
# make test   set up (first time) and run the whole test suite
# make quick  the tests a newcomer runs in a minute: no browser, server, training or whole-test-set pass
VENV := .venv

.PHONY: app test quick
app: $(VENV)/.app-ready
	$(VENV)/bin/streamlit run app.py

test: $(VENV)/.test-ready
	$(VENV)/bin/python -m pytest

quick: $(VENV)/.test-ready
	$(VENV)/bin/python -m pytest -m "not slow and not browser" -n 2 --dist loadfile

$(VENV)/.app-ready: requirements.txt scripts/setup.sh
	bash scripts/setup.sh app
	touch $@

$(VENV)/.test-ready: requirements.txt requirements-dev.txt scripts/setup.sh
	bash scripts/setup.sh test
	touch $@ $(VENV)/.app-ready

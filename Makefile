# make app    set up (first time) and start the Streamlit app
# make test   set up (first time) and run the whole test suite
VENV := .venv

.PHONY: app test
app: $(VENV)/.app-ready
	$(VENV)/bin/streamlit run app.py

test: $(VENV)/.test-ready
	$(VENV)/bin/python -m pytest

$(VENV)/.app-ready: requirements.txt scripts/setup.sh
	bash scripts/setup.sh app
	touch $@

$(VENV)/.test-ready: requirements.txt requirements-dev.txt scripts/setup.sh
	bash scripts/setup.sh test
	touch $@ $(VENV)/.app-ready

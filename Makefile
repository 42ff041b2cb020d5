# make app    set up (first time) and start the Streamlit app
# make test   set up (first time) and run the whole test suite
# make quick  the tests a newcomer runs in a minute: no browser, server, training or whole-test-set pass
# make mutants  mutation testing (mutmut) of the modules that decide what a user is told; not in CI
VENV := .venv

.PHONY: app test quick mutants
app: $(VENV)/.app-ready
	$(VENV)/bin/streamlit run app.py

test: $(VENV)/.test-ready
	$(VENV)/bin/python -m pytest

quick: $(VENV)/.test-ready
	$(VENV)/bin/python -m pytest -m "not slow and not browser" -n 2 --dist loadfile

# Mutants and the tests that run against them: [tool.mutmut] in pyproject.toml. mutmut copies the tree into mutants/
# and tests from there, so MNIST is found through BNN_DATA_DIR. Survivors are listed; each module's score goes to
# bench/mutants.json and docs/results/mutants.md.
mutants: $(VENV)/.test-ready
	BNN_DATA_DIR=$${BNN_DATA_DIR:-$(CURDIR)/../shared/data/mnist} $(VENV)/bin/mutmut run
	$(VENV)/bin/mutmut results
	$(VENV)/bin/python -m scripts.mutation_scores --output bench/mutants.json
	$(VENV)/bin/python -m bnn docs

$(VENV)/.app-ready: requirements.txt scripts/setup.sh
	bash scripts/setup.sh app
	touch $@

$(VENV)/.test-ready: requirements.txt requirements-dev.txt scripts/setup.sh
	bash scripts/setup.sh test
	touch $@ $(VENV)/.app-ready

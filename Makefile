# The README's two commands: `make demo` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean demo-recording

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/aiops-tui demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The demo's shipped hour, simulated again: after a change to the sim, the signals or the demo's settings
# (tests/unit/test_demo_recording.py says when).
demo-recording: $(STAMP)
	$(BIN)/python -m aiops_tui.demo demo_data/demo-hour

clean:
	rm -rf $(VENV) .pytest_cache

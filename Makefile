# Two commands for a fresh machine (see README):
#   make run    set everything up, fetch the default models, index the shipped corpus, start the product
#   make test   set everything up, fetch the test models, run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= $(HOME)/.local/share/sme-ai
SEEDS  := $(wildcard ../shared/seeds/*.txt)

.PHONY: setup models models-test browser index run test bench tune-data tune-cpu tune-gpu clean

setup: $(VENV)/.installed

# torch first, pinned: 2.13.0 is a CPU build that lies on disk here; an unpinned torch would pull CUDA.
# llama-cpp-python compiles (about 4 min on 2 cores, cached by pip afterwards); GGML_NATIVE=OFF keeps it portable.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q --upgrade "pip==26.3"
	$(BIN)/pip install --disable-pip-version-check -q "torch==2.13.0"
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt -e ".[llm,transformers,app,api,langchain,eval,test]"
	touch $@

models: setup
	$(BIN)/sme-ai models pull

models-test: setup
	$(BIN)/sme-ai models pull embeddinggemma-300m qwen2.5-coder-0.5b

index: models
	$(BIN)/sme-ai --data-dir "$(DATA)" ingest corpora

# the Gradio app on http://127.0.0.1:7860 (loopback; SME_AI_HOST / SME_AI_PORT / SME_AI_ADMIN_TOKEN to change)
run: index
	SME_AI_DATA_DIR="$(DATA)" $(BIN)/python app_gradio.py

# the browser tier drives Debian's chromium (never a downloaded browser); its screenshots of Chinese need a CJK font
browser:
	(command -v chromium >/dev/null 2>&1 && { ! command -v dpkg >/dev/null 2>&1 || dpkg -s fonts-noto-cjk >/dev/null 2>&1; }) || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null) || \
	  echo "chromium or fonts-noto-cjk unavailable (apt-get needs root and the Debian mirror): the browser tests will skip and say so"

test: models-test browser
	$(BIN)/python -m pytest -q

bench: models-test
	$(BIN)/python -m evals.bench_retrieval

# the industry-tuned model (issue 12): data once, then the 0.5B on this CPU (about 90 min) or the 1.5B on a GPU
TUNE   ?= $(HOME)/.cache/sme-ai/tune
tune-data: models-test
	$(BIN)/sme-ai tune data -n 1260 --out "$(TUNE)/data"

tune-cpu: tune-data
	$(BIN)/sme-ai --llm-model qwen2.5-coder-0.5b tune train --data "$(TUNE)/data/examples.jsonl" --out "$(TUNE)/run-0.5b"
	$(BIN)/sme-ai tune export "$(TUNE)/run-0.5b/adapter" --base-config "$(HOME)/.cache/sme-ai/models/qwen2.5-coder-0.5b/hf-bf16/config.json" -o "$(TUNE)/sme-ai-lora-0.5b.gguf"

tune-gpu: tune-data
	$(BIN)/sme-ai models pull qwen2.5-coder-1.5b
	$(BIN)/sme-ai --llm-model qwen2.5-coder-1.5b tune train --gpu --data "$(TUNE)/data/examples.jsonl" --out "$(TUNE)/run-1.5b"
	$(BIN)/sme-ai tune export "$(TUNE)/run-1.5b/adapter" --base-config "$(HOME)/.cache/sme-ai/models/qwen2.5-coder-1.5b/hf-bf16/config.json" -o "$(TUNE)/sme-ai-lora-1.5b.gguf"

clean:
	rm -rf $(VENV)

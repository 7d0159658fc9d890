# FundOS developer entry points. On a fresh machine: `make demo`, then `make test`.
# Both create (once) and reuse .venv/ at the repo root with abigen and the dev tools in it.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ABIGEN := $(BIN)/abigen
SPEC := schema/abi.yaml
OUT := generated
BUILD_DIR := build
JOBS ?= 2
MAKEFLAGS += --no-print-directory

.PHONY: help setup demo test lint bench release clean distclean postgresql soak

help:
	@echo "make demo   set up .venv/, regenerate generated/ from $(SPEC), build and run the layout tests"
	@echo "make test   set up .venv/, then every test and check via tox (what CI runs)"
	@echo "make lint   abigen lint + mypy + ruff, in .venv/"
	@echo "make release  freeze schema/abi.yaml's layout into schema/history/abi-MAJOR.MINOR.lock.json"
	@echo "make bench  abigen, transport round trip and Fund replay against NautilusTrader, backtrader, hftbacktest, iceoryx2, live latency in production; writes bench/RESULTS.md and bench/plots/"
	@echo "make soak   the fault, abuse and load suite at full scale (tests/soak), all of ctest under ASan+UBSan and under TSan; writes docs/RELIABILITY.md"
	@echo "make clean  remove build directories (keeps .venv/)"

# The virtualenv: made once, reinstalled only when the package's or the tools' requirements change.
# A .venv without a working pip (python3-venv missing when it was made) is made again.
$(STAMP): pyproject.toml requirements-dev.txt sdks/python/pyproject.toml sdks/python/CMakeLists.txt \
		$(wildcard sdks/c/src/*.[ch] sdks/c/src/*.cpp sdks/c/include/fundos/*.h sdks/python/src/fundos/*.cpp) \
		$(wildcard generated/c/fundos/*.h generated/python/fundos_abi/*.py) \
		fund/config_loader.cmake $(wildcard fund/src/runtime/config_*.cpp fund/include/fundos/runtime/config_*.hpp)
	@if ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
		echo "creating $(VENV)/ with $$($(PYTHON) --version)"; \
		$(PYTHON) -m venv --clear $(VENV); \
	fi
	@echo "installing abigen (editable) and the dev tools into $(VENV)/"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e . -r requirements-dev.txt
	@touch $@

setup: $(STAMP)

demo: $(STAMP)
	$(ABIGEN) generate --spec $(SPEC) --out $(OUT)/
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(BUILD_DIR) -j$(JOBS)
	ctest --test-dir $(BUILD_DIR) --output-on-failure
	@echo
	@echo "== FundOS demo, part 1: the ABI compiler"
	@echo "   $(SPEC) was compiled into $(OUT)/ (headers, ctypes module, docs/ABI.md, layout tests);"
	@echo "   the tests above compiled them and matched all $$(find $(OUT)/tests/golden -type f | wc -l) golden byte images."
	@echo
	@echo "== FundOS demo, part 2: the Fund simulating 5 sessions of synthetic data with 3 agents (2 Python, 1 C)"
	mkdir -p $(BUILD_DIR)/demo-data
	$(BUILD_DIR)/fund/fundos-data synth --out $(BUILD_DIR)/demo-data/synth.fmd --symbols 4 --days 5 --seed 1
	rm -rf runs/demo  # a run folder holds one run (the Fund refuses to overwrite a journal)
	ASAN_OPTIONS=detect_leaks=0 $(BIN)/fundos run --config fund/examples/demo.json --run-dir runs/demo
	@echo
	@echo "   The run's report, fills, equity curve and journal are in runs/demo/ ('fundos journal runs/demo/journal.fj')."
	@echo "   'make test' runs every check (what CI runs)."

# tests/config starts a real PostgreSQL server (initdb + pg_ctl in a temporary folder): install the
# server when it is missing and this user can (root with apt-get); otherwise those tests fail and
# say how to install it (they never skip).
postgresql:
	@if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing PostgreSQL (apt-get install postgresql) for tests/config"; \
			export DEBIAN_FRONTEND=noninteractive; \
			apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1 || \
				{ apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }; \
		else \
			echo "warning: PostgreSQL's server is missing and cannot be installed here (needs root and apt-get);" \
			     "tests/config will fail until it is installed (apt-get install postgresql)"; \
		fi; \
	fi

test: $(STAMP) postgresql
	$(BIN)/tox run -e all

lint: $(STAMP)
	$(ABIGEN) lint --spec $(SPEC)
	$(ABIGEN) compat --ci --spec $(SPEC)
	$(BIN)/mypy
	$(BIN)/mypy --config-file sdks/python/pyproject.toml
	$(BIN)/ruff check codegen tests sdks/python bench fund/tools

release: $(STAMP)
	$(ABIGEN) release --spec $(SPEC)

# Every benchmark runs even when an earlier one misses a target (exit 1); the plots are drawn from
# whatever they wrote, and the target fails at the end if any script did. bench/.venv holds the
# peers and matplotlib (bench/requirements.txt), never the project's own dependencies.
bench: $(STAMP)
	@status=0; \
	$(BIN)/python bench/bench_common.py || status=1; \
	$(BIN)/python bench/bench_abigen.py || status=1; \
	$(BIN)/python bench/bench_transport.py || status=1; \
	$(BIN)/python bench/bench_fund.py || status=1; \
	bench/.venv/bin/python bench/bench_plots.py || status=1; \
	$(BIN)/python bench/bench_live.py || status=1; \
	exit $$status

# Issue #9's suite at full scale: every ctest in the Debug build (AddressSanitizer + UBSan) and
# under ThreadSanitizer, the tests/soak scenarios `make test` runs short (FUNDOS_SOAK=1 scales
# them: 1000 agent kills, 1 M fuzzed intents plus libFuzzer, 100 Fund kills, 32 agents for about a
# minute, the bad-input corpus) against that Debug build, then docs/RELIABILITY.md from the run. Each part
# runs even when an earlier one fails; the target fails at the end if any did. libFuzzer needs
# clang and its runtime (apt-get install clang libclang-rt-14-dev). Counts: FUNDOS_SOAK_<NAME>.
SOAK_BUILD := $(BUILD_DIR)/soak-debug
SOAK_TSAN := $(BUILD_DIR)/soak-tsan
TSAN_FLAGS := -fsanitize=thread
soak: $(STAMP)
	@status=0; \
	rm -f $(SOAK_TSAN)/tsan-junit.xml $(SOAK_BUILD)/asan-junit.xml; \
	cmake -S . -B $(SOAK_BUILD) -DCMAKE_BUILD_TYPE=Debug >/dev/null && cmake --build $(SOAK_BUILD) -j$(JOBS) && \
		ctest --test-dir $(SOAK_BUILD) --output-junit asan-junit.xml || status=1; \
	cmake -S . -B $(SOAK_TSAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFUNDOS_SANITIZE=OFF -DCMAKE_CXX_FLAGS=$(TSAN_FLAGS) \
		-DCMAKE_C_FLAGS=$(TSAN_FLAGS) -DCMAKE_EXE_LINKER_FLAGS=$(TSAN_FLAGS) >/dev/null && \
		cmake --build $(SOAK_TSAN) -j$(JOBS) && \
		TSAN_OPTIONS=halt_on_error=1 ctest --test-dir $(SOAK_TSAN) --output-junit tsan-junit.xml || status=1; \
	rm -f $(SOAK_BUILD)/soak/summary.json; \
	FUNDOS_SOAK=1 FUNDOS_BUILD_DIR=$(SOAK_BUILD) ASAN_OPTIONS=detect_leaks=0 \
		$(BIN)/pytest -W error -ra tests/soak || status=1; \
	$(BIN)/python tests/soak/reliability.py --summary $(SOAK_BUILD)/soak/summary.json \
		--asan-junit $(SOAK_BUILD)/asan-junit.xml --tsan-junit $(SOAK_TSAN)/tsan-junit.xml || status=1; \
	exit $$status

clean:
	rm -rf $(BUILD_DIR) build-bench .tox/cmake-build .pytest_cache .mypy_cache .ruff_cache sdks/python/build
	find codegen generated tests bench -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) .tox

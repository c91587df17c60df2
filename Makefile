# Thin wrapper over meson. Quick start: `make report`, then `make test`.
BUILD    ?= build
ASAN     ?= build-asan
INPUT    ?= input
OUT      ?= out
MESON    ?= meson
SIZES    ?= 1000 100000 1000000

.PHONY: all deps build report pdf verify test test-asan bench fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja:
	@bash scripts/install-deps.sh
	@echo "$(MESON) setup $(BUILD)"
	@bash scripts/quiet.sh setup $(MESON) setup $(BUILD)

# quiet when it builds; the compiler's messages (file:line:col) when it
# does not (scripts/quiet.sh)
build: $(BUILD)/build.ninja
	@bash scripts/quiet.sh compile $(MESON) compile -C $(BUILD)

report: build
	./$(BUILD)/gaiyo report --input $(INPUT) --out $(OUT)

# out/gaiyo-<年度>.pdf: the workbook through LibreOffice (installed on demand)
pdf: report
	@bash scripts/install-deps.sh pdf
	@bash scripts/pdf.sh $(OUT)

verify: build
	./$(BUILD)/gaiyo verify --input $(INPUT)

$(ASAN)/build.ninja:
	@bash scripts/install-deps.sh --test
	@echo "CC=clang $(MESON) setup $(ASAN) -Db_sanitize=address,undefined -Db_lundef=false"
	@CC=clang bash scripts/quiet.sh setup $(MESON) setup $(ASAN) -Db_sanitize=address,undefined -Db_lundef=false

# All suites; the unit suites and the binary's runs under valgrind (meson
# test setup `valgrind`); then all suites under ASan+UBSan (clang). The last
# line counts every test case of the three runs.
test: build $(ASAN)/build.ninja
	@bash scripts/install-deps.sh --test
	@bash tests/run.sh $(BUILD) $(BUILD):valgrind $(ASAN)

# Benchmark (not a test): gaiyo against pandas + XlsxWriter on generated
# data, per size (事業 per year); e.g. make bench SIZES="1000 100000".
bench: build
	@bash scripts/install-deps.sh bench
	@BUILD=$(BUILD) SIZES="$(SIZES)" bash bench/run.sh

# libFuzzer targets (clang, ASan+UBSan) in build-fuzz/, each run for
# FUZZ_SECONDS (default 60) with seeds from input/ and templates/.
FUZZ_SECONDS ?= 60
fuzz:
	@bash scripts/install-deps.sh --test
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh

clean:
	rm -rf $(BUILD) $(ASAN) build-fuzz
	find $(OUT) -mindepth 1 ! -name .gitkeep -exec rm -rf {} +

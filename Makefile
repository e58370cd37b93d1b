# f2o: GNU make, no autotools. Objects out of tree in $(BUILD).
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR  ?= $(PREFIX)/share/man
CC      ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS  ?= -O2 -g
BUILD   ?= build
WERROR  ?= -Werror
VERSION := 0.1.0

WARN = -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
       -Wmissing-prototypes -Wmissing-declarations -Wpointer-arith -Wformat=2 \
       -Wcast-qual -Wvla -Wsign-compare $(WERROR)
CPPFLAGS += -Icommon -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
            -DOPENSSL_API_COMPAT=30000 -DCURL_NO_OLDIES \
            -DF2O_VERSION='"$(VERSION)"' -DF2O_DATADIR='"$(DATADIR)/f2o"' -MMD -MP

# translate never links libcurl (nor libxml2).
PKG_COMMON    = libcjson libarchive libcrypto
PKG_TRANSLATE = $(PKG_COMMON)
PKG_EXEC      = $(PKG_COMMON) libcurl libxml-2.0 zlib
PKG_TEST      = $(PKG_EXEC) cmocka

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1))
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1))

COMMON_SRC    = $(sort $(wildcard common/*.c))
TRANSLATE_SRC = $(filter-out translate/main.c,$(sort $(wildcard translate/*.c)))
EXEC_SRC      = $(filter-out exec/main.c,$(sort $(wildcard exec/*.c)))
UNIT_SRC      = $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC      = $(sort $(wildcard tests/fuzz/fuzz_*.c))

# FUZZ_KEEP="export taskdef ...": for `make fuzz` only, just these library
# objects (by name, in common/, translate/, exec/) are compiled for the
# clang libraries. The test run's live fuzz passes the archive members
# that the gcc replay of its target pulled in (that link's map,
# $(BUILD)/tests/replay_fuzz_export.map): a static link takes no other
# member, so the fuzz binary is the same, from about 35 of 60 files.
ifneq ($(FUZZ_KEEP),)
COMMON_SRC    := $(filter $(patsubst %,common/%.c,$(FUZZ_KEEP)),$(COMMON_SRC))
TRANSLATE_SRC := $(filter $(patsubst %,translate/%.c,$(FUZZ_KEEP)),$(TRANSLATE_SRC))
EXEC_SRC      := $(filter $(patsubst %,exec/%.c,$(FUZZ_KEEP)),$(EXEC_SRC))
endif

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIBCOMMON    = $(BUILD)/libcommon.a
LIBTRANSLATE = $(BUILD)/libtranslate.a
LIBEXEC      = $(BUILD)/libexec.a
BINS = $(BUILD)/f2o-translate $(BUILD)/f2o-exec
# f2o-export: a shell script on the AWS CLI, installed beside the binaries.
SCRIPTS = $(BUILD)/f2o-export
UNITS = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
FUZZ_REPLAY = $(patsubst tests/fuzz/%.c,$(BUILD)/tests/replay_%,$(FUZZ_SRC))

.PHONY: all test check shape bench bench-big fuzz install uninstall clean golden-update valgrind
# Keep intermediate objects: no "rm" lines after the test summary.
.SECONDARY:
all: $(BINS) $(SCRIPTS) $(if $(filter build,$(BUILD)),f2o-translate f2o-exec f2o-export)

f2o-translate f2o-exec f2o-export: %: $(BUILD)/%
	@ln -sf $(BUILD)/$@ $@

$(BUILD)/f2o-export: export/f2o-export.sh Makefile
	@mkdir -p $(dir $@)
	sed 's/@VERSION@/$(VERSION)/' export/f2o-export.sh >$@.tmp && chmod 0755 $@.tmp && mv $@.tmp $@

$(BUILD)/common/%.o: common/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) $(call pc_cflags,$(PKG_COMMON)) -c -o $@ $<
$(BUILD)/translate/%.o: translate/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itranslate $(WARN) $(CFLAGS) $(call pc_cflags,$(PKG_TRANSLATE)) -c -o $@ $<
$(BUILD)/exec/%.o: exec/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Iexec $(WARN) $(CFLAGS) $(call pc_cflags,$(PKG_EXEC)) -c -o $@ $<
$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itranslate -Iexec $(WARN) $(CFLAGS) $(call pc_cflags,$(PKG_TEST)) -c -o $@ $<

$(LIBCOMMON): $(call obj,$(COMMON_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(LIBTRANSLATE): $(call obj,$(TRANSLATE_SRC))
	rm -f $@ && $(AR) rcs $@ $^
$(LIBEXEC): $(call obj,$(EXEC_SRC))
	rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/f2o-translate: $(BUILD)/translate/main.o $(LIBTRANSLATE) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_TRANSLATE)) -lm
$(BUILD)/f2o-exec: $(BUILD)/exec/main.o $(LIBEXEC) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(call pc_libs,$(PKG_EXEC)) -lm

# The test programs below (about 40 links a build) are linked by gold
# when the compiler can use it (binutils has it): a third of the CPU of
# the default ld each. TEST_LD= (empty) keeps the default linker.
ifeq ($(origin TEST_LD),undefined)
TEST_LD := $(shell $(CC) -fuse-ld=gold -Wl,--version 2>/dev/null | grep -q '^GNU gold' && echo -fuse-ld=gold)
endif
# Unit tests: one cmocka executable per tests/unit/test_<module>.c, linked
# against every module library.
$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(LIBTRANSLATE) $(LIBEXEC) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) $(TEST_LD) -o $@ $^ $(call pc_libs,$(PKG_TEST)) -lm
# Fuzz targets replayed over their corpus by a plain main() (works with gcc);
# the link's map names the library members each one needs (FUZZ_KEEP).
$(BUILD)/tests/replay_%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay_main.o $(LIBTRANSLATE) $(LIBEXEC) $(LIBCOMMON)
	$(CC) $(CFLAGS) $(LDFLAGS) $(TEST_LD) -Wl,-Map=$@.map -o $@ $^ $(call pc_libs,$(PKG_EXEC)) -lm
$(BUILD)/tests/fuzz/replay_main.o: tests/fuzz/replay_main.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

test: all $(UNITS) $(FUZZ_REPLAY)
	BUILD=$(BUILD) sh tests/run.sh

# Source shape: no include cycle between modules, no .c over 800 lines.
shape:
	sh tests/tools/check_shape.sh --self-test

check: shape
	$(MAKE) BUILD=build/san CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" test

valgrind: all $(UNITS)
	BUILD=$(BUILD) VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full" sh tests/run.sh unit

# make fuzz [FUZZTIME=seconds per target] [FUZZ_TARGETS="fuzz_export ..."]:
# libFuzzer under ASan+UBSan with clang; the export and security-group
# readers also start from the real-world exports in fixtures/realworld/.
FUZZTIME ?= 60
FUZZ_TARGETS ?= $(patsubst tests/fuzz/%.c,%,$(FUZZ_SRC))
FUZZ_SEEDS_fuzz_export = fixtures/realworld/services fixtures/realworld/taskdefs fixtures/realworld/securitygroups
FUZZ_SEEDS_fuzz_sg = fixtures/realworld/securitygroups
# Only the targets in FUZZ_NEED_EXEC link exec/: without them no exec/
# object is built (the test run's fuzz_export needs translate/ and common/).
FUZZ_NEED_EXEC = fuzz_creds fuzz_journal fuzz_spot fuzz_xmlresp
# FUZZ_DIR, FUZZ_OPT: where and how optimised (the test run's 10-second
# live fuzz builds at -O0 in its own folder: half the clang CPU of -O1 in a
# clean clone, at about 60% of -O1's executions per second).
FUZZ_DIR ?= build/fuzz
FUZZ_OPT ?= -O1
FUZZ_LIBS = $(FUZZ_DIR)/libtranslate.a $(if $(filter $(FUZZ_NEED_EXEC),$(FUZZ_TARGETS)),$(FUZZ_DIR)/libexec.a) $(FUZZ_DIR)/libcommon.a
# The libraries and the fuzz binaries are rebuilt only when out of date
# (the test run's live fuzz does not recompile and relink each time).
fuzz:
	@$(MAKE) BUILD=$(FUZZ_DIR) CC=clang CFLAGS="$(FUZZ_OPT) -g -fsanitize=fuzzer-no-link,address,undefined" $(FUZZ_LIBS) $(addprefix $(FUZZ_DIR)/,$(FUZZ_TARGETS)) || exit 1
	@for n in $(FUZZ_TARGETS); do \
	  seeds=""; case $$n in fuzz_export) seeds="$(FUZZ_SEEDS_fuzz_export)";; fuzz_sg) seeds="$(FUZZ_SEEDS_fuzz_sg)";; esac; \
	  mkdir -p $(FUZZ_DIR)/corpus-$$n; $(FUZZ_DIR)/$$n -max_total_time=$(FUZZTIME) -print_final_stats=0 $(FUZZ_DIR)/corpus-$$n tests/fuzz/corpus/$$n $$seeds || exit 1; \
	  echo "fuzz $$n: $(FUZZTIME)s without a crash"; done

# A libFuzzer binary (made by `make fuzz`'s clang make): its source, the
# clang libraries, exec/ only for the targets in FUZZ_NEED_EXEC.
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIBS)
	clang $(CPPFLAGS) -Itranslate -Iexec $(FUZZ_OPT) -g -fsanitize=fuzzer,address,undefined $(call pc_cflags,$(PKG_EXEC)) -o $@ $< $(FUZZ_DIR)/libtranslate.a $(if $(filter $(notdir $@),$(FUZZ_NEED_EXEC)),$(FUZZ_DIR)/libexec.a) $(FUZZ_DIR)/libcommon.a $(call pc_libs,$(PKG_EXEC)) -lm
-include $(wildcard $(FUZZ_DIR)/fuzz_*.d)

bench: all
	sh tests/bench.sh

# The 100,000-service memory test (tests/bench_big.sh): minutes, gigabytes.
bench-big: all
	sh tests/bench_big.sh

golden-update: all
	sh tests/golden.sh --update

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/f2o/templates $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BINS) $(SCRIPTS) $(DESTDIR)$(BINDIR)/
	cp -R templates/. $(DESTDIR)$(DATADIR)/f2o/templates/
	for m in translate/f2o-translate.1 exec/f2o-exec.1 export/f2o-export.1; do [ -f $$m ] && install -m 0644 $$m $(DESTDIR)$(MANDIR)/man1/ || true; done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/f2o-translate $(DESTDIR)$(BINDIR)/f2o-exec $(DESTDIR)$(BINDIR)/f2o-export
	rm -f $(DESTDIR)$(MANDIR)/man1/f2o-translate.1 $(DESTDIR)$(MANDIR)/man1/f2o-exec.1 $(DESTDIR)$(MANDIR)/man1/f2o-export.1
	rm -rf $(DESTDIR)$(DATADIR)/f2o

clean:
	rm -rf build f2o-translate f2o-exec f2o-export

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

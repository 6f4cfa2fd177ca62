# coolbpf top-level Makefile.
#   make             build everything under build/
#   make test        every test suite (unit, integration on this kernel, CLI)
#   make test-asan   the same suites built with ASan + UBSan (build-asan/)
#   make install PREFIX=/usr/local DESTDIR=
#   make bench       benchmarks under bench/ (not part of make test)

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc
SANITIZE ?=

VERSION := 0.1.0
SOVERSION := 0

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-missing-field-initializers
BASE_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -fPIC -fvisibility=hidden \
	-Iinclude -Ilib $(SANITIZE)
LDLIBS := -lbpf -lelf -lz -lmd -ljansson
LDFLAGS += $(SANITIZE)

LIB_SRCS := $(sort $(wildcard lib/*.c))
LIB_ASM := $(sort $(wildcard lib/*.S))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(LIB_ASM:%.S=$(BUILD)/obj/%.o)
CLI_SRCS := $(sort $(wildcard cli/*.c))
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
INTEG_SRCS := $(sort $(wildcard tests/integration/test_*.c))
INTEG_BINS := $(INTEG_SRCS:tests/integration/%.c=$(BUILD)/tests/%)
SERVER_SRCS := $(sort $(wildcard server/*.c))
SERVER_OBJS := $(SERVER_SRCS:%.c=$(BUILD)/obj/%.o)
SERVER_LDLIBS := -lmicrohttpd -lpthread
# stricter for server/ first (the rest of the tree: lib/events.c lacks one prototype)
$(SERVER_OBJS): BASE_CFLAGS += -Wmissing-prototypes -Wshadow -Wformat=2
FUZZ_BIN := $(BUILD)/tests/fuzz_request

STATIC_LIB := $(BUILD)/lib/libcoolbpf.a
SHARED_LIB := $(BUILD)/lib/libcoolbpf.so.$(VERSION)
BINS := $(BUILD)/bin/coolbpf $(BUILD)/bin/coolbpfd $(BUILD)/bin/pingtrace

.PHONY: all bootstrap test fuzz test-unit test-integration test-cli test-asan install clean bench format

all: bootstrap $(BINS) $(STATIC_LIB) $(SHARED_LIB)

bootstrap:
	@scripts/bootstrap

# order-only: on a fresh machine the headers come from bootstrap, also under make -j
$(BUILD)/obj/%.o: %.c $(wildcard include/coolbpf/*.h lib/*.h cli/*.h server/*.h) | bootstrap
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -c $< -o $@

# lib/*.S embed files (lbc.h) with .incbin; they depend on what they embed
$(BUILD)/obj/%.o: %.S bpf/lbc.h | bootstrap
	@mkdir -p $(dir $@)
	$(CC) $(SANITIZE) -c $< -o $@

$(STATIC_LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(SHARED_LIB): $(LIB_OBJS) lib/libcoolbpf.map
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,libcoolbpf.so.$(SOVERSION) \
		-Wl,--version-script=lib/libcoolbpf.map -o $@ $(LIB_OBJS) $(LDLIBS)
	ln -sf libcoolbpf.so.$(VERSION) $(BUILD)/lib/libcoolbpf.so.$(SOVERSION)
	ln -sf libcoolbpf.so.$(VERSION) $(BUILD)/lib/libcoolbpf.so

$(BUILD)/bin/coolbpf: $(CLI_OBJS) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(STATIC_LIB) $(LDLIBS)

$(BUILD)/bin/coolbpfd: $(SERVER_OBJS) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(SERVER_OBJS) $(STATIC_LIB) $(LDLIBS) $(SERVER_LDLIBS)

# tools/: the BPF half is compiled here by coolbpf itself (CO-RE, min BTF
# of this kernel) and embedded, so the tool needs no compiler where it runs
PT_DIR := tools/pingtrace
$(BUILD)/obj/$(PT_DIR)/pingtrace.bpf.o: $(PT_DIR)/pingtrace.bpf.c $(PT_DIR)/pingtrace.h bpf/lbc.h \
		$(BUILD)/bin/coolbpf
	@mkdir -p $(dir $@)
	$(BUILD)/bin/coolbpf compile $< -o $@

$(BUILD)/obj/$(PT_DIR)/pingtrace_embed.o: $(PT_DIR)/pingtrace_embed.S \
		$(BUILD)/obj/$(PT_DIR)/pingtrace.bpf.o
	$(CC) $(SANITIZE) -DPT_OBJ='"$(BUILD)/obj/$(PT_DIR)/pingtrace.bpf.o"' -c $< -o $@

$(BUILD)/obj/$(PT_DIR)/pingtrace.o: $(PT_DIR)/pingtrace.h

$(BUILD)/bin/pingtrace: $(BUILD)/obj/$(PT_DIR)/pingtrace.o $(BUILD)/obj/$(PT_DIR)/pingtrace_embed.o \
		$(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(STATIC_LIB) $(LDLIBS) -lm

# libFuzzer on coolbpfd's request parser (clang only: -fsanitize=fuzzer)
$(FUZZ_BIN): tests/fuzz/fuzz_request.c server/request.c server/request.h
	@mkdir -p $(dir $@)
	clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Ilib -Iserver \
		-fsanitize=fuzzer,address,undefined -o $@ tests/fuzz/fuzz_request.c server/request.c \
		-ljansson

$(BUILD)/tests/%: tests/unit/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Wno-unused-parameter $(LDFLAGS) -o $@ $< $(STATIC_LIB) $(LDLIBS) -lcmocka

$(BUILD)/tests/%: tests/integration/%.c $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Wno-unused-parameter $(LDFLAGS) -o $@ $< $(STATIC_LIB) $(LDLIBS) -lcmocka

test: all $(UNIT_BINS) $(INTEG_BINS) $(FUZZ_BIN)
	@BUILD=$(BUILD) tests/run-all

# the request-parser fuzzer for FUZZ_SECONDS (make test runs it 20 s)
FUZZ_SECONDS ?= 600
fuzz: all $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz-corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=70000 $(BUILD)/fuzz-corpus tests/fuzz/corpus

test-unit: all $(UNIT_BINS)
	@BUILD=$(BUILD) tests/run-all unit

test-integration: all $(INTEG_BINS)
	@BUILD=$(BUILD) tests/run-all integration

test-cli: all
	@BUILD=$(BUILD) tests/run-all cli

# every kernel of the VM matrix (tests/vm/run-matrix); make test boots 6.1 only
.PHONY: test-vm
test-vm: all
	@BUILD=$(BUILD) COOLBPF_VM_KERNELS="5.10 6.1 6.12" tests/run-all vm

test-asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
		SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all" test

# the baselines coolbpf is measured against, from Debian
BENCH_PKGS := bpftrace libbpf-tools bpfcc-tools
bench: all
	@COOLBPF_BOOTSTRAP_EXTRA="$(BENCH_PKGS)" scripts/bootstrap
	bench/run-all

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/coolbpf $(DESTDIR)$(PREFIX)/include/coolbpf/bpf \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(STATIC_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(SHARED_LIB) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libcoolbpf.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libcoolbpf.so.$(SOVERSION)
	ln -sf libcoolbpf.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libcoolbpf.so
	install -m 0644 include/coolbpf/*.h $(DESTDIR)$(PREFIX)/include/coolbpf/
	install -m 0644 bpf/lbc.h $(DESTDIR)$(PREFIX)/include/coolbpf/bpf/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' lib/libcoolbpf.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/libcoolbpf.pc
	install -m 0644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -d $(DESTDIR)$(PREFIX)/lib/python3/dist-packages/pylcc
	install -m 0644 python/pylcc/*.py $(DESTDIR)$(PREFIX)/lib/python3/dist-packages/pylcc/
	install -m 0644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/

format:
	clang-format -i $(LIB_SRCS) $(CLI_SRCS) include/coolbpf/*.h lib/*.h

clean:
	rm -rf build build-asan

# coolbpf top-level Makefile.
#   make               build everything under build/
#   make test          every test suite (tests/run-all), after the source checks
#   make test-asan     the same suites built with ASan + UBSan (build-asan/)
#   make install PREFIX=/usr/local DESTDIR=
#   make bench         benchmarks under bench/ (not part of make test)
#   make format        clang-format every C file; make check-format: only check
# The layout is explained in docs/ARCHITECTURE.md.

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
CC ?= cc
SANITIZE ?=
# cross-compiling: make CROSS_COMPILE=aarch64-linux-gnu- BUILD=build-arm64 (see cross-arm64)
CROSS_COMPILE ?=
OBJCOPY ?= objcopy
ifneq ($(CROSS_COMPILE),)
CC := $(CROSS_COMPILE)gcc
LD := $(CROSS_COMPILE)ld
AR := $(CROSS_COMPILE)ar
OBJCOPY := $(CROSS_COMPILE)objcopy
endif

VERSION := 0.2.0
SOVERSION := 0

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror -Wno-missing-field-initializers -Wmissing-prototypes -Wshadow \
	-Wformat=2
BASE_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -D_GNU_SOURCE -fPIC -fvisibility=hidden \
	-Iinclude -Ilib -MMD -MP $(SANITIZE)
LDLIBS := -lbpf -lelf -lz -lmd -ljansson
# what libcoolbpf itself links: libjansson (coolbpfd's replies) is
# dlopen'ed by the remote compile that needs it (lib/compile/remote.c)
LIB_LDLIBS := $(filter-out -ljansson,$(LDLIBS))
LDFLAGS += $(SANITIZE)

# lib/, one folder per concept, each floor built on the ones before it
LIB_FLOORS := base btf format compile object
LIB_SRCS := $(foreach f,$(LIB_FLOORS),$(sort $(wildcard lib/$(f)/*.c)))
LIB_ASM := $(sort $(wildcard lib/*/*.S))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(LIB_ASM:%.S=$(BUILD)/obj/%.o)
BASE_SRCS := $(sort $(wildcard lib/base/*.c))
BASE_OBJS := $(BASE_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_SRCS := $(sort $(wildcard cli/*.c))
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
SERVER_SRCS := $(sort $(wildcard server/*.c))
SERVER_OBJS := $(SERVER_SRCS:%.c=$(BUILD)/obj/%.o)
SERVER_LDLIBS := -lmicrohttpd -lhiredis -lseccomp -lpthread
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
INTEG_SRCS := $(sort $(wildcard tests/integration/test_*.c))
INTEG_BINS := $(INTEG_SRCS:tests/integration/%.c=$(BUILD)/tests/%)
FUZZ_BIN := $(BUILD)/tests/fuzz_request
FUZZ_OBJ_BIN := $(BUILD)/tests/fuzz_object

# libcoolbpf.a is one relocatable object whose only global symbols are
# the coolbpf_* API (everything else is hidden, then made local), so a
# program linking it statically cannot collide with its internals.
STATIC_LIB := $(BUILD)/lib/libcoolbpf.a
SHARED_LIB := $(BUILD)/lib/libcoolbpf.so.$(VERSION)
# Not installed: lib/base for the project's own programs, and every
# object with its internals visible for the unit tests.
BASE_LIB := $(BUILD)/lib/libcoolbpf-base.a
INTERNAL_LIB := $(BUILD)/lib/libcoolbpf-internal.a
PROG_LIBS := $(STATIC_LIB) $(BASE_LIB)
# LD_PRELOAD for third-party libbpf tools on a kernel without bpf()
PRELOAD_LIB := $(BUILD)/lib/libcoolbpf-nobpf.so
# what coolbpf build puts a program into: coolbpf with libcoolbpf and its
# libraries linked statically (Debian ships their .a files), glibc and
# gnutls (libmicrohttpd's TLS, on every Debian: apt needs it) dynamically
RUNNER := $(BUILD)/bin/coolbpf-runner
RUNNER_LDLIBS := -Wl,-Bstatic -lbpf -lelf -lz -lmd -ljansson -lmicrohttpd -Wl,-Bdynamic -lgnutls
BINS := $(BUILD)/bin/coolbpf $(BUILD)/bin/coolbpfd $(BUILD)/bin/pingtrace
# pkg-config's view of the tree's library, for the Go binding (cgo
# pkg-config) and the Rust crate: PKG_CONFIG_PATH=$(BUILD)/lib/pkgconfig
UNINSTALLED_PC := $(BUILD)/lib/pkgconfig/libcoolbpf-uninstalled.pc

# pylcc's extension (python/pylcc/_coolbpf.c) for Debian's python3, next
# to the library it dlopens; Python.h is python3-dev's (bootstrap). Not for
# a cross build: its Python would be the target's.
PYTHON := /usr/bin/python3
# (a make that bootstraps python3 itself builds it the next time)
ifeq ($(CROSS_COMPILE),)
PY_EXT_SUFFIX := $(shell $(PYTHON) -c \
	"import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))" 2>/dev/null)
PY_INCLUDE := $(shell $(PYTHON) -c "import sysconfig; print(sysconfig.get_paths()['include'])" \
	2>/dev/null)
PY_EXT := $(if $(PY_EXT_SUFFIX),$(BUILD)/lib/_coolbpf$(PY_EXT_SUFFIX))
endif

# every C file of the project (BPF sides included), for format and checks
C_FILES := $(sort $(wildcard include/coolbpf/*.h bpf/*.h lib/*/*.[ch] cli/*.[ch] server/*.[ch] \
	tools/*/*.[ch] bench/*.c bench/*/*.c tests/*/*.c tests/*/*.h tests/vm/progs/*.[ch] \
	examples/*.c tests/data/*.c go/*.[ch] tests/vm/nobpf/*.c python/pylcc/*.c))
# the module is kernel C: formatted the same, not preprocessed by check-source
FORMAT_FILES := $(C_FILES) $(sort $(wildcard nobpf/*.[ch]))

.PHONY: all bootstrap test check fuzz test-unit test-integration test-cli test-asan install \
	clean bench format check-format check-source

all: bootstrap $(BINS) $(RUNNER) $(STATIC_LIB) $(SHARED_LIB) $(UNINSTALLED_PC) $(PRELOAD_LIB) \
	$(PY_EXT)

bootstrap:
	@scripts/bootstrap

# order-only: on a fresh machine the headers come from bootstrap, also under
# make -j; header dependencies come from the compiler (-MMD)
$(BUILD)/obj/%.o: %.c | bootstrap
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -c $< -o $@

# the syscall names of the target's <asm/unistd.h>, SYSCALL(name) a line,
# for lbc_syscall_t fields (lib/format/typed.c)
$(BUILD)/gen/syscall_names.h: | bootstrap
	@mkdir -p $(dir $@)
	echo '#include <asm/unistd.h>' | $(CC) -dM -E - | \
		sed -n 's/^#define __NR_\([a-z][a-z0-9_]*\) .*/SYSCALL(\1)/p' | \
		grep -vxE 'SYSCALL\((syscalls|arch_specific_syscall)\)' | sort -u >$@.tmp && mv $@.tmp $@
$(BUILD)/obj/lib/format/typed.o: $(BUILD)/gen/syscall_names.h
$(BUILD)/obj/lib/format/typed.o: BASE_CFLAGS += -I$(BUILD)/gen

# lib/*/*.S embed files (lbc.h) with .incbin; they depend on what they embed
$(BUILD)/obj/%.o: %.S bpf/lbc.h | bootstrap
	@mkdir -p $(dir $@)
	$(CC) $(SANITIZE) -c $< -o $@

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# not linked with libcoolbpf: it dlopens the copy pylcc found ($$COOLBPF_LIB first)
$(PY_EXT): python/pylcc/_coolbpf.c include/coolbpf/coolbpf.h | bootstrap
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -I$(PY_INCLUDE) -fvisibility=default -shared -o $@ $< $(LDFLAGS) -ldl

$(BUILD)/obj/libcoolbpf.o: $(LIB_OBJS)
	$(LD) -r -o $@.tmp $(LIB_OBJS)
	$(OBJCOPY) --localize-hidden $@.tmp $@
	rm -f $@.tmp

$(STATIC_LIB): $(BUILD)/obj/libcoolbpf.o
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $<

$(BASE_LIB): $(BASE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(INTERNAL_LIB): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(PRELOAD_LIB): lib/object/nobpf.c include/coolbpf/nobpf.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -shared $(LDFLAGS) -o $@ $< -ldl

$(SHARED_LIB): $(LIB_OBJS) lib/libcoolbpf.map
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,libcoolbpf.so.$(SOVERSION) \
		-Wl,--version-script=lib/libcoolbpf.map -o $@ $(LIB_OBJS) $(LIB_LDLIBS)
	ln -sf libcoolbpf.so.$(VERSION) $(BUILD)/lib/libcoolbpf.so.$(SOVERSION)
	ln -sf libcoolbpf.so.$(VERSION) $(BUILD)/lib/libcoolbpf.so

# the static library, so that a binding's test binaries run from the tree
$(UNINSTALLED_PC): lib/libcoolbpf.pc.in Makefile
	@mkdir -p $(dir $@)
	printf '%s\n' 'libdir=$(CURDIR)/$(BUILD)/lib' 'includedir=$(CURDIR)/include' '' \
		'Name: libcoolbpf' 'Description: libcoolbpf of the source tree (static)' \
		'Version: $(VERSION)' 'Requires.private: libbpf' \
		'Libs: $(filter -fsanitize=%,$(SANITIZE)) $${libdir}/libcoolbpf.a $(LDLIBS)' 'Cflags: -I$${includedir} -I$(CURDIR)/lib' >$@

# coolbpf loads libmicrohttpd with dlopen() for --metrics alone (linked, it
# and its GnuTLS were 2.6 MB resident in every run); a one-file tool has it
# linked statically, to serve metrics wherever it is copied
$(BUILD)/bin/coolbpf: $(CLI_OBJS) $(PROG_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(PROG_LIBS) $(LDLIBS) -ldl

RUNNER_OBJS := $(filter-out %/cli/run_metrics.o,$(CLI_OBJS)) $(BUILD)/obj/cli/run_metrics-linked.o
$(BUILD)/obj/cli/run_metrics-linked.o: cli/run_metrics.c | bootstrap
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -DCOOLBPF_MHD_LINKED -c $< -o $@

$(RUNNER): $(RUNNER_OBJS) $(PROG_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(RUNNER_OBJS) $(PROG_LIBS) $(RUNNER_LDLIBS)

$(BUILD)/bin/coolbpfd: $(SERVER_OBJS) $(PROG_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(SERVER_OBJS) $(PROG_LIBS) $(LDLIBS) $(SERVER_LDLIBS)

# tools/: the BPF half is compiled here by coolbpf itself (CO-RE, min BTF
# of this kernel) and embedded, so the tool needs no compiler where it runs
PT_DIR := tools/pingtrace
PT_SRCS := $(filter-out %.bpf.c,$(sort $(wildcard $(PT_DIR)/*.c)))
PT_OBJS := $(PT_SRCS:%.c=$(BUILD)/obj/%.o)
$(BUILD)/obj/$(PT_DIR)/pingtrace.bpf.o: $(PT_DIR)/pingtrace.bpf.c $(PT_DIR)/pingtrace.h bpf/lbc.h \
		$(BUILD)/bin/coolbpf
	@mkdir -p $(dir $@)
	$(BUILD)/bin/coolbpf compile $< -o $@

$(BUILD)/obj/$(PT_DIR)/pingtrace_embed.o: $(PT_DIR)/pingtrace_embed.S \
		$(BUILD)/obj/$(PT_DIR)/pingtrace.bpf.o
	$(CC) $(SANITIZE) -DPT_OBJ='"$(BUILD)/obj/$(PT_DIR)/pingtrace.bpf.o"' -c $< -o $@

$(BUILD)/bin/pingtrace: $(PT_OBJS) $(BUILD)/obj/$(PT_DIR)/pingtrace_embed.o $(PROG_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(PROG_LIBS) $(LDLIBS) -lm

# libFuzzer on coolbpfd's request parser (clang only: -fsanitize=fuzzer).
# A UBSan report stops the fuzzers as a crash does (kept as crash-*): with
# UBSan's default, recover, it was only printed, and nothing read it.
FUZZ_SANITIZE := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
$(FUZZ_BIN): tests/fuzz/fuzz_request.c server/request.c server/request.h $(BASE_SRCS)
	@mkdir -p $(dir $@)
	clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Ilib -Iserver \
		$(FUZZ_SANITIZE) -o $@ tests/fuzz/fuzz_request.c server/request.c \
		-ljansson

# libFuzzer on the object/artifact/BTF loading path: the library's sources
# built again with the fuzzer's instrumentation, libbpf as installed
$(FUZZ_OBJ_BIN): tests/fuzz/fuzz_object.c $(LIB_SRCS) $(LIB_ASM) bpf/lbc.h $(wildcard lib/*/*.h)
	@mkdir -p $(dir $@)
	clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -Ilib $(FUZZ_SANITIZE) \
		-o $@ tests/fuzz/fuzz_object.c $(LIB_SRCS) $(LIB_ASM) $(LDLIBS)

# unit tests reach the internals; integration tests use the public API only
$(BUILD)/tests/%: tests/unit/%.c $(INTERNAL_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Wno-unused-parameter $(LDFLAGS) -o $@ $< $(INTERNAL_LIB) $(LDLIBS) \
		-lcmocka

$(BUILD)/tests/%: tests/integration/%.c $(PROG_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Wno-unused-parameter $(LDFLAGS) -o $@ $< $(PROG_LIBS) $(LDLIBS) \
		-lcmocka

# the source rules make test holds the tree to: formatting, the layering of
# lib/, banned functions, the library's exported symbols
check-format: bootstrap
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "check-format: $(words $(FORMAT_FILES)) files formatted"

check-source: all
	@BUILD=$(BUILD) CC="$(CC)" CFLAGS="$(BASE_CFLAGS)" scripts/check-source $(filter %.c,$(C_FILES))

check: check-format check-source

test: all check $(UNIT_BINS) $(INTEG_BINS) $(FUZZ_BIN) $(FUZZ_OBJ_BIN)
	@BUILD=$(BUILD) tests/run-all

# the request-parser fuzzer, then the object/artifact/BTF one, each for
# FUZZ_SECONDS (make test runs each 20 s)
FUZZ_SECONDS ?= 600
fuzz: all $(FUZZ_BIN) $(FUZZ_OBJ_BIN)
	@mkdir -p $(BUILD)/fuzz-corpus $(BUILD)/fuzz-corpus-object
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=70000 $(BUILD)/fuzz-corpus tests/fuzz/corpus
	$(FUZZ_OBJ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=4096 \
		$(BUILD)/fuzz-corpus-object tests/fuzz/corpus-object

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

# the kernel without bpf() and the coolbpf_nobpf module alone (make test runs it too)
test-nobpf: all
	@BUILD=$(BUILD) tests/run-all nobpf

# coolbpf for arm64 hosts, with Debian's cross compiler and arm64 libraries
# (scripts/bootstrap arm64 installs them); the BPF side needs no cross
# compiler: coolbpf compile --arch arm64 makes it on this machine
.PHONY: cross-arm64 test-vm-arm64
cross-arm64:
	@scripts/bootstrap arm64
	$(MAKE) CROSS_COMPILE=aarch64-linux-gnu- BUILD=build-arm64 build-arm64/bin/coolbpf

# an arm64 Debian 6.1 guest (qemu-system-aarch64, TCG) running the arm64
# coolbpf on a tracepoint and a kprobe program compiled here for it
test-vm-arm64: all cross-arm64
	@BUILD=$(BUILD) tests/vm/run-arm64

# the coolbpf_nobpf module (nobpf/, GPL) for kernels without bpf(): built
# against NOBPF_KDIR (a kernel build tree or /lib/modules/<release>/build;
# default the nobpf guest's, tests/vm/build-nobpf). Kbuild of 6.1 builds in
# the source folder: the sources are copied to $(BUILD)/nobpf first.
# NOBPF_CC: the compiler, when the headers name one this machine lacks
# (Debian 11's 5.10 headers say gcc-10: NOBPF_CC=gcc).
NOBPF_SRCS := $(wildcard nobpf/*.c nobpf/*.h) nobpf/Kbuild
# Kbuild decides what is stale (its .cmd files name the kernel's headers).
.PHONY: nobpf test-nobpf
nobpf:
	@mkdir -p $(BUILD)/nobpf
	@cp -p $(NOBPF_SRCS) $(BUILD)/nobpf/ && cp -p include/coolbpf/nobpf.h $(BUILD)/nobpf/coolbpf_nobpf.h
	@kdir="$(NOBPF_KDIR)"; [ -n "$$kdir" ] || kdir=$$(tests/vm/build-nobpf)/build; \
	$(MAKE) -s -C "$$kdir" M=$(CURDIR)/$(BUILD)/nobpf $(if $(NOBPF_CC),CC=$(NOBPF_CC)) modules

# LeakSanitizer on (every coolbpf, coolbpfd and test binary checks its
# leaks at exit; tests/cli/leaks.sh the run and compile paths by name)
test-asan:
	ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1} \
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fno-omit-frame-pointer" \
		SANITIZE="-fsanitize=address,undefined -fno-sanitize-recover=all" test

# the baselines coolbpf is measured against, from Debian
BENCH_PKGS := bpftrace libbpf-tools bpfcc-tools
bench: all
	@COOLBPF_BOOTSTRAP_EXTRA="$(BENCH_PKGS)" scripts/bootstrap
	bench/run-all

RUST_CRATE = $(PREFIX)/share/cargo/registry/coolbpf-$(VERSION)
GO_MODULE = $(PREFIX)/share/gocode/src/coolbpf
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/coolbpf $(DESTDIR)$(PREFIX)/include/coolbpf/bpf \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/libexec/coolbpf
	install -m 0755 $(RUNNER) $(DESTDIR)$(PREFIX)/libexec/coolbpf/
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
	$(if $(PY_EXT),install -m 0644 $(PY_EXT) $(DESTDIR)$(PREFIX)/lib/python3/dist-packages/pylcc/)
	# byte-code now: an import that compiles its module has the compiler's
	# memory in the tool's peak RSS (bench/bindings/rss)
	-python3 -m compileall -q $(DESTDIR)$(PREFIX)/lib/python3/dist-packages/pylcc
	install -m 0644 man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	# the Rust crate's source, where Debian keeps crates (a directory
	# source for cargo; its build.rs finds libcoolbpf with pkg-config)
	install -d $(DESTDIR)$(RUST_CRATE)/src $(DESTDIR)$(RUST_CRATE)/examples
	install -m 0644 rust/Cargo.toml rust/build.rs $(DESTDIR)$(RUST_CRATE)/
	install -m 0644 rust/src/*.rs $(DESTDIR)$(RUST_CRATE)/src/
	install -m 0644 rust/examples/*.rs $(DESTDIR)$(RUST_CRATE)/examples/
	printf '{"files":{},"package":""}\n' >$(DESTDIR)$(RUST_CRATE)/.cargo-checksum.json
	# the Go module's source, in Debian's GOPATH layout (import "coolbpf")
	install -d $(DESTDIR)$(GO_MODULE)/examples/execsnoop $(DESTDIR)$(GO_MODULE)/examples/tcpconnect
	install -m 0644 go/go.mod $(filter-out %_test.go,$(wildcard go/*.go)) go/helpers.[ch] \
		$(DESTDIR)$(GO_MODULE)/
	install -m 0644 go/examples/execsnoop/main.go $(DESTDIR)$(GO_MODULE)/examples/execsnoop/
	install -m 0644 go/examples/tcpconnect/main.go $(DESTDIR)$(GO_MODULE)/examples/tcpconnect/
	install -d $(DESTDIR)$(PREFIX)/share/coolbpf/examples
	install -m 0644 examples/*.bpf.c $(DESTDIR)$(PREFIX)/share/coolbpf/examples/

format:
	clang-format -i $(FORMAT_FILES)

clean:
	rm -rf build build-asan

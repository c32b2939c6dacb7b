# pxehub: plain Makefile (GNU make).  See README.md.
#
#   make                 build daemon, pxehubctl, plugins
#   make check           install test deps (Debian, as root), build, run all tests
#   make run [IFACE=..]  run pxehubd in the foreground on the embedded config
#   make install PREFIX=/usr DESTDIR=...
#
# Variables callers may set: PREFIX DESTDIR SYSCONFDIR LOCALSTATEDIR LIBDIR
# PLUGINDIR PKG_CONFIG CC CFLAGS LDFLAGS CPPFLAGS, and for the test build
# WERROR=1 (warnings are errors), SANITIZE=1 (ASan+UBSan), SKIP_E2E=1.  A change of
# flags or paths rebuilds (build/flags.stamp, build/paths.stamp; docs/HACKING.md).

.DEFAULT_GOAL := all

VERSION    := 0.1.0
PREFIX     ?= /usr/local
ifeq ($(PREFIX),/usr)
SYSCONFDIR ?= /etc
LOCALSTATEDIR ?= /var
else
SYSCONFDIR ?= $(PREFIX)/etc
LOCALSTATEDIR ?= $(PREFIX)/var
endif
BINDIR     ?= $(PREFIX)/bin
SBINDIR    ?= $(PREFIX)/sbin
LIBDIR     ?= $(PREFIX)/lib
PLUGINDIR  ?= $(LIBDIR)/pxehub/plugins
INCLUDEDIR ?= $(PREFIX)/include
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
UNITDIR    ?= $(PREFIX)/lib/systemd/system
STATEDIR   ?= $(LOCALSTATEDIR)/lib/pxehub
PKG_CONFIG ?= pkg-config
CC         ?= cc
CLANG      ?= clang
INSTALL    ?= install

B := build

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wformat=2 -Wshadow -Wno-unused-parameter \
        -Wmissing-prototypes -Wstrict-prototypes
ifeq ($(WERROR),1)
WARN += -Werror
endif
ifeq ($(SANITIZE),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pc_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null || echo $(2))

DEP_CFLAGS := $(call pc_cflags,gnutls jansson inih)
DEP_LIBS   := $(call pc_libs,libev,-lev) $(call pc_libs,gnutls,-lgnutls) \
              $(call pc_libs,jansson,-ljansson) $(call pc_libs,inih,-linih) \
              -lhttp_parser -lpthread -ldl

override CPPFLAGS += -Isdk/include -Icore \
	-DPXH_VERSION='"$(VERSION)"' \
	-DPXH_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-DPXH_PLUGINDIR='"$(PLUGINDIR)"' \
	-DPXH_STATEDIR='"$(STATEDIR)"' \
	-D_GNU_SOURCE
override CFLAGS += -std=gnu11 -fPIC $(WARN) $(SANFLAGS) $(DEP_CFLAGS)
override LDFLAGS += $(SANFLAGS)

# ---- sources ------------------------------------------------------------
CORE_SRC := $(filter-out core/main.c,$(wildcard core/*.c)) \
            $(wildcard core/dhcp/*.c core/dhcp6/*.c core/tftp/*.c core/http/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(B)/obj/%.o)
CTL_SRC  := $(wildcard core/pxehubctl/*.c)
CTL_OBJ  := $(CTL_SRC:%.c=$(B)/obj/%.o)
CORELIB  := $(B)/lib/libpxehub-core.a
TESTKIT_SRC := $(wildcard sdk/testkit/*.c)
TESTKIT_OBJ := $(TESTKIT_SRC:%.c=$(B)/obj/%.o)
TESTKIT  := $(B)/lib/libpxehub-testkit.a

PLUGINS  := $(notdir $(patsubst %/,%,$(dir $(wildcard plugins/*/*.c))))
PLUGINS  := $(sort $(PLUGINS))
PLUGIN_SO := $(PLUGINS:%=$(B)/lib/pxehub/plugins/%.so)

# Per-plugin extra flags: plugins/NAME/plugin.mk may set NAME_CFLAGS and
# NAME_LIBS (e.g. FreeTDS, libcurl).
-include $(wildcard plugins/*/plugin.mk)

# The daemon exports exactly the SDK's functions to dlopen'd plugins: the
# list is generated from plugin.h (packaging/tools/sdk_symbols.sh), so a
# plugin calling an internal function fails to load, naming it.  The test
# kit is linked into test programs, not the daemon: plugin.h is the list.
WHOLE = -Wl,--whole-archive $(CORELIB) -Wl,--no-whole-archive
SDK_HEADER := sdk/include/pxehub/plugin.h
SDK_SYMS := $(B)/sdk/plugin-sdk.syms
SDK_DYNLIST := $(B)/sdk/plugin-sdk.dynlist
EXPORT = -Wl,--dynamic-list=$(SDK_DYNLIST)
# Plugins see only the SDK as installed (staged copy of sdk/include).
SDK_STAGE := $(B)/sdk/include
SDK_STAGED := $(patsubst sdk/include/%,$(SDK_STAGE)/%,$(wildcard sdk/include/pxehub/*.h))
PLUGIN_CPPFLAGS := -I$(SDK_STAGE) -D_GNU_SOURCE -DPXH_SYSCONFDIR='"$(SYSCONFDIR)"'

$(SDK_SYMS): $(SDK_HEADER) packaging/tools/sdk_symbols.sh
	@mkdir -p $(dir $@)
	CC="$(CC)" sh packaging/tools/sdk_symbols.sh $(SDK_HEADER) > $@.tmp && mv $@.tmp $@

$(SDK_DYNLIST): $(SDK_SYMS)
	{ echo '{'; sed 's/.*/	&;/' $<; echo '};'; } > $@

all: $(B)/sbin/pxehubd $(B)/bin/pxehubctl $(PLUGIN_SO) $(TESTKIT) $(SDK_DYNLIST) $(SDK_STAGED)

# Stamps: a file in $(B) holding what the build was made with; when that
# changes, what depends on the stamp is rebuilt.  A stamp whose text differs
# from this run's is remade by its recipe (so `make -n` and `make -q` only
# report it, and change nothing); one that matches is left alone, so a
# second `make` is a no-op.  `make install` never remakes them: it installs
# the build as it is (a missing stamp is then dated 1970, rebuilding
# nothing).
#  - $(PATHS_STAMP): the paths compiled into the binaries (PXH_SYSCONFDIR,
#    ...).  `make install` with other paths than the build's refuses: it
#    would install binaries that look for their config elsewhere.
#  - $(FLAGS_STAMP): the compiler and the effective compile and link flags
#    (CC, CPPFLAGS, CFLAGS, LDFLAGS, libraries; so also WERROR=1 and
#    SANITIZE=1): objects built under ASan are not linked into a plain
#    build, nor the reverse.
PATHS_STAMP := $(B)/paths.stamp
COMPILED_PATHS := SYSCONFDIR=$(SYSCONFDIR) PLUGINDIR=$(PLUGINDIR) STATEDIR=$(STATEDIR)
FLAGS_STAMP := $(B)/flags.stamp
BUILD_FLAGS := CC=$(CC) CPPFLAGS=$(CPPFLAGS) CFLAGS=$(CFLAGS) LDFLAGS=$(LDFLAGS) LIBS=$(DEP_LIBS)
STAMPS := $(PATHS_STAMP) $(FLAGS_STAMP)
STAMPS_FROZEN := $(filter install,$(MAKECMDGOALS))
ifeq ($(STAMPS_FROZEN),)
ifneq ($(strip $(shell cat $(PATHS_STAMP) 2>/dev/null)),$(strip $(COMPILED_PATHS)))
$(PATHS_STAMP): stamp-stale
endif
ifneq ($(strip $(shell cat $(FLAGS_STAMP) 2>/dev/null)),$(strip $(BUILD_FLAGS)))
$(FLAGS_STAMP): stamp-stale
endif
endif
stamp-stale:
.PHONY: stamp-stale
# $(call write_stamp,TEXT): the recipe line writing TEXT to $@
write_stamp = @mkdir -p $(dir $@) && printf '%s\n' '$(subst ','\'',$(1))' >$@$(if $(STAMPS_FROZEN), && touch -d @0 $@)
$(PATHS_STAMP):
	$(call write_stamp,$(COMPILED_PATHS))
$(FLAGS_STAMP):
	$(call write_stamp,$(BUILD_FLAGS))

$(B)/obj/%.o: %.c $(STAMPS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# the console's script, style and icon are assembled into the binary
$(B)/obj/core/http/http_console.o $(B)/fuzzobj/core/http/http_console.o: \
	$(wildcard core/http/console/*)

$(CORELIB): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(TESTKIT): $(CORE_OBJ) $(TESTKIT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(B)/sbin/pxehubd: $(B)/obj/core/main.o $(CORELIB) $(SDK_DYNLIST)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(EXPORT) -o $@ $< $(WHOLE) $(DEP_LIBS)

$(B)/bin/pxehubctl: $(CTL_OBJ) $(CORELIB) $(SDK_DYNLIST)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(EXPORT) -o $@ $(CTL_OBJ) $(WHOLE) $(DEP_LIBS)

# Plugins: hidden visibility; only the descriptor is exported.  They see
# only the SDK as it is installed (a staged copy of sdk/include, no -Icore):
# a plugin that includes a core header does not build, as out of tree.
$(SDK_STAGE)/pxehub/%.h: sdk/include/pxehub/%.h
	@mkdir -p $(dir $@)
	cp $< $@
.SECONDEXPANSION:
# Code shared by several plugins lives in plugins/common/NAME/ (not a plugin
# itself); a plugin.mk lists what it uses in NAME_EXTRA_SRC.
$(B)/lib/pxehub/plugins/%.so: $$(wildcard plugins/%/*.c) $$(wildcard plugins/%/*.h) \
		$$($$*_EXTRA_SRC) $(SDK_STAGED) $(STAMPS)
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CPPFLAGS) $(CFLAGS) -fvisibility=hidden $($*_CFLAGS) -shared \
		$(LDFLAGS) -o $@ $(filter %.c,$^) $($*_LIBS)

# ---- tests ----------------------------------------------------------------
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/unit/%)
TPLUG_SRC := $(wildcard tests/plugins/*.c)
TPLUG_SO  := $(TPLUG_SRC:tests/plugins/%.c=$(B)/tests/plugins/%.so)
CMOCKA_LIBS := $(call pc_libs,cmocka,-lcmocka)

$(B)/tests/unit/%: tests/unit/%.c $(CORELIB) $(TESTKIT) $(SDK_DYNLIST) $(STAMPS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -MMD -MP $(LDFLAGS) $(EXPORT) -o $@ $< \
		-Wl,--whole-archive $(TESTKIT) -Wl,--no-whole-archive \
		$(CMOCKA_LIBS) $(DEP_LIBS)

$(B)/tests/plugins/%.so: tests/plugins/%.c tests/plugins/tp.h $(SDK_STAGED) $(STAMPS)
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CPPFLAGS) $(CFLAGS) -fvisibility=hidden -shared $(LDFLAGS) -o $@ $<

# ABI 1.0 fixtures (tests/abi): a plugin built against the frozen header
# only (no -I of the SDK or the core), and the layout of the frozen header
# printed by a program built against it and against the live one.
ABI_BIN := $(B)/tests/abi/abi10.so $(B)/tests/abi/layout-1.0 $(B)/tests/abi/layout-live
$(B)/tests/abi/abi10.so: tests/abi/abi10_plugin.c tests/abi/plugin-1.0.h $(STAMPS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CFLAGS) -fvisibility=hidden -shared $(LDFLAGS) -o $@ $<
$(B)/tests/abi/layout.c: tests/abi/plugin-1.0.h tests/abi/layout_gen.sh
	@mkdir -p $(dir $@)
	CC="$(CC)" sh tests/abi/layout_gen.sh tests/abi/plugin-1.0.h > $@.tmp && mv $@.tmp $@
$(B)/tests/abi/layout-1.0: $(B)/tests/abi/layout.c $(STAMPS)
	$(CC) -std=gnu11 $(CFLAGS) -Itests/abi $(LDFLAGS) -o $@ $<
$(B)/tests/abi/layout-live: $(B)/tests/abi/layout.c $(SDK_HEADER) $(STAMPS)
	$(CC) -std=gnu11 $(CFLAGS) -DLIVE -Isdk/include $(LDFLAGS) -o $@ $<

# Fuzz targets (libFuzzer, clang): tests/fuzz/fuzz_NAME.c
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(B)/fuzzobj/%.o)
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined
$(B)/fuzzobj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CLANG) $(CPPFLAGS) -std=gnu11 -fPIC $(DEP_CFLAGS) $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<
$(B)/fuzz/%: tests/fuzz/%.c $(FUZZ_CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CLANG) $(CPPFLAGS) -std=gnu11 $(DEP_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -MMD -MP \
		-o $@ $< $(FUZZ_CORE_OBJ) $(DEP_LIBS)

fuzz: $(FUZZ_BIN)

# Every fuzz target for FUZZ_LONG_SECONDS (600) each; the figures of a run
# are in docs/HACKING.md (FUZZ_JOBS=N runs N at a time).
fuzz-long: fuzz
	B=$(B) sh tests/fuzz/long.sh

test-build: all $(UNIT_BIN) $(TPLUG_SO) $(ABI_BIN)

deps:
	@sh tests/deps.sh

deps-build:
	@sh tests/deps.sh build

check: deps
	$(MAKE) test-build
	$(MAKE) fuzz
	B=$(B) SKIP_E2E=$(SKIP_E2E) sh tests/run.sh

# ---- run ------------------------------------------------------------------
run: deps-build
	$(MAKE) all
	$(B)/sbin/pxehubd -f --embedded $(if $(IFACE),--iface $(IFACE))

# deps first: on a fresh machine nothing compiles before tests/deps.txt is
# in; the benchmarks' own make calls (test tools) are not make's children
bench: deps
	$(MAKE) test-build
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL B=$(B) sh bench/run.sh

demo: all
	sh tests/e2e/demo.sh

# ---- install --------------------------------------------------------------
install: all
	@have=$$(cat $(PATHS_STAMP)); [ "$$have" = "$(COMPILED_PATHS)" ] || { \
		echo "make install: $(B) was built for $$have, this install is for $(COMPILED_PATHS):" >&2; \
		echo "  the installed pxehubd would look for its config and plugins elsewhere." >&2; \
		echo "  Build with the same PREFIX/SYSCONFDIR/... first ('make PREFIX=... && make install PREFIX=...'; it rebuilds)," >&2; \
		echo "  or stage this build with 'make install DESTDIR=...' and no path changes." >&2; exit 1; }
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PLUGINDIR) \
		$(DESTDIR)$(INCLUDEDIR)/pxehub $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(SYSCONFDIR)/pxehub/plugins.d $(DESTDIR)$(SYSCONFDIR)/pxehub/scripts \
		$(DESTDIR)$(SYSCONFDIR)/pxehub/sql $(DESTDIR)$(LIBDIR) \
		$(DESTDIR)$(DATADIR)/pxehub $(DESTDIR)$(DATADIR)/doc/pxehub/examples
	$(INSTALL) -m 755 $(B)/sbin/pxehubd $(DESTDIR)$(SBINDIR)/pxehubd
	$(INSTALL) -m 755 $(B)/bin/pxehubctl $(DESTDIR)$(BINDIR)/pxehubctl
	for so in $(PLUGIN_SO); do $(INSTALL) -m 644 $$so $(DESTDIR)$(PLUGINDIR)/; done
	$(INSTALL) -m 644 sdk/include/pxehub/*.h $(DESTDIR)$(INCLUDEDIR)/pxehub/
	$(INSTALL) -m 644 $(TESTKIT) $(DESTDIR)$(LIBDIR)/
	$(INSTALL) -d $(DESTDIR)$(LIBDIR)/pxehub
	$(INSTALL) -m 644 $(SDK_DYNLIST) $(DESTDIR)$(LIBDIR)/pxehub/plugin-sdk.dynlist
	rel() { r=$$(realpath -m --relative-to="$$1" "$$2"); \
		case "$$r" in ..*) echo "$$2" ;; *) echo "$$3$$r" ;; esac; }; \
	pre="\$${pcfiledir}/$$(realpath -m --relative-to=$(PKGCONFIGDIR) $(PREFIX))"; \
	inc=$$(rel $(PREFIX) $(INCLUDEDIR) '$${prefix}/'); lib=$$(rel $(PREFIX) $(LIBDIR) '$${prefix}/'); \
	sed -e "s|@PREFIX@|$$pre|g" -e "s|@INCLUDEDIR@|$$inc|g" \
	    -e "s|@LIBDIR@|$$lib|g" -e 's|@PLUGINDIR@|$(PLUGINDIR)|g' \
	    -e 's|@VERSION@|$(VERSION)|g' -e 's|@TESTKIT_LIBS@|$(strip $(DEP_LIBS))|g' sdk/pxehub-plugin.pc.in \
	    > $(DESTDIR)$(PKGCONFIGDIR)/pxehub-plugin.pc
	sed -e 's|@PLUGINDIR@|$(PLUGINDIR)|g' -e 's|@STATEDIR@|$(STATEDIR)|g' \
	    -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' etc/pxehub.conf \
	    > $(DESTDIR)$(SYSCONFDIR)/pxehub/pxehub.conf
	for f in etc/plugins.d/*.conf; do [ -e "$$f" ] && $(INSTALL) -m 644 $$f $(DESTDIR)$(SYSCONFDIR)/pxehub/plugins.d/ || true; done
	$(INSTALL) -d $(DESTDIR)$(DATADIR)/doc/pxehub/examples/scripts
	for f in etc/scripts/*; do [ -f "$$f" ] && $(INSTALL) -m 644 $$f $(DESTDIR)$(DATADIR)/doc/pxehub/examples/scripts/ || true; done
	$(INSTALL) -d $(DESTDIR)$(SYSCONFDIR)/pxehub/menu.d
	for f in etc/menu.d/*.ipxe; do [ -e "$$f" ] && $(INSTALL) -m 644 $$f $(DESTDIR)$(SYSCONFDIR)/pxehub/menu.d/ || true; done
	for f in etc/sql/*.sql; do [ -e "$$f" ] && $(INSTALL) -m 644 $$f $(DESTDIR)$(SYSCONFDIR)/pxehub/sql/ || true; done
	$(INSTALL) -d $(DESTDIR)$(SYSCONFDIR)/pxehub/sccm_mp
	for f in etc/sccm_mp/*; do [ -f "$$f" ] && $(INSTALL) -m 644 $$f $(DESTDIR)$(SYSCONFDIR)/pxehub/sccm_mp/ || true; done
	$(INSTALL) -d $(DESTDIR)$(SYSCONFDIR)/pxehub/sccm_media
	for f in etc/sccm_media/*; do [ -f "$$f" ] && $(INSTALL) -m 644 $$f $(DESTDIR)$(SYSCONFDIR)/pxehub/sccm_media/ || true; done
	cp -r sdk/examples $(DESTDIR)$(DATADIR)/doc/pxehub/examples/sdk
	if [ -d docs/man ]; then for m in docs/man/*.[0-9]; do s=$${m##*.}; \
		$(INSTALL) -d $(DESTDIR)$(MANDIR)/man$$s; \
		$(INSTALL) -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done; fi
	$(INSTALL) -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(PKGLIBEXECDIR)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    -e 's|@STATEDIR@|$(STATEDIR)|g' packaging/systemd/pxehub.service.in \
	    > $(DESTDIR)$(UNITDIR)/pxehub.service
	chmod 644 $(DESTDIR)$(UNITDIR)/pxehub.service
	$(INSTALL) -m 644 packaging/systemd/pxehub.sysusers $(DESTDIR)$(SYSUSERSDIR)/pxehub.conf
	sed -e 's|^root=/var/lib/pxehub/tftp$$|root=$(STATEDIR)/tftp|' packaging/scripts/pxehub-loaders \
	    > $(DESTDIR)$(PKGLIBEXECDIR)/pxehub-loaders
	chmod 755 $(DESTDIR)$(PKGLIBEXECDIR)/pxehub-loaders

# ---- man pages -------------------------------------------------------------
# docs/man/*.in + the key tables (pxehubd --dump-config, each plugin's
# descriptor) -> docs/man/*.[578], committed.  `make man` after changing a
# key; tests/integration/test_packaging.sh fails when a page is stale.
PLUGIN_KEYS := $(B)/tools/plugin_keys
MAN_OUT ?= docs/man
$(PLUGIN_KEYS): packaging/tools/plugin_keys.c $(CORELIB) $(SDK_DYNLIST)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) $(EXPORT) -o $@ $< $(WHOLE) $(DEP_LIBS)

man: $(B)/sbin/pxehubd $(PLUGIN_KEYS) $(PLUGIN_SO)
	PXH_BUILD_STATEDIR=$(STATEDIR) PXH_BUILD_SYSCONFDIR=$(SYSCONFDIR) \
	PXH_BUILD_PLUGINDIR=$(PLUGINDIR) PXH_PLUGINS="$(PLUGINS)" sh packaging/tools/mkman.sh \
		$(B)/sbin/pxehubd $(PLUGIN_KEYS) $(B)/lib/pxehub/plugins $(VERSION) $(MAN_OUT)

# ---- packages (packaging/; see packaging/README.md) -----------------------
# make deb / make rpm build from this tree (uncommitted changes included)
# into $(PKGDIR), with the distribution's flags: the caller's make variables
# (SANITIZE=1, B=...) do not reach the package build.  Paths inside the packages: /usr, /etc/pxehub,
# /var/lib/pxehub, plugins in /usr/lib/pxehub/plugins (deb) or
# %{_libdir}/pxehub/plugins (rpm).  The sccm plugin package is built only
# when plugins/sccm_* exist.
SYSUSERSDIR   ?= $(PREFIX)/lib/sysusers.d
PKGLIBEXECDIR ?= $(PREFIX)/lib/pxehub
PKGDIR  ?= $(B)/pkg
PKG_TAR_EXCLUDES := --exclude=./.git --exclude=./build --exclude='./build-*' \
	--exclude='*.o' --exclude='*.so'
PKG_CLEAN_ENV := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE -u WERROR -u B \
	-u CFLAGS -u LDFLAGS -u CPPFLAGS
HAVE_SCCM := $(if $(wildcard plugins/sccm_sql/*.c plugins/sccm_mp_http/*.c),yes,)
# stage DIR: a copy of the source tree (no build output, no .git)
pkg_stage = rm -rf $(1) && mkdir -p $(1) && tar -c $(PKG_TAR_EXCLUDES) . | tar -x -C $(1)

deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null || \
		{ echo "make deb: needs dpkg-dev and debhelper (apt-get install dpkg-dev debhelper)" >&2; exit 1; }
	rm -rf $(PKGDIR)/deb
	$(call pkg_stage,$(PKGDIR)/deb/pxehub-$(VERSION))
	cp -r packaging/debian $(PKGDIR)/deb/pxehub-$(VERSION)/debian
	sed -i '1s/(\([^)]*\))/($(VERSION))/' $(PKGDIR)/deb/pxehub-$(VERSION)/debian/changelog
	cd $(PKGDIR)/deb/pxehub-$(VERSION) && \
		DEB_BUILD_PROFILES="$(if $(HAVE_SCCM),,pkg.pxehub.nosccm) $(DEB_BUILD_PROFILES)" \
		DEB_BUILD_OPTIONS="nocheck parallel=$$(nproc) $(DEB_BUILD_OPTIONS)" \
		$(PKG_CLEAN_ENV) dpkg-buildpackage -b -us -uc
	mv $(PKGDIR)/deb/*.deb $(PKGDIR)/deb/*.changes $(PKGDIR)/deb/*.buildinfo $(PKGDIR)/
	rm -rf $(PKGDIR)/deb
	@ls -l $(PKGDIR)/*.deb

# On a distribution without an RPM database of its own (Debian), build
# dependencies cannot be checked: rpmbuild runs with --nodeps there.
RPMBUILD ?= rpmbuild
RPM_NODEPS = $(shell rpm -q --quiet rpm 2>/dev/null || echo --nodeps)
rpm:
	@command -v $(RPMBUILD) >/dev/null || \
		{ echo "make rpm: needs rpmbuild (Debian: apt-get install rpm)" >&2; exit 1; }
	rm -rf $(PKGDIR)/rpm
	mkdir -p $(PKGDIR)/rpm/SOURCES $(PKGDIR)/rpm/SPECS
	$(call pkg_stage,$(PKGDIR)/rpm/stage/pxehub-$(VERSION))
	tar -C $(PKGDIR)/rpm/stage -czf $(PKGDIR)/rpm/SOURCES/pxehub-$(VERSION).tar.gz pxehub-$(VERSION)
	sed -e 's/^Version:.*/Version:        $(VERSION)/' \
	    $(if $(HAVE_SCCM),,-e 's/^%bcond_without sccm/%bcond_with sccm/') \
	    packaging/rpm/pxehub.spec > $(PKGDIR)/rpm/SPECS/pxehub.spec
	$(PKG_CLEAN_ENV) $(RPMBUILD) --define '_topdir $(abspath $(PKGDIR)/rpm)' \
		-bs $(PKGDIR)/rpm/SPECS/pxehub.spec
	$(PKG_CLEAN_ENV) $(RPMBUILD) --define '_topdir $(abspath $(PKGDIR)/rpm)' $(RPM_NODEPS) \
		--rebuild $(PKGDIR)/rpm/SRPMS/pxehub-$(VERSION)-*.src.rpm
	mv $(PKGDIR)/rpm/SRPMS/*.rpm $(PKGDIR)/rpm/RPMS/*/*.rpm $(PKGDIR)/
	rm -rf $(PKGDIR)/rpm
	@ls -l $(PKGDIR)/*.rpm

clean:
	rm -rf $(B)

.PHONY: all check deps deps-build run bench demo install clean fuzz fuzz-long test-build

-include $(shell find $(B)/obj $(B)/fuzzobj $(B)/tests $(B)/fuzz -name '*.d' 2>/dev/null)

#!/bin/sh
# The SDK as a third party uses it: `make install DESTDIR=...` stages it
# (as a package build does; the .pc is relocatable, ${pcfiledir}), then
# sdk/examples/hello copied out of the tree and built with nothing but
# PKG_CONFIG_PATH, its test-kit unit test run, the plugin installed into
# pkg-config's plugindir under the same DESTDIR and loaded by a pxehubd,
# whose hooks are then seen working: the decision (pxehubctl decide and
# /boot.ipxe), the HTTP route, the report hook (/metrics) and the event
# hook (its log line).
. "$(dirname "$0")/../lib.sh"
pxh_init
STAGE=$T/stage
MAC=52:54:00:12:34:56

# ---- install -----------------------------------------------------------------------
# Other paths than the build's are refused (they are compiled in), clearly.
if make -s -C "$PXH_TOP" B="$B" install PREFIX=/opt/elsewhere DESTDIR="$T/wrong" >"$T/wrong.log" 2>&1; then
	not_ok "make install with other paths than the build's refuses" "it installed"
elif grep -q "was built for .*this install is for SYSCONFDIR=/opt/elsewhere/etc" "$T/wrong.log" && [ ! -e "$T/wrong" ]; then
	ok "make install with other paths than the build's refuses"
else not_ok "make install with other paths than the build's refuses" "$(cat "$T/wrong.log")"; fi
if make -s -C "$PXH_TOP" B="$B" install DESTDIR="$STAGE" >"$T/install.log" 2>&1; then
	ok "make install DESTDIR=... (SDK included)"
else
	not_ok "make install DESTDIR=... (SDK included)" "$(tail -3 "$T/install.log")"; exit 1
fi
pc=$(find "$STAGE" -name pxehub-plugin.pc | head -1)
PREFIX=$(cd "$(dirname "$pc")/../.." && pwd) # the staged PREFIX (LIBDIR = PREFIX/lib)
for f in include/pxehub/plugin.h include/pxehub/testkit.h lib/libpxehub-testkit.a \
         lib/pxehub/plugin-sdk.dynlist lib/pkgconfig/pxehub-plugin.pc; do
	[ -f "$PREFIX/$f" ] || not_ok "installed $f" "missing"
done
grep -q "^prefix=\${pcfiledir}/" "$pc" && ok "pxehub-plugin.pc is relocatable (\${pcfiledir})" \
	|| not_ok "pxehub-plugin.pc is relocatable (\${pcfiledir})" "$(grep = "$pc")"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" # nothing else: no PKG_CONFIG_SYSROOT_DIR
cf=$(pkg-config --cflags pxehub-plugin | sed "s/ *$//"); pd=$(pkg-config --variable=plugindir pxehub-plugin)
case "$cf" in -I*) inc=$(readlink -f "${cf#-I}") ;; *) inc="" ;; esac
if [ "$inc" = "$PREFIX/include" ] && [ "${pd#/}" != "$pd" ] && [ -d "$STAGE$pd" ] &&
   pkg-config --modversion pxehub-plugin | grep -q '^[0-9]'; then
	ok "pxehub-plugin.pc: Cflags into the stage, plugindir as installed, version"
else not_ok "pxehub-plugin.pc: Cflags into the stage, plugindir as installed, version" "cflags='$cf' plugindir='$pd'"; fi

# ---- build out of tree ------------------------------------------------------------
cp -r "$PXH_TOP/sdk/examples/hello" "$T/hello"
rm -f "$T/hello/hello.so" "$T/hello/test_hello"
if make -C "$T/hello" >"$T/build.log" 2>&1 && [ -f "$T/hello/hello.so" ]; then
	ok "hello builds out of tree with pkg-config only"
else
	not_ok "hello builds out of tree with pkg-config only" "$(grep -m3 error "$T/build.log")"
	skip "hello: the rest" "hello.so did not build"; exit 1
fi
grep -q -- "-I$PXH_TOP" "$T/build.log" && not_ok "the build used the source tree" "$(cat "$T/build.log")"
# Only the descriptor is exported (-fvisibility=hidden), as readelf sees it.
syms=$(readelf --dyn-syms -W "$T/hello/hello.so" | awk '$5 == "GLOBAL" && $7 != "UND" {print $8}')
[ "$syms" = pxh_plugin_descriptor ] && ok "hello.so exports only pxh_plugin_descriptor" \
	|| not_ok "hello.so exports only pxh_plugin_descriptor" "$syms"

# Under SANITIZE=1 the installed test kit is instrumented: so is the test.
san=""
[ "${SANITIZE:-}" = 1 ] && san="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer"
if make -C "$T/hello" check ${san:+CFLAGS="$san"} >"$T/check.log" 2>&1; then ok "hello's test-kit unit test passes"
else not_ok "hello's test-kit unit test passes" "$(grep -E 'not ok|error|cannot' "$T/check.log" | head -5)"; fi
sed 's/^/# /' "$T/check.log" | tail -3

make -C "$T/hello" install DESTDIR="$STAGE" >"$T/inst.log" 2>&1 && [ -f "$STAGE$pd/hello.so" ] \
	&& ok "make install puts hello.so into plugindir" || not_ok "make install puts hello.so into plugindir" "$(cat "$T/inst.log")"

# ---- load it in pxehubd ---------------------------------------------------------------
CONF=$T/pxehub.conf
pxh_conf "$CONF"
sed -i "s|^dir = .*|dir = $STAGE$pd|" "$CONF"
"$PXHCTL" -c "$CONF" plugin enable hello >/dev/null
printf 'macs = %s\ngreeting = Hello from the SDK test\n' "$MAC" >>"$T/plugins.d/hello.conf"
out=$("$PXHD" -t -c "$CONF" 2>&1) && ok "pxehubd -t accepts hello and its keys" || not_ok "pxehubd -t accepts hello and its keys" "$out"

out=$("$PXHCTL" -c "$CONF" decide --mac "$MAC" --arch efi-x64 2>&1)
printf '%s\n' "$out" | grep -qx 'plugin: hello' && printf '%s\n' "$out" | grep -qx 'verdict: boot' \
	&& ok "pxehubctl decide: hello's boot decision" || not_ok "pxehubctl decide: hello's boot decision" "$out"
out=$("$PXHCTL" -c "$CONF" decide --mac 52:54:00:00:00:99 --arch efi-x64 2>&1)
printf '%s\n' "$out" | grep -qx 'plugin: default' && ok "pxehubctl decide: hello says next for others" \
	|| not_ok "pxehubctl decide: hello says next for others" "$out"

NS=$(pxh_netns sdk)
if ! pxh_daemon "$CONF" "$NS"; then not_ok "pxehubd loads hello" "did not start"; exit 1; fi
grep -q "plugin: loaded name=hello version=1.0" "$T/pxehubd.log" && ok "pxehubd loads hello" \
	|| not_ok "pxehubd loads hello" "$(grep plugin "$T/pxehubd.log")"
get() { ip netns exec "$NS" curl -s -m 5 "$@"; }
body=$(get "http://127.0.0.1/plugins/hello/macs")
[ "$body" = "$MAC" ] && ok "hello's HTTP route answers /plugins/hello/macs" || not_ok "hello's HTTP route answers /plugins/hello/macs" "$body"
code=$(get -o /dev/null -w '%{http_code}' "http://127.0.0.1/plugins/hello/nope")
[ "$code" = 404 ] && ok "hello's route sets the status (404)" || not_ok "hello's route sets the status (404)" "$code"

script=$(get "http://127.0.0.1/boot.ipxe?mac=$MAC&arch=x86_64&platform=efi")
printf '%s\n' "$script" | grep -q "^echo Hello from the SDK test, $MAC" \
	&& ok "hello's boot script hook answers /boot.ipxe" || not_ok "hello's boot script hook answers /boot.ipxe" "$script"
body=$(get "http://127.0.0.1/plugins/hello/")
printf '%s\n' "$body" | grep -q "^Hello from the SDK test: 1 decisions, 1 booted" \
	&& ok "hello's counters follow the daemon's decisions" || not_ok "hello's counters follow the daemon's decisions" "$body"
if wait_for sh -c "ip netns exec $NS curl -s -m 5 http://127.0.0.1/metrics | grep -q '^pxehub_plugin_hello_booted 1\$'"; then
	ok "hello's report hook feeds /metrics"
else not_ok "hello's report hook feeds /metrics" "$(get http://127.0.0.1/metrics | grep hello)"; fi
if wait_for grep -q "hello: saw decision action=boot plugin=hello" "$T/pxehubd.log"; then
	ok "hello's event hook sees the decision event"
else not_ok "hello's event hook sees the decision event" "$(grep hello "$T/pxehubd.log" | tail -3)"; fi

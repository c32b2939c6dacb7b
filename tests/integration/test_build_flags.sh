#!/bin/sh
# The Makefile rebuilds when the build flags change and only then
# ($(B)/flags.stamp, docs/HACKING.md "Build flags"): a build dir made under
# ASan is not linked into a plain build; a second `make` with the same
# flags does nothing; `make -n` and `make -q` change no file.  Runs in a
# build dir of its own on a few small targets (an object, a plugin, a
# linked program), with the caller's make variables (make check's
# WERROR/SANITIZE) removed so that the flags are the test's.
. "$(dirname "$0")/../lib.sh"
pxh_init
W=$T/b
OBJ=$W/obj/core/arch.o
SO=$W/tests/plugins/tp_fixed.so
EXE=$W/tests/abi/layout-1.0
TARGETS="$OBJ $SO $EXE"

mk() { # make ARGS... in the tree, flags only from ARGS
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u SANITIZE -u WERROR -u CFLAGS \
		-u LDFLAGS -u CPPFLAGS make --no-print-directory -C "$PXH_TOP" B="$W" "$@"
}
# mtimes (ns) and contents of the targets and the stamps
state() { for f in $TARGETS $W/flags.stamp $W/paths.stamp; do stat -c '%n %.9Y' "$f"; md5sum <"$f"; done 2>&1; }
# how many of the targets changed between two states
changed() { # before after
	n=0
	for f in $TARGETS; do
		a=$(printf '%s\n' "$1" | grep -F "$f ") b=$(printf '%s\n' "$2" | grep -F "$f ")
		[ "$a" != "$b" ] && n=$((n + 1))
	done
	echo $n
}
asan() { nm "$OBJ" 2>/dev/null | grep -q __asan_; }

if mk -s $TARGETS >"$T/m1.log" 2>&1 && [ -f "$OBJ" ] && [ -f "$SO" ] && [ -x "$EXE" ]; then
	ok first_build
else
	not_ok first_build "$(tail -5 "$T/m1.log" | tr '\n' ' ')"; exit 1
fi
grep -q -- 'CFLAGS=-O2 -g ' "$W/flags.stamp" && ! grep -q -- -Werror "$W/flags.stamp" \
	&& ok stamp_holds_the_flags || not_ok stamp_holds_the_flags "$(cat "$W/flags.stamp")"

# ---- same flags: nothing to do -------------------------------------------------
s0=$(state)
sleep 0.02 # mtimes would differ if anything were remade
mk -q $TARGETS && ok "second make -q: up to date" || not_ok "second make -q: up to date" "rc=$?"
mk $TARGETS >"$T/m2.log" 2>&1
s1=$(state)
[ "$s0" = "$s1" ] && ! grep -q -- ' -o ' "$T/m2.log" && ok second_make_is_a_no_op \
	|| not_ok second_make_is_a_no_op "$(changed "$s0" "$s1") changed: $(grep -- ' -o ' "$T/m2.log" | head -2 | tr '\n' ' ')"

# ---- other flags: -n and -q tell, change nothing ------------------------------
mk -q WERROR=1 $TARGETS >/dev/null 2>&1; rc=$?
[ $rc = 1 ] && ok "make -q WERROR=1: out of date" || not_ok "make -q WERROR=1: out of date" "rc=$rc"
n=$(mk -n WERROR=1 $TARGETS 2>&1 | grep -c -- '-Werror.* -o ')
mk -n -B SANITIZE=1 $TARGETS >/dev/null 2>&1
mk -n -t CFLAGS=-O0 $TARGETS >/dev/null 2>&1
mk -n PREFIX=/usr $TARGETS >/dev/null 2>&1 # (paths.stamp was written here)
s2=$(state)
[ "$n" = 3 ] && ok "make -n WERROR=1 shows the 3 rebuilds" || not_ok "make -n WERROR=1 shows the 3 rebuilds" "n=$n"
[ "$s0" = "$s2" ] && ok "make -n / -q with other flags change no file" \
	|| not_ok "make -n / -q with other flags change no file" "$(changed "$s0" "$s2") targets; stamps: $(cat "$W/flags.stamp" "$W/paths.stamp")"

# ---- other flags: rebuilt; back: rebuilt again ---------------------------------
mk -s WERROR=1 $TARGETS >"$T/m3.log" 2>&1; rc=$?
s3=$(state)
[ $rc = 0 ] && [ "$(changed "$s2" "$s3")" = 3 ] && grep -q -- -Werror "$W/flags.stamp" \
	&& ok "WERROR=1 rebuilds every target" || not_ok "WERROR=1 rebuilds every target" "rc=$rc changed=$(changed "$s2" "$s3")"
mk -q WERROR=1 $TARGETS && ok "then make -q WERROR=1: up to date" || not_ok "then make -q WERROR=1: up to date"
if mk -s SANITIZE=1 $TARGETS >"$T/m4.log" 2>&1 && asan; then ok "SANITIZE=1 rebuilds with ASan"
else not_ok "SANITIZE=1 rebuilds with ASan" "$(tail -3 "$T/m4.log" | tr '\n' ' ')"; fi
s4=$(state)
if mk -s $TARGETS >"$T/m5.log" 2>&1 && ! asan && "$EXE" >/dev/null 2>&1; then
	ok "back to the plain flags: rebuilt without ASan"
else
	not_ok "back to the plain flags: rebuilt without ASan" "$(tail -3 "$T/m5.log" | tr '\n' ' ')"
fi
s5=$(state)
[ "$(changed "$s4" "$s5")" = 3 ] && ok "back: every target rebuilt" \
	|| not_ok "back: every target rebuilt" "changed=$(changed "$s4" "$s5")"
# a link flag alone relinks too
mk -s LDFLAGS=-Wl,-O1 $TARGETS >"$T/m6.log" 2>&1
s6=$(state)
[ "$(changed "$s5" "$s6")" = 3 ] && ok "LDFLAGS change rebuilds" \
	|| not_ok "LDFLAGS change rebuilds" "changed=$(changed "$s5" "$s6")"

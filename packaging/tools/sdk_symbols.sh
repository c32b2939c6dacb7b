#!/bin/sh
# The functions a plugin may call: every function declared in the SDK
# header(s) given, one name a line, sorted.  pxehubd exports exactly these
# (the Makefile turns them into a --dynamic-list; tests/integration/
# test_abi.sh compares them with nm -D of the built daemon).
#   sdk_symbols.sh [CC] sdk/include/pxehub/plugin.h > list
# Comments and macros go through the preprocessor first; a name followed
# by "(" is a declaration unless it is a function pointer ("(*name)(") or
# a return type followed by one ("enum pxh_verdict (*fn)(").
set -eu
cc=${CC:-cc}
for h in "$@"; do
	"$cc" -E -P -I"$(dirname "$h")/.." -x c "$h"
done | perl -0ne 'while (/(\(\s*\*\s*)?\b(pxh_[a-z0-9_]+)\s*\((?!\s*\*)/g) { print "$2\n" unless $1 }' |
	LC_ALL=C sort -u

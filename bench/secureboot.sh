#!/bin/sh
# Secure Boot benchmark: power-on to the installer kernel's first line via
# shim/GRUB over TFTP (Secure Boot on), GRUB over TFTP and over HTTP, and
# iPXE over HTTP; three runs each, medians (docs/e2e.md).  The lab and the
# cases live beside the e2e suite: tests/e2e/sb_bench.sh.
#   sh bench/secureboot.sh     (root; B=build dir; SB_RUNS, SB_PATHS)
exec sh "$(dirname "$0")/../tests/e2e/sb_bench.sh" "$@"

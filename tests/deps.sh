#!/bin/sh
# Install the Debian packages listed in tests/deps.txt that are missing.
# A quick no-op when all are present; needs root (apt-get) otherwise.
# `deps.sh build` installs only the build section (what `make run` needs).
set -eu
here=$(dirname "$0")
if [ "${1:-all}" = build ]; then
	want=$(awk '/^# tools/{exit} !/^[[:space:]]*#/ && NF {print $1}' "$here/deps.txt")
else
	want=$(grep -v '^[[:space:]]*#' "$here/deps.txt" | awk 'NF{print $1}')
fi
missing=""
for p in $want; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root; install these packages first:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# wireshark-common asks whether non-root users may capture: answer no.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/tmp/pxehub-deps.log 2>&1 || {
	tail -20 /tmp/pxehub-deps.log >&2
	exit 1
}

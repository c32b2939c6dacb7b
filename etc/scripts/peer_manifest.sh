#!/bin/sh
# peer_manifest.sh: write the signed manifest the peer plugin shares files by
# (docs/plugins/peer.md).  Run it on the upstream, where the private key is.
#
#   peer_manifest.sh KEY.pem DIR SERIAL OUT [PATH...]
#
# KEY.pem  Ed25519 private key (openssl genpkey -algorithm ed25519 -out KEY.pem;
#          the peers' public_key: openssl pkey -in KEY.pem -pubout)
# DIR      the TFTP root (paths in the manifest are relative to it)
# SERIAL   a number larger than the last manifest's (e.g. $(date +%s))
# OUT      manifest file to write; OUT.sig gets its signature
# PATH     files under DIR to list; default: every regular file under DIR
set -eu
[ $# -ge 4 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
key=$1 dir=$2 serial=$3 out=$4
shift 4
case $serial in ''|0*|*[!0-9]*) echo "SERIAL must be a positive number" >&2; exit 2 ;; esac
tmp=$(mktemp "${out}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
	echo "pxehub-peer-manifest 1"
	echo "serial $serial"
	if [ $# -eq 0 ]; then
		(cd "$dir" && find . -type f ! -name '.*' | sed 's|^\./||' | LC_ALL=C sort)
	else
		for f in "$@"; do echo "$f"; done
	fi | while IFS= read -r f; do
		case $f in *[!A-Za-z0-9._/~+@=,:-]*|/*|*..*)
			echo "skipping '$f': unusual characters" >&2; continue ;;
		esac
		sum=$(sha256sum <"$dir/$f" | cut -d' ' -f1)
		size=$(stat -c %s "$dir/$f")
		echo "file $sum $size $f"
	done
} >"$tmp"
openssl pkeyutl -sign -inkey "$key" -rawin -in "$tmp" -out "$out.sig"
mv "$tmp" "$out"
trap - EXIT
echo "$out: $(grep -c '^file ' "$out") files, serial $serial; signature in $out.sig" >&2

#!/bin/sh
# mkman.sh: build docs/man/*.[57] from their .in templates and the key tables.
#
#   mkman.sh PXEHUBD PLUGIN_KEYS PLUGIN_SO_DIR VERSION OUTDIR
#
# In a template: "@CORE_KEYS@" (a line) becomes every key of pxehub.conf
# (pxehubd --dump-config); "@PLUGIN_KEYS NAME@" the keys of plugin NAME
# (or a note that this build has no such plugin); "@OTHER_PLUGIN_KEYS@"
# every built plugin no template line names; "@COMMON_PLUGIN_KEYS@" the keys
# every plugin section has; "@VERSION@" the version.  Defaults that are
# paths of the build (PXH_BUILD_STATEDIR, _SYSCONFDIR, _PLUGINDIR in the
# environment) are shown as the packages' paths; PXH_PLUGINS (the names the
# build has sources for) keeps stale .so files out.
# `make man` writes docs/man; tests/integration/test_packaging.sh checks the
# committed pages are what the key tables say.
set -eu
pxehubd=$1 keys=$2 sodir=$3 version=$4 out=$5
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
awk_keys="$here/keys2man.awk"

fhs() {
	sed -e "s|${PXH_BUILD_STATEDIR:-/var/lib/pxehub}|/var/lib/pxehub|g" \
	    -e "s|${PXH_BUILD_PLUGINDIR:-/usr/lib/pxehub/plugins}|/usr/lib/pxehub/plugins|g" \
	    -e "s|${PXH_BUILD_SYSCONFDIR:-/etc}/pxehub|/etc/pxehub|g"
}

# plugin_keys on one .so; a plugin that does not load is reported, not fatal
one_plugin() { # SO
	if ! "$keys" "$1" >"$out/.keys.tmp"; then
		echo "mkman: $1 does not load: its keys are left out" >&2
		echo "The keys of this plugin could not be read from this build."
		return 0
	fi
	fhs <"$out/.keys.tmp" | awk -v plugin=1 -f "$awk_keys"
}

built() { # NAME
	[ -f "$sodir/$1.so" ] || return 1
	[ -z "${PXH_PLUGINS+x}" ] && return 0
	case " $PXH_PLUGINS " in *" $1 "*) return 0 ;; esac
	return 1
}

plugin_block() { # NAME
	if built "$1"; then
		one_plugin "$sodir/$1.so"
	else
		printf 'This build has no %s plugin: its keys are listed by the release that ships it.\n' "$1"
	fi
}

render() { # TEMPLATE
	named=$(sed -n 's/^@PLUGIN_KEYS \([A-Za-z0-9_]*\)@$/\1/p' "$1")
	while IFS= read -r l; do
		case $l in
		@CORE_KEYS@) "$pxehubd" --dump-config | fhs | awk -f "$awk_keys" ;;
		@COMMON_PLUGIN_KEYS@) "$keys" --common | awk -v plugin=1 -f "$awk_keys" ;;
		"@PLUGIN_KEYS "*@) pn=${l#@PLUGIN_KEYS }; plugin_block "${pn%@}" ;;
		@OTHER_PLUGIN_KEYS@)
			found=0
			for so in "$sodir"/*.so; do
				[ -f "$so" ] || continue
				pn=$(basename "$so" .so)
				# a stale .so whose source is gone is not part of the build
				if [ -n "${PXH_PLUGINS+x}" ]; then
					case " $PXH_PLUGINS " in *" $pn "*) ;; *) continue ;; esac
				fi
				case " $(echo $named) " in *" $pn "*) continue ;; esac
				printf '.SS %s\n' "$pn"
				one_plugin "$so"
				found=1
			done
			[ $found = 1 ] || echo "None in this build."
			;;
		*) printf '%s\n' "$l" | sed "s/@VERSION@/$version/g" ;;
		esac
	done <"$1"
}

mkdir -p "$out"
for t in "$top"/docs/man/*.in; do
	page=$(basename "$t" .in)
	render "$t" >"$out/$page.tmp"
	mv "$out/$page.tmp" "$out/$page"
done
rm -f "$out/.keys.tmp"

# Helpers for the TFTP tests and benchmark (sourced after tests/lib.sh).
#
#   tftp_tools                      build build/tools/{delayline,tftpfast}
#   tftp_conf FILE [KEY=VAL...]     test config: DHCP and HTTP off, [tftp] keys
#   tftp_pair_veth                  namespaces $SRV (10.98.0.1) and $CLI
#                                   (10.98.0.2) joined by a veth pair
#   tftp_pair_delay ARGS...         the same joined by the delay line
#                                   (ARGS go to delayline); sets $DL_PID
#   tftp_datagrams NS DEV           UDP segmentation off on DEV, so that
#                                   captures and nftables rules there see
#                                   each datagram, not a window's GSO buffer
TOOLS=$PXH_TOP/$B/tools

tftp_tools() {
	make -s -C "$PXH_TOP/tests/tools" B="$PXH_TOP/$B" >/dev/null || return 1
	[ -x "$TOOLS/delayline" ] && [ -x "$TOOLS/tftpfast" ]
}

tftp_conf() {
	_f=$1; shift
	pxh_conf "$_f"
	# pxh_conf writes [tftp] root and [http] root; add our keys under them
	_extra=""
	for kv in "$@"; do _extra="$_extra${kv%%=*} = ${kv#*=}\n"; done
	awk -v extra="$_extra" '
		/^\[tftp\]$/ { print; printf "%s", extra; next }
		/^\[http\]$/ { print; print "port = 0"; print "https_port = 0"; next }
		{ print }' "$_f" >"$_f.new" && mv "$_f.new" "$_f"
	printf '[dhcp]\nenabled = no\n' >>"$_f"
}

tftp_pair_veth() {
	SRV=$(pxh_netns s) && CLI=$(pxh_netns c) || return 1
	pxh_veth "$SRV" vs0 10.98.0.1/24 "$CLI" vc0 10.98.0.2/24
}

tftp_pair_delay() {
	SRV=$(pxh_netns s) && CLI=$(pxh_netns c) || return 1
	_a=dla$$ _b=dlb$$
	"$TOOLS/delayline" -a $_a -b $_b "$@" >"$T/delayline.out" 2>"$T/delayline.err" &
	DL_PID=$!
	pxh_track $DL_PID
	wait_for grep -q ready "$T/delayline.out" || return 1
	ip link set $_a netns "$SRV" && ip link set $_b netns "$CLI" || return 1
	ip -n "$SRV" addr add 10.98.0.1/24 dev $_a
	ip -n "$CLI" addr add 10.98.0.2/24 dev $_b
	ip -n "$SRV" link set $_a up
	ip -n "$CLI" link set $_b up
}

tftp_datagrams() {
	ip netns exec "$1" ethtool -K "$2" tx-udp-segmentation off >/dev/null 2>&1 && return 0
	not_ok setup "ethtool -K $2 tx-udp-segmentation off in $1"
	return 1
}

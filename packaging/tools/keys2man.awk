# keys2man.awk: turn `pxehubd --dump-config` (or plugin_keys) output into
# roff for pxehub.conf(5) and pxehub-plugins(7).
#
#   [section]                     -> .SS [section]
#   # name (type info): help      -> .TP / \fBname\fR (type info) / help
#   #   more help (wrapped)        -> help text
#   #name = default               -> Default: value
#   # plugin NAME VERSION         -> (skipped; plugin_keys' header)
# With -v plugin=1 a section is a paragraph, not a subsection.
function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	return s
}
function line(s) { # a text line must not start with a control character
	if (s ~ /^[.']/)
		s = "\\&" s
	return s
}
/^# plugin / { next }
/^\[.*\]$/ {
	# pxehub.conf(5): one subsection per section; pxehub-plugins(7) (-v
	# plugin=1): the plugin already has its subsection
	if (plugin)
		printf ".PP\nSection \\fB%s\\fR:\n", esc($0)
	else
		printf ".SS %s\n", esc($0)
	next
}
/^# [A-Za-z0-9_]+ \(/ {
	s = substr($0, 3)
	name = s; sub(/ .*/, "", name)
	rest = substr(s, length(name) + 3)  # after "name ("
	# the type info ends at the first "):" (help on this line or wrapped
	# onto "#   ..." lines below)
	i = index(rest, "):")
	if (i == 0) { info = rest; help = "" }
	else { info = substr(rest, 1, i - 1); help = substr(rest, i + 2) }
	sub(/^ +/, "", help)
	if (length(info) > 40) {
		# a long list of choices: in the body, where it can wrap
		gsub(/\|/, " | ", info)
		printf ".TP\n\\fB%s\\fR\n(%s)\n", esc(name), esc(info)
	} else
		printf ".TP\n\\fB%s\\fR (%s)\n", esc(name), esc(info)
	if (help != "")
		printf "%s\n", line(esc(help))
	next
}
/^#   / {
	h = $0; sub(/^#   */, "", h)
	printf "%s\n", line(esc(h))
	next
}
/^#[A-Za-z0-9_]+ = / {
	v = $0; sub(/^#[A-Za-z0-9_]+ = /, "", v)
	if (v == "")
		printf ".br\nDefault: empty.\n"
	else {
		v = line(esc(v))
		gsub(/:/, ":\\:", v) # long priority strings may break after a colon
		if (length(v) > 40) # ragged right: no gaps stretched around it
			printf ".br\n.ad l\nDefault: \\fB%s\\fR.\n.ad b\n", v
		else
			printf ".br\nDefault: \\fB%s\\fR.\n", v
	}
	next
}

#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Device-tree checks for the TC358743 overlays in dts-overlays/, as TAP.
#
# Each overlay is compiled with "dtc -@" and merged with fdtoverlay into a
# base tree that reproduces the camera path of the board it is for
# (tests/dt/*-base.dts, written from the Raspberry Pi kernel's own trees;
# see the comments there).  Then, in the merged tree: every node on the
# bridge's I2C path (the tc358743 node, its bus, the mux and the mux's
# parent controller where there is one) and the CSI-2 receiver must be
# status "okay", the bridge sits at reg 0x0f on the expected bus, the two
# endpoints point at each other and agree on the data lanes, the reference
# clock exists and is enabled, and the parameter-dependent properties
# (link frequency, media-controller mode) are what the parameters say.
# With the "audio" parameter: a linux,spdif-dir codec node, the base tree's
# "sound" node made a simple-audio-card named tc358743 (format i2s, the
# codec's dai link master of bit and frame clock, cpu dai the enabled I2S
# block labelled i2s_clk_consumer with 2 slots of 32 bits); without it,
# none of that: no codec, the sound node and the I2S block as in the base.
#
# fdtoverlay knows nothing of the Raspberry Pi firmware's overlay
# parameters (__overrides__).  For the variants the parameters produce
# (cam0, media-controller=off, link-frequency=...), this script reads the
# parameter's declaration from the compiled overlay and carries it out on a
# copy of the .dtbo with fdtput, the way the firmware does before merging:
# "target:0=<&label>" moves the fragment's target fixup to that label,
# "prop?" adds or removes a boolean property, "prop#0" writes a 64-bit
# value, "=N"/"!N" turn fragment N on or off (its __dormant__ node becomes
# __overlay__ or the reverse).  Any other kind of declaration fails the
# check instead of being guessed at.  The firmware resolves an overlay's
# phandle references before it carries out parameters; fdtoverlay resolves
# them while merging, after the switch, so a switched fragment's entries in
# the fixup tables and __symbols__ are moved to its new name with it.
#
# HDMIRTC_DT_OVERLAY_DIR=<dir> checks the overlays of another directory
# (e.g. an older revision's) against the same base trees.
#
# Exit status 0 only when every check passed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
overlay_dir=${HDMIRTC_DT_OVERLAY_DIR:-$top/dts-overlays}
work=$(mktemp -d "${TMPDIR:-/tmp}/hdmirtc-dt.XXXXXX")
trap 'rm -rf "$work"' EXIT

n=0
failed=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { sed '/^[[:space:]]*$/d; s/^/#   /'; }
# verdict COND-RESULT DESCRIPTION [DETAIL]: detail is shown on failure
verdict() {
	if [ "$1" = 0 ]; then pass "$2"; else fail "$2${3:+ ($3)}"; fi
}

# --- tools ----------------------------------------------------------------
have_tools() {
	local t
	for t in dtc fdtoverlay fdtget fdtput; do
		command -v "$t" >/dev/null 2>&1 || return 1
	done
}
if ! have_tools && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "# installing device-tree-compiler" >&2
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq device-tree-compiler; } >&2
fi
if ! have_tools; then
	echo "Bail out! dtc, fdtoverlay, fdtget, fdtput not found (apt-get install device-tree-compiler)"
	exit 1
fi
echo "# $(dtc --version 2>&1 | head -1); overlays from $overlay_dir"

# --- base trees -----------------------------------------------------------
# The real trees' own layout trips three of dtc's style warnings (a bus node
# with ranges but no unit address: /soc, /axi, rp1; children of a simple-bus
# without reg: /soc/i2c0mux, /soc/firmware; RP1 units named by offset, not
# by the full address; #address-cells on /soc/firmware without reg'd
# children).  The kernel build turns exactly these off by default
# (scripts/Makefile.lib: -Wno-unit_address_vs_reg -Wno-simple_bus_reg
# -Wno-avoid_unnecessary_addr_size ...), so the base trees are compiled the
# same way; any other warning fails.
base_wno="-Wno-unit_address_vs_reg -Wno-simple_bus_reg -Wno-avoid_unnecessary_addr_size"

declare -A base_ok
for b in pi4 cm4 pi5; do
	# shellcheck disable=SC2086
	dtc -@ $base_wno -I dts -O dtb -o "$work/$b.dtb" "$here/$b-base.dts" \
		>"$work/$b.dtc.log" 2>&1
	rc=$?
	if [ $rc = 0 ] && ! [ -s "$work/$b.dtc.log" ]; then
		base_ok[$b]=1
		pass "base tree $b-base.dts compiles with dtc -@, no warning beyond the kernel's default -Wno set"
	else
		fail "base tree $b-base.dts compiles with dtc -@ (rc=$rc)"
		diag <"$work/$b.dtc.log"
	fi
done

# label -> path in a tree's __symbols__
sym() { fdtget "$1" /__symbols__ "$2" 2>/dev/null; }
status_of() { fdtget "$1" "$2" status 2>/dev/null || echo "(none)"; }

# The base trees must keep the real trees' status values, or the checks
# below prove nothing.
base_facts() {	# base "label=status ..." 
	local b=$1 f=$work/$1.dtb bad="" kv label want got path
	shift
	for kv in "$@"; do
		label=${kv%%=*}; want=${kv#*=}
		path=$(sym "$f" "$label") || { bad+=" $label:no-such-label"; continue; }
		got=$(status_of "$f" "$path")
		[ "$got" = "$want" ] || bad+=" $label:$got"
	done
	verdict "$([ -z "$bad" ]; echo $?)" \
		"$b-base keeps the real tree's status: $*" "differs:$bad"
}
[ -n "${base_ok[pi4]:-}" ] && base_facts pi4 i2c0if=disabled i2c0mux=disabled \
	"i2c_csi_dsi=(none)" csi1=disabled csi0=disabled cam1_clk=disabled \
	i2s=disabled sound=disabled
[ -n "${base_ok[cm4]:-}" ] && base_facts cm4 i2c0if=disabled i2c0mux=disabled \
	"i2c_csi_dsi=(none)" csi1=disabled csi0=disabled cam1_clk=disabled \
	i2s=disabled sound=disabled
[ -n "${base_ok[pi5]:-}" ] && base_facts pi5 i2c_csi_dsi=disabled \
	i2c_csi_dsi1=disabled i2c_csi_dsi0=disabled csi1=disabled csi0=disabled \
	"i2c0if=(none)" "i2c0mux=(none)" i2s_clk_producer=disabled \
	i2s_clk_consumer=disabled sound=disabled
if [ -n "${base_ok[pi5]:-}" ]; then
	a=$(sym "$work/pi5.dtb" i2c_csi_dsi); c=$(sym "$work/pi5.dtb" i2c_csi_dsi1)
	verdict "$([ -n "$a" ] && [ "$a" = "$c" ]; echo $?)" \
		"pi5-base: i2c_csi_dsi is i2c_csi_dsi1 ($a), as in bcm2712-rpi-5-b.dts" "$a vs $c"
	# RP1: one I2S block drives the clocks, another follows them
	a=$(sym "$work/pi5.dtb" i2s); p=$(sym "$work/pi5.dtb" i2s_clk_producer)
	c=$(sym "$work/pi5.dtb" i2s_clk_consumer)
	verdict "$([ -n "$a" ] && [ "$a" = "$p" ] && [ -n "$c" ] && [ "$c" != "$p" ] &&
		[ "$c" = "$(sym "$work/pi5.dtb" rp1_i2s1)" ]; echo $?)" \
		"pi5-base: i2s = i2s_clk_producer ($p), i2s_clk_consumer = rp1_i2s1 ($c), as in bcm2712-rpi.dtsi" \
		"i2s $a, producer $p, consumer $c"
fi
# BCM2711: its one I2S block carries all three labels
for b in pi4 cm4; do
	[ -n "${base_ok[$b]:-}" ] || continue
	a=$(sym "$work/$b.dtb" i2s); p=$(sym "$work/$b.dtb" i2s_clk_producer)
	c=$(sym "$work/$b.dtb" i2s_clk_consumer)
	verdict "$([ -n "$a" ] && [ "$a" = "$p" ] && [ "$a" = "$c" ]; echo $?)" \
		"$b-base: i2s, i2s_clk_producer and i2s_clk_consumer are one node ($a), as in bcm270x-rpi.dtsi" \
		"i2s $a, producer $p, consumer $c"
done

# --- overlays: compile ------------------------------------------------------
overlays="hdmirtc-tc358743-pi4-2lane hdmirtc-tc358743-pi4-4lane
	hdmirtc-tc358743-pi5-2lane hdmirtc-tc358743-pi5-4lane"
declare -A dtbo
for o in $overlays; do
	src=$overlay_dir/$o-overlay.dts
	out=$work/$o.dtbo
	if ! [ -f "$src" ]; then
		fail "$o: $src exists"
		continue
	fi
	dtc -@ -I dts -O dtb -o "$out" "$src" >"$work/$o.dtc.log" 2>&1
	rc=$?
	# dtc 1.6 excuses a "fragment@N" without reg only when it holds an
	# __overlay__; one that holds just __dormant__ (a fragment a parameter
	# switches on) gets unit_address_vs_reg.  The firmware addresses
	# fragments by that number, so the name has to stay: that warning is
	# accepted for dormant-only fragments, every other warning fails.
	unexplained=""
	explained=0
	while IFS= read -r line; do
		case $line in
		*"Warning (unit_address_vs_reg): /fragment@"*": node has a unit name, but no reg or ranges property")
			frag=${line#*Warning (unit_address_vs_reg): }
			frag=${frag%%:*}
			if [ $rc = 0 ] && fdtget -l "$out" "$frag" 2>/dev/null | grep -qx __dormant__ &&
			   ! fdtget -l "$out" "$frag" 2>/dev/null | grep -qx __overlay__; then
				explained=$((explained + 1))
			else
				unexplained+="$line"$'\n'
			fi ;;
		*"Warning ("*|*"ERROR"*|*"Error"*) unexplained+="$line"$'\n' ;;
		esac
	done <"$work/$o.dtc.log"
	if [ $rc = 0 ] && [ -z "$unexplained" ]; then
		dtbo[$o]=$out
		if [ $explained -gt 0 ]; then
			pass "$o: compiles with dtc -@, no warning but $explained on dormant fragment(s) (explained above)"
		else
			pass "$o: compiles with dtc -@ without warnings"
		fi
	else
		fail "$o: compiles with dtc -@ without warnings (rc=$rc)"
		diag <"$work/$o.dtc.log"
	fi
done

# libfdt's overlay code (fdtoverlay, U-Boot) cannot merge a fragment whose
# __overlay__ node carries a label (it has a phandle of its own to copy over
# the target's): it stops with FDT_ERR_NOTFOUND.
for o in $overlays; do
	[ -n "${dtbo[$o]:-}" ] || continue
	bad=""
	for frag in $(fdtget -l "${dtbo[$o]}" /); do
		case $frag in fragment@*) ;; *) continue ;; esac
		for sub in __overlay__ __dormant__; do
			fdtget "${dtbo[$o]}" "/$frag/$sub" phandle >/dev/null 2>&1 && bad+=" /$frag/$sub"
		done
	done
	verdict "$([ -z "$bad" ]; echo $?)" \
		"$o: no __overlay__ node carries a label (libfdt cannot merge one)" "labelled:$bad"
done

# --- parameters -------------------------------------------------------------
# Decode /__overrides__/<param> of a .dtbo into lines
#   <phandle>|<string>|<offset of the cell after the string, or empty>
decode_override() {
	local f=$1 name=$2 i=0 len ph s b
	local -a by
	read -r -a by < <(fdtget -t bx "$f" /__overrides__ "$name" 2>/dev/null) || return 1
	len=${#by[@]}
	[ "$len" -gt 0 ] || return 1
	while [ $i -lt "$len" ]; do
		[ $((i + 4)) -le "$len" ] || return 1
		ph=$(( (0x${by[i]} << 24) | (0x${by[i+1]} << 16) | (0x${by[i+2]} << 8) | 0x${by[i+3]} ))
		i=$((i + 4))
		s=""
		while [ $i -lt "$len" ] && [ "${by[i]}" != 0 ]; do
			b=${by[i]}
			s+=$(printf "\\x$b")
			i=$((i + 1))
		done
		i=$((i + 1))
		case $s in
		*:[0-9]*=) echo "$ph|$s|$i"; i=$((i + 4)) ;;
		*) echo "$ph|$s|" ;;
		esac
	done
}

# Index a whole tree, from dtc's decompiled output: "N <path>" for each
# node, "P <phandle> <path>", "C <path> <compatible strings>".
index_tree() {	# file
	dtc -q -I dtb -O dts "$1" 2>/dev/null | awk '
	function hex(h,   i, v, c) {
		v = 0; h = tolower(substr(h, 3))
		for (i = 1; i <= length(h); i++) {
			c = index("0123456789abcdef", substr(h, i, 1)) - 1
			v = v * 16 + c
		}
		return v
	}
	/^[ \t]*[^ \t=]+ \{$/ {
		if ($1 == "/") { d = 0; path[0] = "/" }
		else { d++; path[d] = (path[d-1] == "/" ? "" : path[d-1]) "/" $1 }
		print "N " path[d]; next
	}
	/^[ \t]*\};$/ { d--; next }
	/^[ \t]*phandle = <0x[0-9a-f]+>;$/ {
		match($0, /0x[0-9a-f]+/); print "P " hex(substr($0, RSTART, RLENGTH)) " " path[d]; next
	}
	/^[ \t]*compatible = "/ {
		c = $0; sub(/^[ \t]*compatible = /, "", c); sub(/;$/, "", c)
		gsub(/"/, "", c); gsub(/\\0/, " ", c); print "C " path[d] " " c
	}'
}
path_of_phandle() { awk -v ph="$2" '$1 == "P" && $2 == ph { print $3; exit }' "$1"; }

# copy node $2 to new node $3 (properties and subnodes), in file $1
copy_node() {
	local f=$1 from=$2 to=$3 p c
	local -a v
	fdtput -c "$f" "$to" || return 1
	for p in $(fdtget -p "$f" "$from"); do
		read -r -a v < <(fdtget -t bx "$f" "$from" "$p")
		fdtput -t bx "$f" "$to" "$p" "${v[@]}" || return 1
	done
	for c in $(fdtget -l "$f" "$from"); do
		copy_node "$f" "$from/$c" "$to/$c" || return 1
	done
}
# fragment N of $1 on (dormant -> overlay) or off (overlay -> dormant).
# What refers to a path under the renamed node moves with it: entries
# "<path>:<property>:<offset>" in /__fixups__, the subtree of
# /__local_fixups__ that mirrors the node, labels in /__symbols__.
set_fragment() {
	local f=$1 frag=/fragment@$2 on=$3 from=__dormant__ to=__overlay__ p v old new
	[ "$on" = 1 ] || { from=__overlay__; to=__dormant__; }
	fdtget -l "$f" "$frag" 2>/dev/null | grep -qx "$to" && return 0
	fdtget -l "$f" "$frag" 2>/dev/null | grep -qx "$from" || return 1
	copy_node "$f" "$frag/$from" "$frag/$to" && fdtput -r "$f" "$frag/$from" || return 1
	if fdtget -l "$f" "/__local_fixups__$frag" 2>/dev/null | grep -qx "$from"; then
		copy_node "$f" "/__local_fixups__$frag/$from" "/__local_fixups__$frag/$to" &&
			fdtput -r "$f" "/__local_fixups__$frag/$from" || return 1
	fi
	for p in $(fdtget -p "$f" /__fixups__ 2>/dev/null); do
		old=$(fdtget "$f" /__fixups__ "$p" | tr ' ' '\n')
		new=$(echo "$old" | sed "s|^$frag/$from\([/:]\)|$frag/$to\1|")
		# shellcheck disable=SC2086
		[ "$new" = "$old" ] || fdtput -t s "$f" /__fixups__ "$p" $new || return 1
	done
	for p in $(fdtget -p "$f" /__symbols__ 2>/dev/null); do
		v=$(fdtget "$f" /__symbols__ "$p")
		case $v in
		"$frag/$from"|"$frag/$from"/*)
			fdtput -t s "$f" /__symbols__ "$p" "$frag/$to${v#"$frag/$from"}" || return 1 ;;
		esac
	done
}
# rewrite a /__fixups__ entry list with one entry removed / added
fixup_remove() {	# file entry -> prints the label it was under
	local f=$1 e=$2 p rest
	for p in $(fdtget -p "$f" /__fixups__); do
		if fdtget "$f" /__fixups__ "$p" | tr ' ' '\n' | grep -qx "$e"; then
			rest=$(fdtget "$f" /__fixups__ "$p" | tr ' ' '\n' | grep -vx "$e")
			if [ -n "$rest" ]; then
				# shellcheck disable=SC2086
				fdtput -t s "$f" /__fixups__ "$p" $rest
			else
				fdtput -d "$f" /__fixups__ "$p"
			fi
			echo "$p"
			return 0
		fi
	done
	return 1
}
fixup_add() {	# file label entry
	local f=$1 l=$2 e=$3 old
	old=$(fdtget "$f" /__fixups__ "$l" 2>/dev/null)
	# shellcheck disable=SC2086
	fdtput -t s "$f" /__fixups__ "$l" $old "$e"
}
is_true() { case $1 in y|yes|on|true|1) return 0 ;; *) return 1 ;; esac; }

# apply_param DTBO NAME VALUE: carry out the parameter as the firmware would
apply_param() {
	local f=$1 name=$2 val=$3 idx=$work/apply.idx decl ph s cell node prop label
	local ops op num truth
	index_tree "$f" >"$idx"
	decode_override "$f" "$name" >"$work/decl" || { echo "no parameter '$name' in /__overrides__"; return 1; }
	while IFS='|' read -r ph s cell; do
		if [ "$ph" = 0 ]; then
			ops=$s
			while [ -n "$ops" ]; do
				op=${ops:0:1}; ops=${ops:1}
				num=${ops%%[!0-9]*}; ops=${ops#"$num"}
				[ -n "$num" ] || { echo "bad fragment list '$s'"; return 1; }
				case $op in
				=) is_true "$val" && truth=1 || truth=0 ;;
				!) is_true "$val" && truth=0 || truth=1 ;;
				+) is_true "$val" || { echo "'+$num' with a false value"; return 1; }; truth=1 ;;
				-) is_true "$val" || { echo "'-$num' with a false value"; return 1; }; truth=0 ;;
				*) echo "unknown fragment operation '$op'"; return 1 ;;
				esac
				set_fragment "$f" "$num" $truth || { echo "cannot switch fragment@$num"; return 1; }
			done
			continue
		fi
		node=$(path_of_phandle "$idx" "$ph")
		[ -n "$node" ] || { echo "no node with phandle $ph"; return 1; }
		case $s in
		target:0=)
			# the cell after the string is a fixup to the new target
			label=$(fixup_remove "$f" "/__overrides__:$name:$cell") ||
				{ echo "'$s' is not followed by a label reference"; return 1; }
			fixup_add "$f" "$label" "/__overrides__:$name:$cell"
			fixup_remove "$f" "$node:target:0" >/dev/null ||
				{ echo "$node has no target fixup"; return 1; }
			fixup_add "$f" "$label" "$node:target:0" ;;
		*\?)
			prop=${s%\?}
			if is_true "$val"; then fdtput "$f" "$node" "$prop"
			else fdtput -d "$f" "$node" "$prop" 2>/dev/null || true; fi ;;
		*#0)
			prop=${s%#0}
			[ "$(fdtget -t bx "$f" "$node" "$prop" | wc -w)" = 8 ] ||
				{ echo "$node/$prop is not one 64-bit cell"; return 1; }
			fdtput -t x "$f" "$node" "$prop" \
				"$(printf %x $((val >> 32)))" "$(printf %x $((val & 0xffffffff)))" ;;
		*) echo "unsupported declaration '$s'"; return 1 ;;
		esac
	done <"$work/decl"
}

# --- merged trees -----------------------------------------------------------
# case: name overlay base lanes param=value ...
run_case() {
	local cname=$1 o=$2 b=$3 lanes=$4
	shift 4
	local params="$*" f=$work/$cname.dtbo m=$work/$cname.merged.dtb idx=$work/$cname.idx
	local bus_label=i2c_csi_dsi rx_label=csi1 linkfreq=486000000 mc=on audio=off kv k v msg

	if [ -z "${dtbo[$o]:-}" ] || [ -z "${base_ok[$b]:-}" ]; then
		fail "$cname: applies to $b-base (overlay or base tree did not compile)"
		return
	fi
	cp "${dtbo[$o]}" "$f"
	for kv in $params; do
		k=${kv%%=*}; v=${kv#*=}; [ "$k" = "$kv" ] && v=on
		case $k in
		cam0) is_true "$v" && { bus_label=i2c_csi_dsi0; rx_label=csi0; } ;;
		link-frequency) linkfreq=$v ;;
		media-controller) is_true "$v" || mc=off ;;
		audio) is_true "$v" && audio=on ;;
		esac
		if msg=$(apply_param "$f" "$k" "$v" 2>&1); then
			pass "$cname: parameter $kv carried out from the overlay's __overrides__"
		else
			fail "$cname: parameter $kv carried out from the overlay's __overrides__ ($msg)"
			return
		fi
	done

	# labels the overlay needs from the base, then the merge itself
	local missing="" labels l
	labels=$(fdtget -p "$f" /__fixups__ 2>/dev/null | sort -u | tr '\n' ' ')
	for l in $labels; do sym "$work/$b.dtb" "$l" >/dev/null || missing+=" $l"; done
	fdtoverlay -i "$work/$b.dtb" -o "$m" "$f" >"$work/$cname.fo.log" 2>&1
	local rc=$?
	if [ $rc = 0 ] && [ -z "$missing" ] && ! [ -s "$work/$cname.fo.log" ]; then
		pass "$cname: fdtoverlay merges it into $b-base; labels used all resolve: ${labels% }"
	else
		fail "$cname: fdtoverlay merges it into $b-base; labels used all resolve: ${labels% } (exit $rc${missing:+, missing:$missing})"
		diag <"$work/$cname.fo.log"
		# A label on an __overlay__ node (used only by __overrides__)
		# is what libfdt trips on; without its phandle the rest can
		# still be checked.
		local frag sub stripped=""
		for frag in $(fdtget -l "$f" /); do
			for sub in __overlay__ __dormant__; do
				if fdtget "$f" "/$frag/$sub" phandle >/dev/null 2>&1; then
					fdtput -d "$f" "/$frag/$sub" phandle && stripped+=" /$frag/$sub"
				fi
			done
		done
		[ -n "$stripped" ] && [ -z "$missing" ] &&
			fdtoverlay -i "$work/$b.dtb" -o "$m" "$f" >/dev/null 2>&1 || return
		echo "# merged again without the phandle of$stripped, to run the other checks"
	fi
	index_tree "$m" >"$idx"

	# the bridge
	local bridges bridge bus want_bus
	bridges=$(awk '$1 == "C" { for (i = 3; i <= NF; i++) if ($i == "toshiba,tc358743") print $2 }' "$idx")
	bridge=$(echo "$bridges" | head -1)
	bus=${bridge%/*}
	want_bus=$(sym "$m" "$bus_label")
	verdict "$([ -n "$bridge" ] && [ "$(echo "$bridges" | wc -l)" = 1 ] && [ "$bus" = "$want_bus" ]; echo $?)" \
		"$cname: one toshiba,tc358743 node, on $bus_label ($want_bus)" "found: $(echo $bridges)"
	[ -n "$bridge" ] || return
	verdict "$([ "$(fdtget -t x "$m" "$bridge" reg 2>/dev/null)" = f ]; echo $?)" \
		"$cname: bridge reg is 0x0f" "reg $(fdtget -t x "$m" "$bridge" reg 2>&1)"

	# every node on the I2C path: bridge, bus, up to the root; a mux's
	# i2c-parent (the controller behind it) and that node's parents too
	local path_nodes="" p q parent_ph ctl st role
	p=$bridge
	while [ -n "$p" ]; do
		path_nodes+="$p "
		if parent_ph=$(fdtget -t u "$m" "$p" i2c-parent 2>/dev/null); then
			ctl=$(path_of_phandle "$idx" "$parent_ph")
			q=$ctl
			while [ -n "$q" ]; do path_nodes+="$q "; q=${q%/*}; done
		fi
		p=${p%/*}
	done
	for p in $path_nodes; do
		st=$(status_of "$m" "$p")
		role=""
		case $p in
		"$bridge") role="bridge" ;;
		"$bus") role="bus $bus_label" ;;
		esac
		[ -z "$role" ] && fdtget -t u "$m" "$p" i2c-parent >/dev/null 2>&1 && role="mux"
		[ -z "$role" ] && [ "$p" = "${ctl:-}" ] && role="controller behind the mux"
		if [ -n "$role" ]; then
			verdict "$([ "$st" = okay ]; echo $?)" "$cname: I2C path: $p ($role) status okay" "status $st"
		elif [ "$st" != "(none)" ]; then
			verdict "$([ "$st" = okay ]; echo $?)" "$cname: I2C path: parent $p status okay" "status $st"
		fi
	done

	# the receiver, through the endpoints
	local bep rep bep_ph rep_ph rx want_rx
	bep=$bridge/port/endpoint
	rep=$(path_of_phandle "$idx" "$(fdtget -t u "$m" "$bep" remote-endpoint 2>/dev/null)")
	rx=${rep%/port/endpoint}
	want_rx=$(sym "$m" "$rx_label")
	verdict "$([ -n "$rep" ] && [ "$rx" = "$want_rx" ]; echo $?)" \
		"$cname: bridge endpoint leads to receiver $rx_label ($want_rx)" "leads to '${rep:-nothing}'"
	[ -n "$rep" ] || return
	bep_ph=$(fdtget -t u "$m" "$bep" phandle 2>/dev/null)
	rep_ph=$(fdtget -t u "$m" "$rep" phandle 2>/dev/null)
	verdict "$([ -n "$bep_ph" ] && [ -n "$rep_ph" ] &&
		[ "$(fdtget -t u "$m" "$bep" remote-endpoint)" = "$rep_ph" ] &&
		[ "$(fdtget -t u "$m" "$rep" remote-endpoint 2>/dev/null)" = "$bep_ph" ]; echo $?)" \
		"$cname: endpoints point at each other ($bep <-> $rep)"
	q=$rx
	while [ -n "$q" ]; do
		st=$(status_of "$m" "$q")
		if [ "$q" = "$rx" ]; then
			verdict "$([ "$st" = okay ]; echo $?)" "$cname: receiver $rx status okay" "status $st"
		elif [ "$st" != "(none)" ]; then
			verdict "$([ "$st" = okay ]; echo $?)" "$cname: receiver's parent $q status okay" "status $st"
		fi
		q=${q%/*}
	done
	local want_lanes bl rl
	want_lanes=$(seq -s ' ' 1 "$lanes")
	bl=$(fdtget -t u "$m" "$bep" data-lanes 2>/dev/null)
	rl=$(fdtget -t u "$m" "$rep" data-lanes 2>/dev/null)
	verdict "$([ "$bl" = "$want_lanes" ] && [ "$rl" = "$want_lanes" ]; echo $?)" \
		"$cname: data-lanes <$want_lanes> on both endpoints" "bridge <$bl>, receiver <$rl>"
	local maxl
	if maxl=$(fdtget -t u "$m" "$rx" brcm,num-data-lanes 2>/dev/null); then
		verdict "$([ "$maxl" -ge "$lanes" ]; echo $?)" \
			"$cname: receiver wired for $maxl lanes, enough for $lanes"
	fi

	# link frequency, reference clock
	local lf hi lo
	read -r hi lo < <(fdtget -t u "$m" "$bep" link-frequencies 2>/dev/null)
	lf=$(( (${hi:-0} << 32) + ${lo:-0} ))
	verdict "$([ "$lf" = "$linkfreq" ]; echo $?)" "$cname: link-frequencies <$linkfreq>" "is $lf"
	local clk clk_ph
	clk_ph=$(fdtget -t u "$m" "$bridge" clocks 2>/dev/null)
	clk=$(path_of_phandle "$idx" "${clk_ph:-x}")
	verdict "$([ -n "$clk" ] && [ "$(fdtget "$m" "$bridge" clock-names 2>/dev/null)" = refclk ] &&
		[ "$(fdtget "$m" "$clk" compatible 2>/dev/null)" = fixed-clock ] &&
		[ "$(fdtget -t u "$m" "$clk" clock-frequency 2>/dev/null)" = 27000000 ] &&
		case $(status_of "$m" "$clk") in okay|"(none)") true ;; *) false ;; esac; echo $?)" \
		"$cname: refclk is an enabled 27 MHz fixed clock (${clk:-none})"

	# receiver mode
	case $(fdtget "$m" "$rx" compatible 2>/dev/null) in
	*bcm2835-unicam*)
		local comp prop
		comp=$(fdtget "$m" "$rx" compatible 2>/dev/null)
		fdtget "$m" "$rx" brcm,media-controller >/dev/null 2>&1 && prop=yes || prop=no
		if [ "$mc" = on ]; then
			verdict "$([ "$prop" = yes ] && [ "${comp%% *}" = brcm,bcm2835-unicam ]; echo $?)" \
				"$cname: unicam in media-controller mode (brcm,media-controller set, compatible brcm,bcm2835-unicam)" \
				"property $prop, compatible '$comp'"
		else
			verdict "$([ "$prop" = no ] && [ "$comp" = "brcm,bcm2835-unicam-legacy brcm,bcm2835-unicam" ]; echo $?)" \
				"$cname: unicam in video-node mode (no brcm,media-controller, compatible brcm,bcm2835-unicam-legacy first)" \
				"property $prop, compatible '$comp'"
		fi ;;
	*)
		verdict "$([ "$(fdtget "$m" "$rx" compatible 2>/dev/null)" = raspberrypi,rp1-cfe ]; echo $?)" \
			"$cname: receiver is RP1's CFE (raspberrypi,rp1-cfe)" ;;
	esac

	check_audio "$cname" "$b" "$m" "$idx" "$audio"
}

# a node's properties (as bytes) and subnodes, recursively, one per line
node_dump() {	# file path
	local f=$1 n=$2 p c
	for p in $(fdtget -p "$f" "$n" 2>/dev/null); do
		echo "$n:$p=$(fdtget -t bx "$f" "$n" "$p")"
	done
	for c in $(fdtget -l "$f" "$n" 2>/dev/null); do
		node_dump "$f" "$n/$c"
	done
}
# path that property $3 of node $2 points at (one phandle, no arguments)
phandle_target() {	# merged idx node prop
	local ph
	ph=$(fdtget -t u "$1" "$3" "$4" 2>/dev/null) || return 1
	[ "$(echo "$ph" | wc -w)" = 1 ] || return 1
	path_of_phandle "$2" "$ph"
}

# the audio part, present with "audio" and absent without
check_audio() {	# case base merged idx on|off
	local cname=$1 b=$2 m=$3 idx=$4 audio=$5
	local base=$work/$b.dtb snd i2s_node codecs codec cpu link st q l other grp pins

	snd=$(sym "$m" sound)
	i2s_node=$(sym "$m" i2s_clk_consumer)
	codecs=$(awk '$1 == "C" { for (i = 3; i <= NF; i++) if ($i == "linux,spdif-dir") print $2 }' "$idx")

	if [ "$audio" = off ]; then
		verdict "$([ -z "$codecs" ]; echo $?)" "$cname: no audio: no linux,spdif-dir codec node" \
			"found: $(echo $codecs)"
		verdict "$([ -n "$snd" ] && [ "$(node_dump "$m" "$snd")" = "$(node_dump "$base" "$snd")" ]; echo $?)" \
			"$cname: no audio: sound node ${snd:-?} as in $b-base (status $(status_of "$m" "$snd"))"
		verdict "$([ -n "$i2s_node" ] &&
			[ "$(node_dump "$m" "$i2s_node")" = "$(node_dump "$base" "$i2s_node")" ]; echo $?)" \
			"$cname: no audio: I2S block i2s_clk_consumer ${i2s_node:-?} as in $b-base (status $(status_of "$m" "$i2s_node"))"
		return
	fi

	# the codec
	codec=$(echo "$codecs" | head -1)
	verdict "$([ -n "$codec" ] && [ "$(echo "$codecs" | wc -l)" = 1 ] &&
		[ "$(fdtget "$m" "$codec" compatible 2>/dev/null)" = linux,spdif-dir ] &&
		[ "$(fdtget -t u "$m" "$codec" '#sound-dai-cells' 2>/dev/null)" = 0 ] &&
		[ "$(status_of "$m" "$codec")" = okay ]; echo $?)" \
		"$cname: audio: one codec node ${codec:-?}: compatible linux,spdif-dir, #sound-dai-cells 0, status okay" \
		"found: $(echo $codecs)"

	# the card
	verdict "$([ -n "$snd" ] &&
		[ "$(fdtget "$m" "$snd" compatible 2>/dev/null)" = simple-audio-card ] &&
		[ "$(fdtget "$m" "$snd" simple-audio-card,name 2>/dev/null)" = tc358743 ] &&
		[ "$(fdtget "$m" "$snd" simple-audio-card,format 2>/dev/null)" = i2s ] &&
		[ "$(status_of "$m" "$snd")" = okay ]; echo $?)" \
		"$cname: audio: sound (${snd:-?}) is an enabled simple-audio-card named tc358743, format i2s" \
		"compatible '$(fdtget "$m" "$snd" compatible 2>&1)', name '$(fdtget "$m" "$snd" simple-audio-card,name 2>&1)', format '$(fdtget "$m" "$snd" simple-audio-card,format 2>&1)', status $(status_of "$m" "$snd")"
	[ -n "$snd" ] || return

	# cpu end: the I2S block that follows the clocks, enabled
	cpu=$snd/simple-audio-card,cpu
	l=$(phandle_target "$m" "$idx" "$cpu" sound-dai)
	verdict "$([ -n "$l" ] && [ "$l" = "$i2s_node" ]; echo $?)" \
		"$cname: audio: cpu sound-dai is i2s_clk_consumer ($i2s_node)" "points at '${l:-nothing}'"
	verdict "$([ -n "$i2s_node" ] && [ "$(status_of "$m" "$i2s_node")" = okay ] &&
		[ "$(fdtget -t u "$m" "$i2s_node" '#sound-dai-cells' 2>/dev/null)" = 0 ]; echo $?)" \
		"$cname: audio: I2S block $i2s_node status okay, #sound-dai-cells 0" \
		"status $(status_of "$m" "$i2s_node")"
	q=${i2s_node%/*}
	while [ -n "$q" ]; do
		st=$(status_of "$m" "$q")
		[ "$st" != "(none)" ] &&
			verdict "$([ "$st" = okay ]; echo $?)" "$cname: audio: I2S block's parent $q status okay" "status $st"
		q=${q%/*}
	done
	grp=$(phandle_target "$m" "$idx" "$i2s_node" pinctrl-0)
	pins=$(fdtget -t u "$m" "$grp" brcm,pins 2>/dev/null || fdtget "$m" "$grp" pins 2>/dev/null)
	verdict "$([ "$(fdtget "$m" "$i2s_node" pinctrl-names 2>/dev/null)" = default ] &&
		case $pins in "18 19 20 21"|"gpio18 gpio19 gpio20 gpio21") true ;; *) false ;; esac; echo $?)" \
		"$cname: audio: I2S block's default pins are GPIO 18-21 (${grp:-?})" "pins '$pins'"
	# where another node is labelled as I2S (RP1's clock producer), it
	# stays off: the two would claim the same pins
	local seen=""
	for l in i2s i2s_clk_producer; do
		other=$(sym "$m" "$l")
		[ -n "$other" ] && [ "$other" != "$i2s_node" ] && [ "$other" != "$seen" ] || continue
		seen=$other
		verdict "$([ "$(status_of "$m" "$other")" = "$(status_of "$base" "$other")" ]; echo $?)" \
			"$cname: audio: $l ($other) left as in $b-base" "status $(status_of "$m" "$other")"
	done
	verdict "$([ "$(fdtget -t u "$m" "$cpu" dai-tdm-slot-num 2>/dev/null)" = 2 ] &&
		[ "$(fdtget -t u "$m" "$cpu" dai-tdm-slot-width 2>/dev/null)" = 32 ]; echo $?)" \
		"$cname: audio: cpu dai-tdm-slot-num 2, dai-tdm-slot-width 32" \
		"num '$(fdtget -t u "$m" "$cpu" dai-tdm-slot-num 2>&1)', width '$(fdtget -t u "$m" "$cpu" dai-tdm-slot-width 2>&1)'"

	# codec end, master of both clocks
	link=$snd/simple-audio-card,codec
	l=$(phandle_target "$m" "$idx" "$link" sound-dai)
	verdict "$([ -n "$l" ] && [ "$l" = "$codec" ]; echo $?)" \
		"$cname: audio: codec sound-dai is the codec node ($codec)" "points at '${l:-nothing}'"
	local bm fm
	bm=$(phandle_target "$m" "$idx" "$snd" simple-audio-card,bitclock-master)
	fm=$(phandle_target "$m" "$idx" "$snd" simple-audio-card,frame-master)
	verdict "$([ "$bm" = "$link" ] && [ "$fm" = "$link" ]; echo $?)" \
		"$cname: audio: bitclock-master and frame-master are the codec dai link ($link)" \
		"bitclock '${bm:-nothing}', frame '${fm:-nothing}'"
}

run_case pi4-2lane           hdmirtc-tc358743-pi4-2lane pi4 2
run_case pi4-2lane-mc-off    hdmirtc-tc358743-pi4-2lane pi4 2 media-controller=off
run_case pi4-2lane-297mhz    hdmirtc-tc358743-pi4-2lane pi4 2 link-frequency=297000000
run_case pi4-2lane-on-cm4    hdmirtc-tc358743-pi4-2lane cm4 2
run_case cm4-4lane           hdmirtc-tc358743-pi4-4lane cm4 4
run_case cm4-4lane-mc-off    hdmirtc-tc358743-pi4-4lane cm4 4 media-controller=off
run_case pi5-2lane           hdmirtc-tc358743-pi5-2lane pi5 2
run_case pi5-2lane-cam0      hdmirtc-tc358743-pi5-2lane pi5 2 cam0
run_case pi5-4lane           hdmirtc-tc358743-pi5-4lane pi5 4
run_case pi5-4lane-cam0      hdmirtc-tc358743-pi5-4lane pi5 4 cam0
run_case pi5-4lane-297mhz    hdmirtc-tc358743-pi5-4lane pi5 4 link-frequency=297000000
run_case pi4-2lane-audio     hdmirtc-tc358743-pi4-2lane pi4 2 audio
run_case pi4-2lane-audio-off hdmirtc-tc358743-pi4-2lane pi4 2 audio=off
run_case pi4-2lane-on-cm4-audio hdmirtc-tc358743-pi4-2lane cm4 2 audio
run_case cm4-4lane-audio     hdmirtc-tc358743-pi4-4lane cm4 4 audio
run_case cm4-4lane-mc-off-audio hdmirtc-tc358743-pi4-4lane cm4 4 media-controller=off audio
run_case pi5-2lane-audio     hdmirtc-tc358743-pi5-2lane pi5 2 audio
run_case pi5-2lane-cam0-audio hdmirtc-tc358743-pi5-2lane pi5 2 cam0 audio
run_case pi5-4lane-audio     hdmirtc-tc358743-pi5-4lane pi5 4 audio

echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ "$failed" = 0 ]

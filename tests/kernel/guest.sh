#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs inside the VM from the 9p share (/mnt/host): every kt-* program
# and then every kt-*.sh script (they may unload modules), each in TAP; the
# combined results go to out/results.tap.
cd /mnt/host
export LD_LIBRARY_PATH=/mnt/host/lib G_DEBUG=fatal-criticals ALSA_CONFIG_DIR=/mnt/host/alsa
OUT=/mnt/host/out
echo "kernel $(uname -r), modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')" > $OUT/guest.log
: > $OUT/results.tap
for t in bin/kt-* scripts/kt-*.sh; do
	[ -e "$t" ] || continue
	name=${t##*/}
	name=${name%.sh}
	start=$(cut -d' ' -f1 /proc/uptime)
	case $t in
	*.sh) sh ./$t > $OUT/$name.tap 2> $OUT/$name.log ;;
	*) ./$t --tap > $OUT/$name.tap 2> $OUT/$name.log ;;
	esac
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	echo "$name: exit $rc, $start -> $end s" >> $OUT/guest.log
	# one line per test case; a crash counts as a failure
	grep -E '^(not )?ok ' $OUT/$name.tap | sed "s/^\(not \)\{0,1\}ok [0-9]* /&$name: /" >> $OUT/results.tap
	[ $rc = 0 ] || echo "not ok - $name exited with status $rc" >> $OUT/results.tap
done

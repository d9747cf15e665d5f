#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/kernel/run.sh - hdmirtc against real Linux V4L2 drivers in a QEMU VM.
#
# The VM runs Debian's bookworm-security 6.12 kernel under TCG (no KVM
# needed) with an initramfs built here:
#   vivid    HDMI input: EDID, DV timings, "DV Timings Signal Mode" (raises
#            SOURCE_CHANGE), capture buffers exported as DMA-BUF;
#   vicodec  a real stateful M2M codec (FWHT, not H.264), built out of tree
#            from linux-source-6.12 together with v4l2-mem2mem (Debian's
#            amd64 kernel builds neither);
#   vimc     a camera media graph and
#   vkms     a KMS display with a writeback connector, both built out of
#            tree likewise and loaded by their tests (kt-libcamera, kt-drm).
# Our test programs and their shared libraries reach the guest through a
# 9p share, so changing a test does not rebuild the initramfs.  The
# guest's one network link is QEMU's user network, through which the
# host's Chromium watches the service on forwarded loopback ports
# (host-viewer.mjs, lib-host-viewer.sh).
#
# Usage: tests/kernel/run.sh [prepare|build|run|shell]  (default: run = build + boot + test;
#        prepare = only the cached VM parts, build = also our programs, shell = interactive VM)
# Environment:
#   HDMIRTC_VM_CACHE  downloads, kernel tree, modules, initramfs (default /var/cache/hdmirtc-vm)
#   HDMIRTC_VM_BUILD  meson build directory with our libraries (default <repo>/build-kernel-vm,
#                     configured here if missing)
#   HDMIRTC_VM_SHARE  host folder mounted at /mnt/host in the guest (default $TMPDIR/hdmirtc-vm-share)
#   HDMIRTC_VM_TIMEOUT  seconds before the VM is killed (default 600)
#   HDMIRTC_VM_TESTS  which tests/kernel/kt-NAME.c programs and kt-NAME.sh scripts to run
#                     (globs separated by spaces, default *; kt-service.sh runs the hdmirtc
#                     binary and whep-load)
#   HDMIRTC_KT_PI_GRAPHS  the parts of kt-pi-service.sh to run (default all: "pi5-2lane
#                     pi5-4lane pi4-mc pi4-legacy no-link no-bridge")
#   HDMIRTC_KT_DISPLAY_ROUNDS  kt-display also measures the stream with the screen
#                     off and on, this many rounds of each, alternated (bench/; default 0)
# Everything downloaded comes from Debian's archive with apt-get download.
# Prints "N passed, M failed, K skipped"; the exit status is 0 only when M is 0 and N > 0.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
MODE=${1:-run}
CACHE=${HDMIRTC_VM_CACHE:-/var/cache/hdmirtc-vm}
BUILD=${HDMIRTC_VM_BUILD:-$REPO/build-kernel-vm}
SHARE=${HDMIRTC_VM_SHARE:-${TMPDIR:-/tmp}/hdmirtc-vm-share}
TIMEOUT=${HDMIRTC_VM_TIMEOUT:-600}
KSERIES=6.12
VIVID_ARGS="n_devs=1 node_types=0x1 num_inputs=1 input_types=0x3 multiplanar=2 allocators=1"
VICODEC_ARGS="multiplanar=1"
# Loaded at boot with their dependencies.  v4l2-async, v4l2-fwnode and the
# vb2 allocators are for the stand-ins of tests/kernel/fakes, which the
# tests load from the share.
# virtio_net: the link through which the host's Chromium watches
# (tests/kernel/host-viewer.mjs).  drm_kms_helper and drm_shmem_helper
# (with drm under them): what vkms.ko needs (modinfo -F depends), which
# Debian builds; vkms itself is loaded by kt-drm.
GUEST_MODULES="9pnet_virtio 9p vivid vicodec v4l2-async v4l2-fwnode videobuf2-dma-contig videobuf2-vmalloc snd-aloop
	virtio_net drm_kms_helper drm_shmem_helper"
# snd-aloop stands in for the TC358743's I2S sound card; pcm_notify: a
# playback side that changes rate stops the capture side, as a bridge's
# card does when the HDMI source changes its sample rate.
ALOOP_ARGS="pcm_notify=1"
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
T0=$(date +%s.%N)

say() { printf '[kernel-tests %5.1fs] %s\n' "$(echo "$(date +%s.%N) - $T0" | bc)" "$*" >&2; }
fail() { say "error: $*"; exit 1; }

# ------------------------------------------------------------------ host tools
# One bad index (a foreign architecture's, after tests/cross) must not stop
# us: going on with the lists there are.
apt_update() {
	apt-get update -qq || say "apt-get update failed: going on with the lists there are"
}

need_tools() {
	local pkgs=(qemu-system-x86 busybox-static cpio kmod gcc make xz-utils bc libc6-dev dwarves libelf-dev)
	local missing=() p
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	apt_update
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ------------------------------------------------------------------ kernel from Debian
# The ABI name (e.g. 6.12.117+deb12-amd64) is remembered in the cache so a
# warm run needs no apt at all.
kernel_version() {
	if [ -s "$CACHE/kver" ]; then KVER=$(cat "$CACHE/kver"); else
		apt_update
		KVER=$(apt-cache depends "linux-image-$KSERIES-amd64" |
			sed -n 's/.*Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -1)
		[ -n "$KVER" ] || fail "apt does not know linux-image-$KSERIES-amd64 (bookworm-security in sources?)"
		echo "$KVER" > "$CACHE/kver"
	fi
	K=$CACHE/$KVER
	mkdir -p "$K"
}

# The folders of the kernel's source tree used here: vicodec and
# v4l2-mem2mem (built, loaded at boot), vimc and vkms (built, loaded by
# their tests).
SOURCE_DIRS=(drivers/media/test-drivers/vicodec drivers/media/v4l2-core/v4l2-mem2mem.c
	drivers/media/test-drivers/vimc drivers/gpu/drm/vkms)
fetch_kernel() {
	local have=1 d
	for d in "${SOURCE_DIRS[@]}"; do [ -e "$K/src/$d" ] || have=0; done
	[ -f "$K/fetched" ] && [ $have = 1 ] && return 0
	local base=${KVER%-amd64} ver
	ver=$(apt-cache show "linux-image-$KVER" | sed -n 's/^Version: //p' | head -1)
	[ -n "$ver" ] || { apt_update; ver=$(apt-cache show "linux-image-$KVER" | sed -n 's/^Version: //p' | head -1); }
	local dl=$K/debs; rm -rf "$dl"; mkdir -p "$dl"
	say "apt-get download kernel $KVER ($ver): image, headers, kbuild, source"
	(cd "$dl" && apt-get download -qq "linux-image-$KVER=$ver" "linux-headers-$KVER=$ver" \
		"linux-headers-$base-common=$ver" "linux-kbuild-$base=$ver" "linux-source-$KSERIES=$ver" \
		2>&1 | grep -v unsandboxed || true)
	ls "$dl"/linux-source-*.deb >/dev/null 2>&1 || fail "download failed"
	say "unpacking"
	rm -rf "$K/root" "$K/hdr" "$K/src" "$K/modules" "$K/test-drivers"; mkdir -p "$K/root" "$K/hdr" "$K/src"
	dpkg-deb --fsys-tarfile "$dl"/linux-image-*.deb | tar -x -C "$K/root" "./boot/vmlinuz-$KVER" "./lib/modules/$KVER"
	local d; for d in "$dl"/linux-headers-*.deb "$dl"/linux-kbuild-*.deb; do dpkg-deb -x "$d" "$K/hdr"; done
	# The arch headers include the common ones by absolute /usr/src path.
	sed -i "s#^include /usr/src/#include $K/hdr/usr/src/#" "$K/hdr/usr/src/linux-headers-$KVER/Makefile"
	# Only SOURCE_DIRS of the source tree are needed (the security
	# archive has no linux-6.12 source package, the binary one has it).
	local tarball; tarball=$(dpkg-deb -c "$dl"/linux-source-*.deb | awk '/\.tar\.xz$/{print $NF}')
	dpkg-deb --fsys-tarfile "$dl"/linux-source-*.deb | tar -xO "$tarball" | xz -dc |
		tar -x -C "$K/src" --strip-components=1 --wildcards "${SOURCE_DIRS[@]/#/*/}"
	rm -rf "$dl"
	touch "$K/fetched"
}

# vicodec and v4l2-mem2mem, out of tree against the matching headers.
build_modules() {
	local m=$K/modules
	[ -f "$m/vicodec.ko" ] && [ -f "$m/v4l2-mem2mem.ko" ] && return 0
	say "building vicodec.ko and v4l2-mem2mem.ko"
	rm -rf "$m"; mkdir -p "$m"
	cp "$K"/src/drivers/media/test-drivers/vicodec/*.[ch] "$K/src/drivers/media/v4l2-core/v4l2-mem2mem.c" "$m/"
	printf '%s\n' 'obj-m := v4l2-mem2mem.o vicodec.o' \
		'vicodec-y := vicodec-core.o codec-fwht.o codec-v4l2-fwht.o' > "$m/Kbuild"
	make -s -C "$K/hdr/usr/src/linux-headers-$KVER" M="$m" modules > "$m/build.log" 2>&1 ||
		{ tail -30 "$m/build.log"; fail "module build failed"; }
	strip --strip-debug "$m"/*.ko
	mkdir -p "$K/root/lib/modules/$KVER/extra"
	cp "$m"/*.ko "$K/root/lib/modules/$KVER/extra/"
	depmod -b "$K/root" "$KVER"
}

# Drivers of the kernel's source tree that Debian's amd64 kernel does not
# build, out of tree like vicodec into $K/test-drivers/NAME and not loaded
# at boot: their tests insmod them from /mnt/host/modules.
#   vimc  a camera (sensor, debayer, scaler, capture in a media graph) for
#         kt-libcamera (loaded at boot, its nodes would number before vivid's);
#   vkms  a virtual KMS display (CRTC, primary plane, Virtual connector,
#         writeback connector) for kt-drm, which loads it with
#         enable_writeback=1; its Kbuild is its own Makefile with the
#         config symbol set, so the object list follows the source.
build_test_drivers() {
	build_test_driver vimc drivers/media/test-drivers/vimc "$(printf '%s\n' 'obj-m := vimc.o' \
		'vimc-y := vimc-core.o vimc-common.o vimc-streamer.o' \
		'vimc-y += vimc-capture.o vimc-debayer.o vimc-scaler.o vimc-sensor.o vimc-lens.o')"
	# shellcheck disable=SC2016 # a make variable, not a shell one
	build_test_driver vkms drivers/gpu/drm/vkms \
		"$(sed 's/\$(CONFIG_DRM_VKMS)/m/' "$K/src/drivers/gpu/drm/vkms/Makefile")"
}

# build_test_driver NAME SOURCE-FOLDER KBUILD: NAME.ko from the .c and .h
# files of SOURCE-FOLDER; warnings are errors here as in the rest of the
# project.
build_test_driver() {
	local name=$1 src=$K/src/$2 d=$K/test-drivers/$1
	[ -f "$d/$name.ko" ] && return 0
	say "building $name.ko"
	rm -rf "$d"; mkdir -p "$d"
	cp "$src"/*.[ch] "$d/"
	printf '%s\n' "$3" > "$d/Kbuild"
	make -s -C "$K/hdr/usr/src/linux-headers-$KVER" M="$d" modules > "$d/build.log" 2>&1 ||
		{ tail -30 "$d/build.log"; fail "$name build failed"; }
	if grep -q 'warning:' "$d/build.log"; then
		cat "$d/build.log" >&2; rm -f "$d/$name.ko"; fail "$name builds with warnings"
	fi
	strip --strip-debug "$d/$name.ko"
}

# ------------------------------------------------------------------ initramfs
guest_init() {
cat <<'INIT'
#!/bin/sh
export PATH=/bin:/sbin
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs dev /dev
mkdir -p /tmp /mnt/host; mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug
dmesg -n 3
for m in $(cat /modules/order); do
	case $m in
	vivid.ko) a=$(cat /modules/vivid.args) ;;
	vicodec.ko) a=$(cat /modules/vicodec.args) ;;
	snd-aloop.ko) a=$(cat /modules/snd-aloop.args) ;;
	*) a= ;;
	esac
	insmod /modules/$m $a || echo "init: insmod $m failed"
done
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 host0 /mnt/host; then
	echo "init: no 9p share"; poweroff -f
fi
# QEMU's user network (run.sh: guest_nic): the guest's address there; no
# default route, so nothing goes beyond 10.0.2.0/24.
ip link set lo up
if [ -e /sys/class/net/eth0 ]; then ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0; fi
echo "init: up at $(cut -d' ' -f1 /proc/uptime)s"
if grep -q hdmirtc.shell /proc/cmdline; then setsid cttyhack sh -l
else cd /mnt/host && sh ./guest.sh; fi
sync; poweroff -f
INIT
}

build_initramfs() {
	local img=$K/initramfs.gz key
	key=$( { guest_init; echo "$VIVID_ARGS $VICODEC_ARGS $ALOOP_ARGS $GUEST_MODULES"; sha256sum /bin/busybox "$K"/modules/*.ko; } | sha256sum | cut -c1-16)
	[ -f "$img" ] && [ "$(cat "$K/initramfs.key" 2>/dev/null)" = "$key" ] && return 0
	say "building initramfs"
	local r=$K/initramfs; rm -rf "$r"; mkdir -p "$r"/{bin,sbin,proc,sys,dev,tmp,etc,modules,lib64,mnt/host}
	cp /bin/busybox "$r/bin/"
	local a; for a in $("$r/bin/busybox" --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
	# Our dynamically linked programs come with their libraries over 9p;
	# the loader itself must be at its absolute path.
	cp -L /lib64/ld-linux-x86-64.so.2 "$r/lib64/"
	local mod f base
	: > "$r/modules/order"
	for mod in $GUEST_MODULES; do
		for f in $(modprobe -d "$K/root" -S "$KVER" --show-depends "$mod" | awk '$1 == "insmod" {print $2}'); do
			base=$(basename "${f%.xz}")
			grep -qx "$base" "$r/modules/order" && continue
			# busybox insmod cannot read .ko.xz
			case $f in *.xz) xz -dc "$f" > "$r/modules/$base" ;; *) cp "$f" "$r/modules/$base" ;; esac
			echo "$base" >> "$r/modules/order"
		done
	done
	echo "$VIVID_ARGS" > "$r/modules/vivid.args"; echo "$VICODEC_ARGS" > "$r/modules/vicodec.args"
	echo "$ALOOP_ARGS" > "$r/modules/snd-aloop.args"
	guest_init > "$r/init"; chmod 755 "$r/init"
	(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1 > "$img")
	echo "$key" > "$K/initramfs.key"
}

# ------------------------------------------------------------------ our programs
build_programs() {
	if [ ! -f "$BUILD/build.ninja" ]; then
		say "meson setup $BUILD"
		meson setup "$BUILD" "$REPO" --werror --buildtype=debugoptimized \
			--pkg-config-path="$REPO/.deps/libsrtp/install/lib/pkgconfig:$REPO/.deps/wolfssl/install/lib/pkgconfig" > /dev/null
	fi
	local globs glob targets=(src/capture/libhdmirtc-capture.a
		src/encode/libhdmirtc-encode.a src/core/libhdmirtc-core.a) scripts=() programs=() t
	read -ra globs <<<"${HDMIRTC_VM_TESTS:-*}"
	for glob in "${globs[@]}"; do
		for t in "$HERE"/kt-$glob.sh; do [ -e "$t" ] && scripts+=("$t"); done
		for t in "$HERE"/kt-$glob.c; do [ -e "$t" ] && programs+=("$t"); done
	done
	# The shell tests run the service and a WebRTC viewer.
	[ ${#scripts[@]} -gt 0 ] && targets+=(src/hdmirtc bench/whep-load)
	say "building test programs"
	ninja -C "$BUILD" "${targets[@]}" > /dev/null
	local flags libs
	flags=$(pkg-config --cflags glib-2.0 libdrm x264)
	libs=$(pkg-config --libs glib-2.0 libdrm x264)
	rm -rf "$SHARE"; mkdir -p "$SHARE/bin" "$SHARE/lib" "$SHARE/out" "$SHARE/scripts"
	if [ ${#scripts[@]} -gt 0 ]; then
		cp "$BUILD/src/hdmirtc" "$BUILD/bench/whep-load" "$SHARE/bin/"
		cc -std=gnu11 -O1 -Wall -Wextra -Werror -o "$SHARE/bin/vivid-ctl" "$HERE/vivid-ctl.c"
		# shellcheck disable=SC2046
		cc -std=gnu11 -O1 -Wall -Wextra -Werror -I"$REPO/include" -o "$SHARE/bin/aloop-clicks" \
			"$HERE/aloop-clicks.c" "$REPO/src/audio/tone.c" $(pkg-config --cflags --libs alsa glib-2.0) -lm
		# kt-display reads the screen's written-back pictures with it.
		# shellcheck disable=SC2046
		cc -std=gnu11 -O1 -Wall -Wextra -Werror -I"$REPO/include" -o "$SHARE/bin/ppm-barcode" \
			"$HERE/ppm-barcode.c" "$REPO/src/capture/barcode.c" $(pkg-config --cflags --libs glib-2.0)
		# alsa-lib reads its configuration to resolve even a hw: name.
		mkdir -p "$SHARE/alsa" && cp -r /usr/share/alsa/alsa.conf /usr/share/alsa/cards /usr/share/alsa/pcm \
			"$SHARE/alsa/"
		cp "${scripts[@]}" "$HERE"/lib-*.sh "$SHARE/scripts/"
	fi
	# kt-libcamera: Debian's libcamera tool, the vimc IPA module with its
	# signature and proxy, and its configuration (the script points
	# libcamera at them).
	if [ -e "$SHARE/scripts/kt-libcamera.sh" ]; then
		local lc=/usr/lib/x86_64-linux-gnu/libcamera
		cp /usr/bin/cam "$SHARE/bin/"
		# udevd: udevadm is it when called systemd-udevd.
		cp /bin/udevadm "$SHARE/bin/udevadm" && cp /bin/udevadm "$SHARE/bin/systemd-udevd"
		mkdir -p "$SHARE/libcamera/ipa" "$SHARE/libcamera/conf"
		cp "$lc"/ipa_vimc.so "$lc"/ipa_vimc.so.sign "$lc"/vimc_ipa_proxy "$SHARE/libcamera/ipa/"
		cp -r /usr/share/libcamera/ipa/vimc "$SHARE/libcamera/conf/"
	fi
	for t in "${programs[@]}"; do
		t=$(basename "$t" .c)
		# shellcheck disable=SC2086
		cc -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
			-D_GNU_SOURCE -DG_LOG_DOMAIN=\"$t\" -I"$REPO/include" -I"$REPO/src" -I"$BUILD" $flags \
			-o "$SHARE/bin/$t" "$HERE/$t.c" \
			"$BUILD/src/encode/libhdmirtc-encode.a" "$BUILD/src/capture/libhdmirtc-capture.a" \
			"$BUILD/src/core/libhdmirtc-core.a" $libs -lm
	done
	# Their shared libraries (the guest has only busybox and the loader).
	local lib
	for lib in $(ldd "$SHARE"/bin/* | awk '/=> \// {print $3}' | sort -u); do cp -L "$lib" "$SHARE/lib/"; done
	# libsrtp2 takes its ciphers from NSS, which dlopens its soft token
	# from beside libnss3.so.
	if [ -e "$SHARE/lib/libnss3.so" ]; then
		for lib in libsoftokn3.so libfreeblpriv3.so libfreeblpriv3.chk libfreebl3.so libfreebl3.chk; do
			[ -e "/usr/lib/x86_64-linux-gnu/$lib" ] && cp -L "/usr/lib/x86_64-linux-gnu/$lib" "$SHARE/lib/"
		done
	fi
	cp "$HERE/guest.sh" "$SHARE/guest.sh"
	mkdir -p "$SHARE/modules" && cp "$K"/test-drivers/*/*.ko "$SHARE/modules/"
	[ -n "${HDMIRTC_KT_PI_GRAPHS:-}" ] && echo "$HDMIRTC_KT_PI_GRAPHS" > "$SHARE/kt-pi-graphs"
	[ -n "${HDMIRTC_KT_DISPLAY_ROUNDS:-}" ] && echo "$HDMIRTC_KT_DISPLAY_ROUNDS" > "$SHARE/kt-display-rounds"
	build_fakes
}

# The kernel stand-ins of tests/kernel/fakes/*/ (each folder one Kbuild
# module set), built out of tree like vicodec and cached by the hash of
# their sources; the tests insmod them from /mnt/host/modules.
build_fakes() {
	local d name hash out
	mkdir -p "$SHARE/modules"
	for d in "$HERE"/fakes/*/; do
		[ -f "$d/Kbuild" ] || continue
		name=$(basename "$d")
		hash=$(cat "$d"/Kbuild "$d"/*.[ch] 2>/dev/null | sha256sum | cut -c1-16)
		out=$K/fakes/$name-$hash
		if [ ! -f "$out/.built" ]; then
			say "building the $name stand-in"
			rm -rf "$K/fakes/$name"-*; mkdir -p "$out"
			cp "$d"/Kbuild "$d"/*.[ch] "$out/" 2>/dev/null || true
			make -s -C "$K/hdr/usr/src/linux-headers-$KVER" M="$out" \
				KBUILD_EXTRA_SYMBOLS="$K/modules/Module.symvers" W=1 modules > "$out/build.log" 2>&1 ||
				{ cat "$out/build.log" >&2; fail "the $name stand-in does not build"; }
			# Warnings are errors here as in the rest of the project.
			if grep -q 'warning:' "$out/build.log"; then
				cat "$out/build.log" >&2; rm -f "$out"/*.ko; fail "the $name stand-in builds with warnings"
			fi
			strip --strip-debug "$out"/*.ko
			touch "$out/.built"
		fi
		cp "$out"/*.ko "$SHARE/modules/"
	done
}

# ------------------------------------------------------------------ the VM
boot_vm() {
	local shell=$1 append="console=ttyS0 panic=-1 quiet mitigations=off"
	guest_nic
	[ "$shell" = 1 ] && append="$append hdmirtc.shell=1"
	local vm=(qemu-system-x86_64 -nodefaults -no-user-config -machine q35 -m 1024 -smp 2
		-accel tcg,thread=multi -display none -no-reboot
		-kernel "$K/root/boot/vmlinuz-$KVER" -initrd "$K/initramfs.gz" -append "$append"
		-virtfs "local,path=$SHARE,mount_tag=host0,security_model=none,id=host0"
		-nic "$GUEST_NIC")
	if [ "$shell" = 1 ]; then "${vm[@]}" -serial mon:stdio; return 0; fi
	local viewer=
	if command -v node > /dev/null; then
		node "$HERE/host-viewer.mjs" "$SHARE/out" "http://127.0.0.1:$VIEWER_HTTP_PORT/" \
			> "$SHARE/out/host-viewer.log" 2>&1 &
		viewer=$!
	fi
	say "booting the VM"
	timeout "$TIMEOUT" "${vm[@]}" -serial stdio < /dev/null > "$SHARE/out/console.log" 2>&1 || say "qemu exit status $?"
	# (It may have ended already: the guest said it was done with it.)
	if [ -n "$viewer" ]; then kill "$viewer" 2>/dev/null || true; wait "$viewer" 2>/dev/null || true; fi
	# The host viewer's own log (the guest's checks quote its answers).
	[ -s "$SHARE/out/host-viewer.log" ] && sed 's/^/[host-viewer] /' "$SHARE/out/host-viewer.log" >&2 || true
}

# The guest's only link: QEMU's user network with loopback ports of the
# host forwarded in: one to the service's HTTP port, and a UDP range one to
# one (the service announces 127.0.0.1 with its own port numbers).  The
# ports, free on the host now, reach the guest's scripts in the share
# (hostfwd.env).  Not restrict=on: a restricted user network drops the
# guest's UDP answers to what came in through a forward.  Nothing leaves
# anyway: no IPv6, and the guest has no route beyond 10.0.2.0/24, where
# QEMU's address 10.0.2.2 is the host's loopback.
VIEWER_HTTP_PORT= GUEST_NIC=
guest_nic() {
	local ports udp0 udp1 p
	ports=$(python3 - <<'PY'
import random, socket
def free(kind, port):
    s = socket.socket(socket.AF_INET, kind)
    try:
        s.bind(('127.0.0.1', port))
        return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(200):
    base = random.randrange(40000, 59000)
    if all(free(socket.SOCK_DGRAM, base + i) for i in range(8)) and free(socket.SOCK_STREAM, base + 8):
        print(base, base + 7, base + 8)
        break
PY
)
	read -r udp0 udp1 VIEWER_HTTP_PORT <<<"$ports"
	[ -n "$VIEWER_HTTP_PORT" ] || fail "no free loopback ports for the guest's forwards"
	GUEST_NIC="user,model=virtio-net-pci,ipv6=off,hostfwd=tcp:127.0.0.1:$VIEWER_HTTP_PORT-10.0.2.15:8080"
	for p in $(seq "$udp0" "$udp1"); do GUEST_NIC="$GUEST_NIC,hostfwd=udp:127.0.0.1:$p-10.0.2.15:$p"; done
	printf 'VIEWER_UDP_PORTS=%s-%s\nVIEWER_HTTP_PORT=%s\n' "$udp0" "$udp1" "$VIEWER_HTTP_PORT" > "$SHARE/hostfwd.env"
}

# Host-side checks on what the guest left in out/ (decoding with a real
# decoder needs ffmpeg, which the guest does not have).
host_checks() {
	local f n res=$SHARE/out/results.tap
	for f in "$SHARE"/out/*.h264; do
		[ -e "$f" ] || continue
		if command -v ffprobe > /dev/null; then
			n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,width,height \
				-of csv=p=0 "$f" 2>/dev/null || true)
			if [ -n "$n" ] && [ "${n##*,}" -gt 0 ] 2>/dev/null; then
				echo "ok - host: $(basename "$f") decodes with ffmpeg (width,height,frames = $n)" >> "$res"
			else
				echo "not ok - host: $(basename "$f") does not decode with ffmpeg" >> "$res"
			fi
		fi
	done
	pi_picture_checks
	# kt-codec's streams decode to exactly the pictures it encoded.
	if ls "$SHARE"/out/kt-codec-*.h264 > /dev/null 2>&1; then
		"$HERE"/fakes/bcm2835-codec/check-decoded.sh "$SHARE/out" --append ||
			echo "not ok - host: check-decoded.sh ran" >> "$SHARE/out/results.tap"
	fi
}

# The recordings of kt-pi-service: the stand-in's picture (barcode
# counters advancing, bars not sheared) and the colour description the
# bridge's BT.601 studio-range UYVY needs (VUI matrix 601, limited range).
pi_picture_checks() {
	local f c res=$SHARE/out/results.tap bin=$SHARE/check-picture
	ls "$SHARE"/out/pi-*.h264 > /dev/null 2>&1 || return 0
	if ! host_cc "$bin" check-picture.c libavcodec libavutil ||
		! host_cc "$SHARE/paint-pi-picture" paint-pi-picture.c; then
		echo "not ok - host: check-picture and paint-pi-picture build" >> "$res"
		return 0
	fi
	check_picture_self_test "$bin" >> "$res"
	for f in "$SHARE"/out/pi-*.h264; do
		"$bin" "$f" >> "$res"
		c=$(ffprobe -v error -select_streams v:0 -show_entries stream=color_space,color_range \
			-of default=nw=1 "$f" 2>/dev/null | sort | tr '\n' ' ')
		case $c in
		*color_range=tv*color_space=smpte170m* | *color_range=tv*color_space=bt470bg*)
			echo "ok - host: $(basename "$f") says BT.601 studio range in its SPS ($c)" >> "$res" ;;
		*) echo "not ok - host: $(basename "$f") says BT.601 studio range in its SPS (got: $c)" >> "$res" ;;
		esac
	done
}

# Builds tests/kernel/SOURCE into OUT with the capture and core libraries
# and the pkg-config packages named after it.
host_cc() {          # OUT SOURCE [PACKAGES...]
	local out=$1 src=$2
	shift 2
	# shellcheck disable=SC2046
	cc -std=gnu11 -O1 -Wall -Wextra -Werror -Wno-unused-parameter -I"$REPO/include" \
		$(pkg-config --cflags glib-2.0 "$@") -o "$out" "$HERE/$src" \
		"$BUILD/src/capture/libhdmirtc-capture.a" "$BUILD/src/core/libhdmirtc-core.a" \
		$(pkg-config --libs glib-2.0 libdrm "$@") -lm 2>> "$SHARE/out/host.log"
}

# check-picture must pass the stand-in's picture and refuse it spoiled:
# a wrong stride everywhere, a wrong stride below an intact barcode (the
# bars' check alone sees it), a counter that steps back.  Each picture is
# painted by paint-pi-picture and encoded by ffmpeg's x264 as the
# service would (2 Mbit/s at 1360x768, 300 kbit/s for a starved one).
check_picture_self_test() {   # CHECK_PICTURE
	local dir=$SHARE/check-picture-self test mode rate want got out
	mkdir -p "$dir"
	# MODE:RATE:VERDICTS, the verdicts of check-picture's two lines (the
	# counters, the bars); a picture sheared everywhere has no barcode left.
	for test in straight:2M:ok,ok straight:300k:ok,ok stride:2M:not-ok,not-ok \
		shear:2M:ok,not-ok backwards:2M:not-ok,ok; do
		IFS=: read -r mode rate want <<< "$test"
		if ! "$SHARE/paint-pi-picture" 1360 768 20 "$mode" |
			ffmpeg -v error -y -f rawvideo -pix_fmt yuv420p -s 1360x768 -r 30 -i - \
				-c:v libx264 -preset ultrafast -tune zerolatency -b:v "$rate" \
				-g 60 "$dir/$mode-$rate.h264" 2>> "$SHARE/out/host.log"; then
			echo "not ok - host: check-picture self-test: $mode at $rate painted and encoded"
			continue
		fi
		out=$("$1" "$dir/$mode-$rate.h264" 10)
		got=$(printf '%s\n' "$out" | sed -n 's/^\(ok\|not ok\) - .*/\1/p' | tr ' ' - | paste -sd,)
		if [ "$got" = "$want" ]; then
			echo "ok - host: check-picture self-test: $mode picture at $rate: $want"
		else
			echo "not ok - host: check-picture self-test: $mode picture at $rate: $want, got $got"
			printf '%s\n' "$out" | sed 's/^/#   /'
		fi
	done
}

summary() {
	local res=$SHARE/out/results.tap pass fail skip t name
	[ -f "$res" ] || { grep -v '^$' "$SHARE/out/console.log" | tail -20 >&2; fail "the guest wrote no results"; }
	# A test that never finished (VM timeout) is a failure too.
	for t in "$SHARE"/bin/kt-* "$SHARE"/scripts/kt-*.sh; do
		[ -e "$t" ] || continue
		name=$(basename "$t" .sh)
		grep -q "^$name: exit" "$SHARE/out/guest.log" 2>/dev/null ||
			echo "not ok - $name did not finish (VM timeout after ${TIMEOUT}s?)" >> "$res"
	done
	# A skip is not a pass (scripts/test-count.py counts the same way).
	skip=$(grep -ciE '^ok .*# *SKIP' "$res" || true)
	pass=$(( $(grep -c '^ok ' "$res" || true) - skip ))
	fail=$(grep -c '^not ok ' "$res" || true)
	grep '^not ok ' "$res" >&2 || true
	say "results in $SHARE/out (console.log, results.tap, *.log)"
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
}

mkdir -p "$CACHE"
need_tools
kernel_version
fetch_kernel
build_modules
build_test_drivers
build_initramfs
case $MODE in
prepare) say "VM ready (cache $(du -sh "$CACHE" | cut -f1))" ;;
build) build_programs; say "built (cache $(du -sh "$CACHE" | cut -f1))" ;;
shell) build_programs; boot_vm 1 ;;
run) build_programs; boot_vm 0; host_checks; summary ;;
*) fail "usage: $0 [prepare|build|run|shell]" ;;
esac

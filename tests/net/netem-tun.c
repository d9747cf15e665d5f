/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * netem-tun: `tc qdisc add dev eth0 root netem delay D loss P%` in
 * userspace, for kernels built without sch_netem (the test machines have
 * no netem qdisc and no modules to load).  Egress only, like netem.
 *
 * The caller redirects everything leaving eth0 into a TAP device (a tun
 * driver device carrying Ethernet frames):
 *   tc qdisc add dev eth0 clsact
 *   tc filter add dev eth0 egress protocol all u32 match u32 0 0 \
 *      action mirred egress redirect dev dly0
 * This program reads each frame from the TAP, drops it with probability P,
 * holds the rest for D (plus optional jitter, order kept, as netem does
 * without reordering) and sends it out of eth0 unchanged through an
 * AF_PACKET socket.  That socket bypasses the qdisc layer, and with it the
 * clsact hook, so a frame is not redirected a second time.
 *
 * Why not policy routing into a TUN: libnice binds its sockets to the
 * interface with IP_UNICAST_IF, so their route lookups carry oif=eth0
 * and no rule can send them to another device.  At the egress hook every
 * frame is caught, after ARP/ND resolution, so its MAC header is final.
 *
 * Usage: netem-tun --tap dly0 --dev eth0 --delay-ms 100 --loss-pct 10
 *                  [--jitter-ms 0] [--seed N] [--limit-packets 10000]
 *                  [--limit-bytes 16777216]
 * Prints "ready" once it reads the TAP; on SIGTERM or SIGINT prints a JSON
 * summary line and exits 0.  Any setup error: a message on stderr, exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/if_ether.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_PACKET 65536
/* Packets read per wake-up: bounded so a flood cannot starve the timer. */
#define READ_BURST 64

typedef struct {
	const char *tap_name;
	const char *dev_name;
	double delay_ms;
	double jitter_ms;
	double loss_pct;
	uint64_t seed;
	bool have_seed;
	size_t limit_packets;
	size_t limit_bytes;
} Options;

typedef struct {
	uint64_t release_ns;
	size_t off;
	size_t len;
} Slot;

/* A FIFO of packets: descriptors in a ring of slots, bytes in a ring of
 * limit_bytes, each packet contiguous (a tail too short is skipped). */
typedef struct {
	unsigned char *bytes;
	size_t cap;
	Slot *slots;
	size_t nslots;
	size_t first;
	size_t count;
	uint64_t last_release_ns;
} Queue;

typedef struct {
	uint64_t received;
	uint64_t lost;
	uint64_t sent;
	uint64_t overflow;
	uint64_t send_errors;
	uint64_t foreign;
} Counters;

typedef struct {
	int tap_fd;
	int packet_fd;
	int timer_fd;
	int signal_fd;
	unsigned char dev_mac[ETH_ALEN];
	Options opt;
	Queue queue;
	Counters n;
	uint64_t rng;
	int last_send_errno;
} Emulator;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("netem-tun: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- options ---- */

static double parse_number(const char *name, const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min && v <= max))
		fail("--%s: '%s' is not a number in [%g, %g]", name, s, min, max);
	return v;
}

static uint64_t parse_count(const char *name, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		fail("--%s: '%s' is not an integer in [%" PRIu64 ", %" PRIu64 "]", name, s, min, max);
	return v;
}

static void usage(FILE *to)
{
	fputs("usage: netem-tun --tap NAME --dev IFACE [--delay-ms D] [--jitter-ms J] [--loss-pct P]\n"
	      "                 [--seed N] [--limit-packets N] [--limit-bytes N]\n"
	      "Delays and drops the frames IFACE's egress redirects into the TAP device NAME\n"
	      "(tc mirred), then sends them out of IFACE: egress netem on IFACE.\n", to);
}

static void check_ifname(const char *opt, const char *name)
{
	if (!name)
		fail("--%s is required (see --help)", opt);
	if (!*name || strlen(name) >= IFNAMSIZ)
		fail("--%s: '%s' is not an interface name (1 to %d characters)", opt, name, IFNAMSIZ - 1);
}

static void parse_options(int argc, char **argv, Options *o)
{
	static const struct option longs[] = {
		{ "tap", required_argument, NULL, 't' }, { "dev", required_argument, NULL, 'd' },
		{ "delay-ms", required_argument, NULL, 'D' },
		{ "jitter-ms", required_argument, NULL, 'J' }, { "loss-pct", required_argument, NULL, 'L' },
		{ "seed", required_argument, NULL, 's' }, { "limit-packets", required_argument, NULL, 'p' },
		{ "limit-bytes", required_argument, NULL, 'b' }, { "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	*o = (Options){ .limit_packets = 10000, .limit_bytes = 16u << 20 };
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 't': o->tap_name = optarg; break;
		case 'd': o->dev_name = optarg; break;
		case 'D': o->delay_ms = parse_number("delay-ms", optarg, 0, 600000); break;
		case 'J': o->jitter_ms = parse_number("jitter-ms", optarg, 0, 600000); break;
		case 'L': o->loss_pct = parse_number("loss-pct", optarg, 0, 100); break;
		case 's': o->seed = parse_count("seed", optarg, 0, UINT64_MAX); o->have_seed = true; break;
		case 'p': o->limit_packets = parse_count("limit-packets", optarg, 1, 1u << 24); break;
		case 'b': o->limit_bytes = parse_count("limit-bytes", optarg, MAX_PACKET, 1u << 30); break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(1);
		}
	}
	if (optind < argc)
		fail("unexpected argument '%s' (see --help)", argv[optind]);
	check_ifname("tap", o->tap_name);
	check_ifname("dev", o->dev_name);
	if (!strcmp(o->tap_name, o->dev_name))
		fail("--tap and --dev must differ: frames would go round forever");
}

/* ---- randomness: splitmix64, enough for a loss coin and reproducible ---- */

static uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(uint64_t *state)
{
	return (double)(rng_next(state) >> 11) * 0x1.0p-53;
}

/* ---- the queue ---- */

static Slot *slot_at(const Queue *q, size_t i)
{
	return &q->slots[(q->first + i) % q->nslots];
}

/* Where a packet of len bytes fits, if it does. */
static bool queue_place(const Queue *q, size_t len, size_t *off)
{
	const Slot *first, *last;
	size_t head, tail;

	if (q->count == q->nslots || len > q->cap)
		return false;
	*off = 0;
	if (q->count == 0)
		return true;
	first = slot_at(q, 0);
	last = slot_at(q, q->count - 1);
	head = first->off;
	tail = last->off + last->len;
	if (last->off < first->off) {
		/* Already wrapped: the free space is between tail and head. */
		*off = tail;
		return head - tail >= len;
	}
	if (q->cap - tail >= len) {
		*off = tail;
		return true;
	}
	return head >= len;
}

static bool queue_push(Queue *q, const unsigned char *pkt, size_t len, uint64_t release_ns)
{
	size_t off;
	Slot *s;

	if (!queue_place(q, len, &off))
		return false;
	/* netem without reordering: a packet never overtakes the previous one. */
	if (release_ns < q->last_release_ns)
		release_ns = q->last_release_ns;
	q->last_release_ns = release_ns;
	memcpy(q->bytes + off, pkt, len);
	s = slot_at(q, q->count++);
	*s = (Slot){ .release_ns = release_ns, .off = off, .len = len };
	return true;
}

static void queue_pop(Queue *q)
{
	q->first = (q->first + 1) % q->nslots;
	q->count--;
}

static void queue_init(Queue *q, size_t packets, size_t bytes)
{
	*q = (Queue){ .cap = bytes, .nslots = packets };
	q->bytes = malloc(bytes);
	q->slots = calloc(packets, sizeof(*q->slots));
	if (!q->bytes || !q->slots)
		fail("cannot allocate a queue of %zu packets / %zu bytes", packets, bytes);
}

/* ---- time ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The timer fires at the head packet's release time; disarmed when empty. */
static void arm_timer(Emulator *e)
{
	struct itimerspec its = { 0 };

	if (e->queue.count > 0) {
		uint64_t at = slot_at(&e->queue, 0)->release_ns;

		/* it_value 0 would disarm: a due packet gets 1 ns. */
		its.it_value.tv_sec = (time_t)(at / 1000000000u);
		its.it_value.tv_nsec = (long)(at % 1000000000u);
		if (at == 0)
			its.it_value.tv_nsec = 1;
	}
	if (timerfd_settime(e->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		fail("timerfd_settime: %s", strerror(errno));
}

/* ---- devices ---- */

/* Attaches to the TAP device, creating it when it does not exist (it then
 * goes away with this process), and brings it up. */
static int open_tap(const char *name, int ctl_fd)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		fail("/dev/net/tun: %s%s", strerror(errno),
		     errno == ENOENT ? " (the kernel has no TUN support)" : "");
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int err = errno;

		fail("TUNSETIFF %s: %s%s", name, strerror(err),
		     err == EPERM ? " (needs CAP_NET_ADMIN: run as root, e.g. via ip netns exec)" :
		     err == EBUSY ? " (another process holds it)" :
		     err == EINVAL ? " (it exists but is not a tap device without packet info)" : "");
	}
	if (ioctl(ctl_fd, SIOCGIFFLAGS, &ifr) < 0)
		fail("SIOCGIFFLAGS %s: %s", name, strerror(errno));
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(ctl_fd, SIOCSIFFLAGS, &ifr) < 0)
			fail("bringing %s up: %s", name, strerror(errno));
	}
	return fd;
}

static int open_packet_socket(void)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int sndbuf = 4 << 20;

	if (fd < 0)
		fail("AF_PACKET socket: %s%s", strerror(errno),
		     errno == EPERM ? " (needs CAP_NET_RAW: run as root)" : "");
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	return fd;
}

/* Binds the packet socket to the device, with protocol 0 so that it
 * receives nothing, and past the qdisc layer: the clsact egress hook that
 * fed the TAP must not see our frames again.  The MAC address tells the
 * redirected frames from anything the kernel itself sends on the TAP. */
static void bind_device(Emulator *e)
{
	struct ifreq ifr = { 0 };
	struct sockaddr_ll at = { .sll_family = AF_PACKET };
	int one = 1;

	at.sll_ifindex = (int)if_nametoindex(e->opt.dev_name);
	if (at.sll_ifindex == 0)
		fail("--dev %s: no such device in this network namespace", e->opt.dev_name);
	memcpy(ifr.ifr_name, e->opt.dev_name, strlen(e->opt.dev_name));
	if (ioctl(e->packet_fd, SIOCGIFHWADDR, &ifr) < 0)
		fail("SIOCGIFHWADDR %s: %s", e->opt.dev_name, strerror(errno));
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		fail("--dev %s: not an Ethernet device (link type %u)", e->opt.dev_name, ifr.ifr_hwaddr.sa_family);
	memcpy(e->dev_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	if (setsockopt(e->packet_fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		fail("PACKET_QDISC_BYPASS: %s (without it frames would loop through the redirect)",
		     strerror(errno));
	if (bind(e->packet_fd, (struct sockaddr *)&at, sizeof(at)) < 0)
		fail("binding to %s: %s", e->opt.dev_name, strerror(errno));
}

static int open_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* The summary goes to a pipe the test may close early. */
	signal(SIGPIPE, SIG_IGN);
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (fd < 0)
		fail("signalfd: %s", strerror(errno));
	return fd;
}

/* ---- the data path ---- */

static void send_frame(Emulator *e, const unsigned char *frame, size_t len)
{
	if (send(e->packet_fd, frame, len, 0) < 0) {
		/* A full device queue is loss too; the summary tells it apart. */
		e->n.send_errors++;
		e->last_send_errno = errno;
		return;
	}
	e->n.sent++;
}

static void release_due(Emulator *e)
{
	uint64_t now = now_ns();

	while (e->queue.count > 0) {
		const Slot *s = slot_at(&e->queue, 0);

		if (s->release_ns > now)
			break;
		send_frame(e, e->queue.bytes + s->off, s->len);
		queue_pop(&e->queue);
	}
}

static uint64_t release_time(Emulator *e)
{
	double delay = e->opt.delay_ms;

	if (e->opt.jitter_ms > 0) {
		delay += (2 * rng_unit(&e->rng) - 1) * e->opt.jitter_ms;
		if (delay < 0)
			delay = 0;
	}
	return now_ns() + (uint64_t)(delay * 1e6);
}

/* Loss is decided on the way in, as netem does at enqueue.  Only frames
 * from --dev's address came through the redirect: the source MAC sits at
 * bytes 6..11 of the Ethernet header. */
static void take_frame(Emulator *e, const unsigned char *frame, size_t len)
{
	e->n.received++;
	if (len < ETH_HLEN || memcmp(frame + ETH_ALEN, e->dev_mac, ETH_ALEN) != 0) {
		e->n.foreign++;
		return;
	}
	if (e->opt.loss_pct > 0 && rng_unit(&e->rng) * 100 < e->opt.loss_pct) {
		e->n.lost++;
		return;
	}
	if (!queue_push(&e->queue, frame, len, release_time(e)))
		e->n.overflow++;
}

static void read_tap(Emulator *e, unsigned char *buf)
{
	for (int i = 0; i < READ_BURST; i++) {
		ssize_t n = read(e->tap_fd, buf, MAX_PACKET);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0)
			fail("read %s: %s", e->opt.tap_name, strerror(errno));
		take_frame(e, buf, (size_t)n);
	}
}

static void drain_timer(int fd)
{
	uint64_t expirations;

	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		fail("timerfd read: %s", strerror(errno));
}

static void print_summary(const Emulator *e)
{
	printf("{\"received\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"sent\":%" PRIu64 ",\"overflow\":%" PRIu64
	       ",\"send_errors\":%" PRIu64 ",\"foreign\":%" PRIu64 ",\"queued_at_exit\":%zu"
	       ",\"last_send_error\":\"%s\",\"seed\":\"%" PRIu64 "\"}\n",
	       e->n.received, e->n.lost, e->n.sent, e->n.overflow, e->n.send_errors, e->n.foreign,
	       e->queue.count, e->last_send_errno ? strerror(e->last_send_errno) : "", e->opt.seed);
	fflush(stdout);
}

static void run(Emulator *e)
{
	unsigned char *buf = malloc(MAX_PACKET);
	struct pollfd fds[] = {
		{ .fd = e->tap_fd, .events = POLLIN },
		{ .fd = e->timer_fd, .events = POLLIN },
		{ .fd = e->signal_fd, .events = POLLIN },
	};

	if (!buf)
		fail("out of memory");
	while (!(fds[2].revents & POLLIN)) {
		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			fail("poll: %s", strerror(errno));
		}
		if (fds[0].revents & (POLLERR | POLLHUP))
			fail("%s went away", e->opt.tap_name);
		if (fds[1].revents & POLLIN)
			drain_timer(e->timer_fd);
		if (fds[0].revents & POLLIN)
			read_tap(e, buf);
		release_due(e);
		arm_timer(e);
	}
	free(buf);
}

static void setup(Emulator *e)
{
	e->packet_fd = open_packet_socket();
	bind_device(e);
	e->tap_fd = open_tap(e->opt.tap_name, e->packet_fd);
	e->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (e->timer_fd < 0)
		fail("timerfd_create: %s", strerror(errno));
	e->signal_fd = open_signals();
	queue_init(&e->queue, e->opt.limit_packets, e->opt.limit_bytes);
	if (!e->opt.have_seed && getrandom(&e->opt.seed, sizeof(e->opt.seed), 0) != sizeof(e->opt.seed))
		e->opt.seed = now_ns();
	e->rng = e->opt.seed;
}

int main(int argc, char **argv)
{
	Emulator e = { 0 };

	parse_options(argc, argv, &e.opt);
	setup(&e);
	puts("ready");
	fflush(stdout);
	run(&e);
	print_summary(&e);
	free(e.queue.bytes);
	free(e.queue.slots);
	return 0;
}

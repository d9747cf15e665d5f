/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The sd_notify protocol against a real AF_UNIX datagram listener, the way
 * systemd receives it: the payload and the sender's credentials. */
#include "hdmirtc/sd-notify.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct {
	int fd;
	char *name; /* what goes into NOTIFY_SOCKET */
	char *dir;  /* temporary folder of a path socket, or NULL */
} Listener;

static Listener *listener_new(gboolean abstract)
{
	static int counter;
	Listener *l = g_new0(Listener, 1);
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	socklen_t len;
	int one = 1;

	if (abstract) {
		l->name = g_strdup_printf("@hdmirtc-test-sd-notify-%d-%d", (int)getpid(), counter++);
	} else {
		l->dir = g_dir_make_tmp("hdmirtc-sd-notify-XXXXXX", NULL);
		g_assert_nonnull(l->dir);
		l->name = g_build_filename(l->dir, "notify", NULL);
	}
	g_assert_cmpuint(strlen(l->name), <, sizeof(addr.sun_path));
	memcpy(addr.sun_path, l->name, strlen(l->name));
	len = offsetof(struct sockaddr_un, sun_path) + strlen(l->name);
	if (abstract)
		addr.sun_path[0] = '\0';
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(l->fd, >=, 0);
	g_assert_cmpint(bind(l->fd, (struct sockaddr *)&addr, len), ==, 0);
	/* systemd reads the sender's pid from SCM_CREDENTIALS. */
	g_assert_cmpint(setsockopt(l->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), ==, 0);
	return l;
}

static void listener_free(Listener *l)
{
	close(l->fd);
	if (l->dir) {
		g_unlink(l->name);
		g_rmdir(l->dir);
		g_free(l->dir);
	}
	g_free(l->name);
	g_free(l);
}

/* Receives one datagram without blocking; returns its text (caller frees)
 * and the sender's pid, or NULL when nothing is queued. */
static char *listener_recv(Listener *l, pid_t *sender)
{
	char buf[4096];
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = &control, .msg_controllen = sizeof(control),
	};
	ssize_t n = recvmsg(l->fd, &msg, MSG_DONTWAIT);

	if (n < 0) {
		g_assert_cmpint(errno, ==, EAGAIN);
		return NULL;
	}
	g_assert_false(msg.msg_flags & MSG_TRUNC);
	*sender = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cred;

			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			*sender = cred.pid;
		}
	}
	return g_strndup(buf, (gsize)n);
}

static void assert_received(Listener *l, const char *expected)
{
	pid_t sender = -1;
	g_autofree char *got = listener_recv(l, &sender);

	g_assert_cmpstr(got, ==, expected);
	g_assert_cmpint(sender, ==, getpid());
}

static void assert_nothing_queued(Listener *l)
{
	pid_t sender;
	g_autofree char *got = listener_recv(l, &sender);

	g_assert_null(got);
}

static void check_states(gboolean abstract)
{
	Listener *l = listener_new(abstract);

	g_assert_cmpint(hdmirtc_sd_notify_to(l->name, "READY=1"), ==, 1);
	g_assert_cmpint(hdmirtc_sd_notify_to(l->name, "READY=1\nSTATUS=streaming 1280x720"), ==, 1);
	g_assert_cmpint(hdmirtc_sd_notify_to(l->name, "WATCHDOG=1"), ==, 1);
	g_assert_cmpint(hdmirtc_sd_notify_to(l->name, "STOPPING=1"), ==, 1);
	assert_received(l, "READY=1");
	assert_received(l, "READY=1\nSTATUS=streaming 1280x720");
	assert_received(l, "WATCHDOG=1");
	assert_received(l, "STOPPING=1");
	assert_nothing_queued(l);
	listener_free(l);
}

static void test_abstract_socket(void)
{
	check_states(TRUE);
}

static void test_path_socket(void)
{
	check_states(FALSE);
}

static void test_environment(void)
{
	Listener *l = listener_new(TRUE);

	g_setenv("NOTIFY_SOCKET", l->name, TRUE);
	g_assert_cmpint(hdmirtc_sd_notify("READY=1"), ==, 1);
	/* The variable stays for later messages. */
	g_assert_cmpstr(g_getenv("NOTIFY_SOCKET"), ==, l->name);
	g_assert_cmpint(hdmirtc_sd_notify_status("no signal on %s", "/dev/video0"), ==, 1);
	g_assert_cmpint(hdmirtc_sd_notify_status("two\nlines\r\nREADY=1"), ==, 1);
	assert_received(l, "READY=1");
	assert_received(l, "STATUS=no signal on /dev/video0");
	assert_received(l, "STATUS=two lines  READY=1");
	assert_nothing_queued(l);
	g_unsetenv("NOTIFY_SOCKET");
	listener_free(l);
}

static void test_not_supervised(void)
{
	g_unsetenv("NOTIFY_SOCKET");
	g_assert_cmpint(hdmirtc_sd_notify("READY=1"), ==, 0);
	g_assert_cmpint(hdmirtc_sd_notify_status("x"), ==, 0);
	g_assert_cmpint(hdmirtc_sd_notify_to(NULL, "READY=1"), ==, 0);
	g_assert_cmpint(hdmirtc_sd_notify_to("", "READY=1"), ==, 0);
}

static void test_bad_arguments(void)
{
	Listener *l = listener_new(TRUE);
	g_autofree char *too_long = g_strnfill(sizeof(((struct sockaddr_un *)0)->sun_path), 'a');
	g_autofree char *missing = g_strdup_printf("/nonexistent-%d/notify", (int)getpid());

	too_long[0] = '/';
	g_assert_cmpint(hdmirtc_sd_notify_to(l->name, ""), ==, -EINVAL);
	g_assert_cmpint(hdmirtc_sd_notify_to(l->name, NULL), ==, -EINVAL);
	g_assert_cmpint(hdmirtc_sd_notify_to("relative/notify", "READY=1"), ==, -EINVAL);
	g_assert_cmpint(hdmirtc_sd_notify_to("@", "READY=1"), ==, -EINVAL);
	g_assert_cmpint(hdmirtc_sd_notify_to("/", "READY=1"), ==, -EINVAL);
	g_assert_cmpint(hdmirtc_sd_notify_to(too_long, "READY=1"), ==, -ENAMETOOLONG);
	g_assert_cmpint(hdmirtc_sd_notify_to("vsock:2:1234", "READY=1"), ==, -EAFNOSUPPORT);
	g_assert_cmpint(hdmirtc_sd_notify_to(missing, "READY=1"), ==, -ENOENT);
	/* Nothing bad reached the listener. */
	assert_nothing_queued(l);
	listener_free(l);
}

static void test_no_listener(void)
{
	g_autofree char *name = g_strdup_printf("@hdmirtc-test-sd-notify-nobody-%d", (int)getpid());

	g_assert_cmpint(hdmirtc_sd_notify_to(name, "READY=1"), ==, -ECONNREFUSED);
}

/* A manager that stops reading must not stall the service. */
static void test_full_queue_does_not_block(void)
{
	Listener *l = listener_new(TRUE);
	int ret = 1, sent = 0;

	while (ret == 1 && sent < 100000) {
		ret = hdmirtc_sd_notify_to(l->name, "WATCHDOG=1");
		if (ret == 1)
			sent++;
	}
	g_assert_cmpint(ret, ==, -EAGAIN);
	g_assert_cmpint(sent, >, 0);
	assert_received(l, "WATCHDOG=1");
	listener_free(l);
}

typedef struct {
	const char *usec;
	const char *pid;   /* "self" = our pid */
	guint64 expected;
} WatchdogCase;

static void test_watchdog_interval(void)
{
	g_autofree char *self = g_strdup_printf("%d", (int)getpid());
	g_autofree char *other = g_strdup_printf("%d", (int)getpid() + 1);
	const WatchdogCase cases[] = {
		{ NULL, NULL, 0 },
		{ "5000000", NULL, 5000000 },
		{ "5000000", "self", 5000000 },
		{ "5000000", "other", 0 },
		{ "5000000", "garbage", 0 },
		{ "5000000", "-1", 0 },
		{ "5000000", "", 0 },
		{ "18446744073709551615", NULL, G_MAXUINT64 },
		{ "18446744073709551616", NULL, 0 },
		{ "0", NULL, 0 },
		{ "", NULL, 0 },
		{ "-5", NULL, 0 },
		{ "+5", NULL, 0 },
		{ " 5", NULL, 0 },
		{ "5 ", NULL, 0 },
		{ "5s", NULL, 0 },
		{ "0x10", NULL, 0 },
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		const WatchdogCase *c = &cases[i];
		const char *pid = c->pid;

		if (g_strcmp0(pid, "self") == 0)
			pid = self;
		else if (g_strcmp0(pid, "other") == 0)
			pid = other;
		if (c->usec)
			g_setenv("WATCHDOG_USEC", c->usec, TRUE);
		else
			g_unsetenv("WATCHDOG_USEC");
		if (pid)
			g_setenv("WATCHDOG_PID", pid, TRUE);
		else
			g_unsetenv("WATCHDOG_PID");
		g_test_message("WATCHDOG_USEC=%s WATCHDOG_PID=%s", c->usec ? c->usec : "(unset)", pid ? pid : "(unset)");
		g_assert_cmpuint(hdmirtc_sd_notify_watchdog_interval_us(), ==, c->expected);
	}
	g_unsetenv("WATCHDOG_USEC");
	g_unsetenv("WATCHDOG_PID");
}

typedef struct {
	Listener *listener;
	GMainLoop *loop;
	int pings;
	gint64 first_us, last_us;
} WatchdogRun;

static gboolean on_listener_readable(int fd, GIOCondition condition, gpointer user_data)
{
	WatchdogRun *run = user_data;
	pid_t sender;
	char *got;

	while ((got = listener_recv(run->listener, &sender))) {
		g_assert_cmpstr(got, ==, "WATCHDOG=1");
		g_assert_cmpint(sender, ==, getpid());
		g_free(got);
		if (run->pings++ == 0)
			run->first_us = g_get_monotonic_time();
		run->last_us = g_get_monotonic_time();
	}
	if (run->pings >= 3)
		g_main_loop_quit(run->loop);
	return G_SOURCE_CONTINUE;
}

static gboolean on_watchdog_test_timeout(gpointer user_data)
{
	g_assert_not_reached();
	return G_SOURCE_REMOVE;
}

static void test_watchdog_source(void)
{
	WatchdogRun run = { .listener = listener_new(TRUE), .loop = g_main_loop_new(NULL, FALSE) };
	g_autofree char *self = g_strdup_printf("%d", (int)getpid());
	guint watchdog, reader, timeout;

	g_unsetenv("WATCHDOG_USEC");
	g_assert_cmpuint(hdmirtc_sd_notify_watchdog_add(), ==, 0);

	g_setenv("NOTIFY_SOCKET", run.listener->name, TRUE);
	g_setenv("WATCHDOG_USEC", "40000", TRUE); /* 40 ms: pings every 20 ms */
	g_setenv("WATCHDOG_PID", self, TRUE);
	watchdog = hdmirtc_sd_notify_watchdog_add();
	g_assert_cmpuint(watchdog, >, 0);
	reader = g_unix_fd_add(run.listener->fd, G_IO_IN, on_listener_readable, &run);
	timeout = g_timeout_add_seconds(10, on_watchdog_test_timeout, NULL);
	g_main_loop_run(run.loop);
	/* Three pings span two periods of 20 ms; a slow machine only lengthens
	 * the periods, but a ping read late shortens the span seen here (up
	 * to 7 ms under qemu-user: 2 to 6 failures in 60 runs with a 2 ms
	 * margin).  30 ms still tells 20 ms periods from 10 ms ones. */
	g_assert_cmpint(run.last_us - run.first_us, >=, 2 * 20000 - 10000);
	g_source_remove(watchdog);
	g_source_remove(reader);
	g_source_remove(timeout);
	g_main_loop_unref(run.loop);
	listener_free(run.listener);
	g_unsetenv("NOTIFY_SOCKET");
	g_unsetenv("WATCHDOG_USEC");
	g_unsetenv("WATCHDOG_PID");
}

int main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/sd-notify/abstract-socket", test_abstract_socket);
	g_test_add_func("/sd-notify/path-socket", test_path_socket);
	g_test_add_func("/sd-notify/environment", test_environment);
	g_test_add_func("/sd-notify/not-supervised", test_not_supervised);
	g_test_add_func("/sd-notify/bad-arguments", test_bad_arguments);
	g_test_add_func("/sd-notify/no-listener", test_no_listener);
	g_test_add_func("/sd-notify/full-queue-does-not-block", test_full_queue_does_not_block);
	g_test_add_func("/sd-notify/watchdog-interval", test_watchdog_interval);
	g_test_add_func("/sd-notify/watchdog-source", test_watchdog_source);
	return g_test_run();
}

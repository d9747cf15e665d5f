/* SPDX-License-Identifier: GPL-3.0-or-later */
/* vivid-ctl: the few vivid operations the shell tests in the VM need (the
 * guest has busybox, not v4l2-ctl).  Works on the first video node whose
 * driver is "vivid".
 *
 *   vivid-ctl node                  print the node (/dev/videoN)
 *   vivid-ctl set NAME VALUE        set the control called NAME
 *   vivid-ctl menu NAME PREFIX      set menu control NAME to the first item starting with PREFIX
 *   vivid-ctl timings               print the input's DV timings as WIDTHxHEIGHT
 *   vivid-ctl edid                  print the input's EDID in hex (VIDIOC_G_EDID)
 *
 * Exit status 0 on success, 1 on failure (with a message), 2 for bad usage. */
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int open_vivid(char *path, size_t size)
{
	for (int i = 0; i < 64; i++) {
		struct v4l2_capability cap;
		int fd;

		snprintf(path, size, "/dev/video%d", i);
		fd = open(path, O_RDWR);
		if (fd < 0)
			continue;
		if (ioctl(fd, VIDIOC_QUERYCAP, &cap) == 0 && strcmp((char *)cap.driver, "vivid") == 0)
			return fd;
		close(fd);
	}
	fprintf(stderr, "vivid-ctl: no vivid video node\n");
	return -1;
}

static int find_ctrl(int fd, const char *name, struct v4l2_query_ext_ctrl *q)
{
	memset(q, 0, sizeof(*q));
	q->id = V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
	while (ioctl(fd, VIDIOC_QUERY_EXT_CTRL, q) == 0) {
		if (strcmp(q->name, name) == 0)
			return 0;
		q->id |= V4L2_CTRL_FLAG_NEXT_CTRL | V4L2_CTRL_FLAG_NEXT_COMPOUND;
	}
	fprintf(stderr, "vivid-ctl: no control \"%s\"\n", name);
	return -1;
}

static int set_ctrl(int fd, const char *name, int value)
{
	struct v4l2_query_ext_ctrl q;
	struct v4l2_control c;

	if (find_ctrl(fd, name, &q) < 0)
		return -1;
	c.id = q.id;
	c.value = value;
	if (ioctl(fd, VIDIOC_S_CTRL, &c) < 0) {
		fprintf(stderr, "vivid-ctl: %s = %d: %s\n", name, value, strerror(errno));
		return -1;
	}
	return 0;
}

static int set_menu(int fd, const char *name, const char *prefix)
{
	struct v4l2_query_ext_ctrl q;
	struct v4l2_querymenu m;

	if (find_ctrl(fd, name, &q) < 0)
		return -1;
	for (int i = (int)q.minimum; i <= (int)q.maximum && i < 256; i++) {
		memset(&m, 0, sizeof(m));
		m.id = q.id;
		m.index = (unsigned)i;
		if (ioctl(fd, VIDIOC_QUERYMENU, &m) == 0 &&
		    strncmp((char *)m.name, prefix, strlen(prefix)) == 0)
			return set_ctrl(fd, name, i);
	}
	fprintf(stderr, "vivid-ctl: %s: no item starting with \"%s\"\n", name, prefix);
	return -1;
}

static int print_timings(int fd)
{
	struct v4l2_dv_timings t;

	memset(&t, 0, sizeof(t));
	if (ioctl(fd, VIDIOC_QUERY_DV_TIMINGS, &t) < 0) {
		fprintf(stderr, "vivid-ctl: VIDIOC_QUERY_DV_TIMINGS: %s\n", strerror(errno));
		return -1;
	}
	printf("%ux%u\n", t.bt.width, t.bt.height);
	return 0;
}

static int print_edid(int fd)
{
	unsigned char data[256 * 128];
	struct v4l2_edid e;

	memset(&e, 0, sizeof(e));
	e.blocks = 256;
	e.edid = data;
	if (ioctl(fd, VIDIOC_G_EDID, &e) < 0) {
		fprintf(stderr, "vivid-ctl: VIDIOC_G_EDID: %s\n", strerror(errno));
		return -1;
	}
	for (unsigned i = 0; i < e.blocks * 128; i++)
		printf("%02x", data[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	char path[64];
	int fd, r = -1;

	if (argc < 2)
		goto usage;
	fd = open_vivid(path, sizeof(path));
	if (fd < 0)
		return 1;
	if (strcmp(argv[1], "node") == 0 && argc == 2) {
		printf("%s\n", path);
		r = 0;
	} else if (strcmp(argv[1], "set") == 0 && argc == 4) {
		r = set_ctrl(fd, argv[2], atoi(argv[3]));
	} else if (strcmp(argv[1], "menu") == 0 && argc == 4) {
		r = set_menu(fd, argv[2], argv[3]);
	} else if (strcmp(argv[1], "timings") == 0 && argc == 2) {
		r = print_timings(fd);
	} else if (strcmp(argv[1], "edid") == 0 && argc == 2) {
		r = print_edid(fd);
	} else {
		close(fd);
		goto usage;
	}
	close(fd);
	return r < 0 ? 1 : 0;
usage:
	fprintf(stderr, "usage: vivid-ctl node | set NAME VALUE | menu NAME PREFIX | timings | edid\n");
	return 2;
}

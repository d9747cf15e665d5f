// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pi-fake-board.ko - the Raspberry Pi board around the capture stand-ins:
 * the camera-connector I2C bus, the firmware description (device tree on a
 * Pi, software nodes here: the VM kernel has no CONFIG_OF), the CSI-2
 * receiver's platform device, and the picture the HDMI source sends.
 *
 * The module set (tests/kernel/fakes/pi-capture):
 *   pi-fake-board.ko   this file; load first
 *   rp1-cfe-fake.ko    Pi 5 receiver (rp1-cfe.c, rp1-cfe-subdevs.c)
 *   unicam-fake.ko     Pi 4 receiver (unicam.c)
 *   tc358743-fake.ko   the HDMI bridge (tc358743.c; its debugfs files
 *                      under /sys/kernel/debug/hdmirtc-fake-tc358743/ play
 *                      the HDMI source: signal, timings, audio)
 * Load order per graph (the receiver first, so that its v4l2-async notifier
 * waits for the bridge as on a Pi booting with the overlay):
 *   Pi 5:  insmod pi-fake-board.ko model=pi5 lanes=2|4 cam=1|0
 *          insmod rp1-cfe-fake.ko; insmod tc358743-fake.ko
 *   Pi 4:  insmod pi-fake-board.ko model=pi4 lanes=2|4 cam=1|0
 *                 [media_controller=1]
 *          insmod unicam-fake.ko; insmod tc358743-fake.ko
 * and rmmod in the reverse order.
 *
 * What this file reproduces, from raspberrypi/linux:
 *  - arch/arm/boot/dts/overlays/tc358743.dtsi (0172c431): the bridge at
 *    I2C address 0x0f; its endpoint has clock-lanes = <0>,
 *    clock-noncontinuous, link-frequencies = /bits/ 64 <486000000>
 *    (overlay parameter link-frequency), data-lanes = <1 2> or, with the
 *    4lane parameter, <1 2 3 4>; the receiver's endpoint gets the same
 *    data-lanes; the cam0 parameter moves both to CAM0.  The refclk is a
 *    27 MHz fixed clock (cam1_clk/cam0_clk), which tc358743-fake assumes.
 *  - The bus numbers: Pi 5 bcm2712-rpi.dtsi (01a175bf) aliases
 *    i2c10 = &i2c_csi_dsi0 (CAM0, RP1 i2c6) and i2c11 = &i2c_csi_dsi1
 *    (CAM1, RP1 i2c4, what the overlay's i2c_csi_dsi means), so the
 *    bridge is "tc358743 11-000f" on CAM1 and "tc358743 10-000f" on CAM0.
 *    Pi 4: i2c_csi_dsi (CAM1) is i2c-10, CAM0 (CM4 only) is i2c-0.
 *  - The receivers' device names: RP1's csi0/csi1 at 0x1f00110000 and
 *    0x1f00128000 (rp1.dtsi csi@110000/csi@128000 behind the PCIe window),
 *    BCM2711's unicam csi0/csi1 at 0xfe800000/0xfe801000, so bus_info is
 *    "platform:1f00128000.csi" or "platform:fe801000.csi" as on a Pi.
 *  - Pi 4: the csi node's "brcm,num-data-lanes" (2 on CAM1 of a Pi 4B, 4
 *    with lanes=4 as on a CM4's CAM1) and, with media_controller=1, the
 *    "brcm,media-controller" property that the overlay's media-controller
 *    parameter sets.
 * Left out: regulators, GPIOs, clocks (there is no clock framework user),
 * the I2C mux of the Pi 4, pin control, the CSI-2 PHY.  The I2C adapter
 * answers only address 0x0f, with a 64 KiB register file addressed like
 * the TC358743's (16-bit register address, most significant byte first):
 * CHIPID (0x0000) reads 0x0000 and the EDID RAM keeps what is written.
 *
 * The picture (pifake_paint), as the project's checkers decode it:
 *   rows [0, B), B = hdmirtc_barcode_rows(W): the barcode of
 *   include/hdmirtc/barcode.h (16x16 blocks, sync 0xA5C3, counter = the
 *   buffer's sequence number, mono = ktime_get_ns() / 1000 and wall =
 *   ktime_get_real_ns() / 1000 at frame start, CRC-16/CCITT-FALSE), only
 *   when W >= 320 and W % 16 == 0; below it luma 16 everywhere except
 *   two 16 px wide bars of luma 235 at x in [W/4, W/4 + 16) and
 *   [3W/4, 3W/4 + 16) and a 32x32 box of luma 160 at rows [H/2, H/2 + 32)
 *   and x = (sequence * 8) % (W - 32), drawn over the bars.  Chroma is 128
 *   everywhere (UYVY).  RGB24/BGR24 get the same picture in full-range RGB:
 *   black 0, white 255, grey 168 (luma 160 in full range); R = G = B, so
 *   the byte order does not matter.  The padding after each line is not
 *   written.  A buffer that already holds a frame of the same geometry
 *   gets only its barcode rows and the moving box repainted.
 *
 * Module parameters: model (pi5, pi4), lanes (2, 4), cam (1, 0),
 * media_controller (Pi 4), link_frequency (Hz, default 486000000),
 * max_fps (0 = the source's rate; a test-only cap for the slow VM: frames
 * then start every 1/max_fps s, still timestamped when they start),
 * full_paint (repaint every buffer completely).
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/i2c.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "pi-fake.h"

static char *model = "pi5";
module_param(model, charp, 0444);
MODULE_PARM_DESC(model, "pi5 (RP1 CFE) or pi4 (Unicam)");

static int lanes = 2;
module_param(lanes, int, 0444);
MODULE_PARM_DESC(lanes, "CSI-2 data lanes in both endpoints: 2 or 4 (overlay 4lane)");

static int cam = 1;
module_param(cam, int, 0444);
MODULE_PARM_DESC(cam, "camera connector: 1 (default) or 0 (overlay cam0)");

static bool media_controller;
module_param(media_controller, bool, 0444);
MODULE_PARM_DESC(media_controller, "Pi 4: set brcm,media-controller on the csi node");

static unsigned long long link_frequency = 486000000ULL;
module_param(link_frequency, ullong, 0444);
MODULE_PARM_DESC(link_frequency, "bridge endpoint link-frequencies[0] in Hz");

static unsigned int max_fps;
module_param(max_fps, uint, 0644);
MODULE_PARM_DESC(max_fps, "test-only cap on the frame rate (0 = none)");

static bool full_paint;
module_param(full_paint, bool, 0644);
MODULE_PARM_DESC(full_paint, "repaint every buffer completely");

/* ------------------------------------------------------------ picture */

#define BLOCK		16
#define CODE_BITS	192
#define CODE_SYNC	0xA5C3
#define BAR_WIDTH	16
#define BOX_SIZE	32

enum level { BLACK, WHITE, GREY };

static const u8 luma[] = { [BLACK] = 16, [WHITE] = 235, [GREY] = 160 };
static const u8 rgb[] = { [BLACK] = 0, [WHITE] = 255, [GREY] = 168 };

static unsigned int px_size(enum pifake_layout layout)
{
	return layout == PIFAKE_UYVY ? 2 : 3;
}

/* n pixels from pixel x of one line. */
static void fill(u8 *line, enum pifake_layout layout, u32 x, u32 n,
		 enum level l)
{
	u32 i;

	if (layout == PIFAKE_RGB24) {
		memset(line + 3 * x, rgb[l], 3 * n);
		return;
	}
	for (i = x; i < x + n; i++) {
		line[2 * i] = 128;
		line[2 * i + 1] = luma[l];
	}
}

static u16 crc16_ccitt_false(const u8 *p, size_t len)
{
	u16 crc = 0xffff;
	int b;

	while (len--) {
		crc ^= (u16)*p++ << 8;
		for (b = 0; b < 8; b++)
			crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
	}
	return crc;
}

static void put_be(u8 *p, u64 v, int bytes)
{
	while (bytes--) {
		p[bytes] = v & 0xff;
		v >>= 8;
	}
}

static u32 barcode_rows(u32 width)
{
	u32 per_row = width / BLOCK;

	if (width < 320 || width % BLOCK)
		return 0;
	return DIV_ROUND_UP(CODE_BITS, per_row) * BLOCK;
}

static void paint_barcode(const struct pifake_image *img, u32 rows,
			  u32 counter, u64 mono_us, u64 wall_us)
{
	u32 per_row = img->width / BLOCK, r, c, l;
	size_t line_bytes = (size_t)img->width * px_size(img->layout);
	u8 code[CODE_BITS / 8];

	put_be(code, CODE_SYNC, 2);
	put_be(code + 2, counter, 4);
	put_be(code + 6, mono_us, 8);
	put_be(code + 14, wall_us, 8);
	put_be(code + 22, crc16_ccitt_false(code + 2, 20), 2);

	for (r = 0; r < rows / BLOCK; r++) {
		u8 *line = img->base + (size_t)r * BLOCK * img->bytesperline;

		for (c = 0; c < per_row; c++) {
			u32 bit = r * per_row + c;
			bool one = bit < CODE_BITS &&
				   (code[bit / 8] >> (7 - bit % 8)) & 1;

			fill(line, img->layout, c * BLOCK, BLOCK,
			     one ? WHITE : BLACK);
		}
		for (l = 1; l < BLOCK && r * BLOCK + l < img->height; l++)
			memcpy(line + (size_t)l * img->bytesperline, line,
			       line_bytes);
	}
}

static int build_row(struct pifake_paint_cache *c,
		     const struct pifake_image *img)
{
	size_t size = (size_t)img->width * px_size(img->layout);
	u32 bars[2] = { img->width / 4, 3 * img->width / 4 }, i;

	if (c->row_size != size) {
		kfree(c->row);
		c->row = kmalloc(size, GFP_KERNEL);
		c->row_size = c->row ? size : 0;
		if (!c->row)
			return -ENOMEM;
	}
	fill(c->row, img->layout, 0, img->width, BLACK);
	for (i = 0; i < 2; i++)
		if (bars[i] < img->width)
			fill(c->row, img->layout, bars[i],
			     min_t(u32, BAR_WIDTH, img->width - bars[i]), WHITE);
	return 0;
}

/* Copies (restore) or paints (grey) the box columns on its rows. */
static void box(struct pifake_paint_cache *c, const struct pifake_image *img,
		u32 top, u32 x, bool restore)
{
	unsigned int ps = px_size(img->layout);
	u32 y, w = min_t(u32, BOX_SIZE, img->width - x);

	for (y = top; y < top + BOX_SIZE && y < img->height; y++) {
		u8 *line = img->base + (size_t)y * img->bytesperline;

		if (restore)
			memcpy(line + x * ps, c->row + x * ps, w * ps);
		else
			fill(line, img->layout, x, w, GREY);
	}
}

void pifake_paint(struct pifake_paint_cache *c, const struct pifake_image *img,
		  u32 sequence, u64 mono_ns, u64 wall_ns)
{
	u32 rows = min(barcode_rows(img->width), img->height);
	u32 top = max(img->height / 2, rows), x = 0, y;
	bool has_box = img->width > BOX_SIZE && top < img->height;

	if (has_box)
		x = (sequence * 8) % (img->width - BOX_SIZE);

	if (full_paint || !c->valid || c->base != img->base ||
	    c->width != img->width || c->height != img->height ||
	    c->bytesperline != img->bytesperline || c->layout != img->layout) {
		c->valid = false;
		if (build_row(c, img))
			return;
		for (y = rows; y < img->height; y++)
			memcpy(img->base + (size_t)y * img->bytesperline,
			       c->row, c->row_size);
		c->base = img->base;
		c->width = img->width;
		c->height = img->height;
		c->bytesperline = img->bytesperline;
		c->layout = img->layout;
		c->valid = true;
	} else if (has_box && c->box_x != x) {
		box(c, img, top, c->box_x, true);
	}

	if (rows)
		paint_barcode(img, rows, sequence, div_u64(mono_ns, 1000),
			      div_u64(wall_ns, 1000));
	if (has_box) {
		box(c, img, top, x, false);
		c->box_x = x;
	}
}
EXPORT_SYMBOL_GPL(pifake_paint);

void pifake_paint_cache_release(struct pifake_paint_cache *c)
{
	kfree(c->row);
	memset(c, 0, sizeof(*c));
}
EXPORT_SYMBOL_GPL(pifake_paint_cache_release);

u64 pifake_frame_interval(u64 frame_ns)
{
	unsigned int cap = READ_ONCE(max_fps);

	if (cap && frame_ns * cap < NSEC_PER_SEC)
		return div_u64(NSEC_PER_SEC, cap);
	return frame_ns;
}
EXPORT_SYMBOL_GPL(pifake_frame_interval);

/* ------------------------------------------------------------ I2C bus */

#define BRIDGE_ADDR	0x0f

struct board {
	struct i2c_adapter adap;
	u8 *regs;		/* the bridge's 16-bit register space */
	u16 pointer;
	struct i2c_client *client;
	struct platform_device *pdev;
};

static struct board *board;

static int bus_xfer(struct i2c_adapter *adap, struct i2c_msg *msgs, int num)
{
	struct board *b = i2c_get_adapdata(adap);
	int i;
	u16 k;

	for (i = 0; i < num; i++) {
		struct i2c_msg *m = &msgs[i];

		if (m->addr != BRIDGE_ADDR)
			return -ENXIO;	/* nobody acknowledges */
		if (m->flags & I2C_M_RD) {
			for (k = 0; k < m->len; k++)
				m->buf[k] = b->regs[b->pointer++];
			continue;
		}
		if (m->len < 2)
			return -EIO;
		b->pointer = m->buf[0] << 8 | m->buf[1];
		for (k = 2; k < m->len; k++)
			b->regs[b->pointer++] = m->buf[k];
	}
	return num;
}

static u32 bus_functionality(struct i2c_adapter *adap)
{
	return I2C_FUNC_I2C | I2C_FUNC_SMBUS_EMUL;
}

static const struct i2c_algorithm bus_algo = {
	.master_xfer = bus_xfer,
	.functionality = bus_functionality,
};

/* ------------------------------------------------------ software nodes */

static u32 data_lanes[4] = { 1, 2, 3, 4 };
static u64 link_frequencies[1];

static const struct software_node bridge_node = { .name = "tc358743@f" };
static const struct software_node bridge_port = {
	.name = "port@0", .parent = &bridge_node,
};
static const struct software_node rx_node_pi5 = { .name = "csi" };
static const struct software_node rx_node_pi4;
static const struct software_node rx_port_pi5 = {
	.name = "port@0", .parent = &rx_node_pi5,
};
static const struct software_node rx_port_pi4 = {
	.name = "port@0", .parent = &rx_node_pi4,
};
static const struct software_node rx_ep_pi5;
static const struct software_node rx_ep_pi4;

static struct property_entry bridge_ep_props_pi5[] = {
	PROPERTY_ENTRY_REF("remote-endpoint", &rx_ep_pi5),
	PROPERTY_ENTRY_U32("clock-lanes", 0),
	PROPERTY_ENTRY_BOOL("clock-noncontinuous"),
	PROPERTY_ENTRY_U64_ARRAY("link-frequencies", link_frequencies),
	PROPERTY_ENTRY_U32_ARRAY_LEN("data-lanes", data_lanes, 2),
	{ }
};

static struct property_entry bridge_ep_props_pi4[] = {
	PROPERTY_ENTRY_REF("remote-endpoint", &rx_ep_pi4),
	PROPERTY_ENTRY_U32("clock-lanes", 0),
	PROPERTY_ENTRY_BOOL("clock-noncontinuous"),
	PROPERTY_ENTRY_U64_ARRAY("link-frequencies", link_frequencies),
	PROPERTY_ENTRY_U32_ARRAY_LEN("data-lanes", data_lanes, 2),
	{ }
};

static const struct software_node bridge_ep_pi5 = {
	.name = "endpoint@0", .parent = &bridge_port,
	.properties = bridge_ep_props_pi5,
};
static const struct software_node bridge_ep_pi4 = {
	.name = "endpoint@0", .parent = &bridge_port,
	.properties = bridge_ep_props_pi4,
};

static struct property_entry rx_ep_props_pi5[] = {
	PROPERTY_ENTRY_REF("remote-endpoint", &bridge_ep_pi5),
	PROPERTY_ENTRY_U32_ARRAY_LEN("data-lanes", data_lanes, 2),
	{ }
};

static struct property_entry rx_ep_props_pi4[] = {
	PROPERTY_ENTRY_REF("remote-endpoint", &bridge_ep_pi4),
	PROPERTY_ENTRY_U32_ARRAY_LEN("data-lanes", data_lanes, 2),
	{ }
};

static const struct software_node rx_ep_pi5 = {
	.name = "endpoint@0", .parent = &rx_port_pi5,
	.properties = rx_ep_props_pi5,
};
static const struct software_node rx_ep_pi4 = {
	.name = "endpoint@0", .parent = &rx_port_pi4,
	.properties = rx_ep_props_pi4,
};

/* "brcm,media-controller" last: it is cut off when not wanted. */
static struct property_entry rx_props_pi4[] = {
	PROPERTY_ENTRY_U32("brcm,num-data-lanes", 2),
	PROPERTY_ENTRY_BOOL("brcm,media-controller"),
	{ }
};

static const struct software_node rx_node_pi4 = {
	.name = "csi", .properties = rx_props_pi4,
};

static const struct software_node *nodes_pi5[] = {
	&bridge_node, &bridge_port, &bridge_ep_pi5,
	&rx_node_pi5, &rx_port_pi5, &rx_ep_pi5, NULL
};

static const struct software_node *nodes_pi4[] = {
	&bridge_node, &bridge_port, &bridge_ep_pi4,
	&rx_node_pi4, &rx_port_pi4, &rx_ep_pi4, NULL
};

/* ------------------------------------------------------------ board */

struct layout_choice {
	const char *adapter;
	int bus;
	const char *rx_name;
};

static int choose(bool pi5, struct layout_choice *l)
{
	if (lanes != 2 && lanes != 4) {
		pr_err("pi-fake-board: lanes must be 2 or 4\n");
		return -EINVAL;
	}
	if (cam != 0 && cam != 1) {
		pr_err("pi-fake-board: cam must be 0 or 1\n");
		return -EINVAL;
	}
	if (pi5) {
		l->adapter = cam ? "fake RP1 i2c4 (Pi 5 CAM/DISP 1)" :
				   "fake RP1 i2c6 (Pi 5 CAM/DISP 0)";
		l->bus = cam ? 11 : 10;
		l->rx_name = cam ? "1f00128000.csi" : "1f00110000.csi";
		return 0;
	}
	if (!cam && lanes == 4) {
		pr_err("pi-fake-board: the Pi 4 family's CAM0 has 2 lanes\n");
		return -EINVAL;
	}
	l->adapter = cam ? "fake i2c_csi_dsi (Pi 4 CAM1)" :
			   "fake i2c_vc (CM4 CAM0)";
	l->bus = cam ? 10 : 0;
	l->rx_name = cam ? "fe801000.csi" : "fe800000.csi";
	return 0;
}

static void set_lanes(struct property_entry *props)
{
	for (; props->name; props++)
		if (!strcmp(props->name, "data-lanes"))
			props->length = lanes * sizeof(u32);
}

static int __init board_init(void)
{
	struct platform_device_info pinfo = { };
	struct i2c_board_info binfo = { I2C_BOARD_INFO("tc358743", BRIDGE_ADDR) };
	const struct software_node **nodes;
	const struct software_node *rx_node;
	struct layout_choice l;
	bool pi5;
	int ret;

	if (!strcmp(model, "pi5")) {
		pi5 = true;
	} else if (!strcmp(model, "pi4")) {
		pi5 = false;
	} else {
		pr_err("pi-fake-board: model must be pi5 or pi4\n");
		return -EINVAL;
	}
	ret = choose(pi5, &l);
	if (ret)
		return ret;

	link_frequencies[0] = link_frequency;
	set_lanes(bridge_ep_props_pi5);
	set_lanes(bridge_ep_props_pi4);
	set_lanes(rx_ep_props_pi5);
	set_lanes(rx_ep_props_pi4);
	rx_props_pi4[0] = PROPERTY_ENTRY_U32("brcm,num-data-lanes", lanes);
	if (!media_controller)
		memset(&rx_props_pi4[1], 0, sizeof(rx_props_pi4[1]));
	nodes = pi5 ? nodes_pi5 : nodes_pi4;
	rx_node = pi5 ? &rx_node_pi5 : &rx_node_pi4;

	board = kzalloc(sizeof(*board), GFP_KERNEL);
	if (!board)
		return -ENOMEM;
	board->regs = vzalloc(0x10000);
	if (!board->regs) {
		ret = -ENOMEM;
		goto err_free;
	}

	ret = software_node_register_node_group(nodes);
	if (ret)
		goto err_free;

	board->adap.owner = THIS_MODULE;
	board->adap.algo = &bus_algo;
	board->adap.nr = l.bus;
	strscpy(board->adap.name, l.adapter, sizeof(board->adap.name));
	i2c_set_adapdata(&board->adap, board);
	ret = i2c_add_numbered_adapter(&board->adap);
	if (ret)
		goto err_nodes;

	binfo.swnode = &bridge_node;
	board->client = i2c_new_client_device(&board->adap, &binfo);
	if (IS_ERR(board->client)) {
		ret = PTR_ERR(board->client);
		goto err_adapter;
	}

	pinfo.name = l.rx_name;
	pinfo.id = PLATFORM_DEVID_NONE;
	pinfo.fwnode = software_node_fwnode(rx_node);
	pinfo.dma_mask = DMA_BIT_MASK(32);
	board->pdev = platform_device_register_full(&pinfo);
	if (IS_ERR(board->pdev)) {
		ret = PTR_ERR(board->pdev);
		goto err_client;
	}

	pr_info("pi-fake-board: %s, %d lanes at %llu Hz, CAM%d: i2c-%d, %s%s\n",
		model, lanes, link_frequency, cam, l.bus, l.rx_name,
		!pi5 && media_controller ? ", brcm,media-controller" : "");
	return 0;

err_client:
	i2c_unregister_device(board->client);
err_adapter:
	i2c_del_adapter(&board->adap);
err_nodes:
	software_node_unregister_node_group(nodes);
err_free:
	vfree(board->regs);
	kfree(board);
	return ret;
}

static void __exit board_exit(void)
{
	bool pi5 = !strcmp(model, "pi5");

	platform_device_unregister(board->pdev);
	i2c_unregister_device(board->client);
	i2c_del_adapter(&board->adap);
	software_node_unregister_node_group(pi5 ? nodes_pi5 : nodes_pi4);
	vfree(board->regs);
	kfree(board);
}

module_init(board_init);
module_exit(board_exit);

MODULE_DESCRIPTION("Raspberry Pi camera-connector board for the capture stand-ins");
MODULE_LICENSE("GPL");

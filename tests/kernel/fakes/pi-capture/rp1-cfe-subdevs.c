// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rp1-cfe-fake: the "csi2" and "pisp-fe" subdevices and the format table
 * (the module as a whole is described in rp1-cfe.c).
 *
 * Read: raspberrypi/linux drivers/media/platform/raspberrypi/rp1_cfe/
 * csi2.c (04f3e3b0), pisp_fe.c (1c164508), cfe_fmts.h (cc6ed8d6).
 * Reproduced:
 *  - "csi2": MEDIA_ENT_F_VID_IF_BRIDGE, 8 pads, sinks 0..3 and sources
 *    4..7 (no MUST_CONNECT), V4L2_SUBDEV_FL_HAS_DEVNODE, state-based formats
 *    initialised to 640x480 SRGGB10_1X10 (RAW colorspace) and, on channel 1,
 *    16384x1 SENSOR_DATA; set_fmt on a sink pad stores the format and
 *    copies it (field NONE) to the matching source pad; on a source pad only
 *    the code may change, to the 16-bit unpacked variant of the sink's;
 *    link validation v4l2_subdev_link_validate with
 *    v4l2_subdev_link_validate_default (width, height, code, field:
 *    -EPIPE on a mismatch).
 *  - "pisp-fe": MEDIA_ENT_F_PROC_VIDEO_SCALER, pads 0 stream sink
 *    (MUST_CONNECT), 1 config sink, 2/3 image sources, 4 stats source;
 *    formats and set_fmt as pisp_fe.c, including its link_validate that
 *    compares the width twice and never the height.
 *  - cfe_fmts.h: fourcc, media bus code, depth, CSI-2 data type, 16-bit
 *    remap; RGB888_1X24 is RGB24, BGR888_1X24 is BGR24.
 * Left out: the registers, CSI-2 error tracking and debugfs register dumps,
 * the compressed (PISP_COMP1) remap, and the 12/14-bit, 565/555 and
 * greyscale rows of the format table.
 */
#include <linux/module.h>
#include <media/mipi-csi2.h>
#include <media/v4l2-subdev.h>

#include "rp1-cfe.h"

const struct v4l2_mbus_framefmt cfe_default_format = {
	.width = 640,
	.height = 480,
	.code = MEDIA_BUS_FMT_SRGGB10_1X10,
	.field = V4L2_FIELD_NONE,
	.colorspace = V4L2_COLORSPACE_RAW,
	.ycbcr_enc = V4L2_YCBCR_ENC_601,
	.quantization = V4L2_QUANTIZATION_FULL_RANGE,
	.xfer_func = V4L2_XFER_FUNC_NONE,
};

const struct v4l2_mbus_framefmt cfe_default_meta_format = {
	.width = DEFAULT_EMBEDDED_SIZE,
	.height = 1,
	.code = MEDIA_BUS_FMT_SENSOR_DATA,
	.field = V4L2_FIELD_NONE,
};

#define YUV(f, c)	{ .fourcc = f, .code = c, .depth = 16, \
			  .csi_dt = MIPI_CSI2_DT_YUV422_8B }
#define BAYER(f, c, d, dt, r) { .fourcc = f, .code = c, .depth = d, \
			  .csi_dt = dt, .remap16 = r }
#define BAYER16(f, c)	{ .fourcc = f, .code = c, .depth = 16, \
			  .flags = CFE_FORMAT_FLAG_FE_OUT, .remap16 = f }

static const struct cfe_fmt formats[] = {
	YUV(V4L2_PIX_FMT_YUYV, MEDIA_BUS_FMT_YUYV8_1X16),
	YUV(V4L2_PIX_FMT_UYVY, MEDIA_BUS_FMT_UYVY8_1X16),
	YUV(V4L2_PIX_FMT_YVYU, MEDIA_BUS_FMT_YVYU8_1X16),
	YUV(V4L2_PIX_FMT_VYUY, MEDIA_BUS_FMT_VYUY8_1X16),
	{ .fourcc = V4L2_PIX_FMT_RGB24, .code = MEDIA_BUS_FMT_RGB888_1X24,
	  .depth = 24, .csi_dt = MIPI_CSI2_DT_RGB888 },
	{ .fourcc = V4L2_PIX_FMT_BGR24, .code = MEDIA_BUS_FMT_BGR888_1X24,
	  .depth = 24, .csi_dt = MIPI_CSI2_DT_RGB888 },
	BAYER(V4L2_PIX_FMT_SBGGR8, MEDIA_BUS_FMT_SBGGR8_1X8, 8,
	      MIPI_CSI2_DT_RAW8, V4L2_PIX_FMT_SBGGR16),
	BAYER(V4L2_PIX_FMT_SGBRG8, MEDIA_BUS_FMT_SGBRG8_1X8, 8,
	      MIPI_CSI2_DT_RAW8, V4L2_PIX_FMT_SGBRG16),
	BAYER(V4L2_PIX_FMT_SGRBG8, MEDIA_BUS_FMT_SGRBG8_1X8, 8,
	      MIPI_CSI2_DT_RAW8, V4L2_PIX_FMT_SGRBG16),
	BAYER(V4L2_PIX_FMT_SRGGB8, MEDIA_BUS_FMT_SRGGB8_1X8, 8,
	      MIPI_CSI2_DT_RAW8, V4L2_PIX_FMT_SRGGB16),
	BAYER(V4L2_PIX_FMT_SBGGR10P, MEDIA_BUS_FMT_SBGGR10_1X10, 10,
	      MIPI_CSI2_DT_RAW10, V4L2_PIX_FMT_SBGGR16),
	BAYER(V4L2_PIX_FMT_SGBRG10P, MEDIA_BUS_FMT_SGBRG10_1X10, 10,
	      MIPI_CSI2_DT_RAW10, V4L2_PIX_FMT_SGBRG16),
	BAYER(V4L2_PIX_FMT_SGRBG10P, MEDIA_BUS_FMT_SGRBG10_1X10, 10,
	      MIPI_CSI2_DT_RAW10, V4L2_PIX_FMT_SGRBG16),
	BAYER(V4L2_PIX_FMT_SRGGB10P, MEDIA_BUS_FMT_SRGGB10_1X10, 10,
	      MIPI_CSI2_DT_RAW10, V4L2_PIX_FMT_SRGGB16),
	BAYER16(V4L2_PIX_FMT_SBGGR16, MEDIA_BUS_FMT_SBGGR16_1X16),
	BAYER16(V4L2_PIX_FMT_SGBRG16, MEDIA_BUS_FMT_SGBRG16_1X16),
	BAYER16(V4L2_PIX_FMT_SGRBG16, MEDIA_BUS_FMT_SGRBG16_1X16),
	BAYER16(V4L2_PIX_FMT_SRGGB16, MEDIA_BUS_FMT_SRGGB16_1X16),
	{ .fourcc = V4L2_META_FMT_SENSOR_DATA, .code = MEDIA_BUS_FMT_SENSOR_DATA,
	  .depth = 8, .csi_dt = MIPI_CSI2_DT_EMBEDDED_8B,
	  .flags = CFE_FORMAT_FLAG_META_CAP },
	{ .fourcc = V4L2_META_FMT_RPI_FE_CFG, .code = MEDIA_BUS_FMT_FIXED,
	  .flags = CFE_FORMAT_FLAG_META_OUT },
	{ .fourcc = V4L2_META_FMT_RPI_FE_STATS, .code = MEDIA_BUS_FMT_FIXED,
	  .flags = CFE_FORMAT_FLAG_META_CAP },
};

const struct cfe_fmt *cfe_format(unsigned int index)
{
	return index < ARRAY_SIZE(formats) ? &formats[index] : NULL;
}

const struct cfe_fmt *find_format_by_code(u32 code)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].code == code)
			return &formats[i];
	return NULL;
}

const struct cfe_fmt *find_format_by_pix(u32 pixelformat)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(formats); i++)
		if (formats[i].fourcc == pixelformat)
			return &formats[i];
	return NULL;
}

u32 cfe_find_16bit_code(u32 code)
{
	const struct cfe_fmt *fmt = find_format_by_code(code);

	if (!fmt || !fmt->remap16)
		return 0;
	fmt = find_format_by_pix(fmt->remap16);
	return fmt ? fmt->code : 0;
}

/* ---------------------------------------------------------------- csi2 */

static int csi2_init_state(struct v4l2_subdev *sd,
			   struct v4l2_subdev_state *state)
{
	unsigned int i;

	for (i = 0; i < CSI2_NUM_CHANNELS; i++) {
		const struct v4l2_mbus_framefmt *def =
			i == 1 ? &cfe_default_meta_format : &cfe_default_format;

		*v4l2_subdev_state_get_format(state, i) = *def;
		*v4l2_subdev_state_get_format(state, i + CSI2_NUM_CHANNELS) = *def;
	}
	return 0;
}

static int csi2_pad_set_fmt(struct v4l2_subdev *sd,
			    struct v4l2_subdev_state *state,
			    struct v4l2_subdev_format *format)
{
	struct v4l2_mbus_framefmt *fmt, *sink_fmt, *source_fmt;
	u32 code;

	if (format->pad < CSI2_NUM_CHANNELS) {
		/* Store the sink pad format and propagate it to the source. */
		fmt = v4l2_subdev_state_get_format(state, format->pad);
		if (!fmt)
			return -EINVAL;
		*fmt = format->format;
		fmt = v4l2_subdev_state_get_format(state,
					format->pad + CSI2_NUM_CHANNELS);
		if (!fmt)
			return -EINVAL;
		format->format.field = V4L2_FIELD_NONE;
		*fmt = format->format;
		return 0;
	}

	/* Only the source pad's code may change, to the 16-bit variant. */
	sink_fmt = v4l2_subdev_state_get_format(state,
					format->pad - CSI2_NUM_CHANNELS);
	source_fmt = v4l2_subdev_state_get_format(state, format->pad);
	if (!sink_fmt || !source_fmt)
		return -EINVAL;
	code = format->format.code;
	if (code != sink_fmt->code && code == cfe_find_16bit_code(sink_fmt->code))
		source_fmt->code = code;
	format->format.code = source_fmt->code;
	return 0;
}

static const struct v4l2_subdev_pad_ops csi2_pad_ops = {
	.get_fmt = v4l2_subdev_get_fmt,
	.set_fmt = csi2_pad_set_fmt,
	.link_validate = v4l2_subdev_link_validate_default,
};

static const struct v4l2_subdev_ops csi2_subdev_ops = {
	.pad = &csi2_pad_ops,
};

static const struct v4l2_subdev_internal_ops csi2_internal_ops = {
	.init_state = csi2_init_state,
};

static const struct media_entity_operations csi2_entity_ops = {
	.link_validate = v4l2_subdev_link_validate,
};

int csi2_init(struct csi2_device *csi2)
{
	unsigned int i;
	int ret;

	for (i = 0; i < CSI2_NUM_CHANNELS * 2; i++)
		csi2->pad[i].flags = i < CSI2_NUM_CHANNELS ?
				     MEDIA_PAD_FL_SINK : MEDIA_PAD_FL_SOURCE;
	ret = media_entity_pads_init(&csi2->sd.entity, ARRAY_SIZE(csi2->pad),
				     csi2->pad);
	if (ret)
		return ret;

	v4l2_subdev_init(&csi2->sd, &csi2_subdev_ops);
	csi2->sd.internal_ops = &csi2_internal_ops;
	csi2->sd.entity.function = MEDIA_ENT_F_VID_IF_BRIDGE;
	csi2->sd.entity.ops = &csi2_entity_ops;
	csi2->sd.flags = V4L2_SUBDEV_FL_HAS_DEVNODE;
	csi2->sd.owner = THIS_MODULE;
	snprintf(csi2->sd.name, sizeof(csi2->sd.name), "csi2");

	ret = v4l2_subdev_init_finalize(&csi2->sd);
	if (ret)
		goto err_entity;
	ret = v4l2_device_register_subdev(csi2->v4l2_dev, &csi2->sd);
	if (ret) {
		dev_err(csi2->v4l2_dev->dev, "Failed register csi2 subdev (%d)\n",
			ret);
		goto err_subdev;
	}
	return 0;

err_subdev:
	v4l2_subdev_cleanup(&csi2->sd);
err_entity:
	media_entity_cleanup(&csi2->sd.entity);
	return ret;
}

void csi2_uninit(struct csi2_device *csi2)
{
	v4l2_device_unregister_subdev(&csi2->sd);
	v4l2_subdev_cleanup(&csi2->sd);
	media_entity_cleanup(&csi2->sd.entity);
}

/* ------------------------------------------------------------- pisp-fe */

static int pisp_fe_init_state(struct v4l2_subdev *sd,
			      struct v4l2_subdev_state *state)
{
	struct v4l2_mbus_framefmt *fmt;

	fmt = v4l2_subdev_state_get_format(state, FE_STREAM_PAD);
	*fmt = cfe_default_format;
	fmt->code = MEDIA_BUS_FMT_SRGGB16_1X16;

	fmt = v4l2_subdev_state_get_format(state, FE_CONFIG_PAD);
	*fmt = cfe_default_meta_format;
	fmt->code = MEDIA_BUS_FMT_FIXED;

	fmt = v4l2_subdev_state_get_format(state, FE_OUTPUT0_PAD);
	*fmt = cfe_default_format;
	fmt->code = MEDIA_BUS_FMT_SRGGB16_1X16;

	fmt = v4l2_subdev_state_get_format(state, FE_OUTPUT1_PAD);
	*fmt = cfe_default_format;
	fmt->code = MEDIA_BUS_FMT_SRGGB16_1X16;

	fmt = v4l2_subdev_state_get_format(state, FE_STATS_PAD);
	*fmt = cfe_default_meta_format;
	fmt->code = MEDIA_BUS_FMT_FIXED;
	return 0;
}

static int pisp_fe_pad_set_fmt(struct v4l2_subdev *sd,
			       struct v4l2_subdev_state *state,
			       struct v4l2_subdev_format *format)
{
	const struct cfe_fmt *cfe_fmt;

	switch (format->pad) {
	case FE_STREAM_PAD:
	case FE_OUTPUT0_PAD:
	case FE_OUTPUT1_PAD:
		cfe_fmt = find_format_by_code(format->format.code);
		if (!cfe_fmt || !(cfe_fmt->flags & CFE_FORMAT_FLAG_FE_OUT))
			cfe_fmt = find_format_by_code(MEDIA_BUS_FMT_SRGGB16_1X16);
		format->format.code = cfe_fmt->code;
		break;
	case FE_CONFIG_PAD:
	case FE_STATS_PAD:
		format->format.code = MEDIA_BUS_FMT_FIXED;
		break;
	}
	*v4l2_subdev_state_get_format(state, format->pad) = format->format;
	return 0;
}

static int pisp_fe_link_validate(struct v4l2_subdev *sd,
				 struct media_link *link,
				 struct v4l2_subdev_format *source_fmt,
				 struct v4l2_subdev_format *sink_fmt)
{
	/* As pisp_fe.c: the width is compared twice, the height never. */
	if (source_fmt->format.width != sink_fmt->format.width ||
	    source_fmt->format.code != sink_fmt->format.code) {
		dev_err(sd->v4l2_dev->dev,
			"%s: format does not match (source %ux%u 0x%x, sink %ux%u 0x%x)\n",
			__func__, source_fmt->format.width,
			source_fmt->format.height, source_fmt->format.code,
			sink_fmt->format.width, sink_fmt->format.height,
			sink_fmt->format.code);
		return -EPIPE;
	}
	return 0;
}

static const struct v4l2_subdev_pad_ops pisp_fe_pad_ops = {
	.get_fmt = v4l2_subdev_get_fmt,
	.set_fmt = pisp_fe_pad_set_fmt,
	.link_validate = pisp_fe_link_validate,
};

static const struct v4l2_subdev_ops pisp_fe_subdev_ops = {
	.pad = &pisp_fe_pad_ops,
};

static const struct v4l2_subdev_internal_ops pisp_fe_internal_ops = {
	.init_state = pisp_fe_init_state,
};

static const struct media_entity_operations pisp_fe_entity_ops = {
	.link_validate = v4l2_subdev_link_validate,
};

int pisp_fe_init(struct pisp_fe_device *fe)
{
	int ret;

	fe->hw_revision = 0;	/* FE_VERSION: no register to read */
	fe->pad[FE_STREAM_PAD].flags = MEDIA_PAD_FL_SINK |
				       MEDIA_PAD_FL_MUST_CONNECT;
	fe->pad[FE_CONFIG_PAD].flags = MEDIA_PAD_FL_SINK;
	fe->pad[FE_OUTPUT0_PAD].flags = MEDIA_PAD_FL_SOURCE;
	fe->pad[FE_OUTPUT1_PAD].flags = MEDIA_PAD_FL_SOURCE;
	fe->pad[FE_STATS_PAD].flags = MEDIA_PAD_FL_SOURCE;
	ret = media_entity_pads_init(&fe->sd.entity, ARRAY_SIZE(fe->pad),
				     fe->pad);
	if (ret)
		return ret;

	v4l2_subdev_init(&fe->sd, &pisp_fe_subdev_ops);
	fe->sd.internal_ops = &pisp_fe_internal_ops;
	fe->sd.entity.function = MEDIA_ENT_F_PROC_VIDEO_SCALER;
	fe->sd.entity.ops = &pisp_fe_entity_ops;
	fe->sd.flags = V4L2_SUBDEV_FL_HAS_DEVNODE;
	fe->sd.owner = THIS_MODULE;
	snprintf(fe->sd.name, sizeof(fe->sd.name), "pisp-fe");

	ret = v4l2_subdev_init_finalize(&fe->sd);
	if (ret)
		goto err_entity;
	ret = v4l2_device_register_subdev(fe->v4l2_dev, &fe->sd);
	if (ret) {
		dev_err(fe->v4l2_dev->dev, "Failed register pisp fe subdev (%d)\n",
			ret);
		goto err_subdev;
	}
	return 0;

err_subdev:
	v4l2_subdev_cleanup(&fe->sd);
err_entity:
	media_entity_cleanup(&fe->sd.entity);
	return ret;
}

void pisp_fe_uninit(struct pisp_fe_device *fe)
{
	v4l2_device_unregister_subdev(&fe->sd);
	v4l2_subdev_cleanup(&fe->sd);
	media_entity_cleanup(&fe->sd.entity);
}

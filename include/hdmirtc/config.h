/* SPDX-License-Identifier: GPL-3.0-or-later */
/* hdmirtc's configuration: a GKeyFile (default
 * $HDMIRTC_SYSCONFDIR/hdmirtc/hdmirtc.conf, or --config PATH) whose every
 * key is also a command-line option; options override the file.  One table
 * in src/core/config.c describes every option, so the file parser, the
 * option parser, validation, --help and the dump cannot disagree.  The
 * reference for users is doc/configuration.md.
 *
 * Everything here runs on the main thread before the service starts; the
 * filled-in struct is read-only afterwards and may then be read from any
 * thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define HDMIRTC_CONFIG_ERROR (hdmirtc_config_error_quark())
GQuark hdmirtc_config_error_quark(void);

/* Every error of hdmirtc_config_load() is in HDMIRTC_CONFIG_ERROR; its
 * message names the file (or the option), the group and key, the value and
 * why it was refused.  main() exits with status 2 on any of them. */
typedef enum {
	HDMIRTC_CONFIG_ERROR_NOT_FOUND,      /* --config names a file that does not exist */
	HDMIRTC_CONFIG_ERROR_UNREADABLE,     /* permissions, a directory, too large */
	HDMIRTC_CONFIG_ERROR_SYNTAX,         /* not a key file */
	HDMIRTC_CONFIG_ERROR_UNKNOWN_GROUP,
	HDMIRTC_CONFIG_ERROR_UNKNOWN_KEY,
	HDMIRTC_CONFIG_ERROR_INVALID_VALUE,  /* bad syntax, out of range, not allowed */
	HDMIRTC_CONFIG_ERROR_BAD_OPTION,     /* unknown option, missing argument, extra argument */
} HdmirtcConfigError;

typedef enum {
	HDMIRTC_CONFIG_SOURCE_AUTO,          /* the HDMI bridge if there is one, else the test pattern */
	HDMIRTC_CONFIG_SOURCE_TEST_PATTERN,
	HDMIRTC_CONFIG_SOURCE_V4L2,
	HDMIRTC_CONFIG_SOURCE_LIBCAMERA,     /* a camera through libcamera */
} HdmirtcConfigSource;

/* Where the sound comes from (issue 16). */
typedef enum {
	HDMIRTC_CONFIG_AUDIO_AUTO,           /* the HDMI bridge's sound card if there is one, else the tone */
	HDMIRTC_CONFIG_AUDIO_TONE,           /* synthetic: a tone with a click on each second */
	HDMIRTC_CONFIG_AUDIO_ALSA,           /* the ALSA device audio_device */
	HDMIRTC_CONFIG_AUDIO_NONE,           /* video only */
} HdmirtcConfigAudio;

/* The pixel format asked of a V4L2 capture device. */
typedef enum {
	HDMIRTC_CONFIG_CAPTURE_FORMAT_AUTO,  /* UYVY, else RGB24 (or what a local screen scans out) */
	HDMIRTC_CONFIG_CAPTURE_FORMAT_UYVY,
	HDMIRTC_CONFIG_CAPTURE_FORMAT_RGB24,
	HDMIRTC_CONFIG_CAPTURE_FORMAT_XRGB8888, /* x264 only: no M2M encoder takes it */
} HdmirtcConfigCaptureFormat;

typedef enum {
	HDMIRTC_CONFIG_ENCODER_AUTO,         /* V4L2 M2M if there is one, else x264 */
	HDMIRTC_CONFIG_ENCODER_X264,
	HDMIRTC_CONFIG_ENCODER_M2M,
} HdmirtcConfigEncoder;

/* The DTLS role hdmirtc takes when an offer leaves it the choice
 * (a=setup:actpass).  An offer that says active or passive decides. */
typedef enum {
	HDMIRTC_CONFIG_DTLS_CLIENT,          /* answer a=setup:active (RFC 8842's advice) */
	HDMIRTC_CONFIG_DTLS_SERVER,          /* answer a=setup:passive */
} HdmirtcConfigDtlsRole;

/* Plain data.  Strings and string vectors are owned by the struct and freed
 * by hdmirtc_config_clear(); an "empty" string option is "" (never NULL) and
 * an empty list is a NULL-terminated vector with no element (never NULL). */
typedef struct HdmirtcConfig {
	/* [http] */
	char *http_address;             /* IP literal to listen on; "::" is dual-stack */
	guint http_port;
	gboolean tls;                   /* HTTPS (plain requests redirected) */
	char *tls_certificate;          /* PEM chain (+ key); created self-signed if missing */
	char *tls_key;                  /* "" = in tls_certificate */
	char *token;                    /* bearer token; "" = token_file's (or open_access) */
	char *token_file;               /* where the generated token is kept; "" = not kept */
	gboolean open_access;           /* no token at all */
	char *cors_origin;              /* Access-Control-Allow-Origin value; "" = none */
	gboolean reverse_proxy;         /* plain HTTP, trust X-Forwarded-For from loopback */
	char *unix_socket;              /* "" = TCP */

	/* [source] */
	HdmirtcConfigSource source;
	char *device;                   /* "" = find the TC358743 through the media controller */
	char *camera;                   /* libcamera's camera id; "" = the first camera */
	guint width;
	guint height;
	guint fps;
	char *edid;                     /* EDID file; "" = built-in EDID */
	char *edid_store;               /* where an uploaded EDID is kept; "" = not kept */
	guint csi_lanes;                /* CSI-2 data lanes of the board; 0 = the device tree's */
	HdmirtcConfigCaptureFormat capture_format;

	/* [encoder] */
	HdmirtcConfigEncoder encoder;
	guint bitrate_kbps;
	guint keyframe_interval;        /* frames between periodic IDRs */
	guint keyframe_min_interval_ms; /* rate limit for PLI/FIR-requested IDRs */
	gboolean x264_early_slices;     /* send x264's top slice before the picture is done */
	guint x264_threads;             /* x264's slice threads, 0 = the cores + 1 (at most 8) */

	/* [webrtc] */
	guint max_viewers;
	guint max_viewers_per_address;  /* 0 = half of max_viewers, at least 1 */
	guint send_priority;            /* SCHED_RR priority of a frame's fan-out, 0 = off */
	guint udp_port_min;             /* 1..65535, udp_port_min <= udp_port_max */
	guint udp_port_max;
	char *stun_server;              /* "host:port" or "[v6]:port"; "" = no STUN */
	char **turn_servers;            /* turn:/turns: URLs, see hdmirtc_config_parse_turn_url() */
	char *turn_username;
	char *turn_password;
	char *turn_secret;              /* TURN REST API shared secret; "" = static credentials */
	guint turn_credential_ttl_s;    /* lifetime of the credentials made from turn_secret */
	char *turn_tls_ca;              /* CA file for turns: servers; "" = system store */
	gboolean turn_tls_verify;
	char *certificate;              /* DTLS certificate + key (PEM), created if missing */
	HdmirtcConfigDtlsRole dtls_role;
	char **interfaces;              /* empty = the default-route interface */
	gboolean ipv6;
	gboolean ice_tcp;               /* passive TCP host candidates too (RFC 6544) */
	char **public_addresses;        /* IP literals announced as host candidates (1:1 NAT) */

	/* [audio] */
	HdmirtcConfigAudio audio;
	char *audio_device;             /* ALSA device; "" = the bridge's card */
	guint audio_frame_ms;           /* Opus frame: 10 or 20 ms */
	guint audio_bitrate_kbps;

	/* [display] */
	char *display;                  /* DRM connector of a local screen, "auto"; "" = none */

	/* [publish] */
	char **janus_urls;              /* Janus HTTP API URLs fed with the stream; empty = none */
	guint janus_mountpoint;         /* the Streaming mountpoint id made on each */
	char *janus_admin_key;          /* the Streaming plugin's admin_key; "" = none */
	char *janus_secret;             /* the mountpoint's secret; "" = none */
	char *janus_viewer_url;         /* Janus's API as browsers reach it; "" = the page does not offer it */
	char **whip_urls;               /* WHIP endpoints published to; empty = none */
	char **whip_tokens;             /* their bearer tokens: none, one for all, or one each */

	/* [log] */
	GLogLevelFlags log_level;       /* G_LOG_LEVEL_ERROR .. G_LOG_LEVEL_DEBUG: the most verbose level shown */

	/* Not options of the file. */
	char *config_path;              /* the file read when --config is absent (a missing file there is
	                                 * fine); after load: the file that was looked for */
	gboolean config_loaded;         /* after load: TRUE if config_path was read */
	gboolean print_config;          /* --print-config: main prints the dump and exits 0 */
	gboolean show_version;          /* --version: main prints "hdmirtc VERSION" and exits 0 */
	gboolean probe;                 /* --probe: main reports on the hardware and exits */
} HdmirtcConfig;

/* Fills cfg with the defaults (the same ones --help shows); config_path is
 * the installed default path.  Never fails. */
void hdmirtc_config_init(HdmirtcConfig *cfg);
/* Frees what cfg owns and leaves it zeroed.  NULL-safe, idempotent. */
void hdmirtc_config_clear(HdmirtcConfig *cfg);

/* Parses the command line (removing what it consumed from argc and argv;
 * hdmirtc takes no positional argument, a leftover one is an error), reads
 * the file named by --config or cfg->config_path, then applies the options
 * on top of it.  cfg must have been initialised with hdmirtc_config_init().
 * A missing file is an error only when given with --config.  With
 * --version, returns TRUE at once with show_version set and reads no file.
 * --help is GOptionContext's: it prints and calls exit(0).
 * On failure cfg may be partially updated; the caller clears it. */
gboolean hdmirtc_config_load(HdmirtcConfig *cfg, int *argc, char ***argv, GError **error);
/* The file step of hdmirtc_config_load() on text in memory: reads data (len
 * bytes of key-file text, not necessarily NUL-terminated) as if it were
 * the configuration file name (used only in messages) over what cfg holds,
 * sets config_loaded, then makes the checks that involve several options.
 * No command line, no file access; config_path is left as it is.  Errors
 * as hdmirtc_config_load()'s for a file that could be read. */
gboolean hdmirtc_config_load_data(HdmirtcConfig *cfg, const char *name, const char *data, gsize len,
                                  GError **error);

typedef enum {
	HDMIRTC_CONFIG_DUMP_DEFAULT = 0,
	HDMIRTC_CONFIG_DUMP_REDACT_SECRETS = 1 << 0, /* token and turn-password as "(redacted)": for logs */
	HDMIRTC_CONFIG_DUMP_NO_COMMENTS = 1 << 1,    /* no help comment above each key */
} HdmirtcConfigDumpFlags;

/* The effective configuration as key-file text that hdmirtc_config_load()
 * reads back to an equal struct (unless secrets were redacted).  Every
 * option is written, defaults included.  Caller frees with g_free(). */
char *hdmirtc_config_to_keyfile_text(const HdmirtcConfig *cfg, HdmirtcConfigDumpFlags flags);

/* The --help text, built from the same option table.  Caller frees. */
char *hdmirtc_config_help_text(void);

const char *hdmirtc_config_source_to_string(HdmirtcConfigSource source);
const char *hdmirtc_config_encoder_to_string(HdmirtcConfigEncoder encoder);

/* TRUE if value is a token the [http] token option takes (RFC 6750
 * b64token: letters, digits, -._~+/, then trailing =); else FALSE with
 * HDMIRTC_CONFIG_ERROR_INVALID_VALUE. */
gboolean hdmirtc_config_validate_token(const char *value, GError **error);

/* Splits "host:port" or "[ipv6]:port" (port 1..65535, required).  The host
 * is a DNS name or an IPv4 literal, or an IPv6 literal in brackets (returned
 * without them).  *host is newly allocated.  Pure function, any thread. */
gboolean hdmirtc_config_parse_host_port(const char *text, char **host, guint16 *port, GError **error);

typedef enum {
	HDMIRTC_CONFIG_TURN_UDP,             /* turn:host[:port][?transport=udp] */
	HDMIRTC_CONFIG_TURN_TCP,             /* turn:host[:port]?transport=tcp */
	HDMIRTC_CONFIG_TURN_TLS,             /* turns:host[:port][?transport=tcp] */
} HdmirtcConfigTurnTransport;

typedef struct {
	HdmirtcConfigTurnTransport transport;
	char *host;                          /* owned; IPv6 without brackets */
	guint16 port;                        /* 3478 (turn) or 5349 (turns) when absent, RFC 7065 */
} HdmirtcConfigTurnServer;

/* Parses a TURN URL (RFC 7065).  turns: over UDP (DTLS) is refused: libnice
 * has no TURN over DTLS.  Pure function, any thread. */
gboolean hdmirtc_config_parse_turn_url(const char *url, HdmirtcConfigTurnServer *server, GError **error);
/* Frees server->host.  NULL-safe. */
void hdmirtc_config_turn_server_clear(HdmirtcConfigTurnServer *server);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Configuration file + command line.  Everything is driven by options[]:
 * defaults are parsed from the table's text by the same setter that reads
 * the file and the command line, --help and the dump are generated from it,
 * and unknown keys are whatever the table does not list.
 *
 * This file: the table itself (options, aliases, groups, enum names), the
 * error domain, and init/clear, which fill in the defaults and free the
 * struct by walking the table.  Value checks are in config-validate.c, text
 * <-> field conversion in config-option.c, the dump in config-dump.c and
 * the command line + file loader (and --help) in config-load.c. */
#include "config-private.h"

#include <stddef.h>
#include <string.h>

G_DEFINE_QUARK(hdmirtc-config-error-quark, hdmirtc_config_error)

/* Enum fields are stored through an int pointer. */
G_STATIC_ASSERT(sizeof(HdmirtcConfigSource) == sizeof(int));
G_STATIC_ASSERT(sizeof(HdmirtcConfigEncoder) == sizeof(int));
G_STATIC_ASSERT(sizeof(HdmirtcConfigCaptureFormat) == sizeof(int));
G_STATIC_ASSERT(sizeof(HdmirtcConfigAudio) == sizeof(int));
G_STATIC_ASSERT(sizeof(HdmirtcConfigDtlsRole) == sizeof(int));
G_STATIC_ASSERT(sizeof(GLogLevelFlags) == sizeof(int));

static const EnumValue source_values[] = {
	{ "auto", HDMIRTC_CONFIG_SOURCE_AUTO },
	{ "test-pattern", HDMIRTC_CONFIG_SOURCE_TEST_PATTERN },
	{ "v4l2", HDMIRTC_CONFIG_SOURCE_V4L2 },
	{ "libcamera", HDMIRTC_CONFIG_SOURCE_LIBCAMERA },
	{ NULL, 0 },
};

static const EnumValue capture_format_values[] = {
	{ "auto", HDMIRTC_CONFIG_CAPTURE_FORMAT_AUTO },
	{ "uyvy", HDMIRTC_CONFIG_CAPTURE_FORMAT_UYVY },
	{ "rgb24", HDMIRTC_CONFIG_CAPTURE_FORMAT_RGB24 },
	{ "xrgb8888", HDMIRTC_CONFIG_CAPTURE_FORMAT_XRGB8888 },
	{ NULL, 0 },
};

static const EnumValue encoder_values[] = {
	{ "auto", HDMIRTC_CONFIG_ENCODER_AUTO },
	{ "x264", HDMIRTC_CONFIG_ENCODER_X264 },
	{ "m2m", HDMIRTC_CONFIG_ENCODER_M2M },
	{ NULL, 0 },
};

static const EnumValue audio_values[] = {
	{ "auto", HDMIRTC_CONFIG_AUDIO_AUTO },
	{ "tone", HDMIRTC_CONFIG_AUDIO_TONE },
	{ "alsa", HDMIRTC_CONFIG_AUDIO_ALSA },
	{ "none", HDMIRTC_CONFIG_AUDIO_NONE },
	{ NULL, 0 },
};

static const EnumValue dtls_role_values[] = {
	{ "client", HDMIRTC_CONFIG_DTLS_CLIENT },
	{ "server", HDMIRTC_CONFIG_DTLS_SERVER },
	{ NULL, 0 },
};

static const EnumValue log_values[] = {
	{ "error", G_LOG_LEVEL_ERROR },
	{ "warning", G_LOG_LEVEL_WARNING },
	{ "message", G_LOG_LEVEL_MESSAGE },
	{ "info", G_LOG_LEVEL_INFO },
	{ "debug", G_LOG_LEVEL_DEBUG },
	{ NULL, 0 },
};

#define F(field) offsetof(HdmirtcConfig, field)

const Option hdmirtc_config_options[] = {
	{ "http", "address", NULL, "http-address", OPT_STRING, F(http_address), 0, "::",
	  .validate = hdmirtc_config_validate_ip, .arg = "ADDRESS",
	  .help = "IP address the HTTP server listens on; :: accepts IPv4 and IPv6" },
	{ "http", "port", NULL, "http-port", OPT_UINT, F(http_port), 0, "8080", 0, 65535,
	  .arg = "PORT", .help = "TCP port of the HTTP server (WHEP, API, web page); 0 = any free port" },
	{ "http", "tls", NULL, "tls", OPT_BOOL, F(tls), 0, "true",
	  .help = "Serve HTTPS; a plain-HTTP request on the port is redirected to it "
	          "(--tls=false or --no-tls: plain HTTP, only on a network you trust)" },
	{ "http", "tls-certificate", NULL, "tls-certificate", OPT_STRING, F(tls_certificate), 0,
	  HDMIRTC_STATEDIR "/https.pem", .validate = hdmirtc_config_validate_not_empty, .arg = "PATH",
	  .help = "HTTPS certificate chain (PEM), with its key unless tls-key is set; when missing, "
	          "a self-signed one naming this host is created there" },
	{ "http", "tls-key", NULL, "tls-key", OPT_STRING, F(tls_key), 0, "", .arg = "PATH",
	  .help = "Private key (PEM) of tls-certificate; empty = in the certificate file" },
	{ "http", "token", NULL, "token", OPT_STRING, F(token), 0, "",
	  .validate = hdmirtc_config_validate_token, .arg = "TOKEN", .secret = TRUE,
	  .help = "Bearer token that the page, WHEP and API requests must carry; empty = the one "
	          "kept in token-file, made on first start" },
	{ "http", "token-file", NULL, "token-file", OPT_STRING, F(token_file), 0,
	  HDMIRTC_STATEDIR "/http-token", .arg = "PATH",
	  .help = "Where the token made on first start is kept (when token is empty); "
	          "empty = a new token at every start" },
	{ "http", "open-access", NULL, "open-access", OPT_BOOL, F(open_access), 0, "false",
	  .help = "No token at all: whoever reaches the port sees and controls the screen. Only "
	          "behind a reverse proxy that authenticates" },
	{ "http", "cors-origin", NULL, "cors-origin", OPT_STRING, F(cors_origin), 0, "",
	  .validate = hdmirtc_config_validate_origin, .arg = "ORIGIN",
	  .help = "Access-Control-Allow-Origin for pages of another origin: one origin such as "
	          "https://kvm.example.com, or *; empty = same origin only" },
	{ "http", "reverse-proxy", NULL, "reverse-proxy", OPT_BOOL, F(reverse_proxy), 0, "false",
	  .help = "A reverse proxy on this host does TLS and forwards to us: plain HTTP on a "
	          "loopback http-address or on unix-socket, and its X-Forwarded-For names the client" },
	{ "http", "unix-socket", NULL, "unix-socket", OPT_STRING, F(unix_socket), 0, "", .arg = "PATH",
	  .help = "With reverse-proxy: listen on this Unix socket instead of http-address:http-port" },

	{ "source", "type", NULL, "source", OPT_ENUM, F(source), 0, "auto", .values = source_values,
	  .help = "Video source; auto = the HDMI bridge if there is one, else the test pattern" },
	{ "source", "device", NULL, "device", OPT_STRING, F(device), 0, "", .arg = "PATH",
	  .help = "V4L2 capture device; empty = find the TC358743 bridge through the media controller" },
	{ "source", "camera", NULL, "camera", OPT_STRING, F(camera), 0, "", .arg = "ID",
	  .help = "With source = libcamera: the camera's id as libcamera names it (cam --list shows them); "
	          "empty = the first camera" },
	{ "source", "width", NULL, "width", OPT_UINT, F(width), 0, "1280", 160, 4096, 2,
	  .arg = "PIXELS", .help = "Video width in pixels" },
	{ "source", "height", NULL, "height", OPT_UINT, F(height), 0, "720", 120, 4096, 2,
	  .arg = "PIXELS", .help = "Video height in pixels" },
	{ "source", "fps", NULL, "fps", OPT_UINT, F(fps), 0, "30", 1, 120,
	  .arg = "N", .help = "Frames per second" },
	{ "source", "edid", NULL, "edid", OPT_STRING, F(edid), 0, "", .arg = "PATH",
	  .help = "EDID file to program into the HDMI bridge; empty = the built-in EDID" },
	{ "source", "edid-store", NULL, "edid-store", OPT_STRING, F(edid_store), 0,
	  HDMIRTC_STATEDIR "/edid-uploaded.bin", .arg = "PATH",
	  .help = "Where an EDID uploaded with PUT /api/edid is kept; it is used instead of "
	          "edid at the next start. Empty = uploads last until a restart" },

	{ "source", "csi-lanes", NULL, "csi-lanes", OPT_UINT, F(csi_lanes), 0, "0", 0, 4,
	  .arg = "N", .help = "CSI-2 data lanes between bridge and Pi (2 or 4); 0 = read them from "
	                      "the device tree. The EDID offers only modes that fit" },
	{ "source", "capture-format", NULL, "capture-format", OPT_ENUM, F(capture_format), 0, "auto",
	  .values = capture_format_values,
	  .help = "Pixel format asked of the V4L2 capture device; auto = UYVY, else RGB24 (with a local "
	          "screen, first what it scans out as it is). xrgb8888 only with x264" },

	{ "encoder", "type", NULL, "encoder", OPT_ENUM, F(encoder), 0, "auto", .values = encoder_values,
	  .help = "H.264 encoder; auto = the V4L2 M2M hardware encoder if there is one, else x264" },
	{ "encoder", "bitrate", NULL, "bitrate", OPT_UINT, F(bitrate_kbps), 0, "5000", 100, 50000,
	  .arg = "KBIT/S", .help = "Target bitrate in kbit/s" },
	{ "encoder", "keyframe-interval", NULL, "keyframe-interval", OPT_UINT, F(keyframe_interval), 0,
	  "300", 1, 3000, .arg = "FRAMES",
	  .help = "Frames between periodic IDR frames (viewers also get one when they join and on PLI/FIR)" },
	{ "encoder", "keyframe-min-interval-ms", NULL, "keyframe-min-interval", OPT_UINT,
	  F(keyframe_min_interval_ms), 0, "500", 0, 60000, .arg = "MS",
	  .help = "Minimum time in ms between IDR frames requested by viewers (PLI/FIR)" },
	{ "encoder", "x264-early-slices", NULL, "x264-early-slices", OPT_BOOL, F(x264_early_slices), 0,
	  "false", .help = "With x264 on 2 or more cores, send a picture's top slice while the others are "
	  "still encoded (gains only where cores are free beside x264's slice threads)" },
	{ "encoder", "x264-threads", NULL, "x264-threads", OPT_UINT, F(x264_threads), 0, "0", 0, 16,
	  .arg = "N", .help = "x264's slice threads, one slice of the picture each; 0 = one more than the "
	  "cores, at most 8 (the core whose slice was light takes the slice left waiting)" },

	{ "webrtc", "max-viewers", NULL, "max-viewers", OPT_UINT, F(max_viewers), 0, "8", 1, 256,
	  .arg = "N", .help = "Maximum number of simultaneous viewers" },
	{ "webrtc", "max-viewers-per-address", NULL, "max-viewers-per-address", OPT_UINT,
	  F(max_viewers_per_address), 0, "0", 0, 256, .arg = "N",
	  .help = "Most viewers one client address may hold (POST /whep answers 429 past it), so that "
	          "one machine cannot take every place; 0 = half of max-viewers (at least 1)" },
	{ "webrtc", "send-priority", NULL, "send-priority", OPT_UINT, F(send_priority), 0, "1", 0, 99,
	  .arg = "N", .help = "SCHED_RR priority of the threads while they send a frame to the viewers, so "
	          "that no other process comes between the first viewer and the last; 0 = normal scheduling "
	          "(needs CAP_SYS_NICE or LimitRTPRIO=N)" },
	{ "webrtc", "udp-port-min", "udp-port-max", "udp-ports", OPT_PORT_RANGE, F(udp_port_min),
	  F(udp_port_max), "10000-20000", 1, 65535, .arg = "MIN-MAX",
	  .help = "UDP ports for ICE candidates" },
	{ "webrtc", "stun-server", NULL, "stun-server", OPT_STRING, F(stun_server), 0,
	  "stun.l.google.com:19302", .validate = hdmirtc_config_validate_stun, .arg = "HOST:PORT",
	  .help = "STUN server for server-reflexive candidates; empty (or --no-stun) = no STUN" },
	{ "webrtc", "turn-servers", NULL, "turn", OPT_LIST, F(turn_servers), 0, "",
	  .validate = hdmirtc_config_validate_turn, .arg = "URL",
	  .help = "TURN servers, turn:HOST:PORT?transport=udp|tcp or turns:HOST:PORT "
	          "(TLS); comma-separated, the option may be repeated" },
	{ "webrtc", "turn-username", NULL, "turn-username", OPT_STRING, F(turn_username), 0, "",
	  .arg = "NAME", .help = "User name for the TURN servers" },
	{ "webrtc", "turn-password", NULL, "turn-password", OPT_STRING, F(turn_password), 0, "",
	  .arg = "PASSWORD", .secret = TRUE, .help = "Password for the TURN servers" },
	{ "webrtc", "turn-secret", NULL, "turn-secret", OPT_STRING, F(turn_secret), 0, "",
	  .arg = "SECRET", .secret = TRUE,
	  .help = "Shared secret of the TURN REST API (coturn's static-auth-secret): time-limited "
	          "credentials are made from it instead of turn-password" },
	{ "webrtc", "turn-credential-ttl", NULL, "turn-credential-ttl", OPT_UINT,
	  F(turn_credential_ttl_s), 0, "86400", 600, 604800, .arg = "SECONDS",
	  .help = "Lifetime of the credentials made from turn-secret" },
	{ "webrtc", "turn-tls-ca", NULL, "turn-tls-ca", OPT_STRING, F(turn_tls_ca), 0, "",
	  .arg = "PATH", .help = "CA certificates (PEM) that turns: servers are checked against; "
	                         "empty = the system's store" },
	{ "webrtc", "turn-tls-verify", NULL, "turn-tls-verify", OPT_BOOL, F(turn_tls_verify), 0, "true",
	  .help = "Check turns: servers' certificates (--turn-tls-verify=false only for a lab "
	          "TURN server with a self-signed certificate)" },
	{ "webrtc", "certificate", NULL, "certificate", OPT_STRING, F(certificate), 0,
	  HDMIRTC_STATEDIR "/dtls.pem", .validate = hdmirtc_config_validate_not_empty, .arg = "PATH",
	  .help = "DTLS certificate and key (PEM), created if missing" },
	{ "webrtc", "dtls-role", NULL, "dtls-role", OPT_ENUM, F(dtls_role), 0, "client",
	  .values = dtls_role_values,
	  .help = "DTLS role when the player's offer leaves the choice (a=setup:actpass): client "
	          "answers a=setup:active, server answers passive; an offer that says active or "
	          "passive is followed" },
	{ "webrtc", "interfaces", NULL, "interfaces", OPT_LIST, F(interfaces), 0, "",
	  .validate = hdmirtc_config_validate_ifname, .arg = "IFACES",
	  .help = "Network interfaces for ICE candidates, comma-separated; empty = the default-route interface" },
	{ "webrtc", "ipv6", NULL, "ipv6", OPT_BOOL, F(ipv6), 0, "true",
	  .help = "Gather IPv6 candidates too (--ipv6=false or --no-ipv6 to turn off)" },
	{ "webrtc", "ice-tcp", NULL, "ice-tcp", OPT_BOOL, F(ice_tcp), 0, "true",
	  .help = "Also offer ICE over TCP (RFC 6544: passive TCP host candidates in the UDP port "
	          "range, below UDP in priority) for networks that let no UDP through "
	          "(--no-ice-tcp to turn off)" },
	{ "webrtc", "public-addresses", NULL, "public-address", OPT_LIST, F(public_addresses), 0, "",
	  .validate = hdmirtc_config_validate_ip, .arg = "ADDRESS",
	  .help = "Public IP addresses announced as host candidates (static 1:1 NAT); "
	          "comma-separated, the option may be repeated" },

	{ "audio", "source", NULL, "audio", OPT_ENUM, F(audio), 0, "auto", .values = audio_values,
	  .help = "Sound sent beside the video (Opus); auto = the HDMI bridge's sound card if there is "
	          "one, else a quiet tone with a click on each second; alsa = the card audio-device; "
	          "none = video only" },
	{ "audio", "device", NULL, "audio-device", OPT_STRING, F(audio_device), 0, "", .arg = "ALSA-DEVICE",
	  .help = "ALSA capture device, e.g. hw:CARD=tc358743 or hw:CARD=Loopback,DEV=1; empty = the "
	          "card of the HDMI bridge (its name contains tc358743)" },
	{ "audio", "frame-ms", NULL, "audio-frame-ms", OPT_UINT, F(audio_frame_ms), 0, "20", 10, 20, 10,
	  .arg = "MS", .help = "Opus frame length: 20 ms, or 10 ms for less delay at a higher packet rate" },
	{ "audio", "bitrate", NULL, "audio-bitrate", OPT_UINT, F(audio_bitrate_kbps), 0, "64", 6, 510,
	  .arg = "KBIT/S", .help = "Opus bitrate in kbit/s" },

	{ "display", "connector", NULL, "display", OPT_STRING, F(display), 0, "", .arg = "CONNECTOR",
	  .help = "Show the picture on a local screen: a DRM connector as the kernel names it (HDMI-A-1, "
	          "Virtual-1; the names are in /sys/class/drm as cardN-NAME), or auto = the first with a "
	          "monitor connected; empty = none" },

	{ "publish", "janus", NULL, "janus", OPT_LIST, F(janus_urls), 0, "",
	  .validate = hdmirtc_config_validate_http_url, .arg = "URL",
	  .help = "Janus servers to hand the stream to, by their HTTP API (http://HOST:8088/janus): "
	          "the service creates a Streaming plugin mountpoint on each and feeds it plain RTP, "
	          "so that Janus serves the many viewers; comma-separated, the option may be repeated" },
	{ "publish", "janus-mountpoint", NULL, "janus-mountpoint", OPT_UINT, F(janus_mountpoint), 0, "1",
	  1, G_MAXINT32, .arg = "ID", .help = "Id of the Streaming mountpoint made on each Janus" },
	{ "publish", "janus-admin-key", NULL, "janus-admin-key", OPT_STRING, F(janus_admin_key), 0, "",
	  .arg = "KEY", .secret = TRUE,
	  .help = "The Streaming plugin's admin_key, when Janus's configuration sets one" },
	{ "publish", "janus-secret", NULL, "janus-secret", OPT_STRING, F(janus_secret), 0, "",
	  .arg = "SECRET", .secret = TRUE,
	  .help = "Secret of the mountpoint: without it nobody else can read its ports, change or "
	          "destroy it" },
	{ "publish", "janus-viewer-url", NULL, "janus-viewer-url", OPT_STRING, F(janus_viewer_url), 0, "",
	  .validate = hdmirtc_config_validate_http_url_or_empty, .arg = "URL",
	  .help = "Janus's HTTP API as browsers reach it (https://kvm.example/janus): the page then "
	          "offers to watch the mountpoint through Janus (janus.html); empty = it does not" },

	{ "publish", "whip", NULL, "whip", OPT_LIST, F(whip_urls), 0, "",
	  .validate = hdmirtc_config_validate_http_url, .arg = "URL",
	  .help = "WHIP endpoints (RFC 9725) to publish the stream to: the service offers one WebRTC "
	          "session to each, as to a viewer, and starts it again when the server goes away; "
	          "comma-separated, the option may be repeated" },
	{ "publish", "whip-tokens", NULL, "whip-token", OPT_LIST, F(whip_tokens), 0, "",
	  .validate = hdmirtc_config_validate_token, .arg = "TOKEN", .secret = TRUE,
	  .help = "Bearer tokens of the WHIP endpoints, in their order; one token serves them all; "
	          "none = no Authorization header" },

	{ "log", "level", NULL, "log-level", OPT_ENUM, F(log_level), 0, "message", .values = log_values,
	  .help = "Most verbose log level shown" },
};

const Alias hdmirtc_config_aliases[] = {
	{ "no-ipv6", 0, "ipv6", "false", "Same as --ipv6=false" },
	{ "no-tls", 0, "tls", "false", "Same as --tls=false" },
	{ "no-ice-tcp", 0, "ice-tcp", "false", "Same as --ice-tcp=false" },
	{ "no-audio", 0, "audio", "none", "Same as --audio=none" },
	{ "no-stun", 0, "stun-server", "", "Use no STUN server; same as --stun-server=\"\"" },
	{ "verbose", 'v', "log-level", "debug", "Same as --log-level=debug" },
};

const char *const hdmirtc_config_groups[] = { "http", "source", "encoder", "webrtc", "audio", "display", "publish",
                                               "log", NULL };

G_STATIC_ASSERT(G_N_ELEMENTS(hdmirtc_config_options) == HDMIRTC_CONFIG_N_OPTIONS);
G_STATIC_ASSERT(G_N_ELEMENTS(hdmirtc_config_aliases) == HDMIRTC_CONFIG_N_ALIASES);
G_STATIC_ASSERT(G_N_ELEMENTS(hdmirtc_config_groups) == HDMIRTC_CONFIG_N_GROUPS + 1);

void hdmirtc_config_set_invalid(GError **error, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	/* GLib's rule for an error already set (a warning, the first kept),
	 * rather than losing it. */
	g_propagate_error(error, g_error_new_valist(HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_INVALID_VALUE,
	                                            format, ap));
	va_end(ap);
}

/* ---- public: init, clear ---- */

void hdmirtc_config_init(HdmirtcConfig *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (gsize i = 0; i < HDMIRTC_CONFIG_N_OPTIONS; i++) {
		const Option *opt = &hdmirtc_config_options[i];
		g_autoptr(GError) error = NULL;

		if (!hdmirtc_config_option_set(opt, cfg, opt->def, 0, FALSE, &error))
			g_error("bad default for [%s] %s: %s", opt->group, opt->key, error->message);
	}
	cfg->config_path = g_strdup(HDMIRTC_CONFIG_DEFAULT_PATH);
}

void hdmirtc_config_clear(HdmirtcConfig *cfg)
{
	if (!cfg)
		return;
	for (gsize i = 0; i < HDMIRTC_CONFIG_N_OPTIONS; i++) {
		const Option *opt = &hdmirtc_config_options[i];

		if (opt->type == OPT_STRING)
			g_free(*(char **)hdmirtc_config_field(cfg, opt->offset));
		else if (opt->type == OPT_LIST)
			g_strfreev(*(char ***)hdmirtc_config_field(cfg, opt->offset));
	}
	g_free(cfg->config_path);
	memset(cfg, 0, sizeof(*cfg));
}

static const char *enum_to_string(const EnumValue *values, int value)
{
	for (const EnumValue *v = values; v->name; v++)
		if (v->value == value)
			return v->name;
	return "unknown";
}

const char *hdmirtc_config_source_to_string(HdmirtcConfigSource source)
{
	return enum_to_string(source_values, source);
}

const char *hdmirtc_config_encoder_to_string(HdmirtcConfigEncoder encoder)
{
	return enum_to_string(encoder_values, encoder);
}

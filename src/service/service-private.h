/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The service's fields, shared by service.c (wiring, HTTP handlers) and
 * service-network.c (addresses, STUN, TURN, following network changes).
 * Main thread. */
#pragma once

#include "hdmirtc/http.h"
#include "hdmirtc/net.h"
#include "hdmirtc/publish.h"
#include "hdmirtc/webrtc.h"
#include "audio-pipeline.h"
#include "config-reload.h"
#include "media-pipeline.h"
#include "service.h"


typedef struct {
	HdmirtcService *s;
	char *url;                      /* as configured */
	HdmirtcConfigTurnServer server;
	char *address;                  /* resolved IP, NULL until known */
	char *error;
	GSource *retry;                 /* name lookup retry timer */
} TurnServer;

struct HdmirtcService {
	GMainContext *ctx;
	GMutex *network_lock;           /* held while this thread is not polling ctx */
	gint64 started_us;
	HdmirtcMediaPipeline *media;
	HdmirtcWebrtc *webrtc;
	HdmirtcAudioPipeline *audio;    /* NULL: no sound (audio = none) */
	HdmirtcPublisher *publisher;    /* NULL: no SFU fed */
	HdmirtcHttpServer *http;
	GStrv urls;
	char *edid_store;               /* "" = uploads are not kept */
	char *edid_configured;          /* the edid option: "" = built-in */
	GCancellable *cancellable;      /* name lookups */
	char *stun_server;              /* as configured, for status */
	char *stun_address;             /* resolved, NULL until known */
	char *stun_error;
	char *stun_external;            /* "ip:port" the STUN server saw, NULL until known */
	HdmirtcStunProbe *stun_probe;
	guint stun_retry_s;
	guint stun_retry_source;
	HdmirtcNetChoice *choice;       /* the addresses gathered on */
	HdmirtcNetWatch *net_watch;
	GStrv interfaces;               /* as configured (allow list) */
	gboolean ipv6;
	guint network_changes;          /* times the chosen addresses changed */
	GStrv public_addresses;
	GPtrArray *turn;                /* TurnServer*, owned */
	char *turn_username;            /* static, or made from turn_secret */
	char *turn_password;
	char *turn_user;                /* as configured */
	char *turn_secret;              /* "" = static credentials */
	guint turn_ttl_s;
	guint turn_refresh_source;
	HdmirtcConfigReload *reload;    /* NULL until hdmirtc_service_watch_reload() */
	guint reload_source;            /* SIGHUP */
};

/* The interfaces of the default routes (or the configured ones), read
 * from the kernel, before the viewers' hub exists.  A configured interface
 * without an address is an error. */
gboolean hdmirtc_service_choose_addresses(HdmirtcService *s, const HdmirtcConfig *c, GError **error);
/* TURN and STUN lookups, the STUN probe and the network watch; once the
 * hub exists, before the HTTP server. */
void hdmirtc_service_start_network(HdmirtcService *s, const HdmirtcConfig *c);
void hdmirtc_service_stop_network(HdmirtcService *s);
/* The Link header values naming the TURN servers to browsers, with the
 * current credentials (transfer full). */
GStrv hdmirtc_service_ice_links(HdmirtcService *s);
/* The "network" member of /api/status. */
void hdmirtc_service_add_network_status(HdmirtcService *s, JsonBuilder *b);

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The hdmirtc service: wires the media pipeline, the viewers and the HTTP
 * server together from the configuration.  Main thread. */
#pragma once

#include "hdmirtc/config.h"

G_BEGIN_DECLS

typedef struct HdmirtcService HdmirtcService;

/* Starts everything on the thread-default main context.  Errors name what
 * could not start (port in use, certificate, encoder...). */
HdmirtcService *hdmirtc_service_new(const HdmirtcConfig *config, GError **error);
/* NULL-safe. */
void hdmirtc_service_free(HdmirtcService *service);
/* URLs to open, NULL-terminated; owned by the service. */
const char *const *hdmirtc_service_get_urls(HdmirtcService *service);
/* SIGHUP reads the configuration again (config-reload.c): config is the
 * one the service started with, argv main's command line (NULL-terminated)
 * before hdmirtc_config_load() took its options out. */
void hdmirtc_service_watch_reload(HdmirtcService *service, const HdmirtcConfig *config, char **argv);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Reading the configuration again on SIGHUP (config-reload.c).  Main
 * thread. */
#pragma once

#include <json-glib/json-glib.h>

#include "hdmirtc/config.h"
#include "service.h"

G_BEGIN_DECLS

typedef struct HdmirtcConfigReload HdmirtcConfigReload;

/* started: the configuration service runs with; argv: the command line
 * as main got it, before hdmirtc_config_load() (NULL-terminated, copied). */
HdmirtcConfigReload *hdmirtc_config_reload_new(HdmirtcService *service, const HdmirtcConfig *started,
                                               char **argv);
/* NULL-safe. */
void hdmirtc_config_reload_free(HdmirtcConfigReload *reload);
/* Reads the configuration again and applies what can change live. */
void hdmirtc_config_reload_run(HdmirtcConfigReload *reload);
/* The "config" member of /api/status: reloads, failures, the options
 * waiting for a restart. */
void hdmirtc_config_reload_add_status(HdmirtcConfigReload *reload, JsonBuilder *b);

G_END_DECLS

/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Closed by default: a service started with no token makes one, so that
 * a KVM put on a network never shows its screen to whoever finds the
 * port.  The token is kept so that bookmarks (#token=) survive restarts. */
#include "access-token.h"

#include <errno.h>

#include <glib/gstdio.h>

#include "hdmirtc/random.h"

#define TOKEN_BYTES 32
#define TOKEN_FILE_MAX 4096

/* base64url: a b64token of RFC 6750, and safe in a URL fragment. */
static char *new_token(void)
{
	return hdmirtc_random_base64url(TOKEN_BYTES);
}

static char *read_token(const char *path, GError **error)
{
	g_autofree char *text = NULL;
	gsize len = 0;
	g_autoptr(GError) local = NULL;

	if (!g_file_get_contents(path, &text, &len, &local)) {
		g_propagate_prefixed_error(error, g_steal_pointer(&local), "token file: ");
		return NULL;
	}
	g_strstrip(text);
	/* What the token option takes. */
	if (len > TOKEN_FILE_MAX || !*text || !hdmirtc_config_validate_token(text, NULL)) {
		g_set_error(error, HDMIRTC_CONFIG_ERROR, HDMIRTC_CONFIG_ERROR_INVALID_VALUE,
		            "token file %s holds no usable token (one line of letters, digits and "
		            "-._~+/, then trailing =; remove the file to make a new one)", path);
		return NULL;
	}
	return g_steal_pointer(&text);
}

static char *make_token_file(const char *path, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	g_autofree char *token = new_token();
	g_autofree char *text = g_strconcat(token, "\n", NULL);

	if (g_mkdir_with_parents(dir, 0700) != 0) {
		int saved = errno;

		g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved),
		            "cannot create directory %s for the token: %s", dir, g_strerror(saved));
		return NULL;
	}
	/* Temporary file, fsync, rename: never a half-written token. */
	if (!g_file_set_contents_full(path, text, -1,
	                              G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
	                              0600, error)) {
		g_prefix_error(error, "cannot keep the new token: ");
		return NULL;
	}
	g_message("made a token for the page and the API, kept in %s", path);
	return g_steal_pointer(&token);
}

char *hdmirtc_access_token_resolve(const HdmirtcConfig *c, GError **error)
{
	if (c->open_access)
		return NULL;
	if (*c->token)
		return g_strdup(c->token);
	if (!*c->token_file) {
		g_message("made a token for this run only (token-file is empty)");
		return new_token();
	}
	if (g_file_test(c->token_file, G_FILE_TEST_EXISTS))
		return read_token(c->token_file, error);
	return make_token_file(c->token_file, error);
}

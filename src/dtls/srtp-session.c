/* SPDX-License-Identifier: GPL-3.0-or-later */
/* SRTP/SRTCP for one viewer.  libsrtp2 allows only one "any SSRC" template
 * per direction in a session, so we keep two sessions: outbound (our
 * packets, our write key) and inbound (the browser's RTCP). */
#include "hdmirtc/srtp-session.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <srtp2/srtp.h>

#define GCM_TAG_LEN 16
#define HMAC_SHA1_80_TAG_LEN 10
#define SRTCP_INDEX_LEN 4

struct HdmirtcSrtpSession {
	HdmirtcSrtpProfile profile;
	srtp_t outbound;
	srtp_t inbound;
	gsize rtp_overhead;
	gsize rtcp_overhead;
};

G_DEFINE_QUARK(hdmirtc-srtp-error-quark, hdmirtc_srtp_error)

const char *hdmirtc_srtp_profile_to_string(HdmirtcSrtpProfile profile)
{
	switch (profile) {
	case HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80: return "AES128_CM_SHA1_80";
	case HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM: return "AEAD_AES_128_GCM";
	case HDMIRTC_SRTP_PROFILE_NONE: return "NONE";
	}
	return "unknown";
}

/* srtp_init() is not reference counted and must run once per process;
 * srtp_shutdown() is never called because sessions may live until exit. */
static srtp_err_status_t srtp_library_init(void)
{
	static gsize once;
	static srtp_err_status_t status;

	if (g_once_init_enter(&once)) {
		status = srtp_init();
		g_once_init_leave(&once, 1);
	}
	return status;
}

static gboolean keys_are_valid(const HdmirtcSrtpKeys *keys)
{
	if (keys->key_len != HDMIRTC_SRTP_MASTER_KEY_LEN)
		return FALSE;
	switch (keys->profile) {
	case HDMIRTC_SRTP_PROFILE_AES128_CM_SHA1_80:
		return keys->salt_len == 14;
	case HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM:
		return keys->salt_len == 12;
	default:
		return FALSE;
	}
}

/* libsrtp2 wants the master key followed by the master salt. */
static srtp_err_status_t create_one(srtp_t *out, const HdmirtcSrtpKeys *keys, const guint8 *key,
                                    const guint8 *salt, gboolean outbound)
{
	guint8 key_salt[HDMIRTC_SRTP_MASTER_KEY_LEN + HDMIRTC_SRTP_MAX_SALT_LEN];
	srtp_policy_t policy;
	srtp_err_status_t status;

	memset(&policy, 0, sizeof(policy));
	if (keys->profile == HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
	} else {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
	}
	memcpy(key_salt, key, keys->key_len);
	memcpy(key_salt + keys->key_len, salt, keys->salt_len);
	policy.key = key_salt;
	policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	/* NACK answers resend a packet with its original sequence number. */
	policy.allow_repeat_tx = outbound;
	status = srtp_create(out, &policy);
	explicit_bzero(key_salt, sizeof(key_salt));
	return status;
}

HdmirtcSrtpSession *hdmirtc_srtp_session_new(const HdmirtcSrtpKeys *keys, gboolean is_dtls_client,
                                             GError **error)
{
	HdmirtcSrtpSession *s;
	const guint8 *our_key, *our_salt, *peer_key, *peer_salt;
	srtp_err_status_t status;

	g_return_val_if_fail(keys != NULL, NULL);
	status = srtp_library_init();
	if (status != srtp_err_status_ok) {
		g_set_error(error, HDMIRTC_SRTP_ERROR, HDMIRTC_SRTP_ERROR_INIT,
		            "libsrtp2 initialisation failed (status %d)", status);
		return NULL;
	}
	if (!keys_are_valid(keys)) {
		g_set_error(error, HDMIRTC_SRTP_ERROR, HDMIRTC_SRTP_ERROR_BAD_KEYS,
		            "SRTP keys: profile %s with key %u / salt %u bytes is not supported",
		            hdmirtc_srtp_profile_to_string(keys->profile), keys->key_len, keys->salt_len);
		return NULL;
	}
	our_key = is_dtls_client ? keys->client_key : keys->server_key;
	our_salt = is_dtls_client ? keys->client_salt : keys->server_salt;
	peer_key = is_dtls_client ? keys->server_key : keys->client_key;
	peer_salt = is_dtls_client ? keys->server_salt : keys->client_salt;

	s = g_new0(HdmirtcSrtpSession, 1);
	s->profile = keys->profile;
	if (keys->profile == HDMIRTC_SRTP_PROFILE_AEAD_AES_128_GCM)
		s->rtp_overhead = GCM_TAG_LEN;
	else
		s->rtp_overhead = HMAC_SHA1_80_TAG_LEN;
	s->rtcp_overhead = SRTCP_INDEX_LEN + s->rtp_overhead;
	status = create_one(&s->outbound, keys, our_key, our_salt, TRUE);
	if (status == srtp_err_status_ok)
		status = create_one(&s->inbound, keys, peer_key, peer_salt, FALSE);
	if (status != srtp_err_status_ok) {
		g_set_error(error, HDMIRTC_SRTP_ERROR, HDMIRTC_SRTP_ERROR_CREATE,
		            "srtp_create failed for %s (status %d)",
		            hdmirtc_srtp_profile_to_string(keys->profile), status);
		hdmirtc_srtp_session_free(s);
		return NULL;
	}
	return s;
}

void hdmirtc_srtp_session_free(HdmirtcSrtpSession *session)
{
	if (session == NULL)
		return;
	/* srtp_dealloc zeroes the derived session keys. */
	if (session->outbound)
		srtp_dealloc(session->outbound);
	if (session->inbound)
		srtp_dealloc(session->inbound);
	g_free(session);
}

HdmirtcSrtpProfile hdmirtc_srtp_session_get_profile(const HdmirtcSrtpSession *session)
{
	return session->profile;
}

static int status_to_errno(srtp_err_status_t status)
{
	switch (status) {
	case srtp_err_status_ok:
		return 0;
	case srtp_err_status_auth_fail:
	case srtp_err_status_cipher_fail:
		return -EBADMSG;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
	case srtp_err_status_pkt_idx_old:
		return -EALREADY;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
	case srtp_err_status_no_ctx:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int check_lengths(const guint8 *buf, const gsize *len, gsize capacity, gsize overhead,
                         gsize min_len)
{
	if (buf == NULL || len == NULL || *len < min_len || *len > INT_MAX - overhead)
		return -EINVAL;
	if (capacity < *len + overhead)
		return -ENOBUFS;
	return 0;
}

typedef srtp_err_status_t (*SrtpFunc)(srtp_t ctx, void *hdr, int *len);

static int run(srtp_t ctx, SrtpFunc func, guint8 *buf, gsize *len)
{
	int n = (int)*len;
	int ret = status_to_errno(func(ctx, buf, &n));

	if (ret == 0)
		*len = (gsize)n;
	return ret;
}

/* Minimum lengths: RTP fixed header 12 bytes, RTCP header + sender SSRC 8. */
int hdmirtc_srtp_session_protect_rtp(HdmirtcSrtpSession *session, guint8 *buf, gsize *len,
                                     gsize capacity)
{
	int ret = check_lengths(buf, len, capacity, session->rtp_overhead, 12);

	return ret ? ret : run(session->outbound, srtp_protect, buf, len);
}

int hdmirtc_srtp_session_protect_rtcp(HdmirtcSrtpSession *session, guint8 *buf, gsize *len,
                                      gsize capacity)
{
	int ret = check_lengths(buf, len, capacity, session->rtcp_overhead, 8);

	return ret ? ret : run(session->outbound, srtp_protect_rtcp, buf, len);
}

int hdmirtc_srtp_session_unprotect_rtp(HdmirtcSrtpSession *session, guint8 *buf, gsize *len)
{
	int ret = check_lengths(buf, len, len ? *len : 0, 0, 12 + session->rtp_overhead);

	return ret ? ret : run(session->inbound, srtp_unprotect, buf, len);
}

int hdmirtc_srtp_session_unprotect_rtcp(HdmirtcSrtpSession *session, guint8 *buf, gsize *len)
{
	int ret = check_lengths(buf, len, len ? *len : 0, 0, 8 + session->rtcp_overhead);

	return ret ? ret : run(session->inbound, srtp_unprotect_rtcp, buf, len);
}

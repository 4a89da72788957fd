#include "tls_openssl.h"

#include "host.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define REC_HDR_LEN 5
/* RFC 5246 6.2.3: a TLSCiphertext fragment is at most 2^14 + 2048 bytes
 * (RFC 8446 5.2 allows less, 2^14 + 256; OpenSSL enforces that itself). */
#define REC_LEN_MAX (16384 + 2048)
/* How many of a non-TLS peer's bytes the reason shows. */
#define SHOW_MAX 24

static struct sf_tls_openssl *self(struct sf_tls *tls)
{
  return (struct sf_tls_openssl *)tls;
}

static const struct sf_tls_openssl *cself(const struct sf_tls *tls)
{
  return (const struct sf_tls_openssl *)tls;
}

void sf_tls_openssl_clear_errors(void)
{
  if (ERR_peek_error() != 0)
    ERR_clear_error();
}

/* ---- context ------------------------------------------------------------- */

/* ctx if ok, else nothing: the context freed and OpenSSL's errors cleared. */
static SSL_CTX *kept_if(SSL_CTX *ctx, int ok)
{
  if (ok)
    return ctx;
  SSL_CTX_free(ctx);
  sf_tls_openssl_clear_errors();
  return NULL;
}

/* A client context with our protocol floor and peer verification on. */
static SSL_CTX *client_ctx(OSSL_LIB_CTX *libctx)
{
  SSL_CTX *ctx = SSL_CTX_new_ex(libctx, NULL, TLS_client_method());
  /* RFC 8996: nothing older than TLS 1.2. */
  int ok = ctx && SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) &&
           SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
  if (ok)
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  return kept_if(ctx, ok);
}

SSL_CTX *sf_tls_openssl_ctx_new(OSSL_LIB_CTX *libctx, const char *cafile, const char *capath)
{
  SSL_CTX *ctx = client_ctx(libctx);
  return kept_if(ctx, ctx && (cafile || capath ? SSL_CTX_load_verify_locations(ctx, cafile, capath)
                                               : SSL_CTX_set_default_verify_paths(ctx)));
}

SSL_CTX *sf_tls_openssl_ctx_new_pem(OSSL_LIB_CTX *libctx, const char *ca_pem, size_t len)
{
  SSL_CTX *ctx = client_ctx(libctx);
  BIO *in = ctx && len <= INT_MAX ? BIO_new_mem_buf(ca_pem, (int)len) : NULL;
  X509_STORE *store = ctx ? SSL_CTX_get_cert_store(ctx) : NULL;
  size_t added = 0;
  X509 *cert;
  while (in && store && (cert = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
    added += X509_STORE_add_cert(store, cert) == 1;
    X509_free(cert);
  }
  BIO_free(in);
  /* The end of the PEM text reads as an error: cleared either way. */
  sf_tls_openssl_clear_errors();
  return kept_if(ctx, added > 0);
}

void sf_tls_openssl_ctx_free(SSL_CTX *ctx)
{
  SSL_CTX_free(ctx);
}

/* ---- failures ------------------------------------------------------------ */

static void fail(struct sf_tls_openssl *t, enum sf_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct sf_tls_openssl *t, enum sf_err err, const char *fmt, ...)
{
  if (t->st == SF_TLS_FAILED)
    return;
  t->st = SF_TLS_FAILED;
  t->err = err;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->reason, sizeof(t->reason), fmt, ap);
  va_end(ap);
  sf_tls_openssl_clear_errors();
}

static enum sf_err cert_error(long vr)
{
  switch (vr) {
  case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
  case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    return SF_ERR_TLS_CERT_SELF_SIGNED;
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
  case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
  case X509_V_ERR_CERT_UNTRUSTED:
    return SF_ERR_TLS_CERT_UNKNOWN_ISSUER;
  case X509_V_ERR_HOSTNAME_MISMATCH:
  case X509_V_ERR_IP_ADDRESS_MISMATCH:
    return SF_ERR_TLS_CERT_WRONG_HOST;
  case X509_V_ERR_CERT_HAS_EXPIRED:
    return SF_ERR_TLS_CERT_EXPIRED;
  case X509_V_ERR_CERT_NOT_YET_VALID:
    return SF_ERR_TLS_CERT_NOT_YET_VALID;
  default:
    return SF_ERR_TLS_CERT_OTHER;
  }
}

static int version_reason(int reason)
{
  switch (reason) {
  case SSL_R_UNSUPPORTED_PROTOCOL:
  case SSL_R_NO_PROTOCOLS_AVAILABLE:
  case SSL_R_WRONG_VERSION_NUMBER:
  case SSL_R_VERSION_TOO_LOW:
  case SSL_R_VERSION_TOO_HIGH:
  case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
  case SSL_R_UNSUPPORTED_SSL_VERSION:
    return 1;
  default:
    return 0;
  }
}

/* The handshake (or a read) failed: say which check, most specific first. */
static void classify(struct sf_tls_openssl *t, int ssl_err)
{
  long vr = SSL_get_verify_result(t->ssl);
  if (t->verify && vr != X509_V_OK) {
    fail(t, cert_error(vr), "certificate verify failed: %s", X509_verify_cert_error_string(vr));
    return;
  }
  unsigned long e = ERR_peek_last_error();
  int reason = ERR_GET_LIB(e) == ERR_LIB_SSL ? ERR_GET_REASON(e) : 0;
  if (version_reason(reason)) {
    fail(t, SF_ERR_TLS_PROTOCOL_VERSION, "no common protocol version: %s",
         ERR_reason_error_string(e));
    return;
  }
  /* A received alert is recorded as SSL_AD_REASON_OFFSET + its number. */
  if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256) {
    fail(t, SF_ERR_TLS_ALERT, "the peer sent alert %s",
         SSL_alert_desc_string_long(reason - SSL_AD_REASON_OFFSET));
    return;
  }
  const char *why = ssl_err == SSL_ERROR_SYSCALL || e == 0
                        ? "the peer's TLS records ended unexpectedly"
                        : ERR_reason_error_string(e);
  fail(t, SF_ERR_TLS_HANDSHAKE, "%s", why ? why : "unknown error");
}

/* The handshake completed with verification on: is the peer the one we
 * meant? After a full handshake OpenSSL has checked the chain and the name
 * (SSL_VERIFY_PEER would have failed it otherwise; checked again here so
 * nothing depends on that). After an abbreviated one (RFC 5246 7.3, RFC
 * 8446 2.2) it has checked neither: the server proved it holds the
 * session's secret, and SSL_get_verify_result() is whatever was stored when
 * the session was made, perhaps with verification off; and the stored
 * certificate may name another host than this connection expects. So a
 * resumed session's certificate is matched against the expected name here,
 * the same way the full handshake would have (RFC 6125 6; no partial
 * wildcards; an address as an address). 1 if the peer passes. */
static int peer_verified(struct sf_tls_openssl *t)
{
  int resumed = SSL_session_reused(t->ssl);
  long vr = SSL_get_verify_result(t->ssl);
  if (vr != X509_V_OK) {
    fail(t, cert_error(vr), "certificate verify failed%s: %s",
         resumed ? " (as recorded in the resumed session)" : "", X509_verify_cert_error_string(vr));
    return 0;
  }
  if (!resumed)
    return 1;
  X509 *cert = SSL_get0_peer_certificate(t->ssl);
  X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);
  const char *dns = X509_VERIFY_PARAM_get0_host(param, 0);
  char *ip = dns ? NULL : X509_VERIFY_PARAM_get1_ip_asc(param);
  int match = 0;
  if (cert && dns)
    match = X509_check_host(cert, dns, 0, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
  else if (cert && ip)
    match = X509_check_ip_asc(cert, ip, 0) == 1;
  if (!cert)
    fail(t, SF_ERR_TLS_CERT_OTHER, "%s", "the resumed session holds no server certificate");
  else if (!dns && !ip)
    fail(t, SF_ERR_TLS_INTERNAL, "%s", "no expected host to check the resumed session against");
  else if (!match)
    fail(t, SF_ERR_TLS_CERT_WRONG_HOST,
         "certificate verify failed: the resumed session's certificate does not name %s",
         dns ? dns : ip);
  OPENSSL_free(ip);
  return match;
}

/* ---- moving records ------------------------------------------------------ */

/* Decrypt what the last record carried, or advance the handshake. */
static void pump(struct sf_tls_openssl *t)
{
  if (t->st == SF_TLS_HANDSHAKING) {
    sf_tls_openssl_clear_errors();
    int r = SSL_do_handshake(t->ssl);
    if (r != 1) {
      int e = SSL_get_error(t->ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        classify(t, e);
      return;
    }
    if (t->verify && !peer_verified(t)) {
      /* After a resumption our Finished is still queued (it comes last in
       * an abbreviated TLS 1.2 handshake, RFC 5246 7.3, and in every TLS
       * 1.3 one): dropped, so the server never sees the handshake
       * confirmed and no application data follows it. */
      (void)BIO_reset(SSL_get_wbio(t->ssl));
      return;
    }
    t->st = SF_TLS_ESTABLISHED;
  }
  /* Nothing waits in `in` here (ot_feed_net takes no record while its
   * plaintext does), and one record's plaintext fits in it. */
  t->in_head = 0;
  while (t->st == SF_TLS_ESTABLISHED && t->in_len < sizeof(t->in)) {
    size_t got = 0;
    sf_tls_openssl_clear_errors();
    int r = SSL_read_ex(t->ssl, t->in + t->in_len, sizeof(t->in) - t->in_len, &got);
    if (r == 1) {
      t->in_len += got;
      continue;
    }
    int e = SSL_get_error(t->ssl, 0);
    if (e == SSL_ERROR_ZERO_RETURN)
      t->st = SF_TLS_CLOSED; /* the peer's close_notify */
    else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
      classify(t, e);
    return;
  }
}

/* 1 if the first `n` bytes of a record header cannot start a TLS record of
 * any version we speak: the content type is none of change_cipher_spec,
 * alert, handshake, application_data (20..23; RFC 8446 5.1, RFC 5246
 * 6.2.1; heartbeat, 24, is never negotiated), the version's major byte is
 * not 3 (every SSL 3.0 and TLS version, RFC 8446 5.1 legacy_record_version
 * included), or the length exceeds REC_LEN_MAX. Judged byte by byte, so a
 * header still arriving fails as soon as what has come rules TLS out. */
static int header_impossible(const uint8_t *h, size_t n)
{
  if (n >= 1 && (h[0] < 20 || h[0] > 23))
    return 1;
  if (n >= 2 && h[1] != 3)
    return 1;
  return n >= REC_HDR_LEN && ((size_t)h[3] << 8 | h[4]) > REC_LEN_MAX;
}

/* Appends `c` to `out` as it would appear in a C string literal. */
static size_t escape_byte(char *out, uint8_t c)
{
  switch (c) {
  case '\r':
    return (size_t)sprintf(out, "\\r");
  case '\n':
    return (size_t)sprintf(out, "\\n");
  case '\t':
    return (size_t)sprintf(out, "\\t");
  case '\\':
  case '\'':
    return (size_t)sprintf(out, "\\%c", c);
  default:
    if (c >= 0x20 && c < 0x7f)
      return (size_t)sprintf(out, "%c", c);
    return (size_t)sprintf(out, "\\x%02x", c);
  }
}

/* The peer's bytes are not TLS. Say what they were, from the start of the
 * would-be record: the header bytes seen, then the rest of this delivery. A
 * peer that is not TLS will not become TLS, so there is no point waiting
 * for a "record" whose length was read from its garbage (an SSH banner
 * read as a header asks for 11570 more bytes that never come). */
static void not_tls(struct sf_tls_openssl *t, const uint8_t *rest, size_t rest_len)
{
  char shown[SHOW_MAX * 4 + 1];
  size_t w = 0, n = 0;
  for (; n < SHOW_MAX && n < t->rec_hdr_len + rest_len; n++)
    w += escape_byte(shown + w, n < t->rec_hdr_len ? t->rec_hdr[n] : rest[n - t->rec_hdr_len]);
  shown[w] = '\0';
  fail(t, SF_ERR_TLS_PEER_NOT_TLS, "the peer does not speak TLS: it sent '%s%s'", shown,
       n < t->rec_hdr_len + rest_len ? "..." : "");
}

/* How many of `len` bytes complete (at most) the current record. Fails the
 * layer (and takes everything) when a record header cannot be TLS. */
static size_t record_slice(struct sf_tls_openssl *t, const uint8_t *data, size_t len)
{
  size_t used = 0;
  while (t->rec_hdr_len < REC_HDR_LEN && used < len)
    t->rec_hdr[t->rec_hdr_len++] = data[used++];
  if (used > 0 && header_impossible(t->rec_hdr, t->rec_hdr_len)) {
    not_tls(t, data + used, len - used);
    return len;
  }
  if (t->rec_hdr_len < REC_HDR_LEN)
    return used;
  if (used > 0) /* the header just completed */
    t->rec_left = (size_t)t->rec_hdr[3] << 8 | t->rec_hdr[4];
  size_t body = len - used < t->rec_left ? len - used : t->rec_left;
  t->rec_left -= body;
  return used + body;
}

static size_t ot_feed_net(struct sf_tls *tls, const uint8_t *data, size_t len)
{
  struct sf_tls_openssl *t = self(tls);
  if (t->st != SF_TLS_HANDSHAKING && t->st != SF_TLS_ESTABLISHED)
    return 0;
  /* One record at a time, and none while the last one's plaintext waits. */
  if (t->in_len > 0 || len == 0)
    return 0;
  size_t n = record_slice(t, data, len);
  if (t->st == SF_TLS_FAILED)
    return n;
  if (n > 0 && BIO_write(SSL_get_rbio(t->ssl), data, (int)n) != (int)n) {
    fail(t, SF_ERR_TLS_INTERNAL, "%s", "memory BIO write failed");
    return n;
  }
  if (t->rec_hdr_len == REC_HDR_LEN && t->rec_left == 0) {
    t->rec_hdr_len = 0;
    pump(t);
  }
  return n;
}

static size_t ot_take_net(struct sf_tls *tls, uint8_t *out, size_t cap)
{
  struct sf_tls_openssl *t = self(tls);
  if (!t->ssl || cap == 0)
    return 0;
  BIO *w = SSL_get_wbio(t->ssl);
  size_t pending = BIO_ctrl_pending(w);
  if (pending == 0)
    return 0;
  size_t got = 0;
  if (BIO_read_ex(w, out, pending < cap ? pending : cap, &got) != 1)
    return 0;
  return got;
}

static size_t ot_pending_net(const struct sf_tls *tls)
{
  const struct sf_tls_openssl *t = cself(tls);
  return t->ssl ? BIO_ctrl_pending(SSL_get_wbio(t->ssl)) : 0;
}

static size_t ot_write_app(struct sf_tls *tls, const uint8_t *data, size_t len)
{
  struct sf_tls_openssl *t = self(tls);
  if (t->st != SF_TLS_ESTABLISHED || len == 0)
    return 0;
  if (BIO_ctrl_pending(SSL_get_wbio(t->ssl)) >= SF_TLS_OPENSSL_OUT_MAX)
    return 0;
  size_t n = len < SF_TLS_OPENSSL_RECORD_MAX ? len : SF_TLS_OPENSSL_RECORD_MAX;
  size_t written = 0;
  sf_tls_openssl_clear_errors();
  if (SSL_write_ex(t->ssl, data, n, &written) != 1) {
    classify(t, SSL_get_error(t->ssl, 0));
    return 0;
  }
  return written;
}

static size_t ot_read_app(struct sf_tls *tls, uint8_t *out, size_t cap)
{
  struct sf_tls_openssl *t = self(tls);
  size_t n = t->in_len < cap ? t->in_len : cap;
  memcpy(out, t->in + t->in_head, n);
  t->in_head += n;
  t->in_len -= n;
  return n;
}

static void ot_close(struct sf_tls *tls)
{
  struct sf_tls_openssl *t = self(tls);
  if (t->st != SF_TLS_ESTABLISHED)
    return;
  sf_tls_openssl_clear_errors();
  SSL_shutdown(t->ssl); /* queues close_notify in the memory BIO */
  sf_tls_openssl_clear_errors();
  t->st = SF_TLS_CLOSED;
}

static enum sf_tls_state ot_state(const struct sf_tls *tls)
{
  return cself(tls)->st;
}

static enum sf_err ot_error(const struct sf_tls *tls, const char **reason)
{
  const struct sf_tls_openssl *t = cself(tls);
  if (reason)
    *reason = t->reason;
  return t->err;
}

/* The connection's OpenSSL objects, made when TLS starts: a client that
 * never upgrades (STARTTLS not offered or refused, or a session that ends
 * before it) does not pay for them. 0 if OpenSSL could not make them. */
static int make_ssl(struct sf_tls_openssl *t)
{
  t->ssl = t->ctx ? SSL_new(t->ctx) : NULL;
  BIO *rbio = t->ssl ? BIO_new(BIO_s_mem()) : NULL;
  BIO *wbio = rbio ? BIO_new(BIO_s_mem()) : NULL;
  if (!wbio) {
    BIO_free(rbio);
    SSL_free(t->ssl);
    t->ssl = NULL;
    sf_tls_openssl_clear_errors();
    return 0;
  }
  /* An empty read BIO means "no more yet", not end of file. */
  BIO_set_mem_eof_return(rbio, -1);
  BIO_set_mem_eof_return(wbio, -1);
  SSL_set_bio(t->ssl, rbio, wbio);
  return 1;
}

static void ot_start(struct sf_tls *tls, const char *host, int verify)
{
  struct sf_tls_openssl *t = self(tls);
  if (t->st != SF_TLS_IDLE)
    return;
  t->st = SF_TLS_HANDSHAKING;
  t->verify = verify;
  /* Verification without a name checks the chain only, which any trusted
   * certificate for any name passes (RFC 6125 6: the reference identity is
   * what makes it a check of *this* server). Refuse before anything is
   * sent, so the peer does not even see a ClientHello. */
  if (verify && sf_host_kind(host) == SF_HOST_NONE) {
    fail(t, SF_ERR_CONFIG_NO_HOST, "%s",
         "certificate verification is on but no host name is set to check the certificate "
         "against; refusing to start TLS");
    return;
  }
  if (!t->ssl && !make_ssl(t)) {
    fail(t, SF_ERR_TLS_INTERNAL, "%s", "could not create the TLS connection");
    return;
  }
  SSL_set_connect_state(t->ssl);
  int ok = 1;
  /* sf_host_kind() is the one judge of what is an address, shared with the
   * session and the pass-through layer. An address literal gets no SNI
   * (RFC 6066 3: HostName is a DNS name, literal addresses are not
   * permitted) and is matched against the certificate's iPAddress entries
   * as an address (RFC 6125 6.2, RFC 5280 4.2.1.6); anything else is a DNS
   * name, sent as SNI and matched against dNSName entries. */
  enum sf_host_kind kind = sf_host_kind(host);
  int literal = kind == SF_HOST_IPV4 || kind == SF_HOST_IPV6;
  if (kind == SF_HOST_DNS)
    ok = SSL_set_tlsext_host_name(t->ssl, host);
  SSL_set_verify(t->ssl, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
  X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);
  if (t->verify_time)
    X509_VERIFY_PARAM_set_time(param, (time_t)t->verify_time);
  if (ok && verify) {
    /* RFC 6125 6.4.3 leaves partial-label wildcards ("f*.example.com") to
     * the client: refused; OpenSSL already takes '*' in the left-most
     * label only. */
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    /* Not SSL_set1_host(): it re-parses the name and takes what OpenSSL
     * reads as an address (e.g. "192.0.2.010") for one, overruling
     * sf_host_kind(). */
    ok = literal ? X509_VERIFY_PARAM_set1_ip_asc(param, host)
                 : X509_VERIFY_PARAM_set1_host(param, host, 0);
  }
  if (ok && t->resume)
    ok = SSL_set_session(t->ssl, t->resume);
  if (!ok) {
    fail(t, SF_ERR_TLS_INTERNAL, "%s", "could not configure the TLS connection");
    return;
  }
  pump(t); /* the ClientHello */
}

static const struct sf_tls_vtable openssl_vtable = {
    .start = ot_start,
    .feed_net = ot_feed_net,
    .take_net = ot_take_net,
    .pending_net = ot_pending_net,
    .write_app = ot_write_app,
    .read_app = ot_read_app,
    .close = ot_close,
    .state = ot_state,
    .error = ot_error,
};

/* ---- lifecycle ----------------------------------------------------------- */

void sf_tls_openssl_init(struct sf_tls_openssl *t, SSL_CTX *ctx, int64_t verify_time)
{
  memset(t, 0, sizeof(*t));
  t->base.vt = &openssl_vtable;
  t->st = SF_TLS_IDLE;
  t->verify_time = verify_time;
  t->ctx = ctx; /* the connection itself is made at start() */
}

SSL *sf_tls_openssl_ssl(struct sf_tls_openssl *t)
{
  if (!t->ssl && t->st == SF_TLS_IDLE)
    make_ssl(t);
  return t->ssl;
}

void sf_tls_openssl_cleanup(struct sf_tls_openssl *t)
{
  SSL_free(t->ssl); /* frees both BIOs */
  t->ssl = NULL;
  sf_tls_openssl_clear_errors();
}

void sf_tls_openssl_set_session(struct sf_tls_openssl *t, SSL_SESSION *sess)
{
  t->resume = sess;
}

SSL_SESSION *sf_tls_openssl_get1_session(const struct sf_tls_openssl *t)
{
  /* Only a connection that got through (and through verification, if on):
   * the session of a rejected peer must not be offered again. */
  if (!t->ssl || (t->st != SF_TLS_ESTABLISHED && t->st != SF_TLS_CLOSED))
    return NULL;
  return SSL_get1_session(t->ssl);
}

int sf_tls_openssl_session_reused(const struct sf_tls_openssl *t)
{
  return t->ssl && SSL_session_reused(t->ssl);
}

const char *sf_tls_openssl_version(const struct sf_tls_openssl *t)
{
  if (!t->ssl || (t->st != SF_TLS_ESTABLISHED && t->st != SF_TLS_CLOSED))
    return "";
  return SSL_get_version(t->ssl);
}

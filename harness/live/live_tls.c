#include "live/live_tls.h"

#include "tls_peer.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void ossl_reason(char *err, size_t cap, const char *what)
{
  unsigned long e = ERR_get_error();
  char buf[120] = "";
  if (e)
    ERR_error_string_n(e, buf, sizeof(buf));
  snprintf(err, cap, "%s%s%s", what, buf[0] ? ": " : "", buf);
  ERR_clear_error();
}

/* A server context presenting `cert`, with `chain` behind it if not NULL. */
static SSL_CTX *server_ctx(X509 *cert, X509 *chain, EVP_PKEY *key)
{
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx)
    return NULL;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_use_certificate(ctx, cert) != 1 ||
      (chain && SSL_CTX_add1_chain_cert(ctx, chain) != 1) ||
      SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

static int load_files(struct live_tls *t, const char *cert_file, const char *key_file, char *err,
                      size_t cap)
{
  FILE *f = fopen(cert_file, "r");
  X509 *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
  if (f)
    fclose(f);
  f = fopen(key_file, "r");
  EVP_PKEY *key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
  if (f)
    fclose(f);
  if (!cert || !key) {
    ossl_reason(err, cap,
                !cert ? "cannot read a PEM certificate from --cert"
                      : "cannot read a PEM private key from --key");
    X509_free(cert);
    EVP_PKEY_free(key);
    return -1;
  }
  for (int k = 0; k < SC_CERT_COUNT; k++)
    t->ctx[k] = server_ctx(cert, NULL, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  for (int k = 0; k < SC_CERT_COUNT; k++)
    if (!t->ctx[k]) {
      ossl_reason(err, cap, "the certificate and key do not make a TLS server");
      return -1;
    }
  return 0;
}

int live_tls_init(struct live_tls *t, const char *host, const char *cert_file, const char *key_file,
                  char *err, size_t cap)
{
  memset(t, 0, sizeof(*t));
  if (cert_file || key_file) {
    if (!cert_file || !key_file) {
      snprintf(err, cap, "--cert and --key go together");
      return -1;
    }
    if (load_files(t, cert_file, key_file, err, cap) == 0)
      return 0;
    live_tls_free(t);
    return -1;
  }
  const char *name = host ? host : TLS_PEER_HOST;
  int64_t now = (int64_t)time(NULL);
  if (certs_make(&t->certs, NULL, name, TLS_PEER_WRONG_HOST, now) != 0 ||
      certs_make_names(&t->certs, NULL, name, TLS_PEER_WRONG_HOST, now) != 0 ||
      certs_make_chain(&t->certs, NULL, name, now) != 0) {
    certs_free(&t->certs);
    snprintf(err, cap, "cannot make the test certificates");
    return -1;
  }
  t->have_certs = 1;
  for (int k = 0; k < SC_CERT_COUNT; k++) {
    t->ctx[k] =
        server_ctx(t->certs.leaf[k], certs_chain_of(&t->certs, (enum sc_cert)k), t->certs.leaf_key);
    if (!t->ctx[k]) {
      ossl_reason(err, cap, "cannot make a TLS server context");
      live_tls_free(t);
      return -1;
    }
  }
  return 0;
}

void live_tls_free(struct live_tls *t)
{
  for (int k = 0; k < SC_CERT_COUNT; k++)
    SSL_CTX_free(t->ctx[k]);
  if (t->have_certs)
    certs_free(&t->certs);
  memset(t, 0, sizeof(*t));
}

int live_tls_write_ca(const struct live_tls *t, const char *path)
{
  char pem[8192];
  size_t n = t->have_certs ? certs_ca_pem(&t->certs, pem, sizeof(pem)) : 0;
  if (n == 0)
    return -1; /* no CA of ours (--cert): never an empty file */
  FILE *f = fopen(path, "w");
  if (!f)
    return -1;
  int bad = fwrite(pem, 1, n, f) != n;
  bad |= fclose(f) != 0;
  return bad ? -1 : 0;
}

int live_tls_accept(struct live_tls_conn *c, const struct live_tls *t, enum sc_cert cert)
{
  memset(c, 0, sizeof(*c));
  if (!t || (unsigned)cert >= SC_CERT_COUNT || !t->ctx[cert])
    return -1;
  c->ssl = SSL_new(t->ctx[cert]);
  c->rbio = BIO_new(BIO_s_mem());
  c->wbio = BIO_new(BIO_s_mem());
  if (!c->ssl || !c->rbio || !c->wbio) {
    SSL_free(c->ssl);
    BIO_free(c->rbio);
    BIO_free(c->wbio);
    memset(c, 0, sizeof(*c));
    return -1;
  }
  BIO_set_mem_eof_return(c->rbio, -1);
  SSL_set_bio(c->ssl, c->rbio, c->wbio);
  SSL_set_accept_state(c->ssl);
  return 0;
}

void live_tls_conn_free(struct live_tls_conn *c)
{
  SSL_free(c->ssl);
  memset(c, 0, sizeof(*c));
}

static void conn_error(struct live_tls_conn *c, int ret)
{
  int e = SSL_get_error(c->ssl, ret);
  unsigned long q = ERR_peek_error();
  char buf[120] = "";
  if (q)
    ERR_error_string_n(q, buf, sizeof(buf));
  snprintf(c->error, sizeof(c->error), "TLS error %d%s%s", e, buf[0] ? ": " : "", buf);
  ERR_clear_error();
}

enum live_hs live_tls_feed(struct live_tls_conn *c, const uint8_t *p, size_t n)
{
  if (n > 0 && BIO_write(c->rbio, p, (int)n) != (int)n) {
    snprintf(c->error, sizeof(c->error), "cannot buffer TLS input");
    return LIVE_HS_FAILED;
  }
  if (SSL_is_init_finished(c->ssl))
    return LIVE_HS_DONE;
  int r = SSL_do_handshake(c->ssl);
  if (r == 1)
    return LIVE_HS_DONE;
  int e = SSL_get_error(c->ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
    return LIVE_HS_WANT;
  conn_error(c, r);
  return LIVE_HS_FAILED;
}

size_t live_tls_take(struct live_tls_conn *c, uint8_t *out, size_t cap)
{
  int n = BIO_read(c->wbio, out, (int)cap);
  return n > 0 ? (size_t)n : 0;
}

long live_tls_read(struct live_tls_conn *c, uint8_t *out, size_t cap, int *close_notify)
{
  *close_notify = 0;
  int r = SSL_read(c->ssl, out, (int)cap);
  if (r > 0)
    return r;
  int e = SSL_get_error(c->ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
    return 0;
  if (e == SSL_ERROR_ZERO_RETURN) {
    *close_notify = 1;
    return 0;
  }
  conn_error(c, r);
  return -1;
}

int live_tls_write(struct live_tls_conn *c, const uint8_t *p, size_t n)
{
  if (n == 0)
    return 0;
  int r = SSL_write(c->ssl, p, (int)n);
  if (r == (int)n)
    return 0;
  conn_error(c, r);
  return -1;
}

const char *live_tls_version(const struct live_tls_conn *c)
{
  return c->ssl ? SSL_get_version(c->ssl) : "";
}

void live_tls_shutdown(struct live_tls_conn *c)
{
  if (c->ssl && SSL_shutdown(c->ssl) < 0)
    ERR_clear_error();
}

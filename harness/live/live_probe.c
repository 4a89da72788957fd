#include "live/live_probe.h"

#include "live/live_conn.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define REPLY_MAX 4096

const char *live_speaks_name(enum live_speaks s)
{
  static const char *const n[] = {
      "nothing (connection refused)", "silent",       "plaintext SMTP without STARTTLS",
      "plaintext SMTP with STARTTLS", "implicit TLS", "not SMTP"};
  return (unsigned)s <= LIVE_SPEAKS_OTHER ? n[s] : "?";
}

struct chan {
  int fd;
  SSL *ssl;
  uint64_t deadline;
};

static int wait_fd(struct chan *c, short ev)
{
  uint64_t now = live_now_ms();
  if (now >= c->deadline)
    return 0;
  struct pollfd pfd = {c->fd, ev, 0};
  return poll(&pfd, 1, (int)(c->deadline - now)) == 1;
}

static long chan_read(struct chan *c, char *buf, size_t cap)
{
  for (int guard = 0; guard < 1000; guard++) {
    if (c->ssl) {
      int r = SSL_read(c->ssl, buf, (int)cap);
      if (r > 0)
        return r;
      int e = SSL_get_error(c->ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        return -1;
      if (!wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT))
        return 0;
      continue;
    }
    if (!wait_fd(c, POLLIN))
      return 0;
    ssize_t n = recv(c->fd, buf, cap, MSG_DONTWAIT);
    if (n > 0)
      return n;
    if (n == 0 || (errno != EAGAIN && errno != EINTR))
      return -1;
  }
  return 0;
}

static int chan_write(struct chan *c, const char *s)
{
  size_t n = strlen(s);
  if (c->ssl) {
    for (int guard = 0; guard < 1000; guard++) {
      int r = SSL_write(c->ssl, s, (int)n);
      if (r > 0)
        return 0;
      int e = SSL_get_error(c->ssl, r);
      if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
          !wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT))
        return -1;
    }
    return -1;
  }
  return send(c->fd, s, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* Reads one whole reply (up to its "ddd " line). Returns its code, 0 if the
 * bytes are not an SMTP reply, -1 on time-out or close before any byte. */
static int read_reply(struct chan *c, char *out, size_t cap)
{
  size_t used = 0;
  out[0] = '\0';
  while (used + 1 < cap) {
    long n = chan_read(c, out + used, cap - 1 - used);
    if (n <= 0)
      return used ? 0 : -1;
    used += (size_t)n;
    out[used] = '\0';
    if (!(out[0] >= '2' && out[0] <= '5' && used >= 3 && out[1] >= '0' && out[1] <= '9' &&
          out[2] >= '0' && out[2] <= '9'))
      return 0;
    /* The last complete line decides whether the reply is done. */
    if (used >= 2 && out[used - 1] == '\n') {
      size_t end = used - 1, start = end;
      while (start > 0 && out[start - 1] != '\n')
        start--;
      if (end - start >= 3 && (end - start == 3 || out[start + 3] == ' ' || out[start + 3] == '\r'))
        return (out[0] - '0') * 100 + (out[1] - '0') * 10 + (out[2] - '0');
    }
  }
  return 0;
}

/* Whether an EHLO reply lists STARTTLS as a keyword (a whole word after
 * the code and separator, case-insensitive). */
static int has_starttls(const char *reply)
{
  for (const char *q = reply; *q;) {
    size_t n = strcspn(q, "\n");
    if (n >= 12 && strncasecmp(q + 4, "STARTTLS", 8) == 0 &&
        (q[12] == '\r' || q[12] == '\n' || q[12] == ' ' || q[12] == '\0'))
      return 1;
    q += n + (q[n] != '\0');
  }
  return 0;
}

static void first_line(char *dst, size_t cap, const char *src)
{
  size_t n = strcspn(src, "\r\n");
  snprintf(dst, cap, "%.*s", (int)(n < cap ? n : cap - 1), src);
}

static void asn1_time(char *dst, size_t cap, const ASN1_TIME *t)
{
  BIO *b = BIO_new(BIO_s_mem());
  dst[0] = '\0';
  if (b && ASN1_TIME_print(b, t)) {
    int n = BIO_read(b, dst, (int)cap - 1);
    dst[n > 0 ? n : 0] = '\0';
  }
  BIO_free(b);
}

/* The TLS handshake over c->fd (no verification: the probe reports, it
 * does not trust). 0 on success, details in p. */
static int handshake(struct chan *c, SSL_CTX *ctx, struct live_probe *p)
{
  c->ssl = SSL_new(ctx);
  if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1)
    return -1;
  SSL_set_connect_state(c->ssl);
  for (int guard = 0; guard < 1000; guard++) {
    int r = SSL_do_handshake(c->ssl);
    if (r == 1)
      break;
    int e = SSL_get_error(c->ssl, r);
    if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
        !wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) {
      ERR_clear_error();
      return -1;
    }
  }
  if (!SSL_is_init_finished(c->ssl))
    return -1;
  snprintf(p->tls_version, sizeof(p->tls_version), "%s", SSL_get_version(c->ssl));
  snprintf(p->cipher, sizeof(p->cipher), "%s", SSL_get_cipher_name(c->ssl));
  X509 *cert = SSL_get1_peer_certificate(c->ssl);
  if (cert) {
    X509_NAME_oneline(X509_get_subject_name(cert), p->subject, sizeof(p->subject));
    X509_NAME_oneline(X509_get_issuer_name(cert), p->issuer, sizeof(p->issuer));
    asn1_time(p->not_before, sizeof(p->not_before), X509_get0_notBefore(cert));
    asn1_time(p->not_after, sizeof(p->not_after), X509_get0_notAfter(cert));
    X509_free(cert);
  }
  return 0;
}

static void chan_close(struct chan *c)
{
  if (c->ssl)
    SSL_free(c->ssl);
  if (c->fd >= 0)
    close(c->fd);
  c->ssl = NULL;
  c->fd = -1;
}

static void conclude(const struct live_addr *a, struct live_probe *p)
{
  unsigned port = a->port;
  const char *m = "";
  p->warning[0] = '\0';
  switch (p->speaks) {
  case LIVE_SPEAKS_IMPLICIT:
    m = "implicit";
    if (port == 587 || port == 25 || port == 2525)
      snprintf(p->warning, sizeof(p->warning),
               "port %u conventionally speaks plaintext SMTP with STARTTLS, this one speaks "
               "implicit TLS: a STARTTLS client here waits for a greeting that never comes",
               port);
    break;
  case LIVE_SPEAKS_STARTTLS:
    m = port == 25 ? "starttls (relay: opportunistic by design; tls=required for submission)"
                   : "starttls, tls=required";
    if (port == 465)
      snprintf(p->warning, sizeof(p->warning),
               "port 465 conventionally speaks implicit TLS (RFC 8314), this one speaks "
               "plaintext SMTP with STARTTLS");
    break;
  case LIVE_SPEAKS_PLAIN:
    m = "plain (no TLS offered: never send credentials or private mail)";
    if (port == 465 || port == 587)
      snprintf(p->warning, sizeof(p->warning),
               "port %u should offer TLS (%s), this one offers none", port,
               port == 465 ? "implicit, RFC 8314" : "STARTTLS, RFC 6409/3207");
    break;
  case LIVE_SPEAKS_SILENT:
    m = "none (silent)";
    snprintf(p->warning, sizeof(p->warning),
             "the peer is silent and completes no TLS handshake: neither mode works here");
    break;
  case LIVE_SPEAKS_OTHER:
    m = "none (not SMTP)";
    break;
  case LIVE_SPEAKS_NOTHING:
    m = "none (nothing listens)";
    break;
  }
  snprintf(p->mode, sizeof(p->mode), "%.*s", (int)sizeof(p->mode) - 1, m);
}

int live_probe_run(const struct live_addr *a, uint32_t timeout_ms, struct live_probe *p)
{
  memset(p, 0, sizeof(*p));
  uint64_t t0 = live_now_ms();
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx)
    return -1;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  static char buf[REPLY_MAX];
  struct chan c = {live_connect(a, (int)timeout_ms), NULL, 0};
  if (c.fd < 0) {
    p->speaks = LIVE_SPEAKS_NOTHING;
    goto done;
  }
  c.deadline = live_now_ms() + timeout_ms;
  int code = read_reply(&c, buf, sizeof(buf));
  if (code > 0) {
    first_line(p->greeting, sizeof(p->greeting), buf);
    c.deadline = live_now_ms() + timeout_ms;
    p->speaks = LIVE_SPEAKS_PLAIN;
    if (chan_write(&c, "EHLO smtpfuzz-probe.invalid\r\n") == 0 &&
        read_reply(&c, buf, sizeof(buf)) == 250) {
      snprintf(p->caps, sizeof(p->caps), "%.*s", (int)sizeof(p->caps) - 1, buf);
      for (char *q = p->caps; *q; q++)
        if (*q == '\r')
          *q = ' ';
      if (has_starttls(buf))
        p->speaks = LIVE_SPEAKS_STARTTLS;
    }
    if (p->speaks == LIVE_SPEAKS_STARTTLS) {
      c.deadline = live_now_ms() + timeout_ms;
      if (chan_write(&c, "STARTTLS\r\n") == 0 && read_reply(&c, buf, sizeof(buf)) == 220 &&
          handshake(&c, ctx, p) == 0) {
        c.deadline = live_now_ms() + timeout_ms;
        (void)chan_write(&c, "QUIT\r\n");
      }
    } else {
      (void)chan_write(&c, "QUIT\r\n");
    }
    goto done;
  }
  if (code == 0 && buf[0]) {
    p->speaks = LIVE_SPEAKS_OTHER;
    first_line(p->greeting, sizeof(p->greeting), buf);
    goto done;
  }
  /* Silent in plaintext: try TLS from the first byte on a new connection. */
  chan_close(&c);
  c.fd = live_connect(a, (int)timeout_ms);
  c.deadline = live_now_ms() + timeout_ms;
  if (c.fd >= 0 && handshake(&c, ctx, p) == 0) {
    p->speaks = LIVE_SPEAKS_IMPLICIT;
    c.deadline = live_now_ms() + timeout_ms;
    if (read_reply(&c, buf, sizeof(buf)) > 0)
      first_line(p->tls_greeting, sizeof(p->tls_greeting), buf);
    (void)chan_write(&c, "QUIT\r\n");
  } else {
    p->speaks = LIVE_SPEAKS_SILENT;
  }
done:
  chan_close(&c);
  SSL_CTX_free(ctx);
  ERR_clear_error();
  conclude(a, p);
  p->ms = live_now_ms() - t0;
  return 0;
}

void live_probe_print(const struct live_addr *a, const struct live_probe *p, FILE *f)
{
  fprintf(f, "%s port %u: %s\n", a->text, a->port, live_speaks_name(p->speaks));
  if (p->greeting[0])
    fprintf(f, "  greeting:     %s\n", p->greeting);
  if (p->caps[0]) {
    fputs("  capabilities:", f);
    for (const char *q = p->caps; *q;) {
      size_t n = strcspn(q, "\n");
      if (n)
        fprintf(f, " %.*s;", (int)n, q);
      q += n + (q[n] != '\0');
    }
    fputc('\n', f);
  }
  if (p->tls_version[0]) {
    fprintf(f, "  tls:          %s, %s\n", p->tls_version, p->cipher);
    fprintf(f, "  certificate:  subject %s\n                issuer  %s\n", p->subject, p->issuer);
    fprintf(f, "                valid   %s to %s\n", p->not_before, p->not_after);
  }
  if (p->tls_greeting[0])
    fprintf(f, "  greeting over TLS: %s\n", p->tls_greeting);
  fprintf(f, "  client mode:  %s\n", p->mode);
  if (p->warning[0])
    fprintf(f, "  WARNING:      %s\n", p->warning);
  fprintf(f, "  probed in %llu ms\n", (unsigned long long)p->ms);
}

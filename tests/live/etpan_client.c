/* A small SMTP client on LibEtPan's mailsmtp API (Debian's libetpan-dev
 * 1.9.4, built with GnuTLS), for `smtpfuzz audit`.
 *
 *   etpan-client --mode starttls|implicit --addr A --port P --host NAME
 *       --cafile F --user U --password P --from F --to T --message FILE
 *
 * It uses the API as a mail program would: connect to ADDR
 * (mailsmtp_socket_connect, or mailsmtp_ssl_connect for implicit TLS),
 * EHLO, STARTTLS when the server offers it and refuse to go on without it
 * (mailsmtp_socket_starttls), EHLO again, AUTH through LibEtPan's SASL when
 * the server offers a mechanism (mailsmtp_auth picks one), MAIL, RCPT, DATA,
 * the message file as it is (mailsmtp_data_message), QUIT. LibEtPan
 * verifies no certificate itself; a program must, after the handshake, from
 * the certificate it hands over (mailstream_ssl_get_certificate): here
 * against the test CA and for NAME, with OpenSSL. Timeouts are LibEtPan's
 * defaults. Exit 0 when the message was accepted, 1 on any failure, 2 on bad
 * usage. Built by etpan_client.sh.
 */
#include <libetpan/libetpan.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fputs("error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

/* The peer's certificate, checked as LibEtPan leaves it to the program: it
 * chains to the CA in `cafile`, is for a TLS server (X509_verify_cert
 * checks no purpose unless asked: without this a client's certificate from
 * the same CA would pass) and names `host`. */
static void verify_peer(mailsmtp *s, const char *cafile, const char *host)
{
  unsigned char *der = NULL;
  ssize_t n = mailstream_ssl_get_certificate(s->stream, &der);
  if (n <= 0 || der == NULL)
    fail("no server certificate");
  const unsigned char *p = der;
  X509 *cert = d2i_X509(NULL, &p, (long)n);
  free(der);
  X509_STORE *store = X509_STORE_new();
  X509_STORE_CTX *ctx = X509_STORE_CTX_new();
  if (!cert || !store || !ctx || X509_STORE_load_file(store, cafile) != 1 ||
      X509_STORE_CTX_init(ctx, store, cert, NULL) != 1 ||
      X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) != 1)
    fail("cannot check the certificate against %s", cafile);
  if (X509_verify_cert(ctx) != 1)
    fail("certificate: %s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
  if (X509_check_host(cert, host, 0, 0, NULL) != 1 && X509_check_ip_asc(cert, host, 0) != 1)
    fail("certificate: not for %s", host);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(cert);
}

static char *read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    fail("%s: cannot open", path);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *bigger = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;
      if (!bigger)
        fail("%s: too large", path);
      buf = bigger;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf)
    fail("out of memory");
  *len = n;
  return buf;
}

int main(int argc, char **argv)
{
  static const char *const keys[] = {"mode", "addr",     "port", "host", "cafile",
                                     "user", "password", "from", "to",   "message"};
  enum { MODE, ADDR, PORT, HOST, CAFILE, USER, PASSWORD, FROM, TO, MESSAGE, NKEYS };
  const char *v[NKEYS] = {0};
  for (int i = 1; i < argc; i += 2) {
    int k = 0;
    while (k < NKEYS && !(strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, keys[k]) == 0))
      k++;
    if (k == NKEYS || i + 1 >= argc) {
      fprintf(stderr, "etpan-client: unknown or incomplete argument '%s'\n", argv[i]);
      return 2;
    }
    v[k] = argv[i + 1];
  }
  for (int k = 0; k < NKEYS; k++)
    if (!v[k]) {
      fprintf(stderr, "etpan-client: --%s is required\n", keys[k]);
      return 2;
    }
  int implicit = strcmp(v[MODE], "implicit") == 0;
  if (!implicit && strcmp(v[MODE], "starttls") != 0) {
    fprintf(stderr, "etpan-client: --mode starttls|implicit\n");
    return 2;
  }
  size_t msg_len;
  char *msg = read_file(v[MESSAGE], &msg_len);
  uint16_t port = (uint16_t)atoi(v[PORT]);

  mailsmtp *s = mailsmtp_new(0, NULL);
  if (!s)
    fail("out of memory");
  int r =
      implicit ? mailsmtp_ssl_connect(s, v[ADDR], port) : mailsmtp_socket_connect(s, v[ADDR], port);
  if (r != MAILSMTP_NO_ERROR)
    fail("connect: %s", mailsmtp_strerror(r));
  if (implicit)
    verify_peer(s, v[CAFILE], v[HOST]);
  if ((r = mailesmtp_ehlo(s)) != MAILSMTP_NO_ERROR)
    fail("EHLO: %s", mailsmtp_strerror(r));
  if (!implicit) {
    if (!(s->esmtp & MAILSMTP_ESMTP_STARTTLS))
      fail("STARTTLS not offered; TLS is required");
    if ((r = mailsmtp_socket_starttls(s)) != MAILSMTP_NO_ERROR)
      fail("STARTTLS: %s", mailsmtp_strerror(r));
    verify_peer(s, v[CAFILE], v[HOST]);
    if ((r = mailesmtp_ehlo(s)) != MAILSMTP_NO_ERROR)
      fail("EHLO after STARTTLS: %s", mailsmtp_strerror(r));
  }
  /* s->auth: MAILSMTP_AUTH_CHECKED, and a bit per mechanism offered. */
  if ((s->auth & ~MAILSMTP_AUTH_CHECKED) != 0 &&
      (r = mailsmtp_auth(s, v[USER], v[PASSWORD])) != MAILSMTP_NO_ERROR)
    fail("AUTH: %s", mailsmtp_strerror(r));
  if ((r = mailsmtp_mail(s, v[FROM])) != MAILSMTP_NO_ERROR)
    fail("MAIL: %s", mailsmtp_strerror(r));
  if ((r = mailsmtp_rcpt(s, v[TO])) != MAILSMTP_NO_ERROR)
    fail("RCPT: %s", mailsmtp_strerror(r));
  if ((r = mailsmtp_data(s)) != MAILSMTP_NO_ERROR)
    fail("DATA: %s", mailsmtp_strerror(r));
  if ((r = mailsmtp_data_message(s, msg, msg_len)) != MAILSMTP_NO_ERROR)
    fail("message: %s", mailsmtp_strerror(r));
  mailsmtp_quit(s);
  mailsmtp_free(s);
  free(msg);
  return 0;
}

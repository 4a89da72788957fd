#include "live/live_probe.h"

#include "live/live_conn.h"
#include "live/live_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RBUF       (64 * 1024) /* an EHLO reply of many KiB still fits whole */
#define MAX_LINES  1000        /* per reply */
#define CAPS_LINE  200         /* of one capability, escaped */
#define SLOW_GREET 1000        /* ms: a greeting later than this is noted */

const char *live_mode_name(enum live_mode m)
{
  static const char *const n[] = {"none", "plain", "starttls", "implicit"};
  return (unsigned)m <= LIVE_MODE_IMPLICIT ? n[m] : "?";
}

const char *live_starttls_name(enum live_starttls s)
{
  static const char *const n[] = {"absent", "optional", "required", "unknown", "refused", "broken"};
  return (unsigned)s <= LIVE_STARTTLS_BROKEN ? n[s] : "?";
}

const char *live_injection_name(enum live_injection i)
{
  static const char *const n[] = {"not tested", "safe", "vulnerable"};
  return (unsigned)i <= LIVE_INJ_VULNERABLE ? n[i] : "?";
}

char *live_escape(char *out, size_t cap, const void *p, size_t n)
{
  const unsigned char *s = p;
  size_t used = 0;
  if (cap == 0)
    return out;
  for (size_t i = 0; i < n; i++) {
    char tmp[8];
    unsigned char ch = s[i];
    if (ch == '\r')
      snprintf(tmp, sizeof(tmp), "\\r");
    else if (ch == '\n')
      snprintf(tmp, sizeof(tmp), "\\n");
    else if (ch == '\t')
      snprintf(tmp, sizeof(tmp), "\\t");
    else if (ch == '\\')
      snprintf(tmp, sizeof(tmp), "\\\\");
    else if (ch < 0x20 || ch >= 0x7f)
      snprintf(tmp, sizeof(tmp), "\\x%02x", ch);
    else
      snprintf(tmp, sizeof(tmp), "%c", ch);
    size_t k = strlen(tmp);
    if (used + k + 4 > cap) {
      if (used + 4 <= cap) {
        memcpy(out + used, "...", 3);
        used += 3;
      }
      break;
    }
    memcpy(out + used, tmp, k);
    used += k;
  }
  out[used] = '\0';
  return out;
}

/* ---- one connection ---------------------------------------------------------------- */

struct chan {
  int fd;
  SSL *ssl;
  uint32_t step_ms;
  uint64_t deadline;
  char buf[RBUF];
  size_t len;
};

static void step(struct chan *c)
{
  c->deadline = live_now_ms() + c->step_ms;
}

static int wait_fd(struct chan *c, short ev)
{
  for (int guard = 0; guard < 1000; guard++) {
    uint64_t now = live_now_ms();
    if (now >= c->deadline)
      return 0;
    struct pollfd pfd = {c->fd, ev, 0};
    int k = poll(&pfd, 1, (int)(c->deadline - now));
    if (k < 0 && errno == EINTR)
      continue;
    return k == 1;
  }
  return 0;
}

/* More bytes into buf: 1, or 0 on time-out, -1 at the end of the stream
 * (or an error, or a full buffer). */
static int fill(struct chan *c)
{
  if (c->len >= sizeof(c->buf))
    return -1;
  for (int guard = 0; guard < 1000; guard++) {
    size_t room = sizeof(c->buf) - c->len;
    if (c->ssl) {
      int r = SSL_read(c->ssl, c->buf + c->len, (int)room);
      if (r > 0) {
        c->len += (size_t)r;
        return 1;
      }
      int e = SSL_get_error(c->ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        ERR_clear_error();
        return -1;
      }
      if (!wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT))
        return 0;
      continue;
    }
    if (!wait_fd(c, POLLIN))
      return 0;
    ssize_t n = recv(c->fd, c->buf + c->len, room, MSG_DONTWAIT);
    if (n > 0) {
      c->len += (size_t)n;
      return 1;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
      return -1;
  }
  return 0;
}

static int send_all(struct chan *c, const char *s)
{
  size_t n = strlen(s);
  if (c->ssl) {
    for (int guard = 0; guard < 1000; guard++) {
      int r = SSL_write(c->ssl, s, (int)n);
      if (r > 0)
        return 0;
      int e = SSL_get_error(c->ssl, r);
      if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) ||
          !wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) {
        ERR_clear_error();
        return -1;
      }
    }
    return -1;
  }
  for (int guard = 0; guard < 1000 && n > 0; guard++) {
    ssize_t k = send(c->fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k > 0) {
      s += k;
      n -= (size_t)k;
      continue;
    }
    if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      return -1;
    if (!wait_fd(c, POLLOUT))
      return -1;
  }
  return n == 0 ? 0 : -1;
}

/* R_ENDLESS: SMTP lines that do not end their reply within MAX_LINES
 * lines or RBUF bytes. */
enum { R_TIMEOUT = 0, R_EOF = -1, R_NOT_SMTP = -2, R_ENDLESS = -3 };

static size_t reply_len; /* of the last reply take_reply() copied out */

/* Whether a line (without its line end) can belong to an SMTP reply. */
static int smtp_line(const char *s, size_t n)
{
  if (n < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9')
    return 0;
  return n == 3 || s[3] == ' ' || s[3] == '-';
}

/* Bytes that cannot start an SMTP reply, told before a line is whole (a
 * TLS record, "SSH-", "HTTP/"). */
static int bad_start(const char *s, size_t n)
{
  for (size_t i = 0; i < n && i < 3; i++)
    if (s[i] < (i == 0 ? '2' : '0') || s[i] > (i == 0 ? '5' : '9'))
      return 1;
  return n > 3 && s[3] != ' ' && s[3] != '-' && s[3] != '\r' && s[3] != '\n';
}

/* One whole reply off the stream (any number of reads, any split): its
 * code, or R_TIMEOUT, R_EOF, R_NOT_SMTP, R_ENDLESS. The reply's bytes are
 * copied to out (cut at cap), *len and *lines say how big it was (on
 * R_TIMEOUT, how much of it had come). */
static int take_reply(struct chan *c, char *out, size_t cap, size_t *len, size_t *lines)
{
  size_t nlines = 0;
  out[0] = '\0';
  for (int guard = 0; guard < 100000; guard++) {
    size_t pos = 0;
    nlines = 0;
    while (pos < c->len) {
      char *nl = memchr(c->buf + pos, '\n', c->len - pos);
      if (!nl) {
        if (bad_start(c->buf + pos, c->len - pos))
          return R_NOT_SMTP;
        break;
      }
      size_t end = (size_t)(nl - c->buf), n = end - pos;
      if (n > 0 && c->buf[end - 1] == '\r')
        n--;
      if (!smtp_line(c->buf + pos, n))
        return R_NOT_SMTP;
      if (++nlines > MAX_LINES)
        return R_ENDLESS;
      if (n == 3 || c->buf[pos + 3] == ' ') {
        size_t whole = end + 1, k = whole < cap - 1 ? whole : cap - 1;
        memcpy(out, c->buf, k);
        out[k] = '\0';
        reply_len = k;
        *len = whole;
        if (lines)
          *lines = nlines;
        int code =
            (c->buf[pos] - '0') * 100 + (c->buf[pos + 1] - '0') * 10 + (c->buf[pos + 2] - '0');
        memmove(c->buf, c->buf + whole, c->len - whole);
        c->len -= whole;
        return code;
      }
      pos = end + 1;
    }
    int r = fill(c);
    if (r == 0) {
      *len = c->len;
      if (lines)
        *lines = nlines;
      return R_TIMEOUT;
    }
    if (r < 0 && c->len >= sizeof(c->buf))
      return R_ENDLESS; /* every line so far an SMTP line */
    if (r < 0)
      return c->len ? R_NOT_SMTP : R_EOF;
  }
  return R_TIMEOUT;
}

/* The first line of the reply take_reply() last gave (NUL bytes and all),
 * escaped. */

static void first_line(char *dst, size_t cap, const char *reply)
{
  size_t n = 0;
  while (n < reply_len && reply[n] != '\r' && reply[n] != '\n')
    n++;
  live_escape(dst, cap, reply, n);
}

/* EHLO keywords, one per line, escaped, '\n' between them; whether
 * STARTTLS is among them (a whole keyword, any case). */
static int keywords(const char *reply, char *caps, size_t cap)
{
  int starttls = 0;
  size_t used = 0;
  caps[0] = '\0';
  int first = 1;
  for (const char *q = reply; *q;) {
    size_t n = strcspn(q, "\n");
    size_t m = n > 0 && q[n - 1] == '\r' ? n - 1 : n;
    if (!first && m > 4) {
      char e[CAPS_LINE];
      live_escape(e, sizeof(e), q + 4, m - 4);
      if (m - 4 == 8 && strncasecmp(q + 4, "STARTTLS", 8) == 0)
        starttls = 1;
      int k = snprintf(caps + used, cap - used, "%s%s", used ? "\n" : "", e);
      if (k > 0 && (size_t)k < cap - used)
        used += (size_t)k;
    }
    first = 0;
    q += n + (q[n] != '\0');
  }
  return starttls;
}

static void chan_close(struct chan *c)
{
  if (c->ssl) {
    SSL_free(c->ssl);
    c->ssl = NULL;
  }
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
}

/* ---- certificates --------------------------------------------------------------------- */

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

static void x509_name(char *dst, size_t cap, const X509_NAME *name)
{
  char raw[512];
  X509_NAME_oneline(name, raw, sizeof(raw));
  live_escape(dst, cap, raw, strlen(raw));
}

static void sans(char *dst, size_t cap, X509 *cert)
{
  dst[0] = '\0';
  GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
  if (!names)
    return;
  size_t used = 0;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
    char item[300] = "";
    if (g->type == GEN_DNS) {
      const ASN1_IA5STRING *s = g->d.dNSName;
      char e[260];
      live_escape(e, sizeof(e), ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
      snprintf(item, sizeof(item), "DNS:%s", e);
    } else if (g->type == GEN_IPADD) {
      const ASN1_OCTET_STRING *s = g->d.iPAddress;
      const unsigned char *b = ASN1_STRING_get0_data(s);
      int n = ASN1_STRING_length(s);
      if (n == 4)
        snprintf(item, sizeof(item), "IP:%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
      else
        snprintf(item, sizeof(item), "IP:(%d bytes)", n);
    } else {
      continue;
    }
    int k = snprintf(dst + used, cap - used, "%s%s", used ? ", " : "", item);
    if (k < 0 || (size_t)k >= cap - used)
      break;
    used += (size_t)k;
  }
  GENERAL_NAMES_free(names);
}

static void cert_info(SSL *ssl, const char *name, struct live_probe_cert *ci)
{
  memset(ci, 0, sizeof(*ci));
  ci->present = 1;
  snprintf(ci->version, sizeof(ci->version), "%s", SSL_get_version(ssl));
  snprintf(ci->cipher, sizeof(ci->cipher), "%s", SSL_get_cipher_name(ssl));
  X509 *cert = SSL_get1_peer_certificate(ssl);
  if (!cert) {
    snprintf(ci->verify_error, sizeof(ci->verify_error), "no certificate");
    return;
  }
  x509_name(ci->subject, sizeof(ci->subject), X509_get_subject_name(cert));
  x509_name(ci->issuer, sizeof(ci->issuer), X509_get_issuer_name(cert));
  sans(ci->san, sizeof(ci->san), cert);
  asn1_time(ci->not_after, sizeof(ci->not_after), X509_get0_notAfter(cert));
  int days = 0, secs = 0;
  if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)))
    ci->days_left = days;
  ci->self_signed = X509_check_issued(cert, cert) == X509_V_OK;
  long v = SSL_get_verify_result(ssl);
  ci->verified = v == X509_V_OK;
  if (!ci->verified)
    snprintf(ci->verify_error, sizeof(ci->verify_error), "%s", X509_verify_cert_error_string(v));
  if (name) {
    ci->name_checked = 1;
    ci->name_ok =
        X509_check_host(cert, name, 0, 0, NULL) == 1 || X509_check_ip_asc(cert, name, 0) == 1;
  }
  X509_free(cert);
}

static SSL_CTX *client_ctx(const char *cafile)
{
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx)
    return NULL;
  /* The probe reports the chain's verdict; it never aborts on it. */
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  /* A CA the user named and that does not load is no TLS client at all: an
   * empty trust store would pass for a verdict on the server's chain. The
   * system store may be missing; then nothing verifies, as it should. */
  if (cafile && SSL_CTX_load_verify_locations(ctx, cafile, NULL) != 1) {
    ERR_clear_error();
    SSL_CTX_free(ctx);
    return NULL;
  }
  if (!cafile && SSL_CTX_set_default_verify_paths(ctx) != 1)
    ERR_clear_error();
  return ctx;
}

/* Declines a passphrase: an encrypted key is named as one, never prompted
 * for. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
  (void)buf;
  (void)size;
  (void)rwflag;
  (void)u;
  return -1;
}

/* A PEM block of the kind `want` looks for (by its label). */
static int pem_wanted(const char *label, enum live_pem want)
{
  size_t n = strlen(label);
  if (want == LIVE_PEM_KEY)
    return n >= 11 && strcmp(label + n - 11, "PRIVATE KEY") == 0;
  return strcmp(label, PEM_STRING_X509) == 0 || strcmp(label, PEM_STRING_X509_OLD) == 0 ||
         strcmp(label, PEM_STRING_X509_TRUSTED) == 0;
}

/* Why a file that OpenSSL read gave nothing of the kind wanted, from its
 * PEM blocks (bio at the start of it): OpenSSL's own reasons say little
 * ("unsupported" for a text file and for a certificate read as a key). */
static void pem_why_not(BIO *bio, enum live_pem want, char *err, size_t cap)
{
  const char *what = want == LIVE_PEM_CERTS ? "certificate" : "private key";
  int seen = 0, encrypted = 0;
  for (int guard = 0; guard < 100000; guard++) {
    char *label = NULL, *header = NULL;
    unsigned char *data = NULL;
    long len = 0;
    ERR_clear_error();
    if (PEM_read_bio(bio, &label, &header, &data, &len) != 1) {
      unsigned long e = ERR_peek_last_error();
      ERR_clear_error();
      if (e != 0 && ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
        const char *r = ERR_reason_error_string(e);
        snprintf(err, cap, "a PEM block in it does not read: %s", r ? r : "unknown error");
        return;
      }
      break;
    }
    if (pem_wanted(label, want)) {
      seen = 1;
      encrypted |= strstr(label, "ENCRYPTED") != NULL || strstr(header, "ENCRYPTED") != NULL;
    }
    OPENSSL_free(label);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
  if (!seen)
    snprintf(err, cap, "no PEM %s in it", what);
  else if (encrypted)
    snprintf(err, cap, "its PEM %s is encrypted", what);
  else
    snprintf(err, cap, "its PEM %s does not decode", what);
}

int live_pem_check(const char *path, enum live_pem want, char *err, size_t cap)
{
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, cap, "%s", strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    fclose(f);
    snprintf(err, cap, "%s", strerror(EISDIR));
    return -1;
  }
  BIO *bio = BIO_new_fp(f, BIO_NOCLOSE);
  if (!bio) {
    fclose(f);
    snprintf(err, cap, "out of memory");
    return -1;
  }
  ERR_clear_error();
  int found = 0;
  if (want == LIVE_PEM_CERTS) {
    /* As SSL_CTX_load_verify_locations reads the file. */
    STACK_OF(X509_INFO) *info = PEM_X509_INFO_read_bio(bio, NULL, no_passphrase, NULL);
    for (int i = 0; info && i < sk_X509_INFO_num(info); i++)
      found += sk_X509_INFO_value(info, i)->x509 != NULL;
    sk_X509_INFO_pop_free(info, X509_INFO_free);
  } else {
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    found = key != NULL;
    EVP_PKEY_free(key);
  }
  ERR_clear_error();
  if (!found) {
    if (ferror(f))
      snprintf(err, cap, "%s", strerror(EIO));
    else if (BIO_reset(bio) != 0)
      snprintf(err, cap, "no PEM %s in it", want == LIVE_PEM_CERTS ? "certificate" : "private key");
    else
      pem_why_not(bio, want, err, cap);
  }
  ERR_clear_error();
  BIO_free(bio);
  fclose(f);
  return found ? 0 : -1;
}

/* A TLS handshake over c->fd: 1 done, 0 timed out, -1 failed (why in
 * err: "the peer closed the connection", "not TLS: ..."). */
static int handshake(struct chan *c, SSL_CTX *ctx, const char *name, char *err, size_t cap)
{
  c->ssl = SSL_new(ctx);
  if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
    snprintf(err, cap, "cannot make a TLS client");
    return -1;
  }
  if (name)
    SSL_set_tlsext_host_name(c->ssl, name);
  SSL_set_connect_state(c->ssl);
  for (int guard = 0; guard < 1000; guard++) {
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1)
      return 1;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!wait_fd(c, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT)) {
        snprintf(err, cap, "no TLS handshake answer within %u ms", c->step_ms);
        return 0;
      }
      continue;
    }
    unsigned long q = ERR_peek_error();
    int reason = ERR_GET_REASON(q);
    if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN ||
        reason == SSL_R_UNEXPECTED_EOF_WHILE_READING)
      snprintf(err, cap, "the peer closed the connection");
    else if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
             reason == SSL_R_UNKNOWN_PROTOCOL)
      snprintf(err, cap, "the peer answered with bytes that are not TLS (%s)",
               ERR_reason_error_string(q) ? ERR_reason_error_string(q) : "?");
    else
      snprintf(err, cap, "TLS failed: %s",
               ERR_reason_error_string(q) ? ERR_reason_error_string(q) : "unknown error");
    ERR_clear_error();
    return -1;
  }
  return -1;
}

/* ---- the two attempts, each in a process of its own ----------------------------------- */

struct plain_res {
  char first; /* 'G' an SMTP reply, 'X' not SMTP, 'C' closed at once, 'T' silent,
                'N' no connection (connect_errno says why) */
  int connect_errno;
  int greet_code;
  char greeting[LIVE_PROBE_TEXT];
  uint64_t greeting_ms;
  char other[LIVE_PROBE_TEXT];
  int ehlo_code, helo_code, starttls_offered;
  char ehlo_reply[256];
  char caps[2048];
  size_t ehlo_bytes, ehlo_lines;
  int mail_code;
  char mail_reply[256];
  int starttls_code;
  char starttls_reply[256];
  char after_220[LIVE_PROBE_TEXT];
  int tls; /* 1 up, 0 timed out, -1 failed, -2 not tried */
  char tls_error[256];
  struct live_probe_cert cert;
  int tls_ehlo_code;
  char tls_caps[2048];
  int tls_starttls;  /* STARTTLS among them */
  int extra_replies; /* replies over TLS beyond those to our own commands */
  char extra[LIVE_PROBE_TEXT];
  int quit_seen;
};

struct tls_res {
  char first; /* 'H' handshake done, 'F' failed, 'C' closed at once, 'T' timed out */
  char error[256];
  struct live_probe_cert cert;
  int greet_code;
  char greeting[LIVE_PROBE_TEXT];
  uint64_t greeting_ms;
  char other[LIVE_PROBE_TEXT];
  int ehlo_code;
  char caps[2048];
  int starttls; /* STARTTLS among them */
  size_t ehlo_bytes, ehlo_lines;
};

static void milestone(int out, char what)
{
  if (write(out, &what, 1) != 1) {
    /* the parent is gone; the result will not be read either */
  }
}

static void send_result(int out, const void *r, size_t n)
{
  const char *p = r;
  for (int guard = 0; guard < 10000 && n > 0; guard++) {
    ssize_t k = write(out, p, n);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0)
      return;
    p += k;
    n -= (size_t)k;
  }
}

static char reply_buf[RBUF];

/* The plaintext attempt: greeting, EHLO, MAIL before TLS (then RSET),
 * STARTTLS, TLS, EHLO and QUIT inside. With `inject`, the injection check
 * on a connection of its own (a server may rightly end a session that puts
 * a command behind STARTTLS): no MAIL, and STARTTLS with NOOP behind it in
 * one write. */
static void plain_attempt(const struct live_addr *a, const struct live_probe_opts *o, int inject,
                          int out, struct plain_res *r)
{
  static struct chan c;
  memset(r, 0, sizeof(*r));
  memset(&c, 0, sizeof(c));
  r->tls = -2;
  c.step_ms = o->timeout_ms;
  uint64_t t0 = live_now_ms();
  c.fd = live_connect(a, (int)o->timeout_ms);
  if (c.fd < 0) {
    r->first = 'N';
    r->connect_errno = errno;
    milestone(out, r->first);
    return;
  }
  size_t len = 0, lines = 0;
  step(&c);
  int code = take_reply(&c, reply_buf, sizeof(reply_buf), &len, &lines);
  r->greeting_ms = live_now_ms() - t0;
  if (code == R_TIMEOUT || code == R_EOF) {
    r->first = code == R_EOF ? 'C' : 'T';
    if (c.len) {
      r->first = 'X';
      live_escape(r->other, sizeof(r->other), c.buf, c.len);
    }
    milestone(out, r->first);
    chan_close(&c);
    return;
  }
  if (code == R_NOT_SMTP || code == R_ENDLESS) {
    r->first = 'X';
    live_escape(r->other, sizeof(r->other), c.buf, c.len < 200 ? c.len : 200);
    milestone(out, r->first);
    chan_close(&c);
    return;
  }
  r->first = 'G';
  r->greet_code = code;
  first_line(r->greeting, sizeof(r->greeting), reply_buf);
  milestone(out, r->first);
  if (code != 220) {
    (void)send_all(&c, "QUIT\r\n");
    chan_close(&c);
    return;
  }
  step(&c);
  if (send_all(&c, "EHLO smtpfuzz-probe.invalid\r\n") != 0) {
    r->ehlo_code = R_EOF;
    chan_close(&c);
    return;
  }
  r->ehlo_code = take_reply(&c, reply_buf, sizeof(reply_buf), &r->ehlo_bytes, &r->ehlo_lines);
  if (r->ehlo_code > 0)
    first_line(r->ehlo_reply, sizeof(r->ehlo_reply), reply_buf);
  if (r->ehlo_code >= 500) {
    /* No ESMTP: a HELO server has no STARTTLS to offer (RFC 3207 is an
     * ESMTP extension). */
    step(&c);
    if (send_all(&c, "HELO smtpfuzz-probe.invalid\r\n") == 0)
      r->helo_code = take_reply(&c, reply_buf, sizeof(reply_buf), &len, &lines);
  }
  if (r->ehlo_code != 250) {
    (void)send_all(&c, "QUIT\r\n");
    chan_close(&c);
    return;
  }
  r->starttls_offered = keywords(reply_buf, r->caps, sizeof(r->caps));
  if (!r->starttls_offered) {
    (void)send_all(&c, "QUIT\r\n");
    chan_close(&c);
    return;
  }
  /* Optional or required, from the server's own answer: mail before TLS
   * is refused by a server that requires it (RFC 3207 4: 530). */
  step(&c);
  if (!inject && send_all(&c, "MAIL FROM:<>\r\n") == 0)
    r->mail_code = take_reply(&c, reply_buf, sizeof(reply_buf), &len, &lines);
  if (r->mail_code > 0)
    first_line(r->mail_reply, sizeof(r->mail_reply), reply_buf);
  if (r->mail_code >= 200 && r->mail_code < 300) {
    step(&c);
    if (send_all(&c, "RSET\r\n") != 0 ||
        take_reply(&c, reply_buf, sizeof(reply_buf), &len, &lines) <= 0) {
      chan_close(&c);
      return;
    }
  }
  if (!inject && r->mail_code <= 0) {
    chan_close(&c);
    return;
  }
  /* STARTTLS and NOOP in one write: a server that keeps the NOOP across the
   * upgrade answers it inside TLS (the CVE-2011-0411 class). */
  step(&c);
  if (send_all(&c, inject ? "STARTTLS\r\nNOOP\r\n" : "STARTTLS\r\n") != 0) {
    chan_close(&c);
    return;
  }
  r->starttls_code = take_reply(&c, reply_buf, sizeof(reply_buf), &len, &lines);
  if (r->starttls_code > 0)
    first_line(r->starttls_reply, sizeof(r->starttls_reply), reply_buf);
  if (r->starttls_code != 220) {
    chan_close(&c);
    return;
  }
  if (c.len)
    live_escape(r->after_220, sizeof(r->after_220), c.buf, c.len);
  c.len = 0; /* never read as if it came over TLS */
  SSL_CTX *ctx = client_ctx(o->cafile);
  if (!ctx) {
    r->tls = -1;
    snprintf(r->tls_error, sizeof(r->tls_error), "cannot make a TLS client");
    chan_close(&c);
    return;
  }
  step(&c);
  r->tls = handshake(&c, ctx, o->name, r->tls_error, sizeof(r->tls_error));
  if (r->tls != 1) {
    chan_close(&c);
    SSL_CTX_free(ctx);
    return;
  }
  cert_info(c.ssl, o->name, &r->cert);
  /* EHLO, then QUIT: a safe server sends two replies, one to each. Any
   * other is the NOOP's, kept from before TLS. */
  step(&c);
  char replies[4][256];
  int codes[4], n = 0;
  size_t blen = 0;
  if (send_all(&c, "EHLO smtpfuzz-probe.invalid\r\n") == 0) {
    int k = take_reply(&c, reply_buf, sizeof(reply_buf), &blen, &lines);
    if (k > 0) {
      codes[n] = k;
      first_line(replies[n++], sizeof(replies[0]), reply_buf);
      r->tls_starttls = keywords(reply_buf, r->tls_caps, sizeof(r->tls_caps));
    }
  }
  step(&c);
  if (n > 0 && send_all(&c, "QUIT\r\n") == 0) {
    for (int guard = 0; guard < 3 && n < 4; guard++) {
      int k = take_reply(&c, reply_buf, sizeof(reply_buf), &blen, &lines);
      if (k <= 0)
        break;
      codes[n] = k;
      first_line(replies[n++], sizeof(replies[0]), reply_buf);
      if (k == 221) {
        r->quit_seen = 1;
        break;
      }
      /* The reply kept from before TLS came first: the last one before the
       * 221 answers our EHLO. */
      r->tls_starttls = keywords(reply_buf, r->tls_caps, sizeof(r->tls_caps));
    }
  }
  r->tls_ehlo_code = n > 0 ? codes[0] : 0;
  int own = (n > 0) + r->quit_seen; /* replies to our EHLO and QUIT */
  r->extra_replies = n - own;
  if (r->extra_replies > 0)
    snprintf(r->extra, sizeof(r->extra), "%s", replies[0]);
  chan_close(&c);
  SSL_CTX_free(ctx);
}

/* The implicit-TLS attempt: a ClientHello at once, then the greeting. */
static void tls_attempt(const struct live_addr *a, const struct live_probe_opts *o, int out,
                        struct tls_res *r)
{
  static struct chan c;
  memset(r, 0, sizeof(*r));
  memset(&c, 0, sizeof(c));
  c.step_ms = o->timeout_ms;
  uint64_t t0 = live_now_ms();
  c.fd = live_connect(a, (int)o->timeout_ms);
  SSL_CTX *ctx = client_ctx(o->cafile);
  if (c.fd < 0 || !ctx) {
    r->first = 'C';
    snprintf(r->error, sizeof(r->error), "%s", c.fd < 0 ? "cannot connect" : "no TLS client");
    milestone(out, r->first);
    if (c.fd >= 0)
      close(c.fd);
    SSL_CTX_free(ctx);
    return;
  }
  step(&c);
  int hs = handshake(&c, ctx, o->name, r->error, sizeof(r->error));
  r->first = hs == 1 ? 'H' : hs == 0 ? 'T' : strstr(r->error, "closed") ? 'C' : 'F';
  milestone(out, r->first);
  if (hs != 1) {
    chan_close(&c);
    SSL_CTX_free(ctx);
    return;
  }
  cert_info(c.ssl, o->name, &r->cert);
  size_t len = 0, lines = 0;
  step(&c);
  int code = take_reply(&c, reply_buf, sizeof(reply_buf), &len, &lines);
  r->greeting_ms = live_now_ms() - t0;
  if (code == R_TIMEOUT && c.len == 0) {
    /* Silent after the handshake: an SMTP server greets at once, an HTTPS
     * one waits for a request. Ask, and name what answers. */
    step(&c);
    if (send_all(&c, "EHLO smtpfuzz-probe.invalid\r\n") == 0)
      code = take_reply(&c, reply_buf, sizeof(reply_buf), &len, &lines);
    if (code == R_TIMEOUT && c.len == 0) {
      r->greet_code = R_TIMEOUT;
      chan_close(&c);
      SSL_CTX_free(ctx);
      return;
    }
  }
  r->greet_code = code;
  if (code <= 0) {
    live_escape(r->other, sizeof(r->other), c.buf, c.len < 200 ? c.len : 200);
    chan_close(&c);
    SSL_CTX_free(ctx);
    return;
  }
  first_line(r->greeting, sizeof(r->greeting), reply_buf);
  if (code == 220) {
    step(&c);
    if (send_all(&c, "EHLO smtpfuzz-probe.invalid\r\n") == 0) {
      r->ehlo_code = take_reply(&c, reply_buf, sizeof(reply_buf), &r->ehlo_bytes, &r->ehlo_lines);
      if (r->ehlo_code == 250)
        r->starttls = keywords(reply_buf, r->caps, sizeof(r->caps));
    }
  }
  (void)send_all(&c, "QUIT\r\n");
  chan_close(&c);
  SSL_CTX_free(ctx);
}

struct kid {
  pid_t pid;
  int fd;
  char milestone;
  int killed;
  size_t got;
  char *res;
  size_t size;
};

enum attempt { PLAIN, INJECT, TLS };

static int start_kid(struct kid *k, const struct live_addr *a, const struct live_probe_opts *o,
                     enum attempt what, void *res, size_t size)
{
  int fd;
  memset(k, 0, sizeof(*k));
  k->fd = -1;
  k->res = res;
  k->size = size;
  pid_t pid = live_fork_piped(&fd);
  if (pid < 0)
    return -1;
  if (pid == 0) {
    if (what == TLS)
      tls_attempt(a, o, fd, res);
    else
      plain_attempt(a, o, what == INJECT, fd, res);
    send_result(fd, res, size);
    _exit(0);
  }
  (void)fcntl(fd, F_SETFL, O_NONBLOCK);
  k->pid = pid;
  k->fd = fd;
  return 0;
}

/* Reads what the attempt sent; 1 at its end. */
static int kid_read(struct kid *k)
{
  char tmp[8192];
  ssize_t n = read(k->fd, tmp, sizeof(tmp));
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return 0;
  if (n <= 0) {
    close(k->fd);
    k->fd = -1;
    return 1;
  }
  size_t i = 0;
  if (!k->milestone && n > 0)
    k->milestone = tmp[i++];
  size_t rest = (size_t)n - i, room = k->size - k->got;
  size_t take = rest < room ? rest : room;
  memcpy(k->res + k->got, tmp + i, take);
  k->got += take;
  return 0;
}

static void kid_stop(struct kid *k)
{
  if (k->pid > 0 && !k->killed) {
    kill(k->pid, SIGKILL); /* ours, by its id */
    k->killed = 1;
  }
}

/* ---- the verdict -------------------------------------------------------------------- */

static void say(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *dst, size_t cap, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dst, cap, fmt, ap);
  va_end(ap);
}

static void port_convention(const struct live_addr *a, struct live_probe *p)
{
  unsigned port = a->port;
  const char *m = "none: no client mode works here";
  switch (p->mode) {
  case LIVE_MODE_IMPLICIT:
    m = "implicit";
    if (port == 587 || port == 25 || port == 2525)
      say(p->warning, sizeof(p->warning),
          "port %u conventionally speaks plaintext SMTP with STARTTLS, this one speaks implicit "
          "TLS: a STARTTLS client here waits for a greeting that never comes",
          port);
    break;
  case LIVE_MODE_STARTTLS:
    m = port == 25 ? "starttls (relay: opportunistic by design; tls=required for submission)"
                   : "starttls, tls=required";
    if (port == 465)
      say(p->warning, sizeof(p->warning),
          "port 465 conventionally speaks implicit TLS (RFC 8314), this one speaks plaintext "
          "SMTP with STARTTLS");
    break;
  case LIVE_MODE_PLAIN:
    m = "plain (no working TLS: never send credentials or private mail)";
    if (port == 465 || port == 587)
      say(p->warning, sizeof(p->warning), "port %u should offer TLS (%s), this one offers none",
          port, port == 465 ? "implicit, RFC 8314" : "STARTTLS, RFC 6409/3207");
    break;
  case LIVE_MODE_NONE:
    break;
  }
  say(p->hint, sizeof(p->hint), "%s", m);
}

/* The injection check's own connection: STARTTLS and NOOP went in one
 * write. */
static void injection(struct live_probe *p, const struct plain_res *ir)
{
  if (!ir->starttls_offered || ir->starttls_code <= 0)
    return; /* not tested */
  if (ir->starttls_code != 220) {
    p->injection = LIVE_INJ_SAFE;
    say(p->injection_note, sizeof(p->injection_note),
        "STARTTLS with a command behind it was refused: %s", ir->starttls_reply);
    return;
  }
  if (ir->tls != 1) {
    p->injection = LIVE_INJ_SAFE;
    say(p->injection_note, sizeof(p->injection_note),
        "with a command behind STARTTLS the server did not go on into TLS (%s): nothing sent "
        "before TLS can act inside it",
        ir->tls == 0 ? "no handshake answer" : ir->tls_error);
    return;
  }
  p->injection = ir->extra_replies > 0 ? LIVE_INJ_VULNERABLE : LIVE_INJ_SAFE;
  if (ir->extra_replies > 0)
    say(p->injection_note, sizeof(p->injection_note),
        "the NOOP sent in plaintext with STARTTLS was answered inside TLS ('%s'): the server "
        "keeps plaintext input across the upgrade (the CVE-2011-0411 class)",
        ir->extra);
  else
    say(p->injection_note, sizeof(p->injection_note),
        "the NOOP sent in plaintext with STARTTLS was not answered inside TLS%s%s",
        ir->after_220[0] ? "; it was answered in plaintext before TLS: " : "", ir->after_220);
}

/* RFC 3207 4.2: once TLS is up, STARTTLS is no longer the server's to
 * offer. A client that follows the offer asks for TLS inside TLS and fails. */
#define STARTTLS_IN_TLS                                                                            \
  "EHLO over TLS offers STARTTLS (RFC 3207 4.2: a server must not once TLS is up): a client "      \
  "that takes the offer asks for TLS inside TLS"

/* Why the injection check, whose connection is its own, told nothing
 * where STARTTLS works (`ir` NULL: it gave no result in time; a server
 * that serves one connection at a time keeps it waiting). */
static void untested(struct live_probe *p, const struct plain_res *ir)
{
  const char *why = "gave no result in time";
  if (ir && ir->greet_code != 220)
    why = "got no 220 greeting";
  else if (ir && ir->ehlo_code != 250)
    why = "got no 250 to EHLO";
  else if (ir && !ir->starttls_offered)
    why = "was not offered STARTTLS";
  else if (ir && ir->starttls_code == R_TIMEOUT)
    why = "got no answer to STARTTLS in time";
  else if (ir && ir->starttls_code == R_EOF)
    why = "was closed before STARTTLS was answered";
  else if (ir)
    why = "got bytes that are no SMTP reply to STARTTLS";
  say(p->injection_note, sizeof(p->injection_note),
      "the check's own connection (STARTTLS and NOOP in one write) %s", why);
}

static void from_starttls(struct live_probe *p, const struct plain_res *pr)
{
  const int mc = pr->mail_code;
  say(p->mail_reply, sizeof(p->mail_reply), "%s", pr->mail_reply);
  if (mc >= 200 && mc < 300)
    p->starttls = LIVE_STARTTLS_OPTIONAL;
  else if (mc == 530 || strstr(pr->mail_reply, "5.7.0") || strstr(pr->mail_reply, "TLS"))
    p->starttls = LIVE_STARTTLS_REQUIRED;
  else
    p->starttls = LIVE_STARTTLS_UNKNOWN;
  say(p->starttls_reply, sizeof(p->starttls_reply), "%s", pr->starttls_reply);
  const char *tail = mc >= 200 && mc < 300 ? "; mail is taken in plaintext" : "";
  if (pr->mail_code <= 0) {
    p->starttls = LIVE_STARTTLS_UNKNOWN;
    say(p->problem, sizeof(p->problem), "MAIL FROM:<> before TLS got no answer (%s)",
        pr->mail_code == R_TIMEOUT ? "timed out" : "the connection ended");
  } else if (pr->starttls_code <= 0) {
    p->starttls = LIVE_STARTTLS_BROKEN;
    say(p->problem, sizeof(p->problem), "STARTTLS offered, but the command got no answer (%s)%s",
        pr->starttls_code == R_TIMEOUT ? "timed out"
        : pr->starttls_code == R_EOF   ? "the connection was closed"
                                       : "bytes that are not an SMTP reply",
        tail);
  } else if (pr->starttls_code != 220) {
    p->starttls = LIVE_STARTTLS_REFUSED;
    say(p->problem, sizeof(p->problem), "STARTTLS offered, but refused: %s%s", pr->starttls_reply,
        tail);
  } else if (pr->tls != 1) {
    p->starttls = LIVE_STARTTLS_BROKEN;
    say(p->problem, sizeof(p->problem), "STARTTLS answered 220, then %s%s",
        pr->tls == 0 ? "no TLS handshake answer" : pr->tls_error, tail);
  } else {
    p->mode = LIVE_MODE_STARTTLS;
    p->cert = pr->cert;
    say(p->tls_caps, sizeof(p->tls_caps), "%s", pr->tls_caps);
    if (pr->tls_starttls)
      say(p->problem, sizeof(p->problem), "%s", STARTTLS_IN_TLS);
    return;
  }
  /* No working TLS: plaintext is what is left, where the server takes mail
   * without it. */
  if (pr->mail_code >= 200 && pr->mail_code < 300)
    p->mode = LIVE_MODE_PLAIN;
}

static void conclude(const struct live_probe_opts *o, const struct plain_res *pr, int have_plain,
                     const struct tls_res *tr, int have_tls, struct live_probe *p)
{
  p->mode = LIVE_MODE_NONE;
  if (have_tls && tr->first == 'H') {
    p->cert = tr->cert;
    p->greeting_ms = tr->greeting_ms;
    say(p->greeting, sizeof(p->greeting), "%s", tr->greeting);
    if (tr->greet_code == 220) {
      p->mode = LIVE_MODE_IMPLICIT;
      say(p->caps, sizeof(p->caps), "%s", tr->caps);
      p->ehlo_bytes = tr->ehlo_bytes;
      p->ehlo_lines = tr->ehlo_lines;
      say(p->summary, sizeof(p->summary), "implicit TLS");
      say(p->injection_note, sizeof(p->injection_note), "no STARTTLS: TLS from the first byte");
      if (tr->ehlo_code != 250)
        say(p->problem, sizeof(p->problem), "EHLO over TLS got %s",
            tr->ehlo_code > 0 ? "a refusal" : "no answer");
      else if (tr->starttls)
        say(p->problem, sizeof(p->problem), "%s", STARTTLS_IN_TLS);
    } else if (tr->greet_code > 0) {
      say(p->summary, sizeof(p->summary), "implicit TLS, then refuses service");
      say(p->problem, sizeof(p->problem), "the greeting over TLS is %s", tr->greeting);
    } else if (tr->greet_code == R_TIMEOUT) {
      say(p->summary, sizeof(p->summary), "TLS, then silent");
      say(p->problem, sizeof(p->problem),
          "a TLS handshake, then no greeting and no answer to EHLO within %u ms", o->timeout_ms);
    } else {
      int http = strncmp(tr->other, "HTTP/", 5) == 0;
      say(p->summary, sizeof(p->summary), "TLS, then %s", http ? "HTTP: not SMTP" : "not SMTP");
      say(p->problem, sizeof(p->problem), "after the TLS handshake the server sent '%s'",
          tr->other);
    }
    return;
  }
  if (!have_plain) {
    say(p->summary, sizeof(p->summary), "unknown");
    say(p->problem, sizeof(p->problem), "the plaintext attempt ended without a result");
    return;
  }
  p->greeting_ms = pr->greeting_ms;
  say(p->greeting, sizeof(p->greeting), "%s", pr->greeting);
  switch (pr->first) {
  case 'N':
    say(p->summary, sizeof(p->summary), "no connection");
    if (pr->connect_errno == ECONNREFUSED)
      say(p->problem, sizeof(p->problem),
          "the connection was refused: nothing listens on this port");
    else if (pr->connect_errno == ETIMEDOUT)
      say(p->problem, sizeof(p->problem), "the connection was not accepted within %u ms",
          o->timeout_ms);
    else
      say(p->problem, sizeof(p->problem), "cannot connect%s%s", pr->connect_errno ? ": " : "",
          pr->connect_errno ? strerror(pr->connect_errno) : "");
    return;
  case 'C':
    say(p->summary, sizeof(p->summary), "closes the connection at once");
    say(p->problem, sizeof(p->problem),
        "the peer closed the connection without a byte, in plaintext and to a TLS hello alike");
    return;
  case 'T':
    say(p->summary, sizeof(p->summary), "silent");
    say(p->problem, sizeof(p->problem),
        "no greeting and no answer to a TLS hello within %u ms: neither mode works here%s%s",
        o->timeout_ms, have_tls && tr->error[0] ? "; TLS: " : "", have_tls ? tr->error : "");
    return;
  case 'X':
    say(p->summary, sizeof(p->summary), "not SMTP");
    say(p->problem, sizeof(p->problem), "the peer sent '%s'", pr->other);
    return;
  default:
    break;
  }
  if (pr->greet_code != 220) {
    say(p->summary, sizeof(p->summary), "refuses service: %d greeting", pr->greet_code);
    say(p->problem, sizeof(p->problem), "the greeting is %s%s", pr->greeting,
        pr->greet_code == 421 ? " (421: the service is not available, RFC 5321 3.8)" : "");
    return;
  }
  p->ehlo_bytes = pr->ehlo_bytes;
  p->ehlo_lines = pr->ehlo_lines;
  say(p->caps, sizeof(p->caps), "%s", pr->caps);
  if (pr->ehlo_code <= 0) {
    say(p->summary, sizeof(p->summary), "greets, then does not answer EHLO");
    char what[128] = "an answer to EHLO that is not an SMTP reply";
    if (pr->ehlo_code == R_TIMEOUT && pr->ehlo_bytes > 0)
      snprintf(what, sizeof what,
               "an answer to EHLO begun (%zu bytes, %zu whole lines) that had not ended within "
               "the time-out",
               pr->ehlo_bytes, pr->ehlo_lines);
    else if (pr->ehlo_code == R_TIMEOUT)
      snprintf(what, sizeof what, "no answer to EHLO within the time-out");
    else if (pr->ehlo_code == R_EOF)
      snprintf(what, sizeof what, "the connection was closed after EHLO");
    else if (pr->ehlo_code == R_ENDLESS)
      snprintf(what, sizeof what, "an answer to EHLO that does not end (over %d lines or %d KiB)",
               MAX_LINES, RBUF / 1024);
    say(p->problem, sizeof(p->problem), "220 greeting, then %s", what);
    return;
  }
  if (pr->ehlo_code != 250) {
    p->mode = pr->helo_code == 250 ? LIVE_MODE_PLAIN : LIVE_MODE_NONE;
    say(p->summary, sizeof(p->summary), "plaintext SMTP without ESMTP (EHLO refused)");
    say(p->problem, sizeof(p->problem), "EHLO answered %s%s", pr->ehlo_reply,
        pr->helo_code == 250 ? "; HELO works, and without EHLO there is no STARTTLS" : "");
    return;
  }
  if (!pr->starttls_offered) {
    p->mode = LIVE_MODE_PLAIN;
    say(p->summary, sizeof(p->summary), "plaintext SMTP without STARTTLS");
    return;
  }
  from_starttls(p, pr);
  say(p->summary, sizeof(p->summary), "plaintext SMTP with STARTTLS (%s)",
      live_starttls_name(p->starttls));
}

int live_probe_run(const struct live_addr *a, const struct live_probe_opts *o, struct live_probe *p)
{
  static struct plain_res pr, ir;
  static struct tls_res tr;
  memset(p, 0, sizeof(*p));
  memset(&pr, 0, sizeof(pr));
  memset(&ir, 0, sizeof(ir));
  memset(&tr, 0, sizeof(tr));
  uint64_t t0 = live_now_ms();
  struct kid k[3];
  void *res[3] = {&pr, &ir, &tr};
  size_t size[3] = {sizeof(pr), sizeof(ir), sizeof(tr)};
  for (int i = 0; i < 3; i++)
    if (start_kid(&k[i], a, o, (enum attempt)i, res[i], size[i]) != 0) {
      for (int j = 0; j < i; j++) {
        kid_stop(&k[j]);
        waitpid(k[j].pid, NULL, 0);
        close(k[j].fd);
      }
      return -1;
    }
  /* Each step of an attempt has its own time-out; this only backs them up. */
  uint64_t backstop = t0 + 12ull * o->timeout_ms + 5000;
  for (int guard = 0; guard < 1000000 && (k[0].fd >= 0 || k[1].fd >= 0 || k[2].fd >= 0); guard++) {
    struct pollfd pfd[3];
    for (int i = 0; i < 3; i++)
      pfd[i] = (struct pollfd){k[i].fd, POLLIN, 0};
    (void)poll(pfd, 3, 100);
    for (int i = 0; i < 3; i++)
      if (k[i].fd >= 0 && pfd[i].revents)
        (void)kid_read(&k[i]);
    /* TLS from the first byte answered: the plaintext attempts wait for a
     * greeting that will not come. A plaintext greeting came: the TLS
     * hello met a plaintext server. */
    if (k[TLS].milestone == 'H' && k[PLAIN].milestone != 'G') {
      kid_stop(&k[PLAIN]);
      kid_stop(&k[INJECT]);
    }
    if (k[PLAIN].milestone == 'G' && k[TLS].milestone != 'H')
      kid_stop(&k[TLS]);
    if (k[PLAIN].milestone && k[PLAIN].milestone != 'G')
      kid_stop(&k[INJECT]);
    if (live_now_ms() > backstop)
      for (int i = 0; i < 3; i++)
        kid_stop(&k[i]);
  }
  for (int i = 0; i < 3; i++)
    waitpid(k[i].pid, NULL, 0);
  int have_plain = k[PLAIN].got == sizeof(pr), have_tls = k[TLS].got == sizeof(tr);
  if (!have_plain && k[PLAIN].milestone)
    pr.first = k[PLAIN].milestone;
  conclude(o, &pr, have_plain, &tr, have_tls, p);
  /* Only where STARTTLS itself works does its misuse tell anything. */
  if (p->mode == LIVE_MODE_STARTTLS && k[INJECT].got == sizeof(ir))
    injection(p, &ir);
  if (p->mode == LIVE_MODE_STARTTLS && !p->injection_note[0])
    untested(p, k[INJECT].got == sizeof(ir) ? &ir : NULL);
  if (p->mode != LIVE_MODE_STARTTLS && !p->injection_note[0])
    say(p->injection_note, sizeof(p->injection_note), "no STARTTLS to test: %s", p->summary);
  port_convention(a, p);
  if (p->mode != LIVE_MODE_NONE && p->greeting_ms > SLOW_GREET && !p->problem[0])
    say(p->problem, sizeof(p->problem), "the greeting came after %.1f s",
        (double)p->greeting_ms / 1000.0);
  p->ms = live_now_ms() - t0;
  return 0;
}

/* ---- output ---------------------------------------------------------------------------- */

static void print_caps(FILE *f, const char *label, const char *caps)
{
  if (!caps[0])
    return;
  fprintf(f, "  %-14s", label);
  for (const char *q = caps; *q;) {
    size_t n = strcspn(q, "\n");
    fprintf(f, "%.*s%s", (int)n, q, q[n] ? "; " : "");
    q += n + (q[n] != '\0');
  }
  fputc('\n', f);
}

void live_probe_print(const struct live_addr *a, const struct live_probe *p, FILE *f)
{
  fprintf(f, "%s%s%s port %u: %s\n", a->family == AF_INET6 ? "[" : "", a->text,
          a->family == AF_INET6 ? "]" : "", a->port, p->summary);
  if (p->greeting[0])
    fprintf(f, "  %-14s%s (after %llu ms)\n", "greeting:", p->greeting,
            (unsigned long long)p->greeting_ms);
  print_caps(f, "capabilities:", p->caps);
  if (p->ehlo_bytes > 4096)
    fprintf(f, "  %-14s%zu bytes in %zu lines\n", "EHLO reply:", p->ehlo_bytes, p->ehlo_lines);
  if (p->mail_reply[0])
    fprintf(f, "  %-14sMAIL FROM:<> answered %s\n", "before TLS:", p->mail_reply);
  if (p->starttls_reply[0])
    fprintf(f, "  %-14s%s\n", "STARTTLS:", p->starttls_reply);
  const struct live_probe_cert *c = &p->cert;
  if (c->present) {
    fprintf(f, "  %-14s%s, %s\n", "tls:", c->version, c->cipher);
    fprintf(f, "  %-14ssubject %s\n", "certificate:", c->subject);
    fprintf(f, "  %-14sissuer  %s\n", "", c->issuer);
    fprintf(f, "  %-14snames   %s\n", "", c->san[0] ? c->san : "(no subjectAltName)");
    fprintf(f, "  %-14sself-signed: %s; verified: %s%s%s; expires %s (%ld days)\n", "",
            c->self_signed ? "yes" : "no", c->verified ? "yes" : "no", c->verified ? "" : ", ",
            c->verified ? "" : c->verify_error, c->not_after, c->days_left);
    if (c->name_checked)
      fprintf(f, "  %-14s%s the name asked for\n", "", c->name_ok ? "names" : "does NOT name");
  }
  print_caps(f, "over TLS:", p->tls_caps);
  if (p->injection_note[0])
    fprintf(f, "  %-14s%s: %s\n", "injection:", live_injection_name(p->injection),
            p->injection_note);
  if (p->problem[0])
    fprintf(f, "  %-14s%s\n", "PROBLEM:", p->problem);
  fprintf(f, "  %-14s%s\n", "client mode:", p->hint);
  if (p->warning[0])
    fprintf(f, "  %-14s%s\n", "WARNING:", p->warning);
  fprintf(f, "  mode=%s starttls=%s starttls_command_injection=%s (%llu ms)\n",
          live_mode_name(p->mode), live_starttls_name(p->starttls),
          live_injection_name(p->injection), (unsigned long long)p->ms);
}

static void jstr(FILE *f, const char *s)
{
  fputc('"', f);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(f, "\\%c", ch);
    else if (ch < 0x20 || ch >= 0x7f)
      fprintf(f, "\\u%04x", ch);
    else
      fputc(ch, f);
  }
  fputc('"', f);
}

static void jcaps(FILE *f, const char *caps)
{
  fputc('[', f);
  for (const char *q = caps; *q;) {
    size_t n = strcspn(q, "\n");
    char item[CAPS_LINE];
    snprintf(item, sizeof(item), "%.*s", (int)n, q);
    jstr(f, item);
    q += n + (q[n] != '\0');
    if (*q)
      fputs(", ", f);
  }
  fputc(']', f);
}

void live_probe_json(const struct live_addr *a, const struct live_probe *p, FILE *f)
{
  char target[96];
  snprintf(target, sizeof(target), "%s%s%s:%u", a->family == AF_INET6 ? "[" : "", a->text,
           a->family == AF_INET6 ? "]" : "", a->port);
  fputs("{\"target\": ", f);
  jstr(f, target);
  fputs(", \"mode\": ", f);
  jstr(f, live_mode_name(p->mode));
  fputs(", \"starttls\": ", f);
  jstr(f, live_starttls_name(p->starttls));
  fputs(", \"starttls_command_injection\": ", f);
  jstr(f, live_injection_name(p->injection));
  fprintf(f, ", \"ms\": %llu, \"summary\": ", (unsigned long long)p->ms);
  jstr(f, p->summary);
  fputs(", \"problem\": ", f);
  jstr(f, p->problem);
  fputs(", \"greeting\": ", f);
  jstr(f, p->greeting);
  fprintf(f, ", \"greeting_ms\": %llu, \"capabilities\": ", (unsigned long long)p->greeting_ms);
  jcaps(f, p->caps);
  fprintf(f, ", \"ehlo_bytes\": %zu, \"mail_before_tls\": ", p->ehlo_bytes);
  jstr(f, p->mail_reply);
  fputs(", \"starttls_reply\": ", f);
  jstr(f, p->starttls_reply);
  fputs(", \"injection_note\": ", f);
  jstr(f, p->injection_note);
  fputs(", \"tls\": ", f);
  const struct live_probe_cert *c = &p->cert;
  if (!c->present) {
    fputs("null", f);
  } else {
    fputs("{\"version\": ", f);
    jstr(f, c->version);
    fputs(", \"cipher\": ", f);
    jstr(f, c->cipher);
    fputs(", \"subject\": ", f);
    jstr(f, c->subject);
    fputs(", \"issuer\": ", f);
    jstr(f, c->issuer);
    fputs(", \"san\": ", f);
    jstr(f, c->san);
    fprintf(f, ", \"self_signed\": %s, \"verified\": %s, \"verify_error\": ",
            c->self_signed ? "true" : "false", c->verified ? "true" : "false");
    jstr(f, c->verify_error);
    fputs(", \"not_after\": ", f);
    jstr(f, c->not_after);
    fprintf(f, ", \"days_left\": %ld, \"name_ok\": %s, \"capabilities\": ", c->days_left,
            !c->name_checked ? "null"
            : c->name_ok     ? "true"
                             : "false");
    jcaps(f, p->tls_caps);
    fputc('}', f);
  }
  fputs(", \"client_mode\": ", f);
  jstr(f, p->hint);
  fputs(", \"warning\": ", f);
  jstr(f, p->warning);
  fputs("}\n", f);
}

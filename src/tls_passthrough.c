#include "tls_passthrough.h"

#include "host.h"

#include <stddef.h>
#include <string.h>

#define HELLO_PREFIX_LEN (sizeof(SF_PT_SERVER_HELLO) - 1)

static struct sf_tls_passthrough *self(struct sf_tls *tls)
{
  return (struct sf_tls_passthrough *)tls;
}

static void fail(struct sf_tls_passthrough *pt, enum sf_err err, const char *reason)
{
  pt->st = SF_TLS_FAILED;
  pt->err = err;
  pt->reason = reason;
}

static size_t append(uint8_t *buf, size_t *used, size_t cap, const void *data, size_t len)
{
  size_t n = cap - *used < len ? cap - *used : len;
  memcpy(buf + *used, data, n);
  *used += n;
  return n;
}

static void pt_start(struct sf_tls *tls, const char *host, int verify)
{
  struct sf_tls_passthrough *pt = self(tls);
  if (pt->st != SF_TLS_IDLE)
    return;
  pt->verify = verify;
  size_t n = host ? strlen(host) : 0;
  if (n >= sizeof(pt->host))
    n = sizeof(pt->host) - 1;
  memcpy(pt->host, host ? host : "", n);
  pt->host[n] = '\0';
  pt->st = SF_TLS_HANDSHAKING;
  /* As the OpenSSL layer: verifying without a name to check would accept
   * any certificate for any name (RFC 6125 6), so nothing is sent. */
  if (verify && sf_host_kind(pt->host) == SF_HOST_NONE) {
    fail(pt, SF_ERR_CONFIG_NO_HOST, "certificate verification needs the expected host name");
    return;
  }
  if (pt->offer_resume)
    append(pt->out, &pt->out_len, sizeof(pt->out), SF_PT_CLIENT_HELLO_RESUME,
           sizeof(SF_PT_CLIENT_HELLO_RESUME) - 1);
  else
    append(pt->out, &pt->out_len, sizeof(pt->out), SF_PT_CLIENT_HELLO,
           sizeof(SF_PT_CLIENT_HELLO) - 1);
}

static int equal_nocase(const char *a, size_t alen, const char *b)
{
  if (alen != strlen(b))
    return 0;
  for (size_t i = 0; i < alen; i++) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? (char)(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? (char)(b[i] + 32) : b[i];
    if (x != y)
      return 0;
  }
  return 1;
}

/* Does body[0, len) end with the marker m (mlen bytes)? Only when "<cert>
 * <host>" is still there before it: a host may be called "resumed" or
 * "certificate-required". */
static int ends_with_marker(const char *body, size_t len, const char *m, size_t mlen)
{
  return len > mlen && memcmp(body + len - mlen, m, mlen) == 0 &&
         memchr(body, ' ', len - mlen) != NULL;
}

/* The hello line is complete: "<prefix><cert> <host>[ resumed]
 * [ certificate-required]", or "<prefix>alert <name>". Judge it the way a
 * verifier judges a certificate chain and name (RFC 6125). */
static void finish_hello(struct sf_tls_passthrough *pt)
{
  static const struct {
    const char *kind;
    enum sf_err err;
    const char *reason;
  } kinds[] = {
      {"valid", SF_ERR_OK, NULL},
      {"self-signed", SF_ERR_TLS_CERT_SELF_SIGNED, "certificate verify failed: self-signed"},
      {"unknown-issuer", SF_ERR_TLS_CERT_UNKNOWN_ISSUER,
       "certificate verify failed: unable to get local issuer certificate"},
      {"wrong-host", SF_ERR_TLS_CERT_WRONG_HOST, "certificate verify failed: host name mismatch"},
      {"expired", SF_ERR_TLS_CERT_EXPIRED, "certificate verify failed: certificate has expired"},
      {"not-yet-valid", SF_ERR_TLS_CERT_NOT_YET_VALID,
       "certificate verify failed: certificate is not yet valid"},
      /* RFC 6125 6.4.4, 6.4.3: the host's name in a form no verifier takes. */
      {"name-in-cn-only", SF_ERR_TLS_CERT_WRONG_HOST,
       "certificate verify failed: host name mismatch (the host is named in the CN only)"},
      {"nul-in-name", SF_ERR_TLS_CERT_WRONG_HOST,
       "certificate verify failed: host name mismatch (a NUL inside the name)"},
      {"wildcard-too-wide", SF_ERR_TLS_CERT_WRONG_HOST,
       "certificate verify failed: host name mismatch (a wildcard over several labels)"},
      /* RFC 5280 6.1, 4.2.1.12: a chain no verifier takes for a server. */
      {"forged-signature", SF_ERR_TLS_CERT_OTHER,
       "certificate verify failed: certificate signature failure"},
      {"issuer-not-ca", SF_ERR_TLS_CERT_OTHER, "certificate verify failed: invalid CA certificate"},
      {"client-auth-only", SF_ERR_TLS_CERT_OTHER,
       "certificate verify failed: unsuitable certificate purpose"},
  };
  const char *body = pt->hello + HELLO_PREFIX_LEN;
  size_t len = pt->hello_len - HELLO_PREFIX_LEN - 1; /* without the LF */
  size_t alen = sizeof(SF_PT_ALERT) - 1;
  if (len > alen && memcmp(body, SF_PT_ALERT, alen) == 0) {
    /* As a record layer names a received alert (RFC 8446 6.2). */
    int version = len - alen == 16 && memcmp(body + alen, "protocol-version", 16) == 0;
    fail(pt, version ? SF_ERR_TLS_PROTOCOL_VERSION : SF_ERR_TLS_ALERT,
         version ? "no common protocol version: the peer sent alert protocol-version"
                 : "the peer sent an alert");
    return;
  }
  size_t qlen = sizeof(SF_PT_CERT_REQUIRED) - 1;
  int cert_required = ends_with_marker(body, len, SF_PT_CERT_REQUIRED, qlen);
  if (cert_required)
    len -= qlen;
  size_t rlen = sizeof(SF_PT_RESUMED) - 1;
  if (ends_with_marker(body, len, SF_PT_RESUMED, rlen)) {
    if (!pt->offer_resume) {
      fail(pt, SF_ERR_TLS_HANDSHAKE, "the server resumed a session nobody offered");
      return;
    }
    pt->resumed = 1;
    len -= rlen;
  }
  const char *sp = memchr(body, ' ', len);
  if (!sp) {
    fail(pt, SF_ERR_TLS_HANDSHAKE, "malformed pass-through server hello");
    return;
  }
  size_t kind_len = (size_t)(sp - body);
  const char *cert_host = sp + 1;
  size_t host_len = len - kind_len - 1;
  size_t k = kind_len < sizeof pt->peer_kind - 1 ? kind_len : sizeof pt->peer_kind - 1;
  memcpy(pt->peer_kind, body, k);
  pt->peer_kind[k] = '\0';
  memcpy(pt->peer_name, cert_host, host_len);
  pt->peer_name[host_len] = '\0';
  for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
    if (!equal_nocase(body, kind_len, kinds[i].kind))
      continue;
    if (pt->verify && kinds[i].err != SF_ERR_OK) {
      fail(pt, kinds[i].err, kinds[i].reason);
      return;
    }
    /* RFC 6125 6: a name as a name, an address as an address. */
    if (pt->verify && !sf_host_equal(pt->peer_name, pt->host)) {
      fail(pt, SF_ERR_TLS_CERT_WRONG_HOST, "certificate verify failed: host name mismatch");
      return;
    }
    if (cert_required) {
      fail(pt, SF_ERR_TLS_ALERT, "the peer sent alert certificate-required");
      return;
    }
    pt->st = SF_TLS_ESTABLISHED;
    return;
  }
  fail(pt, SF_ERR_TLS_HANDSHAKE, "unknown certificate kind in pass-through server hello");
}

/* A real TLS handshake record came where our hello was due (a man in the
 * middle answering the ClientHello himself). Of it only what OpenSSL would
 * refuse first is modelled: a ServerHello whose version field is not TLS
 * 1.2's 0x0303 (RFC 8446 4.1.3 keeps it there for 1.3 too) names a protocol
 * version the client does not speak (RFC 8996: nothing older than 1.2).
 * Anything else real is a handshake this layer cannot take part in. 1 once
 * decided (the layer has failed). */
static int real_server_hello(struct sf_tls_passthrough *pt)
{
  const uint8_t *h = (const uint8_t *)pt->hello;
  /* record header (5 bytes), handshake type and length (4), version (2) */
  if (pt->hello_len == 6 && h[5] != 0x02) {
    fail(pt, SF_ERR_TLS_HANDSHAKE, "the peer did not answer with a (pass-through) server hello");
    return 1;
  }
  if (pt->hello_len < 11)
    return 0;
  if (h[9] != 0x03 || h[10] != 0x03)
    fail(pt, SF_ERR_TLS_PROTOCOL_VERSION,
         "no common protocol version: the server hello names a version other than 0x0303");
  else
    fail(pt, SF_ERR_TLS_HANDSHAKE, "the peer did not answer with a (pass-through) server hello");
  return 1;
}

/* The first SF_PT_TAMPERED mark in p[0..n), or NULL. */
static const uint8_t *find_tampered(const uint8_t *p, size_t n)
{
  const size_t mlen = sizeof(SF_PT_TAMPERED) - 1;
  while (n >= mlen) {
    const uint8_t *c = memchr(p, SF_PT_TAMPERED[0], n - mlen + 1);
    if (c == NULL)
      return NULL;
    if (memcmp(c, SF_PT_TAMPERED, mlen) == 0)
      return c;
    n -= (size_t)(c - p) + 1;
    p = c + 1;
  }
  return NULL;
}

static size_t pt_feed_net(struct sf_tls *tls, const uint8_t *data, size_t len)
{
  struct sf_tls_passthrough *pt = self(tls);
  size_t used = 0;
  while (pt->st == SF_TLS_HANDSHAKING && used < len) {
    if (!pt->real && pt->hello_len >= HELLO_PREFIX_LEN) {
      /* Past the prefix: up to the LF in one copy, the byte after a full
       * buffer refused as the loop below would. */
      size_t room = sizeof(pt->hello) - 1 - pt->hello_len,
             n = len - used < room ? len - used : room;
      if (n == 0) {
        fail(pt, SF_ERR_TLS_HANDSHAKE, "pass-through server hello too long");
        return used + 1;
      }
      const uint8_t *lf = memchr(data + used, '\n', n);
      if (lf != NULL)
        n = (size_t)(lf - (data + used)) + 1;
      memcpy(pt->hello + pt->hello_len, data + used, n);
      pt->hello_len += n;
      pt->hello[pt->hello_len] = '\0';
      used += n;
      if (lf != NULL)
        finish_hello(pt);
      continue;
    }
    char c = (char)data[used++];
    if (pt->real) {
      pt->hello[pt->hello_len++] = c;
      if (real_server_hello(pt))
        return used;
      continue;
    }
    if (pt->hello_len == 1 && c == 3) {
      pt->real = 1;
      pt->hello[pt->hello_len++] = c;
      continue;
    }
    if (pt->hello_len < HELLO_PREFIX_LEN && c != SF_PT_SERVER_HELLO[pt->hello_len]) {
      /* The first two bytes tell, as a TLS record header's would (as in
       * the OpenSSL layer): a first byte that is no record type, or a
       * second that is no major version 3, is not TLS at all (a real
       * record header goes to real_server_hello()). (SMTP in the clear is
       * the session's to name: it knows whether a reply or a record was
       * due.) */
      if (pt->hello_len <= 1)
        fail(pt, SF_ERR_TLS_PEER_NOT_TLS, "the peer does not speak TLS");
      else
        fail(pt, SF_ERR_TLS_HANDSHAKE,
             "the peer did not answer with a (pass-through) server hello");
      return used;
    }
    if (pt->hello_len == sizeof(pt->hello) - 1) {
      fail(pt, SF_ERR_TLS_HANDSHAKE, "pass-through server hello too long");
      return used;
    }
    pt->hello[pt->hello_len++] = c;
    pt->hello[pt->hello_len] = '\0';
    if (c == '\n')
      finish_hello(pt);
  }
  if (pt->st != SF_TLS_ESTABLISHED)
    return used;
  /* What follows the mark did not come through the peer's TLS: fail as a
   * record layer does on a bad MAC, with the bytes before it delivered. */
  const uint8_t *mark = find_tampered(data + used, len - used);
  size_t end = mark != NULL ? (size_t)(mark - data) : len;
  size_t n = append(pt->in, &pt->in_len, sizeof(pt->in), data + used, end - used);
  used += n;
  if (end < len && used == end) {
    fail(pt, SF_ERR_TLS_HANDSHAKE,
         "a record failed its integrity check: the stream was tampered with");
    return len;
  }
  return used;
}

static size_t pt_take_net(struct sf_tls *tls, uint8_t *out, size_t cap)
{
  struct sf_tls_passthrough *pt = self(tls);
  size_t n = pt->out_len < cap ? pt->out_len : cap;
  memcpy(out, pt->out, n);
  memmove(pt->out, pt->out + n, pt->out_len - n);
  pt->out_len -= n;
  return n;
}

static size_t pt_pending_net(const struct sf_tls *tls)
{
  return ((const struct sf_tls_passthrough *)tls)->out_len;
}

static size_t pt_write_app(struct sf_tls *tls, const uint8_t *data, size_t len)
{
  struct sf_tls_passthrough *pt = self(tls);
  if (pt->st != SF_TLS_ESTABLISHED)
    return 0;
  return append(pt->out, &pt->out_len, sizeof(pt->out), data, len);
}

static size_t pt_read_app(struct sf_tls *tls, uint8_t *out, size_t cap)
{
  struct sf_tls_passthrough *pt = self(tls);
  size_t n = pt->in_len < cap ? pt->in_len : cap;
  memcpy(out, pt->in, n);
  memmove(pt->in, pt->in + n, pt->in_len - n);
  pt->in_len -= n;
  return n;
}

static void pt_close(struct sf_tls *tls)
{
  struct sf_tls_passthrough *pt = self(tls);
  if (pt->st != SF_TLS_ESTABLISHED)
    return;
  append(pt->out, &pt->out_len, sizeof(pt->out), SF_PT_CLOSE, sizeof(SF_PT_CLOSE) - 1);
  pt->st = SF_TLS_CLOSED;
}

static enum sf_tls_state pt_state(const struct sf_tls *tls)
{
  return ((const struct sf_tls_passthrough *)tls)->st;
}

static enum sf_err pt_error(const struct sf_tls *tls, const char **reason)
{
  const struct sf_tls_passthrough *pt = (const struct sf_tls_passthrough *)tls;
  if (reason)
    *reason = pt->reason ? pt->reason : "";
  return pt->err;
}

static const struct sf_tls_vtable passthrough_vtable = {
    .start = pt_start,
    .feed_net = pt_feed_net,
    .take_net = pt_take_net,
    .pending_net = pt_pending_net,
    .write_app = pt_write_app,
    .read_app = pt_read_app,
    .close = pt_close,
    .state = pt_state,
    .error = pt_error,
};

const struct sf_tls_vtable *sf_tls_passthrough_vtable(void)
{
  return &passthrough_vtable;
}

void sf_tls_passthrough_offer_resume(struct sf_tls_passthrough *pt, int offer)
{
  pt->offer_resume = offer != 0;
}

int sf_tls_passthrough_resumed(const struct sf_tls_passthrough *pt)
{
  return pt->resumed;
}

void sf_tls_passthrough_init(struct sf_tls_passthrough *pt)
{
  memset(pt, 0, offsetof(struct sf_tls_passthrough, out));
  pt->base.vt = &passthrough_vtable;
  pt->st = SF_TLS_IDLE;
}

/* A TLS layer without cryptography: a marked boundary, then bytes unchanged.
 *
 * The client sends SF_PT_CLIENT_HELLO, or SF_PT_CLIENT_HELLO_RESUME when it
 * offers a session to resume. The server answers with one line
 *
 *     "\x16PT-SERVER-HELLO <cert> <host>[ resumed]\n"
 *
 * or "\x16PT-SERVER-HELLO alert <name>\n" when it refuses the handshake,
 * where <cert> is one of valid, self-signed, unknown-issuer, wrong-host,
 * expired, not-yet-valid, or a kind whose name is the fault (name-in-cn-only,
 * nul-in-name, wildcard-too-wide: the host only in the subject's CN, the host
 * followed by a NUL and more, a wildcard over several labels) or its chain
 * (forged-signature, issuer-not-ca, client-auth-only: a signature by
 * another key than the named issuer's, an issuer that is not a CA, a
 * certificate for TLS clients only) and <host> the
 * name the certificate carries (the certificate of the session, when it was
 * resumed). With verification on,
 * anything but "valid" for the expected host fails with the matching
 * certificate error, as a real verifier would, resumed or not: a resumed
 * session is only as good as the certificate it was made with. After the line,
 * application bytes pass through unchanged. Both markers start with 0x16, the
 * TLS handshake record type, so a peer that answers with plaintext SMTP is
 * told apart exactly as with real TLS.
 *
 * It lets tests and the fast fuzz target reach every post-TLS state at full
 * speed; the boundary is visible on the wire, so oracles see where TLS began.
 */
#ifndef SF_TLS_PASSTHROUGH_H
#define SF_TLS_PASSTHROUGH_H

#include "tls.h"

#define SF_PT_CLIENT_HELLO_PREFIX "\x16PT-CLIENT-HELLO"
#define SF_PT_CLIENT_HELLO        SF_PT_CLIENT_HELLO_PREFIX "\n"
#define SF_PT_CLIENT_HELLO_RESUME SF_PT_CLIENT_HELLO_PREFIX " resume\n"
#define SF_PT_SERVER_HELLO        "\x16PT-SERVER-HELLO "
#define SF_PT_RESUMED             " resumed"
/* Instead of "<cert> <host>": the server refuses the handshake with an alert
 * before it shows a certificate (RFC 8446 6.2): "alert protocol-version". */
#define SF_PT_ALERT "alert "
/* After "<cert> <host>": the server asks for a client certificate, which
 * this client never has. As in real TLS (RFC 8446 4.4.2.4, RFC 5246
 * 7.4.6), the client judges the server's certificate first; if it passes,
 * the server ends the handshake with alert certificate_required. */
#define SF_PT_CERT_REQUIRED " certificate-required"
/* The longest hello line: the prefix, a certificate kind, a name of
 * SF_HOST_NAME_MAX octets, " resumed" and SF_PT_CERT_REQUIRED, with room. */
#define SF_PT_MAX_HELLO 320
#define SF_PT_CLOSE     "\x15PT-CLOSE\n"
/* Bytes that did not come through the peer's TLS (written into the stream
 * by someone else): a real record layer rejects them, and so does this one,
 * as a record whose integrity check fails. */
#define SF_PT_TAMPERED "\x17PT-TAMPERED\n"

struct sf_tls_passthrough {
  struct sf_tls base;
  enum sf_tls_state st;
  enum sf_err err;
  const char *reason;
  int verify;
  int offer_resume; /* the hello offers a session */
  int resumed;      /* the server resumed it */
  /* The certificate the server presented: its kind and the name it carries
   * (as SSL_get0_peer_certificate would give it), once the hello is in. */
  char peer_kind[32];
  char peer_name[SF_PT_MAX_HELLO];
  char host[SF_PT_MAX_HELLO];
  /* Server hello being collected; real: it began as a real TLS record
   * header (0x16 0x03), not as ours. */
  char hello[SF_PT_MAX_HELLO];
  size_t hello_len;
  int real;
  size_t out_len, in_len;
  /* The buffers last: sf_tls_passthrough_init() clears what comes before
   * them, and only out[0..out_len) and in[0..in_len) are ever read. */
  uint8_t out[4096]; /* for the network: the client hello, then application data */
  uint8_t in[4096];  /* application bytes received after the hello */
};

void sf_tls_passthrough_init(struct sf_tls_passthrough *pt);
/* Offer a session to resume in the hello (call before start()). */
void sf_tls_passthrough_offer_resume(struct sf_tls_passthrough *pt, int offer);
/* 1 once the server has resumed the offered session. */
int sf_tls_passthrough_resumed(const struct sf_tls_passthrough *pt);
/* The implementation's functions, for a test or wrapper that overrides some. */
const struct sf_tls_vtable *sf_tls_passthrough_vtable(void);

#endif

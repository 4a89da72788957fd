/* What a loopback port speaks, told from the server's own answers, in
 * bounded time: plaintext SMTP, with STARTTLS optional or required (asked
 * with a MAIL command before TLS), implicit TLS, or something else, named.
 *
 * Two attempts run at once, each in a process of its own: one waits for a
 * plaintext greeting, the other sends a TLS ClientHello at once, so an
 * implicit-TLS port answers in one round trip and a plaintext one is not
 * kept waiting for TLS. Over STARTTLS the server-side command injection of
 * the CVE-2011-0411 class is checked: STARTTLS and NOOP leave in one write,
 * and a server that answers the NOOP inside TLS kept plaintext input across
 * the upgrade. The certificate is read (names, issuer, self-signed or not,
 * verified against the system store or a given CA, days to expiry), never
 * trusted. Every byte the server sent is shown escaped.
 */
#ifndef SF_LIVE_PROBE_H
#define SF_LIVE_PROBE_H

#include "live/live_addr.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The client mode that works on the port. */
enum live_mode { LIVE_MODE_NONE, LIVE_MODE_PLAIN, LIVE_MODE_STARTTLS, LIVE_MODE_IMPLICIT };
/* STARTTLS as the server has it. */
enum live_starttls {
  LIVE_STARTTLS_ABSENT,   /* not offered (or not applicable: implicit TLS) */
  LIVE_STARTTLS_OPTIONAL, /* offered; mail is taken without it too */
  LIVE_STARTTLS_REQUIRED, /* offered; MAIL before it is refused for want of TLS */
  LIVE_STARTTLS_UNKNOWN,  /* offered; MAIL before it got an answer that says neither */
  LIVE_STARTTLS_REFUSED,  /* offered, but the command is refused (454...) */
  LIVE_STARTTLS_BROKEN,   /* offered and accepted, but no TLS follows (garbage, a close) */
};
enum live_injection { LIVE_INJ_NOT_TESTED, LIVE_INJ_SAFE, LIVE_INJ_VULNERABLE };

#define LIVE_PROBE_TEXT 512

struct live_probe_cert {
  int present;
  char version[32], cipher[64];
  char subject[256], issuer[256], san[512]; /* escaped */
  char not_after[64];
  long days_left;
  int self_signed;
  int verified; /* the chain verifies against the trust store (system, or --ca) */
  char verify_error[128];
  int name_checked, name_ok; /* against --name */
};

struct live_probe {
  enum live_mode mode;
  enum live_starttls starttls;
  enum live_injection injection;
  char summary[200];              /* what the port speaks, in words */
  char problem[LIVE_PROBE_TEXT];  /* what is wrong with it, or "" */
  char greeting[LIVE_PROBE_TEXT]; /* escaped; over TLS for implicit TLS */
  uint64_t greeting_ms;
  char caps[2048]; /* EHLO keywords, escaped, "; " between them */
  size_t ehlo_bytes, ehlo_lines;
  char mail_reply[256];     /* the answer to MAIL FROM:<> before TLS */
  char starttls_reply[256]; /* the answer to STARTTLS */
  char injection_note[LIVE_PROBE_TEXT];
  char tls_caps[2048]; /* EHLO keywords over TLS */
  struct live_probe_cert cert;
  char hint[160];    /* the client mode that fits, in words */
  char warning[256]; /* the port's convention and its behaviour disagree, or "" */
  uint64_t ms;
};

struct live_probe_opts {
  uint32_t timeout_ms; /* for each step */
  const char *cafile;  /* NULL: the system's trust store */
  const char *name;    /* NULL: no name check (and no SNI) */
};

/* What a PEM file given on the command line must hold. */
enum live_pem { LIVE_PEM_CERTS, LIVE_PEM_KEY };

/* Reads `path` as the TLS code will and says whether it holds at least one
 * certificate (LIVE_PEM_CERTS, as for --ca or --cert) or a private key
 * (LIVE_PEM_KEY). Returns 0, or -1 with the reason in err, path not
 * included: the system's ("No such file or directory", "Is a directory",
 * "Permission denied"), "no PEM certificate in it", a PEM block that does
 * not read (OpenSSL's reason) or does not decode, or an encrypted key
 * (this check never asks for a passphrase). */
int live_pem_check(const char *path, enum live_pem want, char *err, size_t cap);

/* Probes one address. Returns 0 (p filled), -1 on a local error (no
 * process or pipe to be had; errno). */
int live_probe_run(const struct live_addr *a, const struct live_probe_opts *o,
                   struct live_probe *p);
void live_probe_print(const struct live_addr *a, const struct live_probe *p, FILE *f);
/* One JSON object on one line. */
void live_probe_json(const struct live_addr *a, const struct live_probe *p, FILE *f);

const char *live_mode_name(enum live_mode m);
const char *live_starttls_name(enum live_starttls s);
const char *live_injection_name(enum live_injection i);

/* Server bytes made printable: \r \n \t \\ and \xNN for anything outside
 * printable ASCII; cut with "..." to fit. Returns out. */
char *live_escape(char *out, size_t cap, const void *p, size_t n);

#endif

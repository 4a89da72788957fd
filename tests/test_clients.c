/* Third-party clients in-process (harness/byoc/): scenarios of the
 * library replayed against one client, each with the verdicts it earns
 * there, exactly. Built once per adapter: test_curl (libcurl 7.88.1,
 * adapter_curl.c) and test_libesmtp (libESMTP 1.1.0, adapter_libesmtp.c),
 * chosen by TEST_CLIENT. Deterministic: fixed scenarios, virtual time, no
 * clock or speed in any assertion.
 *
 *   test_X                 the table below
 *   test_X --survey DIR    every .scn in DIR: the client's verdicts and end
 *   test_X --show FILE     one scenario's transcript with the client
 */
#include "adapter.h"
#include "check.h"
#include "oracle.h"
#include "scenario_text.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V(x) ORACLE_BIT(SC_V_##x)

struct row {
  const char *file;
  unsigned verdicts; /* OUTCOME aside */
  enum sc_client_status end;
};

#if TEST_CLIENT_CURL
extern const struct sc_adapter sc_adapter_curl;
static const struct sc_adapter *const adapter = &sc_adapter_curl;
static const struct row table[] = {
    /* What a correct client does, curl does. */
    {"submission-ok.scn", 0, SC_CLIENT_DONE},
    {"ok-submission-587-auth-login.scn", 0, SC_CLIENT_DONE},
    {"ok-implicit-465-auth-plain.scn", 0, SC_CLIENT_DONE},
    {"ok-submission-multiple-rcpt.scn", 0, SC_CLIENT_DONE},
    {"ok-message-leading-dots.scn", 0, SC_CLIENT_DONE},
    {"ok-message-lone-dot.scn", 0, SC_CLIENT_DONE},
    {"ok-message-starts-with-dot.scn", 0, SC_CLIENT_DONE},
    /* curl keeps its own response timeout (none of the scenario's): */
    {"stall-trickle-ehlo.scn", V(HANG), SC_CLIENT_DONE},
    {"ok-deliver-no.scn", 0, SC_CLIENT_DONE},
    {"starttls-stripped.scn", 0, SC_CLIENT_FAILED},
    {"starttls-454-required.scn", 0, SC_CLIENT_FAILED},
    /* CVE-2021-22947 is fixed in 7.88: bytes after the 220 end the session. */
    {"starttls-injection.scn", 0, SC_CLIENT_FAILED},
    {"injection-starttls-several-replies.scn", 0, SC_CLIENT_FAILED},
    {"cert-self-signed.scn", 0, SC_CLIENT_FAILED},
    /* Names in forms RFC 6125 refuses: the CN beside a DNS-ID, a NUL in the
     * name, a wildcard over two labels. */
    {"cert-name-in-cn-only.scn", 0, SC_CLIENT_FAILED},
    {"cert-nul-in-name.scn", 0, SC_CLIENT_FAILED},
    {"cert-wildcard-too-wide.scn", 0, SC_CLIENT_FAILED},
    /* Chains RFC 5280 refuses: a forged signature, an issuer that is not a
     * CA, a certificate for TLS clients. */
    {"cert-forged-signature.scn", 0, SC_CLIENT_FAILED},
    {"cert-issuer-not-ca.scn", 0, SC_CLIENT_FAILED},
    {"cert-client-auth-only.scn", 0, SC_CLIENT_FAILED},
    /* A 250 to DATA is no 354: the message was not sent, the transfer fails. */
    {"libesmtp-data-answered-250.scn", 0, SC_CLIENT_FAILED},
    {"reply-body-451.scn", 0, SC_CLIENT_FAILED},
    {"cert-client-auth-only-implicit.scn", 0, SC_CLIENT_FAILED},
    {"cert-wrong-host.scn", 0, SC_CLIENT_FAILED},
    {"cert-expired.scn", 0, SC_CLIENT_FAILED},
    {"cert-unknown-issuer.scn", 0, SC_CLIENT_FAILED},
    {"cert-ipv4-literal-host.scn", 0, SC_CLIENT_DONE},
    {"cert-ip-literal-other-address.scn", 0, SC_CLIENT_FAILED},
    {"tls-server-old-versions.scn", 0, SC_CLIENT_FAILED},
    /* The STARTTLS client on port 465: the server waits for a TLS hello,
     * curl for a greeting, and curl_multi_timeout says no timer: a hang. */
    {"silent-465.scn", V(HANG), SC_CLIENT_RUNNING},
    /* "220x..." to STARTTLS is no reply's end to curl: it waits on. */
    {"malformed-starttls-220-no-separator.scn", V(HANG), SC_CLIENT_RUNNING},
    /* CURLUSESSL_TRY authenticates in plaintext when STARTTLS is stripped
     * or refused. */
    {"starttls-stripped-opportunistic-auth.scn", V(LEAK_AUTH), SC_CLIENT_FAILED},
    {"starttls-454-opportunistic-auth.scn", V(LEAK_AUTH), SC_CLIENT_FAILED},
    {"curl-try-stripped-starttls-password.scn", V(LEAK_AUTH), SC_CLIENT_DONE},
    /* HELO after a rejected post-TLS EHLO, with the pre-TLS SIZE. */
    {"curl-stale-size-helo-fallback.scn", V(STALE_CAPS), SC_CLIENT_DONE},
    /* A SIZE the post-TLS EHLO does not announce is used all the same. */
    {"caps-starttls-after-tls.scn", V(STALE_CAPS), SC_CLIENT_DONE},
    /* Any EHLO failure means HELO to curl, a 421 included (fuzz_curl). */
    {"curl-421-ehlo-tls-helo.scn", V(IGNORED_421), SC_CLIENT_FAILED},
    /* CURLUSESSL_TRY takes a 421 to STARTTLS for a refusal and goes on. */
    {"starttls-421-opportunistic.scn", V(IGNORED_421), SC_CLIENT_DONE},
    /* A reply's code is its last line's: "421-" then "250 " reads as 250
     * (fuzz_curl). */
    {"malformed-multiline-code-mismatch-421.scn", V(IGNORED_421), SC_CLIENT_FAILED},
    /* Any line of five bytes ends a reply, "250-" and a bare LF too: the
     * post-TLS EHLO reads as 250, MAIL follows the 421 with the pre-TLS
     * SIZE, and the 421 answers it (fuzz_curl). */
    {"malformed-continuation-bare-lf-421.scn", V(IGNORED_421) | V(STALE_CAPS), SC_CLIENT_FAILED},
    /* A line sent ahead of STARTTLS is taken for its answer (fuzz_curl). */
    {"curl-starttls-answer-sent-ahead.scn", V(INJECTION), SC_CLIENT_FAILED},
    /* ... also when the server started TLS before that STARTTLS; and the
     * server's name on the first EHLO line is taken for STARTTLS. */
    {"curl-starttls-after-server-started-tls.scn", V(INJECTION), SC_CLIENT_FAILED},
    /* A TLS 1.3 session ticket waiting before its EHLO is flushed: curl
     * reads past it. */
    {"tests/data/byoc/tls13-eager-ticket-before-ehlo.scn", 0, SC_CLIENT_DONE},
    /* A 250 cut short by the close is no reply: it fails. */
    {"tests/data/byoc/libesmtp-250-cut-by-close.scn", 0, SC_CLIENT_FAILED},
    /* Keywords on the first EHLO line, and known by their first bytes:
     * what curl learns so over TLS is no stale knowledge (fuzz_curl). */
    {"tests/data/byoc/curl-keywords-read-leniently.scn", 0, SC_CLIENT_DONE},
    /* ... and on a line with another code inside a 250 answer. */
    {"tests/data/byoc/curl-keywords-on-other-code-line.scn", 0, SC_CLIENT_DONE},
};
#else
extern const struct sc_adapter sc_adapter_libesmtp;
static const struct sc_adapter *const adapter = &sc_adapter_libesmtp;
static const struct row table[] = {
    /* What a correct client does, libESMTP does: a blocking client whose
     * poll() timeouts end its waits in virtual time. */
    {"submission-ok.scn", 0, SC_CLIENT_DONE},
    {"ok-submission-587-auth-login.scn", 0, SC_CLIENT_DONE},
    {"ok-plain-client-submission.scn", 0, SC_CLIENT_DONE},
    {"ok-submission-multiple-rcpt.scn", 0, SC_CLIENT_DONE},
    {"ok-message-leading-dots.scn", 0, SC_CLIENT_DONE},
    {"ok-message-lone-dot.scn", 0, SC_CLIENT_DONE},
    {"ok-message-starts-with-dot.scn", 0, SC_CLIENT_DONE},
    /* Its timeouts restart on every read: */
    {"stall-trickle-ehlo.scn", V(HANG), SC_CLIENT_DONE},
    {"silent-465.scn", 0, SC_CLIENT_FAILED},
    {"stall-greeting-timeout.scn", 0, SC_CLIENT_FAILED},
    {"stall-ehlo-timeout.scn", 0, SC_CLIENT_FAILED},
    {"starttls-stripped.scn", 0, SC_CLIENT_FAILED},
    {"starttls-454-required.scn", 0, SC_CLIENT_FAILED},
    {"tls-server-old-versions.scn", 0, SC_CLIENT_FAILED},
    {"malformed-starttls-220-no-separator.scn", 0, SC_CLIENT_FAILED},
    {"malformed-continuation-bare-lf-421.scn", 0, SC_CLIENT_FAILED},
    {"curl-stale-size-helo-fallback.scn", 0, SC_CLIENT_DONE},
    /* Replies injected after the 220 to STARTTLS are read as the answers
     * to the commands sent over TLS (the CVE-2021-22947 class). Every
     * answer after them is one off: it takes the 250 to its RCPT for the
     * answer to DATA, ends at the 354, and reports the message delivered
     * with that 250, though it never sent it. */
    {"starttls-injection.scn", V(INJECTION) | V(STALE_CAPS) | V(FALSE_SUCCESS), SC_CLIENT_DONE},
    {"injection-starttls-235.scn", V(INJECTION) | V(STALE_CAPS) | V(FALSE_SUCCESS), SC_CLIENT_DONE},
    /* Two bytes behind the 220 stay in its buffer: its handshake and reply
     * loops spin on them (300 s of virtual time here), then it acts on them. */
    {"libesmtp-bytes-after-starttls-220-spin.scn", V(INJECTION), SC_CLIENT_FAILED},
    /* It rejects the certificate, then says QUIT inside that TLS session,
     * as RFC 3207 4.1 asks: no finding. */
    {"cert-expired.scn", 0, SC_CLIENT_FAILED},
    {"cert-wrong-host.scn", 0, SC_CLIENT_FAILED},
    {"cert-name-in-cn-only.scn", 0, SC_CLIENT_FAILED},
    {"cert-nul-in-name.scn", 0, SC_CLIENT_FAILED},
    {"cert-forged-signature.scn", 0, SC_CLIENT_FAILED},
    {"cert-issuer-not-ca.scn", 0, SC_CLIENT_FAILED},
    {"cert-client-auth-only.scn", 0, SC_CLIENT_FAILED},
    /* Starttls_ENABLED authenticates in plaintext when STARTTLS is gone. */
    {"curl-try-stripped-starttls-password.scn", V(LEAK_AUTH), SC_CLIENT_DONE},
    /* A 421 is the plain failure of the command it answered: to AUTH a
     * failed mechanism (it tries the next one), to RCPT a failed recipient
     * (it goes on to DATA). */
    {"auth-421-next-mechanism.scn", V(IGNORED_421), SC_CLIENT_FAILED},
    {"tests/data/byoc/libesmtp-421-rcpt-then-data.scn", V(IGNORED_421), SC_CLIENT_DONE},
    /* No QUIT timeout of its own: the end of data's (10 min) stays. */
    {"stall-quit-timeout.scn", V(HANG), SC_CLIENT_DONE},
    /* Any answer to DATA becomes the message's status: a 250 there reads as
     * delivered, though the message never left. A refusal of the message
     * itself is reported as one. */
    {"libesmtp-data-answered-250.scn", V(FALSE_SUCCESS), SC_CLIENT_DONE},
    {"reply-body-451.scn", 0, SC_CLIENT_FAILED},
    {"reply-body-552.scn", 0, SC_CLIENT_FAILED},
    /* A 250 to the message's end cut short by the close, no line end, is a
     * reply to it: the message reads as delivered. */
    {"tests/data/byoc/libesmtp-250-cut-by-close.scn", V(FALSE_SUCCESS), SC_CLIENT_DONE},
    /* So is the 250 on the first line of a reply that a line with no code
     * then breaks: it keeps the first line's code as the status. */
    {"tests/data/byoc/libesmtp-2xx-reply-broken-after-first-line.scn", V(FALSE_SUCCESS),
     SC_CLIENT_DONE},
    /* And when the wait for the answer to BDAT LAST times out, the status
     * is the 250 to the chunk before: delivered, though nothing said so. */
    {"tests/data/byoc/libesmtp-bdat-last-unanswered.scn", V(FALSE_SUCCESS), SC_CLIENT_DONE},
    /* A mechanism is an atom to it: PLAIN in "PLAIN,LOGIN". */
    {"tests/data/byoc/libesmtp-auth-mechanisms-as-atoms.scn", 0, SC_CLIENT_DONE},
    /* With the server reading each write at once, the TLS 1.3 session
     * ticket is there when it polls after the handshake, its EHLO still
     * in its buffer: it reads first, finds no reply, and waits for one
     * until its timeout (esmtp live: tests/live/README.md). Not at TLS 1.2
     * (no ticket), nor when the server reads later. */
    {"tests/data/byoc/tls13-eager-ticket-before-ehlo.scn", V(HANG), SC_CLIENT_FAILED},
    {"tests/data/byoc/tls12-eager.scn", 0, SC_CLIENT_DONE},
    {"tests/data/byoc/tls13-lazy.scn", 0, SC_CLIENT_DONE},
    /* It cancels an AUTH exchange it cannot finish with "*", and answers
     * every further 334 with another "*": nothing bounds the exchange. */
    {"tests/data/byoc/libesmtp-sasl-cancel-loop.scn", V(HANG), SC_CLIENT_RUNNING},
    /* A read that times out on part of a line returns the part as a line:
     * a "221-" part, then nothing, costs it two whole timeouts. */
    {"tests/data/byoc/libesmtp-part-of-line-two-timeouts.scn", V(HANG), SC_CLIENT_FAILED},
};
#endif

static struct scenario sc;
static struct wire w;
static struct sim_result res;
static struct oracle_report rep;
static struct tls_peer *peer;

static int load(const char *path)
{
  static char text[65536];
  FILE *f = fopen(path, "rb");
  if (!f)
    return -1;
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  size_t line;
  const char *why;
  if (scenario_parse_text(&sc, text, n, &line, &why) != SF_ERR_OK) {
    fprintf(stderr, "%s:%zu: %s\n", path, line, why);
    return -1;
  }
  return 0;
}

static unsigned run(const char *path)
{
  if (load(path) != 0 || sc_adapter_run(adapter, &sc, peer, &w, &res) != 0)
    return ~0u;
  return oracle_judge(&sc, &w, &res, &rep) & ~V(OUTCOME);
}

static void names(unsigned v, char *out, size_t cap)
{
  out[0] = '\0';
  for (int i = 0; i < SC_V_COUNT; i++)
    if (v & ORACLE_BIT(i))
      snprintf(out + strlen(out), cap - strlen(out), "%s%s", out[0] ? "," : "",
               sc_verdict_name((enum sc_verdict)i));
  if (!out[0])
    snprintf(out, cap, "none");
}

static int survey(const char *dir)
{
  DIR *d = opendir(dir);
  if (!d)
    return 2;
  struct dirent *e;
  char path[1024], v[256];
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n < 4 || strcmp(e->d_name + n - 4, ".scn") != 0)
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    unsigned got = run(path);
    names(got, v, sizeof v);
    printf("%-55s %-8s %-24s %s\n", e->d_name, sc_client_status_name(res.status), v, res.diagnosis);
  }
  closedir(d);
  return 0;
}

int main(int argc, char **argv)
{
  peer = tls_peer_new();
  if (!peer || adapter->global_init() != 0) {
    fprintf(stderr, "test_%s: set-up failed\n", adapter->name);
    return 1;
  }
  if (argc == 3 && strcmp(argv[1], "--survey") == 0)
    return survey(argv[2]);
  if (argc == 3 && strcmp(argv[1], "--show") == 0) {
    unsigned got = run(argv[2]);
    if (got == ~0u)
      return 2;
    oracle_transcript_file(&sc, &w, &rep, stdout);
    return 0;
  }
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    char path[256], want[128], got_names[128];
    /* A bare name is in the scenario library; a path, from the source tree. */
    snprintf(path, sizeof path, "%s%s", strchr(table[i].file, '/') ? "" : "corpus/scenarios/",
             table[i].file);
    unsigned got = run(path);
    names(table[i].verdicts, want, sizeof want);
    names(got, got_names, sizeof got_names);
    CHECKF(got == table[i].verdicts, "%s: %s earns %s, expected %s", table[i].file, adapter->name,
           got_names, want);
    CHECKF(res.status == table[i].end, "%s: %s ended %s (%s), expected %s", table[i].file,
           adapter->name, sc_client_status_name(res.status), res.diagnosis,
           sc_client_status_name(table[i].end));
    if (got != table[i].verdicts || res.status != table[i].end)
      oracle_transcript_file(&sc, &w, &rep, stderr);
  }
  tls_peer_free(peer);
  char suite[64];
  snprintf(suite, sizeof suite, "test_%s", adapter->name);
  return check_report(suite);
}

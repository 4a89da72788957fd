/* Small pieces every client adapter needs, so that an adapter file holds
 * only its client's own mapping. */
#ifndef SC_BYOC_ADAPTER_UTIL_H
#define SC_BYOC_ADAPTER_UTIL_H

#include "config.h"

#include <stddef.h>
#include <stdint.h>

struct ssl_ctx_st;

/* The message with every bare LF made CRLF (as an application hands a
 * library a message), NUL-terminated; returns its length (cut at cap-1). */
size_t sc_adapter_crlf(char *dst, size_t cap, const char *msg, size_t len);
/* 1 if the message holds a CR that no LF follows (a bare CR is then the
 * input's, not the client's). */
int sc_adapter_bare_cr(const char *msg, size_t len);
/* A client context trusting only the PEM certificate `ca_pem` (the
 * harness's test CA), judging certificates at TLS_PEER_TIME, not verifying
 * during the handshake (for libraries that judge the result themselves).
 * NULL on failure. */
struct ssl_ctx_st *sc_adapter_client_ctx(const char *ca_pem);
/* 1 if the scenario's server may stop reading (a deaf action): a client
 * whose socket buffer took the rest then waits for an answer to bytes the
 * server never read, which the oracles, seeing only what the server read,
 * cannot tell from a wait with no send outstanding. */
struct scenario;
int sc_adapter_server_deaf(const struct scenario *sc);
/* The longest timeout the configuration holds, plus the oracles' slack: a
 * client that waits longer, in whatever phase, waits too long. */
uint64_t sc_adapter_wait_limit(const struct sf_config *cfg);
/* 1 if a HANG reason says the client waited ("waited N ms ...") no longer
 * than the longest timeout the configuration holds, plus the oracles'
 * slack: a client whose timeouts cover other spans than the scenario's
 * phases kept one of its own, if not the phase's. Never for a deadlock
 * (sc_adapter_deadlock()): no timeout excuses waiting for what is not due. */
int sc_adapter_wait_within_timeouts(const struct sf_config *cfg, const char *hang_reason);
/* 1 if a HANG reason is a wait that a client whose timeouts bound each
 * read, not the wait for a whole reply, keeps (libESMTP): one within its
 * timeouts (sc_adapter_wait_within_timeouts()); a reply that trickled in,
 * each part in time; or a wait that began with part of a line (the reason
 * says so) no longer than two of those timeouts, the one that ran out on
 * the part, which it then took for a line, and the one for the next line. */
int sc_adapter_timeout_per_read(const struct sf_config *cfg, const char *hang_reason);
/* 1 if the STARTTLS rule before TLS sends more after its 220 line (or any
 * 2xx, which libESMTP takes for the go-ahead too): a second line, bytes of
 * another send or raw step, or the rest of a line longer than `line_max`
 * (with its LF), which a client reading lines into a buffer of that size
 * cuts there, taking the head for the line; and the HANG reason says the
 * client was still there at the time bound (waiting, or during a server
 * stall that went past it), or waited too long after its TLS hello (in
 * its handshake): a client that keeps those bytes in a buffer of its own
 * and spins on them (libESMTP). */
int sc_adapter_spins_behind_220(const struct scenario *sc, const char *hang_reason,
                                size_t line_max);
/* 1 if the report's HANG is a deadlock: the client waited for an answer it
 * was not owed (to a command it had not sent), which no timeout of its own
 * excuses. */
struct oracle_report;
int sc_adapter_deadlock(const struct oracle_report *rep);
/* What follows from replies injected after the 220 to STARTTLS that a
 * client takes for the answers to its commands over TLS (the
 * CVE-2021-22947 class): every later reply pairs one off from the oracle's
 * count, so a command may rely on what only the injected lines announced,
 * the reply the client took for its message's answer is another's, and a
 * 421 answered another command than the one the oracle pairs it with. */
#define SC_ADAPTER_AFTER_INJECTION                                                                 \
  (ORACLE_BIT(SC_V_STALE_CAPS) | ORACLE_BIT(SC_V_FALSE_SUCCESS) | ORACLE_BIT(SC_V_IGNORED_421))
/* 1 if the server's first 421 answered AUTH, a line of its exchange, or
 * RCPT, as the client paired replies: a client that reads a 421 as the
 * plain failure of its command tries the next mechanism, or goes on
 * without one, or goes on to the next recipient or DATA (libESMTP). */
int sc_adapter_421_as_failure(const struct oracle_report *rep);
/* 1 if an oracle's reason holds `what` (starts with it, for the second).
 * Plain loops, not strstr or strncmp: under the fuzzers the C library's
 * comparisons hand their operands to the fuzzer as words to try, and these
 * are the judge's words, not the client's (harness/judge_cmp.h). */
int sc_adapter_reason_has(const char *reason, const char *what);
int sc_adapter_reason_starts(const char *reason, const char *prefix);
/* The shortest configured timeout of the phases first..last. */
uint32_t sc_adapter_min_timeout(const struct sf_config *cfg, enum sf_phase first,
                                enum sf_phase last);

#endif

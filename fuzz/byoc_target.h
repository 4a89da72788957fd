/* A fuzz target for any client adapter (harness/adapter.h), in two lines:
 *
 *   #include "byoc_target.h"
 *   SF_BYOC_TARGET(sc_adapter_curl)
 *
 * The input is a scenario in binary form, as for fuzz_starttls; the
 * adapter's client plays it against the simulated server with real TLS
 * (the OpenSSL server peer), and every oracle judges the wire. A verdict
 * aborts with one line naming it, except OUTCOME (the stated outcome is
 * mutated like everything else) and what the adapter says its client is
 * known to earn (sc_adapter.known). Environment:
 *   SMTPFUZZ_VERDICTS=A,B   count exactly these verdicts, known ones included
 *   SMTPFUZZ_SKIP_KNOWN=1   ... except what the adapter knows (a planted bug
 *                           of a class the client already shows elsewhere)
 *   SMTPFUZZ_SHOW=1         print each input's transcript to stderr
 */
#ifndef SF_FUZZ_BYOC_TARGET_H
#define SF_FUZZ_BYOC_TARGET_H

#include "adapter.h"
#include "target.h"

int sf_byoc_target_init(const struct sc_adapter *a, int *argc, char ***argv);
int sf_byoc_target_one(const struct sc_adapter *a, const uint8_t *data, size_t size);

#define SF_BYOC_TARGET(adapter)                                                                    \
  extern const struct sc_adapter adapter;                                                          \
  int sf_fuzz_init(int *argc, char ***argv)                                                        \
  {                                                                                                \
    return sf_byoc_target_init(&adapter, argc, argv);                                              \
  }                                                                                                \
  int sf_fuzz_one(const uint8_t *data, size_t size)                                                \
  {                                                                                                \
    return sf_byoc_target_one(&adapter, data, size);                                               \
  }

#endif

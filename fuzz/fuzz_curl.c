/* fuzz_curl: libcurl's SMTP client (Debian's curl 7.88.1, built by
 * ci/third-party.sh curl) in-process, unmodified, under the same scenarios,
 * oracles and real TLS as our engine (adapter: harness/byoc/adapter_curl.c;
 * the shim that connects its socket and clock calls to the simulated server:
 * harness/byoc/byoc.h). Input and verdicts as fuzz_starttls; what curl is
 * known to do is not counted unless SMTPFUZZ_VERDICTS asks (byoc_target.h).
 */
#include "byoc_target.h"

SF_BYOC_TARGET(sc_adapter_curl)

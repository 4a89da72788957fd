/* fuzz_libesmtp: libESMTP 1.1.0's SMTP client (Debian 12's, built by
 * ci/third-party.sh libesmtp), a blocking client, in-process and unmodified
 * (adapter: harness/byoc/adapter_libesmtp.c). Input and verdicts as
 * fuzz_curl (byoc_target.h). */
#include "byoc_target.h"

SF_BYOC_TARGET(sc_adapter_libesmtp)

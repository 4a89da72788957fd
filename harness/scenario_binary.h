/* The binary form of a scenario, for fuzz targets: any byte string decodes
 * to a valid scenario, and each field sits in its own byte(s), so a
 * mutation changes one thing. The layout is documented at the top of
 * scenario_binary.c. */
#ifndef SC_SCENARIO_BINARY_H
#define SC_SCENARIO_BINARY_H

#include "scenario.h"

/* Bytes of the fixed header that every input starts with. */
#define SC_BINARY_HEADER 21

/* decode never fails: every input gives a scenario. encode returns the
 * length written, or 0 if cap is too small. */
void scenario_decode(struct scenario *sc, const uint8_t *data, size_t len);
size_t scenario_encode(const struct scenario *sc, uint8_t *out, size_t cap);
/* The most scenario_encode ever writes: header, one record per timeout,
 * string records (the configuration's strings fit its arena; three bytes of
 * record head each), rule heads, action records and the whole pool. */
#define SC_BINARY_MAX                                                                              \
  (SC_BINARY_HEADER + 5 * SF_PHASE_COUNT + SF_CONFIG_STRINGS + 3 * (8 + SF_CONFIG_MAX_RCPT) +      \
   SC_NAME_MAX + SC_HOST_MAX + SC_DIAG_MAX + 2 * SC_MAX_RULES + 7 * SC_MAX_ACTIONS + SC_POOL)

/* Field tables of the header, shared with the mutator. */
#define SC_BINARY_CERT_HOSTS 8
#define SC_BINARY_HOSTS      8
#define SC_BINARY_MESSAGES   6
extern const uint16_t sc_binary_ports[4];
extern const char *const sc_binary_cert_hosts[SC_BINARY_CERT_HOSTS];
extern const char *const sc_binary_hosts[SC_BINARY_HOSTS];
extern const char *const sc_binary_messages[SC_BINARY_MESSAGES];
/* 1 for the four consistent (mode, tls) pairs. */
int sc_binary_profile_consistent(enum sf_mode mode, enum sf_tls_policy tls);

#endif

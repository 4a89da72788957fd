/* The binary form of a scenario, for fuzz targets: any byte string decodes
 * to a valid scenario, and each field sits in its own byte(s), so a
 * mutation changes one thing. The layout is documented at the top of
 * scenario_binary.c. */
#ifndef SC_SCENARIO_BINARY_H
#define SC_SCENARIO_BINARY_H

#include "scenario.h"

/* decode never fails: every input gives a scenario. encode returns the
 * length written, or 0 if cap is too small. */
void scenario_decode(struct scenario *sc, const uint8_t *data, size_t len);
size_t scenario_encode(const struct scenario *sc, uint8_t *out, size_t cap);
/* The most scenario_encode ever writes: header, one record per timeout,
 * rule heads, action records and the whole pool. */
#define SC_BINARY_MAX (18 + 5 * SF_PHASE_COUNT + 2 * SC_MAX_RULES + 5 * SC_MAX_ACTIONS + SC_POOL)

/* Field tables of the header, shared with the mutator. */
#define SC_BINARY_CERT_HOSTS 4
extern const uint16_t sc_binary_ports[4];
extern const char *const sc_binary_cert_hosts[SC_BINARY_CERT_HOSTS];
/* 1 for the four consistent (mode, tls) pairs. */
int sc_binary_profile_consistent(enum sf_mode mode, enum sf_tls_policy tls);

#endif

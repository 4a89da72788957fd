/* fuzz_naive: the baseline for the planted-bug comparison (bench/bugs/).
 *
 * Raw bytes into the session, with no structure: the client keeps its
 * default configuration (STARTTLS on 587, tls = required, an envelope), the
 * certificate is always valid, and the input is the server's byte stream,
 * cut at NUL bytes into the answers to a fixed sequence of commands (the
 * greeting, EHLO, STARTTLS followed by TLS, the EHLO over TLS, AUTH, MAIL,
 * RCPT, DATA, the message, HELO, QUIT); a missing piece leaves the default
 * server's answer. It runs without dictionary, seeds or custom mutator, and
 * is judged by the same oracles as fuzz_session, so the difference in time to
 * find a bug is what the scenario format, mutator and corpus are worth.
 */
#include "client_under_test.h"
#include "oracle.h"
#include "scenario.h"
#include "sim.h"
#include "target.h"

#include <stdio.h>
#include <string.h>

struct slot {
  enum sc_verb verb;
  enum sc_chan chan;
  int then_tls;
};

static const struct slot slots[] = {
    {SC_VERB_CONNECT, SC_CHAN_ANY, 0},    {SC_VERB_EHLO, SC_CHAN_PLAIN, 0},
    {SC_VERB_STARTTLS, SC_CHAN_PLAIN, 1}, {SC_VERB_EHLO, SC_CHAN_TLS, 0},
    {SC_VERB_AUTH, SC_CHAN_ANY, 0},       {SC_VERB_MAIL, SC_CHAN_ANY, 0},
    {SC_VERB_RCPT, SC_CHAN_ANY, 0},       {SC_VERB_DATA, SC_CHAN_ANY, 0},
    {SC_VERB_BODY, SC_CHAN_ANY, 0},       {SC_VERB_HELO, SC_CHAN_ANY, 0},
    {SC_VERB_QUIT, SC_CHAN_ANY, 0},
};
#define NSLOTS (sizeof(slots) / sizeof(slots[0]))

static int flaw = -1;

int sf_fuzz_init(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  flaw = sf_fuzz_flaw_from_env("fuzz_naive");
  return 0;
}

int sf_fuzz_one(const uint8_t *data, size_t size)
{
  static struct scenario sc;
  static struct wire w;
  static struct sim_result res;
  static struct oracle_report rep;

  scenario_init(&sc);
  if (size > SC_POOL)
    size = SC_POOL;
  memcpy(sc.pool, data, size);
  sc.pool_len = size;
  size_t start = 0;
  for (size_t k = 0; k < NSLOTS && start <= size; k++) {
    const uint8_t *nul = memchr(data + start, 0, size - start);
    size_t end = nul ? (size_t)(nul - data) : size;
    struct sc_rule *r = &sc.rules[sc.nrules++];
    r->verb = slots[k].verb;
    r->chan = slots[k].chan;
    r->nth = 1;
    r->first_action = (uint16_t)sc.nactions;
    sc.actions[sc.nactions++] = (struct sc_action){
        .kind = SC_ACT_SEND, .off = (uint32_t)start, .len = (uint32_t)(end - start)};
    if (slots[k].then_tls)
      sc.actions[sc.nactions++] = (struct sc_action){.kind = SC_ACT_TLS};
    r->nactions = (uint16_t)(sc.nactions - r->first_action);
    if (!nul)
      break;
    start = end + 1;
  }

  sim_run(&sc, sf_fuzz_client(flaw, &sc), &w, &res);
  unsigned verdicts = oracle_judge(&sc, &w, &res, &rep) & ~ORACLE_BIT(SC_V_OUTCOME);
  for (int v = 0; v < SC_V_COUNT; v++)
    if (verdicts & ORACLE_BIT(v))
      SF_FUZZ_FAIL("fuzz_naive: verdict %s: %s", sc_verdict_name((enum sc_verdict)v),
                   rep.reason[v]);
  return 0;
}

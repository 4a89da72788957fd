/* The structure-aware mutator and crossover for scenario inputs
 * (scenario_mutator.h), shared by the libFuzzer hooks (mutator_scenario.c)
 * and the AFL++ custom mutator (afl_mutator.c). */
#include "scenario_mutator.h"

#include "limit_pad.h"
#include "reply_parser.h"
#include "scenario_binary.h"

#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Fuzzing helpers: a structure-aware mutator and crossover            */

struct prng {
  uint64_t s;
};

/* splitmix64 wraps on purpose. Unsigned wrap-around is defined behaviour,
 * but OSS-Fuzz's undefined build adds -fsanitize=unsigned-integer-overflow,
 * which would report it on every mutation. */
#if defined(__clang__)
#define SC_WRAPS __attribute__((no_sanitize("unsigned-integer-overflow")))
#else
#define SC_WRAPS
#endif

static SC_WRAPS struct prng prng_seeded(unsigned seed, unsigned salt)
{
  return (struct prng){(uint64_t)seed * 0x2545f4914f6cdd1du + salt};
}

/* splitmix64: tiny, stateless apart from the caller's seed. */
static SC_WRAPS uint32_t prng_next(struct prng *r)
{
  uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static uint32_t below(struct prng *r, uint32_t n)
{
  return n == 0 ? 0 : prng_next(r) % n;
}

/* Replies worth injecting: the dictionary of the STARTTLS attack classes. */
static const char *const interesting_replies[] = {
    "220 mx.example.com ESMTP\r\n",
    "220 2.0.0 Ready to start TLS\r\n",
    "250 OK\r\n",
    "250-mx.example.com\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n",
    "250-mx.example.com\r\n250 AUTH PLAIN LOGIN\r\n",
    "250-mx.example.com\r\n250 PIPELINING\r\n",
    "250 STARTTLS\r\n",
    "334 VXNlcm5hbWU6\r\n",
    "334 \r\n",
    "235 2.7.0 Authentication successful\r\n",
    "354 go ahead\r\n",
    "421 4.3.2 Service shutting down\r\n",
    "454 4.7.0 TLS not available due to local problem\r\n",
    "502 5.5.1 Command not implemented\r\n",
    "503 5.5.1 Bad sequence of commands\r\n",
    "530 5.7.0 Must issue a STARTTLS command first\r\n",
    "554 5.7.3 Unable to initialize security subsystem\r\n",
    "220-mx.example.com first\r\n220 second\r\n",
    "250-SIZE 99999999999999999999999\r\n250 8BITMIME\r\n",
    "\x16\x03\x01\x00\x05hello",
    "250\r\n",
    "250 ok\n",
    /* The post-TLS EHLO answer of the submission personality, word for word:
     * injected, it announces nothing new, so only accounting can tell. */
    ("250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 35882577\r\n250-AUTH PLAIN LOGIN\r\n"
     "250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"),
    "250-mx.example.com\r\n250-CHUNKING\r\n250 AUTH PLAIN LOGIN\r\n",
    "250-mx.example.com\r\n421 4.3.2 closing\r\n",
    "421-4.3.2 going down\r\n421 4.3.2 bye\r\n",
    "535 5.7.8 Authentication credentials invalid\r\n",
    "504 5.5.4 Unrecognized authentication type\r\n",
    "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
    "HTTP/1.1 400 Bad Request\r\n\r\n",
};
#define NREPLIES (sizeof interesting_replies / sizeof interesting_replies[0])

static const uint32_t interesting_ms[] = {0,      1,      999,    1000,   29999,  30000,  60000,
                                          119999, 120001, 299999, 300000, 300001, 600001, 3600000};
#define NMS (sizeof interesting_ms / sizeof interesting_ms[0])

/* Rebuilds the action array and the pool in rule order, so actions and bytes
 * that no rule uses any more give their room back. */
static void compact(struct scenario *sc)
{
  static const struct sc_action none = {.kind = SC_ACT_HANG};
  /* Off the stack, like every large buffer here: ASan poisons and
   * unpoisons a frame's arrays on every call, and the mutators run for
   * every input. */
  static _Thread_local struct sc_action acts[SC_MAX_ACTIONS];
  static _Thread_local uint8_t pool[SC_POOL];
  size_t na = 0, np = 0;
  for (size_t i = 0; i < sc->nrules; i++) {
    struct sc_rule *r = &sc->rules[i];
    const struct sc_action *a;
    size_t n = scenario_rule_actions(sc, r, &a);
    r->first_action = (uint16_t)na;
    for (size_t k = 0; k < n && na < SC_MAX_ACTIONS; k++) {
      acts[na] = a[k];
      if (sc_act_has_bytes(a[k].kind)) {
        size_t len;
        const uint8_t *p = scenario_send_bytes(sc, &a[k], &len);
        len = len < SC_POOL - np ? len : SC_POOL - np;
        memcpy(pool + np, p, len);
        acts[na].off = (uint32_t)np;
        acts[na].len = (uint32_t)len;
        np += len;
      }
      na++;
    }
    r->nactions = (uint16_t)(na - r->first_action);
  }
  for (size_t k = na; k < SC_MAX_ACTIONS; k++)
    acts[k] = none;
  memcpy(sc->actions, acts, sizeof acts);
  memcpy(sc->pool, pool, np);
  sc->nactions = na;
  sc->pool_len = np;
}

/* Puts `n` bytes at the end of the pool (compacting first if needed);
 * returns how many fit. */
static size_t pool_put(struct scenario *sc, const uint8_t *p, size_t n, uint32_t *off)
{
  if (n > SC_POOL - sc->pool_len)
    compact(sc);
  if (n > SC_POOL - sc->pool_len)
    n = SC_POOL - sc->pool_len;
  memmove(sc->pool + sc->pool_len, p, n);
  *off = (uint32_t)sc->pool_len;
  sc->pool_len += n;
  return n;
}

/* Inserts action `a` into rule `ri` at index `at`, keeping every rule's
 * actions contiguous. Returns 0 when the action array is full. */
static int insert_action(struct scenario *sc, size_t ri, size_t at, struct sc_action a)
{
  compact(sc);
  if (sc->nactions >= SC_MAX_ACTIONS)
    return 0;
  struct sc_rule *r = &sc->rules[ri];
  size_t pos = r->first_action + (at < r->nactions ? at : r->nactions);
  memmove(&sc->actions[pos + 1], &sc->actions[pos], (sc->nactions - pos) * sizeof sc->actions[0]);
  sc->actions[pos] = a;
  sc->nactions++;
  r->nactions++;
  for (size_t i = 0; i < sc->nrules; i++)
    if (i != ri && sc->rules[i].first_action >= pos)
      sc->rules[i].first_action++;
  return 1;
}

/* Gives action `k` of rule `ri` the bytes p[0..n). */
static void set_send(struct scenario *sc, size_t ri, size_t k, const uint8_t *p, size_t n)
{
  sc->actions[sc->rules[ri].first_action + k].len = 0;
  uint32_t off;
  n = pool_put(sc, p, n, &off);
  /* pool_put may compact, which moves actions: find ours again. */
  struct sc_action *a = &sc->actions[sc->rules[ri].first_action + k];
  a->off = off;
  a->len = (uint32_t)n;
}

static void add_send(struct scenario *sc, size_t ri, size_t at, const char *s)
{
  struct sc_action a = {.kind = SC_ACT_SEND};
  if (!insert_action(sc, ri, at, a))
    return;
  size_t k = at < sc->rules[ri].nactions ? at : (size_t)sc->rules[ri].nactions - 1;
  set_send(sc, ri, k, (const uint8_t *)s, strlen(s));
}

/* A new rule with one of the attack-shaped action lists. */
static void add_rule(struct scenario *sc, struct prng *r)
{
  static const enum sc_verb favourite[] = {SC_VERB_CONNECT, SC_VERB_EHLO, SC_VERB_STARTTLS,
                                           SC_VERB_AUTH, SC_VERB_AUTH_DATA};
  compact(sc);
  if (sc->nrules >= SC_MAX_RULES)
    return;
  struct sc_rule rule = {below(r, 2) ? favourite[below(r, 5)]
                                     : (enum sc_verb)below(r, SC_VERB_COUNT),
                         (enum sc_chan)below(r, 3), (uint8_t)(below(r, 3) ? 0 : 1 + below(r, 3)),
                         (uint16_t)sc->nactions, 0};
  size_t ri = sc->nrules++;
  sc->rules[ri] = rule;
  const char *reply = interesting_replies[below(r, NREPLIES)];
  struct sc_action stall = {.kind = SC_ACT_STALL, .ms = interesting_ms[below(r, NMS)]};
  switch (below(r, 7)) {
  case 0:
    add_send(sc, ri, 0, reply);
    break;
  case 1:
    add_send(sc, ri, 0, reply);
    insert_action(sc, ri, 1, (struct sc_action){.kind = SC_ACT_TLS});
    break;
  case 2:
    insert_action(sc, ri, 0, stall);
    add_send(sc, ri, 1, reply);
    break;
  case 3:
    add_send(sc, ri, 0, reply);
    insert_action(sc, ri, 1, (struct sc_action){.kind = SC_ACT_CLOSE});
    break;
  case 4:
    insert_action(sc, ri, 0, (struct sc_action){.kind = below(r, 3) ? SC_ACT_HANG : SC_ACT_DEAF});
    break;
  case 5: { /* two replies in one flight, then TLS: under STARTTLS, replies
             * injected behind the 220, in the same segment (RFC 3207 5,
             * CVE-2021-22947); the first is most often that 220 */
    char flight[512];
    const char *first =
        rule.verb == SC_VERB_STARTTLS && below(r, 2) ? "220 2.0.0 Ready to start TLS\r\n" : reply;
    snprintf(flight, sizeof flight, "%s%s", first, interesting_replies[below(r, NREPLIES)]);
    add_send(sc, ri, 0, flight);
    insert_action(sc, ri, 1, (struct sc_action){.kind = SC_ACT_TLS});
    break;
  }
  default:
    add_send(sc, ri, 0, reply);
    add_send(sc, ri, 1, interesting_replies[below(r, NREPLIES)]);
    break;
  }
}

static void remove_rule(struct scenario *sc, size_t ri)
{
  memmove(&sc->rules[ri], &sc->rules[ri + 1], (sc->nrules - ri - 1) * sizeof sc->rules[0]);
  sc->nrules--;
  compact(sc);
}

/* Positions just after a line end (and 0): where reply codes start. */
static size_t line_starts(const uint8_t *b, size_t n, size_t *at, size_t cap)
{
  size_t k = 0;
  for (size_t i = 0; i < n && k < cap; i++)
    if (i == 0 || b[i - 1] == '\n')
      at[k++] = i;
  return k;
}

static size_t insert_bytes(uint8_t *b, size_t n, size_t cap, size_t at, const void *p, size_t m)
{
  if (m > cap - n)
    m = cap - n;
  memmove(b + at + m, b + at, n - at);
  memcpy(b + at, p, m);
  return n + m;
}

/* One SMTP-aware edit of a reply flight. */
static size_t edit_bytes(uint8_t *b, size_t n, size_t cap, struct prng *r)
{
  size_t starts[64];
  size_t ns = line_starts(b, n, starts, 64);
  size_t at = below(r, (uint32_t)n + 1);
  switch (below(r, 9)) {
  case 0: /* a reply code digit */
    if (ns > 0) {
      size_t s = starts[below(r, (uint32_t)ns)];
      size_t d = below(r, 3);
      if (s + d < n) {
        b[s + d] = d == 0 ? (uint8_t) "2345"[below(r, 4)] : (uint8_t)('0' + below(r, 10));
        return n;
      }
    }
    return insert_bytes(b, n, cap, 0, "250 ", 4);
  case 1: /* continuation '-' against final ' ' (RFC 5321 4.2.1) */
    for (size_t i = 0; i < ns; i++) {
      size_t s = starts[(i + below(r, (uint32_t)ns)) % ns];
      if (s + 3 < n && (b[s + 3] == '-' || b[s + 3] == ' ')) {
        b[s + 3] = b[s + 3] == '-' ? ' ' : '-';
        return n;
      }
    }
    return insert_bytes(b, n, cap, at, "-", 1);
  case 2: { /* a line end, bare LF, bare CR or NUL */
    static const char *const ends[] = {"\r\n", "\n", "\r", "\0"};
    size_t e = below(r, 4);
    return insert_bytes(b, n, cap, at, ends[e], e == 0 ? 2 : 1);
  }
  case 3: { /* an injected reply after the flight */
    const char *s = interesting_replies[below(r, NREPLIES)];
    return insert_bytes(b, n, cap, n, s, strlen(s));
  }
  case 4: /* CRLF to bare LF, or drop a byte */
    for (size_t i = 0; i + 1 < n; i++)
      if (b[i] == '\r' && b[i + 1] == '\n' && below(r, 2)) {
        memmove(b + i, b + i + 1, n - i - 1);
        return n - 1;
      }
    if (n > 0 && at < n) {
      memmove(b + at, b + at + 1, n - at - 1);
      return n - 1;
    }
    return n;
  case 5: /* cut the flight short */
    return at;
  case 6: { /* a line, a reply or an EHLO line next to a named limit, or far past one */
    if (below(r, 2)) {
      size_t k = sf_limit_pad(b, n, cap, prng_next(r));
      if (k > 0)
        return k;
    }
    uint8_t fill[1100];
    size_t m = 400 + below(r, 700);
    memset(fill, 'A', m);
    return insert_bytes(b, n, cap, at, fill, m);
  }
  case 7: /* the same line twice */
    if (ns > 0) {
      size_t i = below(r, (uint32_t)ns);
      size_t s = starts[i], e = i + 1 < ns ? starts[i + 1] : n;
      uint8_t line[SC_POOL];
      memcpy(line, b + s, e - s);
      return insert_bytes(b, n, cap, e, line, e - s);
    }
    return n;
  default: { /* another reply altogether */
    const char *s = interesting_replies[below(r, NREPLIES)];
    size_t m = strlen(s);
    memcpy(b, s, m);
    return m;
  }
  }
}

/* Strings a mutation puts into the configuration live here until the
 * scenario is encoded (the scenario's own arena refuses a key set twice). */
struct scratch {
  char text[4][512];
  char message[SF_CONFIG_STRINGS];
  size_t used;
};

static const char *keep(struct scratch *sp, const char *s, size_t n)
{
  if (sp->used == sizeof sp->text / sizeof sp->text[0])
    return NULL;
  char *d = sp->text[sp->used++];
  n = n < sizeof sp->text[0] - 1 ? n : sizeof sp->text[0] - 1;
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* Values that reach the corners: UTF-8 and 8-bit bytes (RFC 6531), a very
 * long name, characters SASL and base64 treat specially. */
static const char *const interesting_users[] = {
    "alice",
    "bob",
    "al:ice",
    "\xc3\xa9l\xc3\xa8ve",
    "user@example.org",
    "a b",
    "x",
    "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu",
};
static const char *const interesting_passwords[] = {
    "s3cret-Pa55",
    "pw",
    "p@ss:w0rd=",
    "\xc3\xbc\xc3\xb6\xc3\xa4",
    "+/=",
    "1234",
    "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp",
};
static const char *const interesting_addresses[] = {
    "carol@example.com",
    "postmaster",
    "d\xc3\xa9lia@ex\xc3\xa4mple.com",
    "a@[192.0.2.1]",
    "\"quoted local\"@example.com",
    "bob@example.com",
};
/* Inserted into a message: the shapes a lenient server may read as an end of
 * data (RFC 5321 2.3.8, 4.1.1.4) and 8-bit text. */
static const char *const message_edits[] = {
    "\r", "\n", ".", "\r.\r", "\n.\n", "\r\n.\r\n", "\r.\n", "\n.\r\n", "\xc3\xa9", "\x80", "\n.",
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void mutate_message(struct sf_config *c, struct scratch *sp, struct prng *r)
{
  if (c->mail_from == NULL)
    return;
  if (below(r, 3) == 0 || c->message == NULL) {
    const char *m = sc_binary_messages[below(r, SC_BINARY_MESSAGES)];
    if (m) {
      c->message = m;
      c->message_len = strlen(m);
    }
    return;
  }
  size_t n = c->message_len < sizeof sp->message ? c->message_len : sizeof sp->message;
  memcpy(sp->message, c->message, n);
  size_t at = below(r, (uint32_t)n + 1);
  if (below(r, 4) == 0 && n > 0) {
    if (at == n)
      at--;
    memmove(sp->message + at, sp->message + at + 1, n - at - 1);
    n--;
  } else {
    const char *e = message_edits[below(r, N(message_edits))];
    size_t m = strlen(e);
    /* The configuration's arena holds every string with its NUL. */
    if (n + m + 64 < sizeof sp->message) {
      memmove(sp->message + at + m, sp->message + at, n - at);
      memcpy(sp->message + at, e, m);
      n += m;
    }
  }
  c->message = sp->message;
  c->message_len = n;
}

static void mutate_envelope(struct sf_config *c, struct scratch *sp, struct prng *r)
{
  switch (below(r, 5)) {
  case 0: /* deliver or only negotiate */
    if (c->mail_from == NULL)
      scenario_default_envelope(c);
    else
      scenario_clear_envelope(c);
    return;
  case 1: /* one recipient more */
    if (c->mail_from && c->nrcpt < SF_CONFIG_MAX_RCPT)
      c->rcpt[c->nrcpt++] = interesting_addresses[below(r, N(interesting_addresses))];
    return;
  case 2: /* one fewer, down to none (which the engine must refuse) */
    if (c->nrcpt > 0) {
      size_t i = below(r, (uint32_t)c->nrcpt);
      memmove(&c->rcpt[i], &c->rcpt[i + 1], (c->nrcpt - i - 1) * sizeof c->rcpt[0]);
      c->rcpt[--c->nrcpt] = NULL;
    }
    return;
  case 3:
    if (c->mail_from) {
      static const char *const from[] = {"", "alice@example.org", "\xc3\xa9@example.org"};
      c->mail_from = from[below(r, N(from))];
    }
    return;
  default:
    mutate_message(c, sp, r);
    return;
  }
}

static void mutate_credentials(struct sf_config *c, struct scratch *sp, struct prng *r)
{
  switch (below(r, 4)) {
  case 0:
    c->auth = (enum sf_auth)((c->auth + 1 + below(r, 2)) % 3);
    return;
  case 1:
    c->user = interesting_users[below(r, N(interesting_users))];
    return;
  case 2:
    c->password = interesting_passwords[below(r, N(interesting_passwords))];
    return;
  default: { /* one byte of the password changed */
    const char *p = c->password ? c->password : "";
    char buf[512];
    size_t n = strlen(p) < sizeof buf - 1 ? strlen(p) : sizeof buf - 1;
    memcpy(buf, p, n);
    if (n == 0)
      buf[n++] = 'x';
    else
      buf[below(r, (uint32_t)n)] = (char)(' ' + below(r, 95));
    const char *k = keep(sp, buf, n);
    if (k)
      c->password = k;
    return;
  }
  }
}

static void mutate_header(struct scenario *sc, struct scratch *sp, struct prng *r)
{
  struct sf_config *c = &sc->cfg;
  switch (below(r, 11)) {
  case 0:
    c->mode = (enum sf_mode)((c->mode + 1 + below(r, 2)) % 3);
    /* Mostly a consistent profile: contradictions are the rarer case. */
    if (below(r, 5) != 0)
      c->tls = c->mode == SF_MODE_PLAIN      ? SF_TLS_NONE
               : c->mode == SF_MODE_IMPLICIT ? SF_TLS_REQUIRED
                                             : (enum sf_tls_policy)(1 + below(r, 2));
    break;
  case 1:
    c->tls = (enum sf_tls_policy)((c->tls + 1 + below(r, 2)) % 3);
    break;
  case 2:
    c->port = below(r, 6) ? sc_binary_ports[below(r, 4)] : (uint16_t)(1 + below(r, 65535));
    break;
  case 3:
    mutate_credentials(c, sp, r);
    break;
  case 4:
    switch (below(r, 5)) {
    case 0:
      c->verify = !c->verify;
      break;
    case 1:
      c->allow_helo = !c->allow_helo;
      break;
    case 2:
      c->allow_plaintext_auth = !c->allow_plaintext_auth;
      break;
    case 3:
      c->lenient ^= SF_LENIENT_BARE_LF;
      break;
    default:
      sc->resume = !sc->resume;
    }
    break;
  case 5:
    sc->personality =
        (enum sc_personality)((sc->personality + 1 + below(r, SC_PERS_COUNT - 1)) % SC_PERS_COUNT);
    break;
  case 6:
    if (below(r, 4) == 0)
      sc->tls_server = (enum sc_tls_server)((sc->tls_server + 1 + below(r, 2)) % SC_TLSS_COUNT);
    else
      sc->cert = (enum sc_cert)((sc->cert + 1 + below(r, SC_CERT_COUNT - 1)) % SC_CERT_COUNT);
    break;
  case 7:
    strcpy(sc->cert_host, sc_binary_cert_hosts[below(r, SC_BINARY_CERT_HOSTS)]);
    break;
  case 8:
    c->host = sc_binary_hosts[below(r, SC_BINARY_HOSTS)];
    break;
  default:
    mutate_envelope(c, sp, r);
    break;
  }
}

static void mutate_once(struct scenario *sc, struct scratch *sp, struct prng *r)
{
  unsigned op = below(r, 10);
  if (sc->nrules == 0 && op >= 3)
    op = 2;
  size_t ri = below(r, (uint32_t)sc->nrules);
  struct sc_rule *rule = &sc->rules[ri];
  switch (op) {
  case 0:
    mutate_header(sc, sp, r);
    return;
  case 1: {
    int p = (int)below(r, SF_PHASE_COUNT);
    uint32_t ms = interesting_ms[below(r, NMS)];
    sc->cfg.timeout_ms[p] = below(r, 4) == 0 || ms == 0 ? sc_phase_default_ms[p] : ms;
    return;
  }
  case 2:
    add_rule(sc, r);
    return;
  case 3:
    remove_rule(sc, ri);
    return;
  case 4: /* replace a rule: same head, new actions */
  {
    struct sc_rule head = *rule;
    remove_rule(sc, ri);
    add_rule(sc, r);
    sc->rules[sc->nrules - 1].verb = head.verb;
    sc->rules[sc->nrules - 1].chan = head.chan;
    sc->rules[sc->nrules - 1].nth = head.nth;
    return;
  }
  case 5: /* the rule head */
    switch (below(r, 3)) {
    case 0:
      rule->verb = (enum sc_verb)below(r, SC_VERB_COUNT);
      break;
    case 1:
      rule->chan = (enum sc_chan)((rule->chan + 1 + below(r, 2)) % 3);
      break;
    default:
      if (rule->nth == 0)
        rule->nth = (uint8_t)(1 + below(r, 3));
      else
        rule->nth = below(r, 2) ? 0 : (uint8_t)((rule->nth % SC_NTH_MAX) + 1);
      break;
    }
    return;
  default:
    break;
  }

  /* Action-level edits (6 to 9). */
  if (rule->nactions == 0 || op == 8) {
    static const enum sc_act kinds[] = {SC_ACT_SEND, SC_ACT_SEND, SC_ACT_STALL, SC_ACT_CLOSE,
                                        SC_ACT_TLS,  SC_ACT_HANG, SC_ACT_DEAF,  SC_ACT_RAW};
    /* Written into the stream outside TLS: a plaintext reply, an alert
     * record, an application-data record with a bogus MAC, a banner. */
    static const char *const raws[] = {"250 2.1.0 Ok\r\n", "\x15\x03\x03\x00\x02\x02\x28",
                                       "\x17\x03\x03\x00\x05hello", "SSH-2.0-OpenSSH_9.2\r\n"};
    /* A byte repeated to each side of a named limit (RFC 5321 4.5.3.1:
     * 512-octet lines) and far past it. */
    static const uint32_t repeats[] = {2,   505, 506, 507,  508,   509,
                                       510, 511, 512, 4096, 65536, 100000};
    enum sc_act kind = kinds[below(r, N(kinds))];
    size_t at = below(r, (uint32_t)rule->nactions + 1);
    if (kind == SC_ACT_SEND && below(r, 4) == 0) {
      size_t before = sc->rules[ri].nactions;
      add_send(sc, ri, at, below(r, 2) ? "A" : "250-A\r\n");
      if (sc->rules[ri].nactions == before)
        return; /* the action array is full */
      size_t k = at < before ? at : before;
      sc->actions[sc->rules[ri].first_action + k].repeat = repeats[below(r, N(repeats))];
    } else if (kind == SC_ACT_RAW) {
      size_t before = sc->rules[ri].nactions;
      add_send(sc, ri, at, raws[below(r, N(raws))]);
      if (sc->rules[ri].nactions > before)
        sc->actions[sc->rules[ri].first_action + (at < before ? at : before)].kind = SC_ACT_RAW;
    } else if (kind == SC_ACT_SEND)
      add_send(sc, ri, at, interesting_replies[below(r, NREPLIES)]);
    else
      insert_action(sc, ri, at,
                    (struct sc_action){.kind = kind, .ms = interesting_ms[below(r, NMS)]});
    return;
  }
  size_t ai = rule->first_action + below(r, rule->nactions);
  struct sc_action *a = &sc->actions[ai];
  if (op == 9) {
    memmove(a, a + 1, (sc->nactions - ai - 1) * sizeof *a);
    sc->nactions--;
    rule->nactions--;
    for (size_t i = 0; i < sc->nrules; i++)
      if (sc->rules[i].first_action > ai)
        sc->rules[i].first_action--;
    return;
  }
  if (a->kind == SC_ACT_STALL) {
    a->ms = below(r, 2) ? interesting_ms[below(r, NMS)] : a->ms + below(r, 2001) - 1000;
    return;
  }
  if (!sc_act_has_bytes(a->kind)) {
    static const enum sc_act others[] = {SC_ACT_CLOSE, SC_ACT_TLS, SC_ACT_HANG, SC_ACT_DEAF};
    a->kind = others[below(r, N(others))];
    return;
  }
  if (a->repeat > 1 && below(r, 2)) { /* the count, by one or by a lot */
    a->repeat = below(r, 2) ? a->repeat + 1 : a->repeat - 1;
    if (a->repeat == 0 || a->repeat > SC_REPEAT_MAX)
      a->repeat = 1;
    return;
  }
  static _Thread_local uint8_t buf[SC_POOL]; /* off the stack: see compact() */
  size_t n;
  const uint8_t *p = scenario_send_bytes(sc, a, &n);
  memcpy(buf, p, n);
  n = edit_bytes(buf, n, sizeof buf, r);
  set_send(sc, ri, ai - rule->first_action, buf, n);
}

/* Replaces data with the bytes of a changed scenario if they fit. */
static size_t emit(const struct scenario *sc, uint8_t *data, size_t size, size_t max_size)
{
  static _Thread_local uint8_t buf[SC_BINARY_MAX]; /* off the stack: see compact() */
  size_t n = scenario_encode(sc, buf, sizeof buf);
  if (n == 0 || n > max_size || (n == size && memcmp(buf, data, n) == 0))
    return 0;
  memcpy(data, buf, n);
  return n;
}

size_t scenario_mutate(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
  struct prng r = prng_seeded(seed, 1);
  static _Thread_local struct scenario sc; /* off the stack: see compact() */
  static _Thread_local struct scratch sp;
  for (int attempt = 0; attempt < 8; attempt++) {
    scenario_decode(&sc, data, size);
    sp.used = 0;
    mutate_once(&sc, &sp, &r);
    size_t n = emit(&sc, data, size, max_size);
    if (n != 0)
      return n;
  }
  /* Too big to re-encode into max_size: any byte string is a scenario, so a
   * plain bit flip still gives one. */
  if (size > 0) {
    data[below(&r, (uint32_t)size)] ^= (uint8_t)(1u << below(&r, 8));
    return size;
  }
  if (max_size > 0) {
    data[0] = (uint8_t)prng_next(&r);
    return 1;
  }
  return 0;
}

/* Appends rule `ri` of `src` (with its actions and bytes) to `dst`. */
static void append_rule(struct scenario *dst, const struct scenario *src, size_t ri)
{
  const struct sc_rule *from = &src->rules[ri];
  if (dst->nrules >= SC_MAX_RULES || scenario_rule_exists(dst, from))
    return;
  struct sc_rule *to = &dst->rules[dst->nrules++];
  *to = *from;
  to->first_action = (uint16_t)dst->nactions;
  to->nactions = 0;
  const struct sc_action *a;
  size_t n = scenario_rule_actions(src, from, &a);
  for (size_t k = 0; k < n && dst->nactions < SC_MAX_ACTIONS; k++) {
    struct sc_action c = a[k];
    if (sc_act_has_bytes(c.kind)) {
      size_t len;
      const uint8_t *p = scenario_send_bytes(src, &a[k], &len);
      len = len < SC_POOL - dst->pool_len ? len : SC_POOL - dst->pool_len;
      memcpy(dst->pool + dst->pool_len, p, len);
      c.off = (uint32_t)dst->pool_len;
      c.len = (uint32_t)len;
      dst->pool_len += len;
    }
    dst->actions[dst->nactions++] = c;
    to->nactions++;
  }
}

size_t scenario_crossover(const uint8_t *a, size_t asz, const uint8_t *b, size_t bsz, uint8_t *out,
                          size_t max, unsigned seed)
{
  struct prng r = prng_seeded(seed, 7);
  static _Thread_local struct scenario sa, sb; /* off the stack: see compact() */
  scenario_decode(&sa, a, asz);
  scenario_decode(&sb, b, bsz);
  if (below(&r, 4) == 0) {
    scenario_copy_config(&sa.cfg, &sb.cfg);
    sa.personality = sb.personality;
    sa.cert = sb.cert;
    memcpy(sa.cert_host, sb.cert_host, sizeof sa.cert_host);
  }
  size_t i = below(&r, (uint32_t)sa.nrules + 1), j = below(&r, (uint32_t)sb.nrules + 1);
  sa.nrules = i;
  compact(&sa);
  for (size_t k = j; k < sb.nrules; k++)
    append_rule(&sa, &sb, k);
  static _Thread_local uint8_t buf[SC_BINARY_MAX];
  size_t n = scenario_encode(&sa, buf, sizeof buf);
  if (n == 0 || n > max) {
    n = asz < max ? asz : max;
    memcpy(out, a, n);
    return n;
  }
  memcpy(out, buf, n);
  return n;
}

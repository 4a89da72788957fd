#include "flawed_client.h"

#include "base64.h"
#include "caps.h"
#include "host.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum fc_state {
  FC_CONNECT,
  FC_TLS_IMPLICIT, /* handshake first (RFC 8314) */
  FC_GREETING,
  FC_EHLO,
  FC_STARTTLS,
  FC_TLS_HANDSHAKE,
  FC_EHLO_TLS,
  FC_AUTH,
  FC_AUTH_LOGIN_USER,
  FC_AUTH_LOGIN_PASS,
  FC_MAIL,
  FC_RCPT,
  FC_DATA,
  FC_BODY,
  FC_QUIT,
  FC_DONE,
  FC_FAILED,
};

const char *sc_flaw_name(enum sc_flaw f)
{
  static const char *const names[] = {
#define SC_FLAW_NAME(id, name, verdict, what) name,
      SC_FLAW_LIST(SC_FLAW_NAME)
#undef SC_FLAW_NAME
  };
  return (unsigned)f < SC_FLAW_COUNT ? names[f] : "?";
}

const char *sc_flaw_verdict(enum sc_flaw f)
{
  static const char *const verdicts[] = {
#define SC_FLAW_VERDICT(id, name, verdict, what) verdict,
      SC_FLAW_LIST(SC_FLAW_VERDICT)
#undef SC_FLAW_VERDICT
  };
  return (unsigned)f < SC_FLAW_COUNT ? verdicts[f] : "?";
}

const char *sc_flaw_what(enum sc_flaw f)
{
  static const char *const whats[] = {
#define SC_FLAW_WHAT(id, name, verdict, what) what,
      SC_FLAW_LIST(SC_FLAW_WHAT)
#undef SC_FLAW_WHAT
  };
  return (unsigned)f < SC_FLAW_COUNT ? whats[f] : "?";
}

static struct sc_flawed_client *self(struct sc_client *c)
{
  return (struct sc_flawed_client *)c;
}

static const struct sc_flawed_client *cself(const struct sc_client *c)
{
  return (const struct sc_flawed_client *)c;
}

static int terminal(const struct sc_flawed_client *c)
{
  return c->state == FC_DONE || c->state == FC_FAILED;
}

static void set_diag(struct sc_flawed_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_diag(struct sc_flawed_client *c, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->diag, sizeof(c->diag), fmt, ap);
  va_end(ap);
}

static void wait_for(struct sc_flawed_client *c, int state, enum sf_phase phase, uint64_t now)
{
  c->state = state;
  int forever = c->flaw == SC_FLAW_NO_GREETING_TIMEOUT && state == FC_GREETING;
  c->wait_ms = c->cfg->timeout_ms[phase];
  c->deadline = forever ? SC_NO_DEADLINE : now + c->wait_ms;
}

static void send_line(struct sc_flawed_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void send_line(struct sc_flawed_client *c, const char *fmt, ...)
{
  size_t room = sizeof(c->out) - c->out_len;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(c->out + c->out_len, room, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n + 2 >= room)
    return;
  c->out_len += (size_t)n;
  memcpy(c->out + c->out_len, "\r\n", 2);
  c->out_len += 2;
}

static void fail(struct sc_flawed_client *c, const char *why)
{
  set_diag(c, "%s", why);
  c->state = FC_FAILED;
  c->deadline = SC_NO_DEADLINE;
}

static void quit_fail(struct sc_flawed_client *c, const char *why, uint64_t now)
{
  set_diag(c, "%s", why);
  send_line(c, "QUIT");
  c->quit_fail = 1;
  wait_for(c, FC_QUIT, SF_PHASE_QUIT, now);
}

/* ---- steps ------------------------------------------------------------------- */

static void send_auth(struct sc_flawed_client *c, uint64_t now)
{
  const struct sf_config *cfg = c->cfg;
  if (c->flaw == SC_FLAW_SPLIT_LOGIN && c->auth_pre) {
    send_line(c, "auth\tlogin");
    wait_for(c, FC_AUTH_LOGIN_USER, SF_PHASE_AUTH, now);
    return;
  }
  if (cfg->auth == SF_AUTH_LOGIN) {
    send_line(c, "AUTH LOGIN");
    wait_for(c, FC_AUTH_LOGIN_USER, SF_PHASE_AUTH, now);
    return;
  }
  char plain[600], b64[820];
  size_t ul = strlen(cfg->user ? cfg->user : ""), pl = strlen(cfg->password ? cfg->password : "");
  if (ul + pl + 2 > sizeof(plain)) {
    quit_fail(c, "credentials too long", now);
    return;
  }
  plain[0] = '\0';
  memcpy(plain + 1, cfg->user ? cfg->user : "", ul);
  plain[1 + ul] = '\0';
  memcpy(plain + 2 + ul, cfg->password ? cfg->password : "", pl);
  size_t n = sf_base64_encode((const unsigned char *)plain, ul + pl + 2, b64, sizeof(b64) - 1);
  b64[n] = '\0';
  send_line(c, "AUTH PLAIN %s", b64);
  wait_for(c, FC_AUTH, SF_PHASE_AUTH, now);
}

static void send_b64(struct sc_flawed_client *c, const char *s)
{
  char b64[400];
  size_t len = strlen(s ? s : "");
  size_t n = len * 4 / 3 + 4 < sizeof(b64)
                 ? sf_base64_encode((const unsigned char *)(s ? s : ""), len, b64, sizeof(b64) - 1)
                 : 0;
  b64[n] = '\0';
  send_line(c, "%s", b64);
}

static void send_mail(struct sc_flawed_client *c, uint64_t now)
{
  if (!c->cfg->mail_from || c->cfg->nrcpt == 0) {
    send_line(c, "QUIT");
    wait_for(c, FC_QUIT, SF_PHASE_QUIT, now);
    return;
  }
  send_line(c, "MAIL FROM:<%s>", c->cfg->mail_from);
  wait_for(c, FC_MAIL, SF_PHASE_MAIL, now);
}

static unsigned auth_bit(const struct sf_config *cfg)
{
  return cfg->auth == SF_AUTH_LOGIN ? SF_AUTH_MECH_LOGIN : SF_AUTH_MECH_PLAIN;
}

/* The channel is as secure as it will get: authenticate, then the mail. */
static void after_secure(struct sc_flawed_client *c, uint64_t now)
{
  const struct sf_config *cfg = c->cfg;
  if (cfg->auth == SF_AUTH_NONE) {
    send_mail(c, now);
    return;
  }
  int flawed_plain = c->flaw == SC_FLAW_FALLBACK_ON_454 || c->flaw == SC_FLAW_NO_STARTTLS_CHECK;
  if (!c->tls_up && !cfg->allow_plaintext_auth && !flawed_plain) {
    quit_fail(c, "AUTH would go in plaintext", now);
    return;
  }
  if (!(c->cap_auth & auth_bit(cfg))) {
    quit_fail(c, "the server does not offer the configured AUTH mechanism", now);
    return;
  }
  send_auth(c, now);
}

/* These flaws verify by hand (or not at all) once the handshake is done,
 * as a client that looks at the peer certificate itself. */
static int own_check(const struct sc_flawed_client *c)
{
  return c->flaw == SC_FLAW_ACCEPT_BAD_CERT || c->flaw == SC_FLAW_NO_IP_NAME_CHECK ||
         c->flaw == SC_FLAW_RESUME_ANY || c->flaw == SC_FLAW_NO_PURPOSE_CHECK;
}

static void start_tls(struct sc_flawed_client *c)
{
  int verify = c->cfg->verify && !own_check(c);
  c->pt.base.vt->start(&c->pt.base, c->cfg->host, verify);
  c->tls_started = 1;
}

/* The hand check of own_check(): NULL if the certificate passes. */
static const char *hand_check(const struct sc_flawed_client *c)
{
  if (!c->cfg->verify || c->flaw == SC_FLAW_ACCEPT_BAD_CERT)
    return NULL; /* the flaw: nothing is checked */
  if (c->flaw == SC_FLAW_RESUME_ANY && sf_tls_passthrough_resumed(&c->pt))
    return NULL; /* the flaw: a resumed session is taken on trust */
  /* The flaw: extendedKeyUsage never looked at (GnuTLS's
   * gnutls_certificate_verify_peers3() does not unless asked). */
  int purpose_unchecked =
      c->flaw == SC_FLAW_NO_PURPOSE_CHECK && strcmp(c->pt.peer_kind, "client-auth-only") == 0;
  if (strcmp(c->pt.peer_kind, "valid") != 0 && !purpose_unchecked)
    return "the certificate chain does not verify";
  enum sf_host_kind k = sf_host_kind(c->cfg->host);
  if (c->flaw == SC_FLAW_NO_IP_NAME_CHECK && (k == SF_HOST_IPV4 || k == SF_HOST_IPV6))
    return NULL; /* the flaw: an address is never compared */
  return sf_host_equal(c->pt.peer_name, c->cfg->host) ? NULL : "the certificate names another host";
}

static void decide_starttls(struct sc_flawed_client *c, uint64_t now)
{
  const struct sf_config *cfg = c->cfg;
  if (cfg->mode != SF_MODE_STARTTLS || cfg->tls == SF_TLS_NONE) {
    after_secure(c, now);
    return;
  }
  if (c->cap_starttls) {
    send_line(c, "STARTTLS");
    if (c->flaw == SC_FLAW_PIPELINE_STARTTLS) {
      /* The flaw: EHLO pipelined behind STARTTLS (RFC 3207 4 forbids it). */
      send_line(c, "EHLO %s", cfg->helo_name ? cfg->helo_name : "localhost");
      c->pipelined = 1;
    }
    wait_for(c, FC_STARTTLS, SF_PHASE_STARTTLS, now);
    return;
  }
  if (cfg->tls == SF_TLS_REQUIRED && c->flaw != SC_FLAW_NO_STARTTLS_CHECK) {
    quit_fail(c, "TLS is required and STARTTLS is not offered", now);
    return;
  }
  after_secure(c, now);
}

/* Capabilities from an EHLO reply held in buf[0, len). */
static void read_caps(struct sc_flawed_client *c, const char *buf, size_t len)
{
  c->cap_starttls = 0;
  c->cap_chunking = 0;
  c->cap_auth = 0;
  size_t pos = 0;
  for (int line = 0; pos < len; line++) {
    const char *nl = memchr(buf + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - buf) : len;
    size_t e = end > pos && buf[end - 1] == '\r' ? end - 1 : end;
    if (line > 0 && e > pos + 4) {
      const char *t = buf + pos + 4;
      size_t tl = e - pos - 4;
      size_t k = 0;
      while (k < tl && t[k] != ' ')
        k++;
      if (sf_caps_keyword_is(t, k, "STARTTLS"))
        c->cap_starttls = 1;
      if (sf_caps_keyword_is(t, k, "CHUNKING"))
        c->cap_chunking = 1;
      if (sf_caps_keyword_is(t, k, "AUTH")) {
        while (k < tl) {
          while (k < tl && t[k] == ' ')
            k++;
          size_t s = k;
          while (k < tl && t[k] != ' ')
            k++;
          if (sf_caps_keyword_is(t + s, k - s, "PLAIN"))
            c->cap_auth |= SF_AUTH_MECH_PLAIN;
          if (sf_caps_keyword_is(t + s, k - s, "LOGIN"))
            c->cap_auth |= SF_AUTH_MECH_LOGIN;
        }
      }
    }
    pos = end + 1;
  }
}

static void process(struct sc_flawed_client *c, uint64_t now);

static void on_tls_up(struct sc_flawed_client *c, uint64_t now)
{
  c->tls_up = 1;
  const char *bad = own_check(c) ? hand_check(c) : NULL;
  if (bad) {
    set_diag(c, "TLS: %s", bad);
    c->state = FC_FAILED;
    c->deadline = SC_NO_DEADLINE;
    return;
  }
  if (c->cfg->mode == SF_MODE_IMPLICIT) {
    wait_for(c, FC_GREETING, SF_PHASE_GREETING, now);
    return;
  }
  if (c->flaw == SC_FLAW_KEEP_PIPELINED && c->kept_len > 0) {
    /* The flaw: the bytes that came with the 220 are taken as the answer to
     * the post-TLS EHLO, which is never sent. */
    read_caps(c, c->kept, c->kept_len);
    after_secure(c, now);
    return;
  }
  if (c->flaw == SC_FLAW_REUSE_PRETLS_CAPS) {
    after_secure(c, now); /* the flaw: the pre-TLS capabilities stay */
    return;
  }
  c->cap_starttls = 0;
  c->cap_auth = 0;
  if (c->flaw == SC_FLAW_EHLO_UNFLUSHED) {
    /* The flaw: the EHLO stays in its buffer while it waits for the answer
     * (esmtp on libESMTP, when TLS 1.3's session ticket is there to read). */
    wait_for(c, FC_EHLO_TLS, SF_PHASE_EHLO, now);
    return;
  }
  send_line(c, "EHLO %s", c->cfg->helo_name ? c->cfg->helo_name : "localhost");
  wait_for(c, FC_EHLO_TLS, SF_PHASE_EHLO, now);
  if (c->flaw == SC_FLAW_INJECTED_AS_EHLO && c->kept_len > 0) {
    /* The flaw: the bytes that came with the 220 are read as the answer to
     * the EHLO just sent, without waiting for the one over TLS. */
    memcpy(c->in, c->kept, c->kept_len);
    c->in_len = c->kept_len;
    c->kept_len = 0;
    process(c, now);
  }
}

/* The message with CRLF line ends (RFC 5321 2.3.8: a bare CR or LF becomes
 * CRLF; the BARE_CR flaw leaves a bare CR as it is), dot-stuffed for DATA
 * (4.5.2) unless `stuff` is 0 (BDAT, RFC 3030 2) or the flaw is
 * NO_DOT_STUFFING. */
static void add_message(struct sc_flawed_client *c, int stuff)
{
  const struct sf_config *cfg = c->cfg;
  int bol = 1;
  for (size_t i = 0; i < cfg->message_len && c->out_len + 8 < sizeof(c->out); i++) {
    char ch = cfg->message[i];
    int bare_cr = ch == '\r' && (i + 1 == cfg->message_len || cfg->message[i + 1] != '\n');
    if (bare_cr && c->flaw == SC_FLAW_BARE_CR) {
      c->out[c->out_len++] = ch;
      bol = 0;
      continue;
    }
    if (ch == '\r' && !bare_cr)
      continue; /* the LF that follows ends the line */
    if (ch == '\r' || ch == '\n') {
      c->out[c->out_len++] = '\r';
      c->out[c->out_len++] = '\n';
      bol = 1;
      continue;
    }
    if (bol && ch == '.' && stuff && c->flaw != SC_FLAW_NO_DOT_STUFFING)
      c->out[c->out_len++] = '.';
    c->out[c->out_len++] = ch;
    bol = 0;
  }
  if (!bol)
    send_line(c, "%s", "");
}

static void send_body(struct sc_flawed_client *c)
{
  add_message(c, 1);
  send_line(c, ".");
}

/* RFC 3030 2: the whole message as one chunk, its size counted first. */
static void send_bdat(struct sc_flawed_client *c)
{
  size_t start = c->out_len;
  add_message(c, 0);
  size_t n = c->out_len - start;
  char head[48];
  int k = snprintf(head, sizeof head, "BDAT %zu LAST\r\n", n);
  if (k < 0 || c->out_len + (size_t)k > sizeof(c->out))
    return;
  memmove(c->out + start + (size_t)k, c->out + start, n);
  memcpy(c->out + start, head, (size_t)k);
  c->out_len += (size_t)k;
}

/* One complete reply: `code`, bytes buf[0, len). `rest` bytes follow it. */
/* IGNORE_421: the success each state waits for, which the flaw reads a 421 as. */
static int success_for(int state)
{
  switch ((enum fc_state)state) {
  case FC_GREETING:
    return 220;
  case FC_DATA:
    return 354;
  case FC_AUTH:
    return 235;
  case FC_AUTH_LOGIN_USER:
  case FC_AUTH_LOGIN_PASS:
    return 334;
  default:
    return 250;
  }
}

static void on_reply(struct sc_flawed_client *c, int code, const char *buf, size_t len, size_t rest,
                     uint64_t now)
{
  const struct sf_config *cfg = c->cfg;
  char why[120];
  if (code == 421 && c->flaw == SC_FLAW_IGNORE_421 && c->state != FC_STARTTLS &&
      c->state != FC_QUIT)
    code = success_for(c->state);
  switch ((enum fc_state)c->state) {
  case FC_GREETING:
    if (code != 220) {
      snprintf(why, sizeof(why), "greeting %d", code);
      quit_fail(c, why, now);
      return;
    }
    send_line(c, "EHLO %s", cfg->helo_name ? cfg->helo_name : "localhost");
    wait_for(c, c->tls_up ? FC_EHLO_TLS : FC_EHLO, SF_PHASE_EHLO, now);
    return;
  case FC_EHLO:
  case FC_EHLO_TLS:
    if (code != 250) {
      snprintf(why, sizeof(why), "EHLO answered %d", code);
      quit_fail(c, why, now);
      return;
    }
    read_caps(c, buf, len);
    if (c->state == FC_EHLO_TLS || c->went_on) {
      after_secure(c, now);
      return;
    }
    if ((c->flaw == SC_FLAW_PLAINTEXT_AUTH || c->flaw == SC_FLAW_SPLIT_LOGIN) &&
        cfg->auth != SF_AUTH_NONE && cfg->mode == SF_MODE_STARTTLS) {
      c->auth_pre = 1; /* the flaw: credentials before STARTTLS */
      send_auth(c, now);
      return;
    }
    /* Bytes behind the EHLO answer were sent before STARTTLS: no answer to
     * it (RFC 2920 3.1). The flaw reads them as that answer. */
    if (rest > 0 && c->flaw != SC_FLAW_READ_AHEAD && c->cap_starttls &&
        cfg->mode == SF_MODE_STARTTLS && cfg->tls != SF_TLS_NONE) {
      fail(c, "a reply nobody asked for came before STARTTLS");
      return;
    }
    decide_starttls(c, now);
    return;
  case FC_STARTTLS:
    if (code != 220) {
      if (cfg->tls == SF_TLS_REQUIRED && c->flaw != SC_FLAW_FALLBACK_ON_454) {
        snprintf(why, sizeof(why), "STARTTLS refused with %d", code);
        quit_fail(c, why, now);
        return;
      }
      after_secure(c, now); /* opportunistic, or the flaw */
      return;
    }
    if (c->flaw == SC_FLAW_IGNORE_220) {
      /* The flaw: no TLS after all; the dialogue goes on in plaintext. */
      send_line(c, "EHLO %s", cfg->helo_name ? cfg->helo_name : "localhost");
      wait_for(c, FC_EHLO, SF_PHASE_EHLO, now);
      c->went_on = 1;
      return;
    }
    int keeps = c->flaw == SC_FLAW_KEEP_PIPELINED || c->flaw == SC_FLAW_INJECTED_AS_EHLO ||
                c->flaw == SC_FLAW_INJECTED_ON_NEXT_READ;
    if (rest > 0 && !keeps) {
      fail(c, "bytes after the 220 to STARTTLS (response injection)");
      return;
    }
    if (rest > 0) {
      size_t n = rest < sizeof(c->kept) ? rest : sizeof(c->kept);
      memcpy(c->kept, buf + len, n);
      c->kept_len = n;
    }
    start_tls(c);
    wait_for(c, FC_TLS_HANDSHAKE, SF_PHASE_TLS, now);
    return;
  case FC_AUTH:
    if (c->auth_pre) { /* whatever came of it, on to STARTTLS as usual */
      c->auth_pre = 0;
      decide_starttls(c, now);
      return;
    }
    if (code != 235) {
      snprintf(why, sizeof(why), "AUTH answered %d", code);
      quit_fail(c, why, now);
      return;
    }
    send_mail(c, now);
    return;
  case FC_AUTH_LOGIN_USER:
  case FC_AUTH_LOGIN_PASS:
    if (code != 334 && c->auth_pre) {
      c->auth_pre = 0;
      decide_starttls(c, now);
      return;
    }
    if (code != 334) {
      snprintf(why, sizeof(why), "AUTH LOGIN answered %d", code);
      quit_fail(c, why, now);
      return;
    }
    send_b64(c, c->state == FC_AUTH_LOGIN_USER ? cfg->user : cfg->password);
    wait_for(c, c->state == FC_AUTH_LOGIN_USER ? FC_AUTH_LOGIN_PASS : FC_AUTH, SF_PHASE_AUTH, now);
    return;
  case FC_MAIL:
  case FC_RCPT:
    if (code / 100 != 2) {
      snprintf(why, sizeof(why), "%s answered %d", c->state == FC_MAIL ? "MAIL" : "RCPT", code);
      quit_fail(c, why, now);
      return;
    }
    if (c->rcpt_next < cfg->nrcpt) {
      send_line(c, "RCPT TO:<%s>", cfg->rcpt[c->rcpt_next++]);
      wait_for(c, FC_RCPT, SF_PHASE_RCPT, now);
      return;
    }
    if (c->cap_chunking) {
      send_bdat(c);
      wait_for(c, FC_BODY, SF_PHASE_BODY, now);
      return;
    }
    send_line(c, "DATA");
    if (c->flaw == SC_FLAW_BODY_BEHIND_DATA)
      send_body(c); /* the flaw: the 354 is taken for granted */
    wait_for(c, FC_DATA, SF_PHASE_DATA, now);
    return;
  case FC_DATA:
    if (code != 354 && c->flaw != SC_FLAW_BODY_AFTER_REFUSAL) {
      quit_fail(c, "DATA refused", now);
      return;
    }
    if (c->flaw != SC_FLAW_BODY_BEHIND_DATA)
      send_body(c);
    wait_for(c, FC_BODY, SF_PHASE_BODY, now);
    return;
  case FC_BODY:
    if (code / 100 != 2 && c->flaw != SC_FLAW_IGNORE_FINAL_REPLY) {
      quit_fail(c, "message refused", now);
      return;
    }
    send_line(c, "QUIT");
    wait_for(c, FC_QUIT, SF_PHASE_QUIT, now);
    return;
  case FC_QUIT:
    c->state = c->quit_fail ? FC_FAILED : FC_DONE;
    c->deadline = SC_NO_DEADLINE;
    return;
  case FC_CONNECT:
  case FC_TLS_IMPLICIT:
  case FC_TLS_HANDSHAKE:
  case FC_DONE:
  case FC_FAILED:
    break;
  }
  fail(c, "a reply nobody asked for");
}

/* Complete replies in `in`: a line "ddd " or "ddd" ends one (bare LF too:
 * this client is simple, not strict). */
static void process(struct sc_flawed_client *c, uint64_t now)
{
  for (int guard = 0; guard < 256 && !terminal(c) && c->in_len > 0; guard++) {
    if (c->state == FC_TLS_HANDSHAKE || c->state == FC_TLS_IMPLICIT) {
      fail(c, "plaintext bytes during the TLS handshake");
      return;
    }
    size_t pos = 0, end = 0;
    int code = -1;
    for (;;) {
      const char *nl = memchr(c->in + pos, '\n', c->in_len - pos);
      if (!nl)
        return; /* incomplete */
      size_t next = (size_t)(nl - c->in) + 1;
      size_t ll = next - pos;
      if (ll < 4 || c->in[pos] < '2' || c->in[pos] > '5') {
        fail(c, "malformed reply");
        return;
      }
      code = (c->in[pos] - '0') * 100 + (c->in[pos + 1] - '0') * 10 + (c->in[pos + 2] - '0');
      int final = c->in[pos + 3] != '-';
      pos = next;
      if (final) {
        end = next;
        break;
      }
    }
    int was_tls = c->tls_started;
    on_reply(c, code, c->in, end, c->in_len - end, now);
    if (c->tls_started != was_tls) { /* TLS began: what followed the 220 is gone or kept */
      c->in_len = 0;
      return;
    }
    memmove(c->in, c->in + end, c->in_len - end);
    c->in_len -= end;
  }
}

/* ---- the interface ---------------------------------------------------------------- */

static void fl_start(struct sc_client *cl, uint64_t now)
{
  struct sc_flawed_client *c = self(cl);
  if (c->state != FC_CONNECT)
    return;
  /* Like any correct client, it refuses a configuration that contradicts
   * itself (mode = plain with tls = required, ...): its one flaw is the only
   * thing a run should find. */
  const char *reason = "";
  if (sf_config_validate(c->cfg, &reason) != SF_ERR_OK) {
    fail(c, reason);
    return;
  }
  if (c->cfg->mode == SF_MODE_IMPLICIT) {
    start_tls(c);
    wait_for(c, FC_TLS_IMPLICIT, SF_PHASE_TLS, now);
    return;
  }
  wait_for(c, FC_GREETING, SF_PHASE_GREETING, now);
}

static void tls_progress(struct sc_flawed_client *c, uint64_t now)
{
  struct sf_tls *t = &c->pt.base;
  enum sf_tls_state st = t->vt->state(t);
  if (st == SF_TLS_FAILED && !c->tls_up) {
    const char *reason = "";
    t->vt->error(t, &reason);
    set_diag(c, "TLS handshake failed: %s", reason);
    c->state = FC_FAILED;
    c->deadline = SC_NO_DEADLINE;
    return;
  }
  if (st == SF_TLS_ESTABLISHED && !c->tls_up)
    on_tls_up(c, now);
}

static size_t fl_feed(struct sc_client *cl, const uint8_t *in, size_t len, uint64_t now)
{
  struct sc_flawed_client *c = self(cl);
  if (terminal(c))
    return len;
  /* The flaw: any bytes at all count as an answer in time. */
  if (c->flaw == SC_FLAW_TIMER_PER_READ && len > 0 && c->deadline != SC_NO_DEADLINE)
    c->deadline = now + c->wait_ms;
  if (!c->tls_started) {
    size_t n = len < sizeof(c->in) - c->in_len ? len : sizeof(c->in) - c->in_len;
    memcpy(c->in + c->in_len, in, n);
    c->in_len += n;
    process(c, now);
    return terminal(c) || c->tls_started ? len : n;
  }
  struct sf_tls *t = &c->pt.base;
  size_t used = 0;
  for (int guard = 0; guard < 64 && !terminal(c); guard++) {
    size_t n = t->vt->feed_net(t, in + used, len - used);
    used += n;
    tls_progress(c, now);
    size_t got = 0;
    if (c->tls_up && !terminal(c)) {
      got = t->vt->read_app(t, (uint8_t *)c->in + c->in_len, sizeof(c->in) - c->in_len);
      if (got > 0 && c->flaw == SC_FLAW_INJECTED_ON_NEXT_READ && c->kept_len > 0) {
        /* The flaw: the bytes that came with the 220 stayed in the read
         * buffer and are read in front of the first ones over TLS (one
         * reply behind from then on). */
        size_t k = c->kept_len < sizeof(c->in) - c->in_len - got ? c->kept_len
                                                                 : sizeof(c->in) - c->in_len - got;
        memmove(c->in + c->in_len + k, c->in + c->in_len, got);
        memcpy(c->in + c->in_len, c->kept, k);
        got += k;
        c->kept_len = 0;
      }
      c->in_len += got;
      process(c, now);
    }
    if (used == len || (n == 0 && got == 0))
      break;
  }
  return terminal(c) ? len : used;
}

static size_t fl_take(struct sc_client *cl, uint8_t *out, size_t cap, uint64_t now)
{
  struct sc_flawed_client *c = self(cl);
  (void)now;
  /* SPLIT_LOGIN: the plaintext AUTH exchange leaves three bytes a write. */
  if (c->flaw == SC_FLAW_SPLIT_LOGIN && c->auth_pre && cap > 3)
    cap = 3;
  /* What was queued before TLS started leaves first, in plaintext. */
  if (!c->tls_started || (!c->tls_up && c->out_len > 0)) {
    size_t n = c->out_len < cap ? c->out_len : cap;
    memcpy(out, c->out, n);
    memmove(c->out, c->out + n, c->out_len - n);
    c->out_len -= n;
    return n;
  }
  struct sf_tls *t = &c->pt.base;
  if (c->tls_up && c->out_len > 0) {
    size_t n = t->vt->write_app(t, (const uint8_t *)c->out, c->out_len);
    memmove(c->out, c->out + n, c->out_len - n);
    c->out_len -= n;
  }
  if (terminal(c) && c->tls_up && c->out_len == 0 && t->vt->state(t) == SF_TLS_ESTABLISHED)
    t->vt->close(t);
  return t->vt->take_net(t, out, cap);
}

static void fl_eof(struct sc_client *cl, uint64_t now)
{
  struct sc_flawed_client *c = self(cl);
  (void)now;
  if (terminal(c))
    return;
  if (c->state == FC_QUIT) {
    c->state = c->quit_fail ? FC_FAILED : FC_DONE;
  } else {
    set_diag(c, "the server closed the connection");
    c->state = FC_FAILED;
  }
  c->deadline = SC_NO_DEADLINE;
}

static void fl_tick(struct sc_client *cl, uint64_t now)
{
  struct sc_flawed_client *c = self(cl);
  if (terminal(c) || c->deadline == SC_NO_DEADLINE || now < c->deadline)
    return;
  fail(c, "timeout");
}

static uint64_t fl_deadline(const struct sc_client *cl)
{
  return terminal(cself(cl)) ? SC_NO_DEADLINE : cself(cl)->deadline;
}

static enum sc_client_status fl_status(const struct sc_client *cl)
{
  const struct sc_flawed_client *c = cself(cl);
  return c->state == FC_DONE     ? SC_CLIENT_DONE
         : c->state == FC_FAILED ? SC_CLIENT_FAILED
                                 : SC_CLIENT_RUNNING;
}

static enum sf_err fl_error(const struct sc_client *cl)
{
  (void)cl;
  return SF_ERR_OK;
}

static const char *fl_diagnosis(const struct sc_client *cl)
{
  return cself(cl)->diag;
}

static const struct sc_client_ops flawed_ops = {
    .name = "flawed-client",
    .reports_errors = 0,
    .start = fl_start,
    .take = fl_take,
    .feed = fl_feed,
    .eof = fl_eof,
    .tick = fl_tick,
    .deadline = fl_deadline,
    .status = fl_status,
    .error = fl_error,
    .diagnosis = fl_diagnosis,
};

void sc_flawed_client_init(struct sc_flawed_client *c, const struct sf_config *cfg,
                           enum sc_flaw flaw)
{
  memset(c, 0, sizeof(*c));
  c->base.ops = &flawed_ops;
  c->cfg = cfg;
  c->flaw = flaw;
  c->state = FC_CONNECT;
  c->deadline = SC_NO_DEADLINE;
  sf_tls_passthrough_init(&c->pt);
}

void sc_flawed_client_offer_resume(struct sc_flawed_client *c, int offer)
{
  sf_tls_passthrough_offer_resume(&c->pt, offer);
}

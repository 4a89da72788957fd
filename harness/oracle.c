/* The oracles. Everything here reads the wire as the server saw it, with its
 * own small readers (EHLO keywords, base64, host names): nothing of src/ is
 * used to judge, so a bug in the engine cannot blind the judge at the very
 * place it is wrong.
 *
 * INJECTION is judged by accounting: every client command is paired with the
 * reply it got, in order, and a client that acts after TLS must have had its
 * reply over TLS, whole. Bytes the server sent in plaintext after its 220 to
 * STARTTLS are never a post-TLS reply (RFC 3207 4.2), whatever they say.
 */
#include "oracle.h"

#include "host.h"
#include "reply_parser.h"

#include "b64.h"
#include "judge_cmp.h"
#include "verbs.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <string.h>

#define PENDING_MAX 64
#define GRACE_MAX   8
/* Replies inside TLS that answered no command whose codes are kept. */
#define SURPLUS_CODES 8
/* take_plain_surplus(): no reply taken. */
#define TOOK_NONE (-2)

/* ---- capabilities, read by the oracle itself ---------------------------------- */

enum cap_bit {
  CAP_STARTTLS = 1u << 0,
  CAP_PIPELINING = 1u << 1,
  CAP_SIZE = 1u << 2,
  CAP_8BITMIME = 1u << 3,
  CAP_CHUNKING = 1u << 4,
  CAP_BINARYMIME = 1u << 5,
  CAP_SMTPUTF8 = 1u << 6,
  CAP_REQUIRETLS = 1u << 7,
  CAP_DSN = 1u << 8,
  CAP_AUTH = 1u << 9,
};

/* A word and its length: a token of another length is not compared. */
struct word {
  const char *name;
  size_t len;
};
#define WORD(s) s, sizeof(s) - 1

static const struct {
  struct word word;
  unsigned bit;
} keywords[] = {
    {{WORD("STARTTLS")}, CAP_STARTTLS}, {{WORD("PIPELINING")}, CAP_PIPELINING},
    {{WORD("SIZE")}, CAP_SIZE},         {{WORD("8BITMIME")}, CAP_8BITMIME},
    {{WORD("CHUNKING")}, CAP_CHUNKING}, {{WORD("BINARYMIME")}, CAP_BINARYMIME},
    {{WORD("SMTPUTF8")}, CAP_SMTPUTF8}, {{WORD("REQUIRETLS")}, CAP_REQUIRETLS},
    {{WORD("DSN")}, CAP_DSN},           {{WORD("AUTH")}, CAP_AUTH},
};

/* SASL mechanisms by name (the IANA registry's common ones); others share
 * the last bit. */
static const struct word mechanisms[] = {
    {WORD("PLAIN")},       {WORD("LOGIN")},       {WORD("CRAM-MD5")},      {WORD("XOAUTH2")},
    {WORD("OAUTHBEARER")}, {WORD("SCRAM-SHA-1")}, {WORD("SCRAM-SHA-256")}, {WORD("DIGEST-MD5")},
    {WORD("GSSAPI")},      {WORD("NTLM")},        {WORD("EXTERNAL")},      {WORD("ANONYMOUS")},
};
#define MECH_OTHER (1u << (sizeof mechanisms / sizeof mechanisms[0]))

struct caps {
  unsigned flags; /* enum cap_bit */
  unsigned auth;  /* bit per mechanisms[] entry, MECH_OTHER */
};

/* p[0..n) is the word, without regard to ASCII case. */
static int word_is(const uint8_t *p, size_t n, const struct word *w)
{
  return n == w->len && jc_ieq(p, w->name, n);
}

static int word_eq(const uint8_t *p, size_t n, const char *word)
{
  return word_is(p, n, &(const struct word){word, strlen(word)});
}

static int is_space(uint8_t c)
{
  return c == ' ' || c == '\t';
}

/* The next token of p[0..n) from *pos on, split on SP and HTAB; 0 at the
 * end. */
static int next_token(const uint8_t *p, size_t n, size_t *pos, const uint8_t **tok, size_t *len)
{
  size_t i = *pos;
  while (i < n && is_space(p[i]))
    i++;
  size_t start = i;
  while (i < n && !is_space(p[i]))
    i++;
  *pos = i;
  if (i == start)
    return 0;
  *tok = p + start;
  *len = i - start;
  return 1;
}

/* Token k (0-based) of p[0..n), split on SP and HTAB. */
static int token(const uint8_t *p, size_t n, size_t k, const uint8_t **tok, size_t *len)
{
  size_t pos = 0;
  for (size_t t = 0; next_token(p, n, &pos, tok, len); t++)
    if (t == k)
      return 1;
  return 0;
}

static unsigned mech_bit(const uint8_t *p, size_t n)
{
  for (size_t i = 0; i < sizeof mechanisms / sizeof mechanisms[0]; i++)
    if (word_is(p, n, &mechanisms[i]))
      return 1u << i;
  return MECH_OTHER;
}

/* Adds what `from` announces to `to`. */
static void caps_add(struct caps *to, const struct caps *from)
{
  to->flags |= from->flags;
  to->auth |= from->auth;
}

/* The mechanisms named by the atoms of p[0..n), the runs between RFC
 * 5322's specials (a NUL ends one too): what a reader that reads an atom
 * (libESMTP: PLAIN in "PLAIN,LOGIN") or splits a list on commas finds. */
static unsigned mech_atoms(const uint8_t *p, size_t n)
{
  unsigned bits = 0;
  for (size_t i = 0, k; i < n; i = k + 1) {
    for (k = i; k < n && !strchr("\"()<>[]@,;:\\.", p[k]); k++)
      ;
    if (k > i)
      bits |= mech_bit(p + i, k - i);
  }
  return bits;
}

/* One keyword line of an EHLO reply (its text after "250-"): RFC 5321
 * 4.1.1.1, keywords compared whole and without regard to case; the legacy
 * "AUTH=PLAIN LOGIN" form counts as AUTH. Added to `strict` and `loose`
 * (either may be NULL); `loose` also gets what a reader that knows a word
 * by its first bytes takes from a longer one: curl reads SIZE in "SIZEX"
 * and STARTTLS in "STARTTLS2" (AUTH it wants whole); a keyword that is an
 * atom's head is libESMTP's reading too, and a mechanism list's atoms
 * (mech_atoms()). */
static void caps_line(struct caps *strict, struct caps *loose, const uint8_t *text, size_t n)
{
  /* A CR inside the line is white space to a lenient reader (curl): split
   * on it as on SP, on a copy of the line's first bytes. */
  uint8_t buf[WIRE_MAX_LINE];
  if (memchr(text, '\r', n)) {
    n = n < sizeof buf ? n : sizeof buf;
    for (size_t i = 0; i < n; i++)
      buf[i] = text[i] == '\r' ? ' ' : text[i];
    text = buf;
  }
  const uint8_t *kw;
  size_t kl, pos = 0;
  if (!next_token(text, n, &pos, &kw, &kl))
    return;
  struct caps c = {0, 0};
  unsigned heads = 0;
  if (kl > 5 && jc_ieq(kw, "AUTH=", 5)) {
    c.flags = CAP_AUTH;
    c.auth = mech_bit(kw + 5, kl - 5);
  } else {
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
      const struct word *w = &keywords[i].word;
      if (word_is(kw, kl, w))
        c.flags |= keywords[i].bit;
      else if (kl > w->len && keywords[i].bit != CAP_AUTH && jc_ieq(kw, w->name, w->len))
        heads |= keywords[i].bit;
    }
  }
  /* The mechanisms: every token after the keyword. */
  const uint8_t *m;
  size_t ml;
  unsigned mech_heads = 0;
  if (c.flags & CAP_AUTH)
    while (next_token(text, n, &pos, &m, &ml)) {
      c.auth |= mech_bit(m, ml);
      mech_heads |= mech_atoms(m, ml);
    }
  if (strict)
    caps_add(strict, &c);
  if (loose) {
    caps_add(loose, &c);
    loose->flags |= heads;
    loose->auth |= mech_heads;
  }
}

/* The text of a reply line after its code and separator. */
static void line_text(const struct wire_item *it, const uint8_t **p, size_t *n)
{
  size_t skip = it->len >= 4 ? 4 : it->len;
  *p = it->text + skip;
  *n = it->len - skip;
}

/* The code a reader that takes it with strtol() finds in a line with none
 * at its head: white space first (" 250 ok", "\r250 AUTH LOGIN"), then
 * digits and a space or hyphen. -1 if none; `*final`: a space follows (the
 * reply's last line to such a reader), `*rest`: where its text begins. */
static int strtol_code(const struct wire_item *it, int *final, size_t *rest)
{
  const uint8_t *p = it->text;
  size_t n = it->len, i = 0;
  while (i < n && (p[i] == ' ' || (p[i] >= '\t' && p[i] <= '\r')))
    i++;
  size_t digits = i;
  int code = 0;
  while (i < n && i - digits < 4 && p[i] >= '0' && p[i] <= '9')
    code = code * 10 + (p[i++] - '0');
  if (digits == 0 || i == digits || i >= n || (p[i] != ' ' && p[i] != '-'))
    return -1;
  *final = p[i] == ' ';
  *rest = i + 1;
  return code;
}

/* ---- hosts, compared as a verifier would (RFC 6125 6) --------------------------- */

/* Same name: addresses as addresses, names without regard to case, no
 * wildcards (a correct client needs none to match our certificates). */
static int same_host(const char *a, const char *b)
{
  unsigned char x[16], y[16];
  if (!a || !b || !*a || !*b)
    return 0;
  int fa = inet_pton(AF_INET, a, x) == 1 ? 4 : inet_pton(AF_INET6, a, x) == 1 ? 6 : 0;
  int fb = inet_pton(AF_INET, b, y) == 1 ? 4 : inet_pton(AF_INET6, b, y) == 1 ? 6 : 0;
  if (fa != fb)
    return 0;
  if (fa)
    return jc_same(x, y, fa == 4 ? 4 : 16);
  return jc_istreq(a, b);
}

/* ---- the judge ------------------------------------------------------------------- */

struct pending {
  enum sc_verb verb;
  int tls;
  int ends_msg; /* the "." after DATA's message, or BDAT LAST */
  int dot;      /* a lone "." that was read as a command (sent behind DATA) */
  int sasl;     /* the client's answer to a 3yz of its SASL exchange (sasl_answer()) */
};

_Static_assert(SC_VERB_COUNT <= 32, "oracle_report.after_421 has one bit per verb");

struct closing {
  int on;
  int grace[GRACE_MAX];
  size_t ngrace, next;
  int injected; /* the grace counts replies injected after the 220 */
};

#define LAST_BODY_KEPT 128

/* Replies that answered no command and wait to be read, with the codes of
 * the first of them (-1: none read), oldest first: the first is what the
 * client takes for the answer to its next command. The codes are kept as
 * runs of one code, so that a flood of the same reply is known to its end
 * (512 unasked "250 A"s that libESMTP took for the answers to all its
 * commands, its BDAT LAST's too, found by fuzz_libesmtp). */
struct unread {
  int n;
  int lost; /* a code did not fit: it and those behind it are not known */
  size_t runs;
  int code[SURPLUS_CODES];
  size_t count[SURPLUS_CODES];
};

struct judge {
  const struct scenario *sc;
  const struct sf_config *cfg;
  struct oracle_report *rep;
  /* Commands waiting for their reply, oldest first. */
  struct pending pending[PENDING_MAX];
  size_t npending;
  size_t given_up; /* how many of those the client no longer waits for, on this channel */
  int gave_up;     /* it went on without some replies, before TLS or inside (gives_up()) */
  /* The reply being read: its lines so far and what they announce. */
  size_t cur_lines;
  struct caps cur_caps;
  /* What a lenient reader may have read in it (caps_line()'s `loose`),
   * over TLS not only pre-TLS knowledge: it takes keywords from every line
   * with a code, whatever the code, the first line too, and the reply's
   * code from its last line (curl). */
  struct caps cur_caps_loose;
  /* Before TLS. */
  struct caps pre;
  int no_starttls;    /* the last pre-TLS hello reply lacks STARTTLS */
  int refused;        /* STARTTLS answered otherwise than 220 */
  int starttls_took;  /* the code of a reply sent ahead STARTTLS took for its answer, -1: none */
  int after_220;      /* the 220 to STARTTLS came; TLS not up yet */
  int unclear_220;    /* that answer was a 2xx but no clean "220 " */
  int injected;       /* bytes followed the 220 to STARTTLS */
  int inj_replies;    /* complete replies among them, and one a splice made (splice_reply()) */
  int ambiguous_end;  /* a server line clients differ on as a reply's end came */
  int loose;          /* lines without a code heading their reply, on this channel */
  size_t line_pieces; /* pieces of the server line under way counted in `loose` */
  /* The last of the injected lines if the handshake cut it: its head and
   * its length (0: none, or spliced already). */
  uint8_t cut_head[4];
  size_t cut_len;
  int surplus; /* plaintext replies that answered no command */
  /* Such replies no command has been taken to answer since, in plaintext
   * ([0]) and inside TLS ([1]): a client reading reply by reply takes
   * them, in order, for the answers to its next commands. */
  struct unread unread[2];
  /* Those inside TLS that no command had been taken to answer when the
   * client last spoke: its commands sent by then read them first. */
  int surplus_at_line;
  int open_line;        /* the last server line over TLS never ended (cut by a stall, ...) */
  int open_code;        /* its code, -1 if it has none yet */
  uint8_t open_head[4]; /* its first bytes, up to four (whole_line()) */
  size_t open_head_len;
  int cut_code;          /* the code of the last such line since the client's last line, -1: none */
  int open_taken;        /* the server line under way was counted as a reply (take_open_line()) */
  size_t open_taken_len; /* its bytes then */
  int ahead;             /* STARTTLS went out with such a reply unread before it */
  struct caps inj;       /* what the injected lines announced */
  /* After TLS. */
  int tls_up;
  int tls_cmds;  /* commands sent over TLS */
  int tls_hello; /* EHLO or HELO sent over TLS */
  struct caps post;
  /* That answer ended on a line with no separator ("250HELP..."): a reader
   * that passes over such a line (curl does) reads on, to the next line that
   * ends a reply, before its next command; what those lines announce is
   * announced over TLS too. */
  int post_open;
  int cert_bad;
  char cert_what[SF_HOST_NAME_MAX + 160];
  /* RFC 5321 3.8: the server said 421 and closes. The replies the server
   * completed since the client last spoke (their codes, oldest first) are
   * those a 421 came behind in the same turn. A client reading reply by
   * reply answers each of them it was waiting on before it reads the 421,
   * one answer of grace each (after a 354, the whole message): the reply to
   * its last command, and replies that answered nothing. Those to commands
   * it had already sent past, pipelining, ask for no answer, and a 421 in
   * the reply to the client's own command gets none. Judged twice: from the
   * first 421 on any line (closing) and from the first on a line that ends
   * a reply (closing_end): a 421 only on "421-" lines, or with no
   * separator, in a reply whose last line says otherwise, is one a client
   * taking a reply's code from its last line never read (RFC 5321 4.2.1:
   * one code per reply), and the reason says so. */
  int replies_since_client;
  int turn_codes[GRACE_MAX];
  /* The client's last line was AUTH or its SASL answer; the code of the
   * reply paired with that line (-1: none yet). */
  int last_sasl, last_answer;
  size_t nowed; /* of those, the ones the client answers */
  int owed[GRACE_MAX];
  struct closing closing, closing_end;
  int ignored_hidden_421; /* the IGNORED_421 reason is the hidden one's */
  /* RFC 2920 3.1: a client pipelining MAIL, RCPT and RSET sends the rest of
   * the group, to its DATA, without reading. Under PIPELINING, a 421 that
   * answered one of them, or came behind other replies, may not have been
   * read before the client's next commands (and a live server reads those
   * only after it answered). The first line after such a 421 is held: two
   * commands of a group back to back, with no server line between, are
   * pipelining, and the run to the group's end is excused; anything else
   * judges the held line as it would have been. A client that reads each
   * reply before its next command never sends two; one that got the 421 as
   * the answer to a command it had to wait for (EHLO, AUTH, DATA, ...) read
   * it, and nothing is excused. */
  int group_421;   /* such a 421 came and its group may still run */
  int group_shown; /* two of its commands came back to back, or the 421 came
                     inside a group sent without reading */
  int held;        /* held_it and held_line wait for the next event */
  int group_chunk; /* that group ended in a BDAT: its chunk is the group's too */
  /* The server answered DATA 354 after its 421 (the DATA went out before
   * the 421 came): a "." alone next ends the empty message it opened, the
   * one way out of the data it asked for (a QUIT there is message text). */
  int data_opened_after_421;
  struct wire_item held_it;
  char held_line[64];
  /* The client's previous command line: a line the server reads as SASL
   * data is the client's only if the client itself began AUTH. */
  enum sc_verb prev_client;
  int body_ended;    /* that line was the "." ending a message */
  size_t body_lines; /* lines of the message being sent, its "." not counted */
  size_t dot_ended;  /* 1 + the line where a "." ended it, at the message's lone dot */
  /* The message's last line before this one, as sent (dot-stuffing undone),
   * its first LAST_BODY_KEPT bytes: where a "." falls in the configured
   * message when the client added lines in front of it. */
  uint8_t last_body[LAST_BODY_KEPT];
  size_t last_body_len;  /* the whole line's length; SIZE_MAX: no line yet */
  size_t last_body_kept; /* bytes of it in last_body */
  int stuffed_lone;      /* a line ".." (a lone "." stuffed) came in this message */
  int msg_open;          /* DATA got a 3yz (354 or not): the client's message runs to "." */
  int stray_3yz;         /* a 3yz answered neither DATA nor AUTH, since the last message */
  int data_code;         /* the reply to the client's last DATA, -1 until it comes */
  /* Delivery: how many messages the client ended, whether it sent DATA,
   * the code of the reply to the last end (-1: none yet), whether a reply
   * to an end had a 2xx line (RFC 5321 4.2.1: one code per reply; a client
   * may read either), and whether any 2xx came after DATA or a BDAT
   * (msg_begun: what a client pairing replies otherwise than counted here
   * may have taken for the answer). cur_2xx: a line of the reply under way
   * had a 2xx code. */
  size_t msg_ends;
  int data_sent, msg_begun;
  int dot_after_data; /* a lone "." after DATA, read as a command: the client's end, maybe */
  int msg_code;
  int msg_part_code; /* the head of a line under way it took for that answer, -1 */
  int msg_accepted;
  int msg_late_2xx;
  int msg_unasked_2xx; /* the same from replies that answered nothing (surplus_taken()) */
  int cur_2xx;
  int cur_code; /* the code of the reply's first line with one */
  /* Time. */
  uint64_t last_t;
  uint64_t quiet;         /* how long nothing crossed before the item being judged */
  uint64_t wait_t;        /* the last event but a line or bytes that end no reply */
  enum sc_verb last_verb; /* SC_VERB_CONNECT: none yet */
  int last_hello;         /* the last client act was its TLS hello */
  int deaf;               /* the server stopped reading */
  /* What the end of the wire says of the last wait (oracle_report's
   * owes_nothing): a TLS handshake under way, the connection closed or
   * failed, the server silent or stalling by the scenario's choice, its
   * last line not ended. */
  int tls_pending, closed, server_holds, server_partial;
  int line_part; /* the server's latest line had begun and not ended, so far */
  int bare_lf;   /* a server line ended in a bare LF: a client may still wait for its CRLF */
  int raw;       /* bytes written outside TLS while it was up: the client's record stream is
                    the server's to finish (a record begun, never ended), and what the server
                    sent after them may never reach the client as replies (libESMTP's TLS
                    read waited on a record header so written, found by fuzz_libesmtp) */
  int unread_after_data; /* the server stopped reading (or closed) after DATA, before a
                          message end reached it */
  /* End. */
  int ended;
  enum sc_client_status end_status;
  enum sf_err end_err;
  char end_diag[256];
};

static void verdict(struct judge *j, enum sc_verdict v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void verdict(struct judge *j, enum sc_verdict v, const char *fmt, ...)
{
  if (j->rep->verdicts & ORACLE_BIT(v))
    return; /* the first reason is the one kept */
  j->rep->verdicts |= ORACLE_BIT(v);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(j->rep->reason[v], sizeof(j->rep->reason[v]), fmt, ap);
  va_end(ap);
}

/* A short printable excerpt of a line for reasons. */
static const char *excerpt(const struct wire_item *it, char *buf, size_t cap)
{
  size_t k = 0;
  for (size_t i = 0; i < it->len && k + 1 < cap && i < 40; i++)
    buf[k++] = it->text[i] >= 0x20 && it->text[i] < 0x7f ? (char)it->text[i] : '.';
  buf[k] = '\0';
  return buf;
}

static int starttls_mode(const struct judge *j)
{
  return j->cfg->mode == SF_MODE_STARTTLS;
}

/* The first 421 of its kind: the grace is the replies it came behind.
 * Returns 1 if this one was the first. */
static int close_arm(struct judge *j, struct closing *c)
{
  if (c->on)
    return 0;
  c->on = 1;
  /* Replies the client reads before this 421, besides those since its last
   * line (owed), each answered by a command of grace: those that answered
   * nothing and that its commands sent so far take, as it reads in order
   * (curl took an unasked 250 for RCPT's answer and the 421 for DATA's,
   * found by fuzz_curl); and over TLS the replies injected after the 220,
   * for a client that kept them, which it reads first, every answer as
   * many replies late (libESMTP, found by fuzz_libesmtp; INJECTION's to
   * judge, not this). */
  size_t shift = j->tls_up ? (size_t)j->surplus_at_line + (size_t)j->inj_replies
                           : (size_t)(j->surplus - j->unread[0].n);
  if (shift > GRACE_MAX - j->nowed)
    shift = GRACE_MAX - j->nowed;
  memset(c->grace, 0, shift * sizeof c->grace[0]);
  memcpy(c->grace + shift, j->owed, j->nowed * sizeof c->grace[0]);
  c->ngrace = shift + j->nowed;
  c->next = 0;
  c->injected = j->tls_up && j->inj_replies > 0;
  return 1;
}

/* A client line "." alone: the end of a message, where DATA's data is read. */
static int dot_alone(const struct wire_item *it)
{
  return it->full_len == 1 && it->text[0] == '.';
}

/* One more client line after the 421: 1 if it is past the grace. */
static int close_past_grace(struct closing *c, const struct wire_item *it)
{
  if (!c->on)
    return 0;
  if (c->next < c->ngrace) {
    /* The answer to a 354 is the whole message, to its "." line. */
    if (c->grace[c->next] != 354 || dot_alone(it))
      c->next++;
    return 0;
  }
  return 1;
}

/* ---- server lines ------------------------------------------------------------------ */

/* The oldest command waiting for its reply, taken off (npending > 0). */
static struct pending pending_pop(struct judge *j)
{
  struct pending first = j->pending[0];
  j->npending--;
  memmove(j->pending, j->pending + 1, j->npending * sizeof(j->pending[0]));
  return first;
}

/* The client's next line answers the reply it took for its last line's
 * answer (a reply that came right after that line, or one that came
 * earlier and answered nothing then): if that was a 3yz to its AUTH or SASL
 * data (RFC 4954 4 names 334 the challenge; libESMTP takes any 3yz for
 * one, found by fuzz_libesmtp), the line is its SASL answer, whatever the
 * server reads it as (a 421 behind the 3yz ended the exchange there, so
 * the server reads a command). */
static int sasl_answer(const struct judge *j)
{
  return j->last_sasl && j->last_answer / 100 == 3;
}

/* The command the client took a reply for the answer to, as it sees it. */
static enum sc_verb took_for(const struct pending *p)
{
  return p->sasl ? SC_VERB_AUTH_DATA : p->verb;
}

/* Commands a pipelining client may send in one group without reading the
 * replies (RFC 2920 3.1): MAIL, RCPT and RSET may be followed by more of
 * the group; DATA and BDAT end it. */
static int group_goes_on(enum sc_verb v)
{
  return v == SC_VERB_MAIL || v == SC_VERB_RCPT || v == SC_VERB_RSET;
}

static int group_member(enum sc_verb v)
{
  return group_goes_on(v) || v == SC_VERB_DATA || v == SC_VERB_BDAT;
}

static int pairing_uncertain(const struct judge *j, int tls);

/* A reply that answered no command (in plaintext, or inside TLS), with its
 * code; and the oldest of them taken for an answer. Codes are kept while
 * every earlier one is. */
static void surplus_add(struct judge *j, int tls, int code)
{
  struct unread *u = &j->unread[tls];
  u->n++;
  if (u->lost)
    return;
  if (u->runs > 0 && u->code[u->runs - 1] == code)
    u->count[u->runs - 1]++;
  else if (u->runs == SURPLUS_CODES)
    u->lost = 1;
  else {
    u->code[u->runs] = code;
    u->count[u->runs++] = 1;
  }
}

static void surplus_take(struct judge *j, int tls)
{
  struct unread *u = &j->unread[tls];
  if (--u->n == 0)
    u->lost = 0;
  if (u->runs == 0 || --u->count[0] > 0)
    return;
  u->runs--;
  memmove(u->code, u->code + 1, u->runs * sizeof u->code[0]);
  memmove(u->count, u->count + 1, u->runs * sizeof u->count[0]);
}

/* The code of the reply the client takes for the answer to its next
 * command, if one that answered nothing is waiting, else -1. */
static int surplus_first(const struct judge *j, int tls)
{
  return j->unread[tls].runs > 0 ? j->unread[tls].code[0] : -1;
}

/* A reply that answered nothing, with code `code`, taken by the command
 * `p` for its answer: a 2xx taken by the message's end (or a lone "." after
 * DATA) is what the client, reading in order, took for the message's answer
 * (libESMTP took unasked 250s for the answers to its BDATs, the last one's
 * too, found by fuzz_libesmtp). */
static void surplus_taken(struct judge *j, const struct pending *p, int code)
{
  if ((p->ends_msg || p->dot) && code / 100 == 2)
    j->msg_unasked_2xx = 1;
}

/* A first 421 that answered nothing, the oldest of those waiting: the
 * command `p` the client takes it for, reading in order. */
static void name_421_answer(struct judge *j, int tls, const struct pending *p)
{
  if (surplus_first(j, tls) == 421 && j->closing_end.on && j->rep->answered_421 == SC_VERB_OTHER)
    j->rep->answered_421 = took_for(p);
}

/* A whole reply arrived: it answers the oldest command waiting.
 * `first_421`: its last line is the first 421 that ends a reply;
 * `code_lf`: that line is a code alone with a bare LF ("250\n"). Kept
 * among the replies the client owes an answer (`owed`) if it answered the
 * last command the client waits on (past those it gave up on), or
 * nothing, or the client may pair replies otherwise than counted here. */
static void reread_behind_data(struct judge *j);

static void on_reply(struct judge *j, int code, int ends_reply, int first_421, int code_lf)
{
  /* Replies inside TLS that answered nothing wait to be read before this
   * one: the oldest command in flight takes the first of them, whatever
   * this one is paired with (libESMTP took a 421 behind two 334s for the
   * answer to its second '*', before the replies to its '*'s came: found
   * by fuzz_libesmtp). */
  if (j->tls_up && j->unread[1].n > 0 && j->npending > 0)
    name_421_answer(j, 1, &j->pending[0]);
  int owed = j->npending <= j->given_up + 1 || pairing_uncertain(j, j->tls_up);
  /* The command the client takes this reply for the answer to: the oldest
   * past those it gave up on (SC_VERB_OTHER: none), and how many it waits
   * on. */
  size_t waits = j->npending > j->given_up ? j->npending - j->given_up : 0;
  enum sc_verb taken = waits > 0 ? took_for(&j->pending[j->given_up]) : SC_VERB_OTHER;
  struct pending answered = {.verb = SC_VERB_OTHER};
  if (first_421)
    j->rep->answered_421 = taken;
  if (j->npending > 0) {
    answered = pending_pop(j);
    if (j->npending == 0)
      j->last_answer = code;
  } else {
    j->surplus += !j->tls_up;
    surplus_add(j, j->tls_up, code);
  }
  /* That 421 need not have been read before the client's next commands:
   * it came behind other replies, answered nothing, or answered a command
   * of a group pipelining allows to go on, as the client pairs replies (a
   * late reply to a command it gave up on answers its next one: libESMTP,
   * found by fuzz_libesmtp). */
  unsigned announced = j->tls_up ? j->post.flags : j->pre.flags;
  if (first_421 && (announced & CAP_PIPELINING) &&
      (j->closing_end.ngrace > 0 || taken == SC_VERB_OTHER || group_goes_on(taken))) {
    j->group_421 = 1;
    /* The client is inside a group it sends without reading: the group is
     * open (its last command goes on), and commands wait behind the one
     * the 421 answered, or a reply before the 421 answered one it had sent
     * past. The rest of the group is on its way. */
    if (group_goes_on(j->last_verb) && (waits > 1 || (size_t)j->replies_since_client > j->nowed))
      j->group_shown = 1;
  }
  if (answered.verb == SC_VERB_DATA)
    j->data_code = code;
  int some_2xx = code / 100 == 2 || j->cur_2xx;
  if (answered.ends_msg) {
    j->msg_code = code;
    j->msg_accepted |= some_2xx;
  } else if (j->msg_begun && some_2xx) {
    j->msg_late_2xx = 1;
  }
  /* A 3yz to DATA, a 354 or another, is answered by the whole message: a
   * client sends it on any (libESMTP after a 334, found by fuzz_libesmtp),
   * and the oracle reads the lines behind it so (client_verb()). */
  int opens_msg = answered.verb == SC_VERB_DATA && code / 100 == 3;
  if (owed && j->nowed < GRACE_MAX)
    j->owed[j->nowed++] = opens_msg ? 354 : code;
  if (opens_msg) {
    j->msg_open = 1;
    reread_behind_data(j);
  } else if (code / 100 == 3 && answered.verb != SC_VERB_AUTH && answered.verb != SC_VERB_AUTH_DATA)
    j->stray_3yz = 1;
  int hello = answered.verb == SC_VERB_EHLO || answered.verb == SC_VERB_HELO;
  if (!answered.tls && hello) {
    j->pre = code == 250 && answered.verb == SC_VERB_EHLO ? j->cur_caps : (struct caps){0, 0};
    j->no_starttls = !(j->pre.flags & CAP_STARTTLS);
  } else if (answered.tls && answered.verb == SC_VERB_EHLO && (code / 100 == 2 || !ends_reply)) {
    /* A line with no separator ends the reply for some readers, not for
     * curl, which reads on to "250 ": whatever its code ("100HELP", found
     * by the CI fuzz smoke), the lines up to a clean end may be the
     * answer it learned from. So does a code alone with a bare LF ("220\n",
     * four bytes: no line of curl's; found by fuzz_curl). */
    j->post = j->cur_caps_loose;
    j->post_open = !ends_reply || code_lf;
  } else if (!answered.tls && answered.verb == SC_VERB_STARTTLS) {
    /* Only "220 " is the go-ahead. Another 2xx, or "220" with no
     * separator ("220x..."), is unclear: a client may take it for the
     * go-ahead (what follows is then judged as injected) or for a refusal. */
    int clean = code == 220 && ends_reply;
    if (code / 100 == 2)
      j->after_220 = 1;
    j->unclear_220 = code / 100 == 2 && !clean;
    if (!clean)
      j->refused = 1;
  }
}

static void release_held(struct judge *j);

/* RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its CRLF. A
 * longer one reaches a client that reads lines into a buffer of that size,
 * or a little more, in pieces, each a line to it: the head, and pieces
 * without a code, which such a client may take for whole replies as it does
 * lines without one (`loose`: libESMTP reads 1,023 bytes at a time, and
 * took two pieces of one 4 KB line for the answers to its MAIL and RCPT,
 * found by fuzz_libesmtp). Counted as a reader of 510 bytes at a time has
 * them, every piece past the head: of a line under way (n bytes so far)
 * those it has whole, of one that ended or was cut all. */
static void count_pieces(struct judge *j, size_t n, int ended)
{
  const size_t piece = SF_REPLY_MAX_LINE - 2;
  size_t pieces = ended ? (n + piece - 1) / piece : n / piece;
  size_t extra = pieces > 1 ? pieces - 1 : 0;
  if (extra > j->line_pieces) {
    j->loose += (int)(extra - j->line_pieces);
    j->line_pieces = extra;
  }
  if (ended)
    j->line_pieces = 0;
}

/* The first line over TLS, after a line the handshake cut: a client that
 * kept the cut bytes reads the two as one line. Where that line ends a
 * reply and this one alone does not, the client reads one reply more than
 * the server sent, one more injected ("25" in plaintext, then "0 ok" over
 * TLS: libESMTP took "250 ok" for its EHLO's answer and the 421 to EHLO
 * for MAIL's, found by fuzz_libesmtp). */
static void splice_reply(struct judge *j, const struct wire_item *it)
{
  size_t cut = j->cut_len, k = cut < 4 ? cut : 4;
  j->cut_len = 0;
  if (!it->eol || it->final)
    return;
  uint8_t head[4];
  memcpy(head, j->cut_head, k);
  for (size_t i = 0; k < 4 && i < it->len; i++)
    head[k++] = it->text[i];
  size_t len = cut + it->len;
  if (wire_reply_code(head, k) >= 0 && (len == 3 || head[3] != '-'))
    j->inj_replies++;
}

/* A line of the reply under way to some readers only (strtol_code()): a
 * command after it may be one such a reader sent after the whole reply,
 * no pipelining, and what its 2xx text announces, in the answer to a
 * post-TLS EHLO, is announced over TLS. */
static void lenient_line(struct judge *j, const struct wire_item *it, int final, size_t rest)
{
  if (j->cur_code / 100 == 2)
    caps_line(NULL, &j->cur_caps_loose, it->text + rest, it->len - rest);
  if (!final)
    return;
  j->loose++;
  j->ambiguous_end = 1;
  if (j->npending > 0 && j->pending[0].tls && j->pending[0].verb == SC_VERB_EHLO)
    caps_add(&j->post, &j->cur_caps_loose);
}

static void on_server_line(struct judge *j, const struct wire_item *it)
{
  release_held(j);
  if (it->tls && j->cut_len > 0)
    splice_reply(j, it);
  /* This line was under way when the client sent a command, and counted as
   * a reply it may have taken then, cut short by its timeout: such a client
   * read the line's head as one reply and reads the rest as another
   * (libESMTP took a 421 without its line end for the answer to its AUTH,
   * and the 250 that ended the line for the answer to its MAIL: found by
   * fuzz_libesmtp). A 421 at its head is no 421 every client reads where the
   * line ends. */
  int taken_in_part = j->open_taken && !j->open_line;
  j->open_taken = 0;
  j->open_taken_len = 0;
  j->open_line = it->tls && !it->eol;
  if (j->open_line)
    j->cut_code = it->code;
  j->open_code = it->code;
  const uint8_t *text;
  size_t n;
  line_text(it, &text, &n);
  /* RFC 3207 4.2 / CVE-2021-22947: anything after the 220 to STARTTLS and
   * before the handshake was not sent by the TLS peer. */
  int injected = !it->tls && j->after_220 && !j->tls_up;
  /* RFC 5321 3.8: a 421 line, alone or inside a multiline reply (one that
   * came injected is judged as injection, not as the server's word). */
  int ends_reply = it->code >= 0 && (it->len == 3 || it->text[3] == ' ');
  /* Lines clients differ on as a reply's end: one with neither a space nor
   * a hyphen after its code ("250220 ...", the last line to a lenient
   * client, not to one that wants the space), a hyphen line of four bytes
   * cut by a bare LF ("250-\n", the last line to curl, which ends a reply
   * at any line of five bytes), and a code alone with a bare LF ("250\n",
   * the last line to a client that reads to an LF, not to curl, which
   * reads on: found by fuzz_curl). A NUL byte too (RFC 5321 4.2: no
   * reply text holds one): a client reading C strings stops at it, and
   * libESMTP took the text behind the NULs of a line for another reply
   * (fuzz_libesmtp). Behind one, replies may pair one off for the client
   * (pairing_uncertain()), and a 421 on a line with a NUL is no 421 every
   * client reads. */
  int nul = memchr(it->text, 0, it->len) != NULL;
  int sep = it->code >= 0 && it->len > 3 && it->len == it->full_len ? it->text[3] : ' ';
  int odd_sep = sep != ' ' && sep != '-';                           /* "250220 ..." */
  int short_hyphen = sep == '-' && it->len == 4 && it->eol == 2;    /* "250-\n" */
  int code_lf = it->code >= 0 && it->full_len == 3 && it->eol == 2; /* "250\n" */
  if (nul || code_lf || (it->eol && (odd_sep || short_hyphen)))
    j->ambiguous_end = 1;
  /* A client that ends a reply at that short hyphen line reads a 2xx one
   * there: after DATA, it may be what it took for the message's answer
   * (curl, found by fuzz_curl). */
  if (it->eol && short_hyphen && it->code / 100 == 2 && j->msg_begun)
    j->msg_late_2xx = 1;
  int first_421 = 0;
  if (it->code == 421 && it->eol && !injected && !nul && !taken_in_part) {
    close_arm(j, &j->closing);
    if (ends_reply)
      first_421 = close_arm(j, &j->closing_end);
  }
  if (injected) {
    j->injected = 1;
    j->inj_replies += it->final && it->eol;
    /* A line the handshake cut: the head of what a client that splices it
     * onto the first line it reads over TLS reads there (splice_reply()). */
    if (!it->eol) {
      j->cut_len = it->len;
      memcpy(j->cut_head, it->text, it->len < 4 ? it->len : 4);
    }
    /* Every injected 250 line, the first one and one cut by the handshake
     * too: a client that splices a fragment onto the first line it reads
     * over TLS, or scans the whole answer for keywords, finds them there. */
    if (it->code == 250)
      caps_line(&j->inj, NULL, text, n);
    /* Where TLS never came up, the client may yet take it for the
     * server's answer to its message (a 2xx to STARTTLS that is no 220). */
    if (it->final && it->eol && it->code / 100 == 2 && j->msg_begun)
      j->msg_late_2xx = 1;
    return;
  }
  /* A line without a code is no reply, and completes none; nor does one the
   * server never finished (cut by the end of the record or by TLS). A
   * client that reads on past a whole line without a code ("1:0HELP",
   * curl) takes it for the first of the reply's lines, the domain's: what
   * the next lines announce is announced. One that reads the number in
   * front of a space for the code takes such a line, where no line of a
   * reply with a code came yet, for a whole reply ("42 bye": libESMTP's
   * strtol(), found by fuzz_libesmtp; Python's smtplib ends a reply at any
   * line without a number), and pairs every later reply one off
   * (`loose`). */
  count_pieces(j, it->full_len, 1);
  if (it->code < 0 && it->eol && j->cur_code < 0)
    j->loose++;
  /* Inside a reply, a line with white space before its code is a line of
   * it to a reader that takes the code with strtol() and finds the same
   * one, its last if a space follows, and no line at all to others
   * (libESMTP read "\r250 AUTH LOGIN" so, ended the answer to its post-TLS
   * EHLO there and sent AUTH: found by fuzz_libesmtp). */
  int final;
  size_t rest;
  if (it->code < 0 && it->eol && j->cur_code >= 0 && strtol_code(it, &final, &rest) == j->cur_code)
    lenient_line(j, it, final, rest);
  if (it->code < 0 && it->eol)
    j->cur_lines++;
  if (it->code < 0 || !it->eol)
    return;
  if (j->post_open)
    caps_line(NULL, &j->post, text, n);
  if (ends_reply)
    j->post_open = 0;
  /* The first line is the domain (RFC 5321 4.1.1.1), and a line with
   * another code than 250 is none of an EHLO answer's keywords, but curl
   * looks for keywords on every line with a code: it learned its
   * mechanisms from "250-AUTH PLAIN LOGIN" heading its post-TLS EHLO
   * answer, and from a "550-" line inside it (found by fuzz_curl). */
  caps_line(it->code == 250 && j->cur_lines > 0 ? &j->cur_caps : NULL, &j->cur_caps_loose, text, n);
  j->cur_lines++;
  if (j->cur_code < 0)
    j->cur_code = it->code;
  j->cur_2xx |= it->code / 100 == 2;
  if (!it->final)
    return;
  /* RFC 5321 4.2.1: every line of a reply has the same code. A reply whose
   * lines disagree is one clients read differently: a lenient one takes
   * the last line's code (curl), a strict one refuses the reply and goes
   * its own way (libESMTP sends QUIT, which the server that meant its 354
   * reads as message text: found by fuzz_libesmtp). */
  if (it->code != j->cur_code)
    j->ambiguous_end = 1;
  if (j->closing.on && it->code == 354 && ends_reply && j->npending > 0 &&
      j->pending[0].verb == SC_VERB_DATA)
    j->data_opened_after_421 = 1;
  on_reply(j, it->code, ends_reply, first_421, code_lf);
  if (j->replies_since_client < GRACE_MAX)
    j->turn_codes[j->replies_since_client] = it->code;
  j->replies_since_client++;
  j->cur_lines = 0;
  j->cur_2xx = 0;
  j->cur_code = -1;
  memset(&j->cur_caps, 0, sizeof j->cur_caps);
  memset(&j->cur_caps_loose, 0, sizeof j->cur_caps_loose);
}

/* ---- client lines ------------------------------------------------------------------ */

static int harmless_before_tls(enum sc_verb v)
{
  return v == SC_VERB_EHLO || v == SC_VERB_HELO || v == SC_VERB_STARTTLS || v == SC_VERB_QUIT ||
         v == SC_VERB_RSET || v == SC_VERB_NOOP;
}

/* Commands after which a client waits for the reply before it says more
 * (RFC 2920 3.1: they end a pipelined group; RFC 4954 4 for SASL). */
static int sync_point(enum sc_verb v)
{
  return v == SC_VERB_EHLO || v == SC_VERB_HELO || v == SC_VERB_STARTTLS || v == SC_VERB_AUTH ||
         v == SC_VERB_AUTH_DATA || v == SC_VERB_DATA;
}

/* A line that is part of message data, not a command of its own. */
static int data_line(const struct wire_item *it)
{
  return it->chunk || (it->verb == SC_VERB_BODY && !dot_alone(it));
}

/* RFC 3030 2: "BDAT size LAST" sends the message's last chunk. */
static int bdat_last(const struct wire_item *it)
{
  const uint8_t *tok;
  size_t len;
  return it->verb == SC_VERB_BDAT && token(it->text, it->len, 2, &tok, &len) && len == 4 &&
         jc_ieq(tok, "LAST", 4);
}

/* The client line `it` as a command waiting for its reply; `sasl`: it
 * answers a 3yz of the client's SASL exchange (sasl_answer()). */
static struct pending pending_of(const struct wire_item *it, int sasl)
{
  int ends_msg = (it->verb == SC_VERB_BODY && dot_alone(it)) || bdat_last(it);
  return (struct pending){it->verb, it->tls, ends_msg, !ends_msg && dot_alone(it), sasl};
}

static void push_pending(struct judge *j, const struct wire_item *it)
{
  if (data_line(it))
    return; /* the message is one command, answered once */
  struct pending p = pending_of(it, sasl_answer(j));
  j->msg_ends += (size_t)p.ends_msg;
  j->data_sent |= it->verb == SC_VERB_DATA;
  j->msg_begun |= it->verb == SC_VERB_DATA || it->verb == SC_VERB_BDAT;
  j->dot_after_data |= p.dot && j->data_sent;
  /* What the client's next line answers: the reply to this one, once one
   * is paired with it. */
  j->last_sasl = p.verb == SC_VERB_AUTH || took_for(&p) == SC_VERB_AUTH_DATA;
  j->last_answer = -1;
  if (j->npending == PENDING_MAX)
    return;
  j->pending[j->npending++] = p;
}

/* DATA got its 3yz after the client had sent more lines behind it: the
 * server reads them as the message, up to a lone "." (the message's end,
 * answered once, as the end of a message sent after the 354 would be);
 * they are no commands awaiting replies. */
static void reread_behind_data(struct judge *j)
{
  size_t k = 0;
  while (k < j->npending && !j->pending[k].dot)
    k++;
  if (k == j->npending) {
    j->npending = 0;
    return;
  }
  j->msg_ends++;
  j->pending[k] = (struct pending){.verb = SC_VERB_BODY, .tls = j->pending[k].tls, .ends_msg = 1};
  j->npending -= k;
  memmove(j->pending, j->pending + k, j->npending * sizeof(j->pending[0]));
}

static int pending_has(const struct judge *j, enum sc_verb v, int tls)
{
  for (size_t i = 0; i < j->npending; i++)
    if (j->pending[i].tls == tls && j->pending[i].verb == v)
      return 1;
  return 0;
}

/* The oldest command still waiting whose reply the client must have before
 * it says more, or NULL. */
static const struct pending *unanswered_sync(const struct judge *j, int tls)
{
  for (size_t i = 0; i < j->npending; i++)
    if (j->pending[i].tls == tls && sync_point(j->pending[i].verb))
      return &j->pending[i];
  return NULL;
}

/* RFC 5321 2.3.8 and 4.1.1.4: in DATA a line ends in CRLF. A bare CR or LF
 * is what SMTP smuggling needs: a lenient server reads "<LF>.<LF>" or
 * "<CR>.<CR>" as the end of data where the next hop does not. */
static void check_line_ends(struct judge *j, const struct wire_item *it, const char *line)
{
  if (it->verb != SC_VERB_BODY || it->chunk)
    return;
  /* A CR that is the last byte the client ever sent on a line without an
   * end may yet have had its LF: not known to be bare. */
  size_t n = it->len;
  if (it->eol == 0 && n > 0 && n == it->full_len && it->text[n - 1] == '\r')
    n--;
  if (it->eol == 2)
    verdict(j, SC_V_SMUGGLING, "message line ended by a bare LF at %llu ms: '%s'",
            (unsigned long long)it->t, line);
  else if (memchr(it->text, '\r', n) != NULL)
    verdict(j, SC_V_SMUGGLING, "bare CR inside a message line at %llu ms: '%s'",
            (unsigned long long)it->t, line);
}

/* Line k (from 0) of the configured message, without its line end: 1 and
 * its place, or 0 past the last line (an empty rest after the last line
 * end is no line). Lines end at CRLF, LF or a bare CR, as a client sends
 * them (RFC 5321 2.3.8). */
static int message_line(const struct sf_config *cfg, size_t k, const char **text, size_t *len)
{
  const char *m = cfg->message;
  size_t n = m ? cfg->message_len : 0, line = 0, start = 0;
  for (size_t i = 0; i < n; i++) {
    if (m[i] != '\r' && m[i] != '\n')
      continue;
    if (line == k) {
      *text = m + start;
      *len = i - start;
      return 1;
    }
    if (m[i] == '\r' && i + 1 < n && m[i + 1] == '\n')
      i++;
    line++;
    start = i + 1;
  }
  if (line != k || start >= n)
    return 0;
  *text = m + start;
  *len = n - start;
  return 1;
}

/* Whether line k of the configured message is a lone ".". */
static int message_line_is_dot(const struct sf_config *cfg, size_t k)
{
  const char *text;
  size_t len;
  return message_line(cfg, k, &text, &len) && len == 1 && text[0] == '.';
}

/* Whether a message line of `len` bytes is the one the judge kept. */
static int is_last_body(const struct judge *j, const char *text, size_t len)
{
  return j->last_body_len == len && jc_same(text, j->last_body, j->last_body_kept);
}

/* Where the client's lone "." falls in the configured message, when not at
 * its own count of lines (a client that puts lines of its own in front,
 * Received:, Date:, ...): the first lone "." line of the message that is
 * its first line or follows the line the client sent last. 1 + its index,
 * or 0: none. One pass over the message. */
static size_t message_dot_after_last(const struct judge *j)
{
  const char *m = j->cfg->message;
  size_t n = m ? j->cfg->message_len : 0, line = 0, start = 0;
  const char *prev = NULL;
  size_t prev_len = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i < n && m[i] != '\r' && m[i] != '\n')
      continue;
    if (i == n && start >= n)
      break;
    if (i - start == 1 && m[start] == '.' &&
        (line == 0 || (prev && is_last_body(j, prev, prev_len))))
      return line + 1;
    prev = m + start;
    prev_len = i - start;
    if (i < n && m[i] == '\r' && i + 1 < n && m[i + 1] == '\n')
      i++;
    line++;
    start = i + 1;
  }
  return 0;
}

static void keep_last_body(struct judge *j, const struct wire_item *it)
{
  /* Dot-stuffing undone: the line as the message has it. */
  size_t skip = it->len >= 2 && it->text[0] == '.' && it->text[1] == '.';
  size_t len = it->len - skip;
  j->last_body_kept = len < LAST_BODY_KEPT ? len : LAST_BODY_KEPT;
  if (j->last_body_kept > 0)
    memcpy(j->last_body, it->text + skip, j->last_body_kept);
  j->last_body_len = it->full_len - skip;
}

/* RFC 5321 4.5.2: a client doubles the dot that begins a line of its
 * message, so every such line reaches the server as ".." and more. A line
 * that begins with one dot was sent as it is; and when the message itself
 * has a lone "." line, sent so it ends DATA there, and the server reads
 * the rest of the message as commands (the lines of a message are the
 * client's to choose only when it stuffs them). That end is told from the
 * client's proper end by the count of lines: the message ended at the line
 * where the configured message has its lone "." (exact for a client that
 * sends the message as given; one that puts lines of its own in front is
 * placed by the line it sent before the ".", message_dot_after_last()), and
 * the client's next line is the message's next one (or, after its last
 * line, the client's own "."): it went on with its message. A client that ends a message early on
 * purpose, with nothing of it sent (libESMTP after every RCPT was refused
 * and DATA still got its 354, found by fuzz_libesmtp), says its next
 * command instead. */
static void check_dot_stuffing(struct judge *j, const struct wire_item *it, const char *line)
{
  if (it->verb != SC_VERB_BODY || it->chunk)
    return;
  if (dot_alone(it)) {
    /* Placed by content only for a client that has stuffed no lone dot:
     * one that did stuffs them all, and this is its own end. */
    if (message_line_is_dot(j->cfg, j->body_lines))
      j->dot_ended = j->body_lines + 1;
    else if (!j->stuffed_lone)
      j->dot_ended = message_dot_after_last(j);
    return;
  }
  j->body_lines++;
  j->stuffed_lone |= it->full_len == 2 && it->text[0] == '.' && it->text[1] == '.';
  keep_last_body(j, it);
  if (it->len >= 1 && it->text[0] == '.' && (it->len < 2 || it->text[1] != '.'))
    verdict(j, SC_V_SMUGGLING,
            "message line '%s' at %llu ms begins with a dot that was not doubled (RFC 5321 "
            "4.5.2): a lone '.' so sent ends DATA",
            line, (unsigned long long)it->t);
}

/* Whether the client may have paired replies with its commands otherwise
 * than the oracle counts, so that a reply it took for DATA's is not the
 * one counted: one no command asked for (bytes injected after the 220 to
 * STARTTLS among them: INJECTION's), a 3yz that answered another command
 * since the last message; or replies are not counted at all (plaintext
 * after a 2xx to STARTTLS, judged as bytes after the 220); or replies over
 * TLS may not have reached the client at all (after bytes written outside
 * TLS). */
static int pairing_uncertain(const struct judge *j, int tls)
{
  return j->stray_3yz || (tls ? j->unread[1].n : j->surplus) > 0 || j->injected ||
         j->ambiguous_end || j->loose > 0 || (!tls && j->after_220) || (tls && j->raw);
}

/* RFC 5321 4.1.1.4 and RFC 2920 3.1: DATA ends a group, and the message
 * follows its 354. Sent right behind DATA, with no reply come since, the
 * message is read as commands by a server that refuses DATA (its lines are
 * the client's to choose only inside DATA). Any line but QUIT or RSET (a
 * client giving up) is that, outside a message already under way, unless
 * the pairing of replies is uncertain. */
static void check_behind_data(struct judge *j, const struct wire_item *it, const char *line)
{
  /* After any 3yz to DATA (RFC 5321 4.2.1: the intermediate reply of a
   * command group) a client may take its lines for its message, to the
   * "."; what they say inside it ("DATA" too) is no command of its own. */
  if (j->msg_open || j->prev_client != SC_VERB_DATA || j->replies_since_client > 0 ||
      it->verb == SC_VERB_QUIT || it->verb == SC_VERB_RSET ||
      !pending_has(j, SC_VERB_DATA, it->tls) || pairing_uncertain(j, it->tls))
    return;
  verdict(j, SC_V_SMUGGLING,
          "sent '%s' right behind DATA at %llu ms, before any reply (RFC 2920 3.1: DATA ends a "
          "group; the message follows the 354): a server that refuses DATA reads it as commands",
          line, (unsigned long long)it->t);
}

/* A line that reads as message text, not as a command: a header field
 * (RFC 5322 2.2: a name of printable characters but colon, then a colon;
 * no command has that form), or the first line of the configured message. */
static int message_text(const struct sf_config *cfg, const struct wire_item *it)
{
  size_t name = 0;
  while (name < it->len && it->text[name] > ' ' && it->text[name] < 0x7f && it->text[name] != ':')
    name++;
  if (name > 0 && name < it->len && it->text[name] == ':')
    return 1;
  const char *m = cfg->message;
  size_t n = m ? cfg->message_len : 0, first = 0;
  while (first < n && m[first] != '\r' && m[first] != '\n')
    first++;
  return first > 0 && first == it->full_len && jc_same(m, it->text, it->len);
}

/* RFC 5321 4.1.1.4: only a 3yz to DATA lets the message follow. A message
 * sent after DATA was refused (or answered 2yz) is read by the server as
 * commands. Judged on the client's first line after the answer to DATA
 * when it reads as message text, unless the pairing of replies is
 * uncertain. */
static void check_after_refused_data(struct judge *j, const struct wire_item *it, const char *line)
{
  if (j->prev_client != SC_VERB_DATA || j->data_code < 0 || j->data_code / 100 == 3 ||
      pairing_uncertain(j, it->tls) || !message_text(j->cfg, it))
    return;
  verdict(j, SC_V_SMUGGLING,
          "sent its message ('%s') after DATA was answered %d, not 354 (RFC 5321 4.1.1.4): the "
          "server reads it as commands",
          line, j->data_code);
}

/* The client's line after a "." that came where the message has its lone
 * dot (check_dot_stuffing()): the message's next line, or after its last
 * line the client's own ".", is the message going on. */
static void check_after_message_dot(struct judge *j, const struct wire_item *it)
{
  size_t at = j->dot_ended - 1;
  j->dot_ended = 0;
  const char *next;
  size_t len;
  if (!message_line(j->cfg, at + 1, &next, &len)) {
    next = ".";
    len = 1;
  }
  if (it->full_len == len && it->len == len && jc_same(next, it->text, len))
    verdict(j, SC_V_SMUGGLING,
            "ended its message at line %zu, the message's own '.' line sent without "
            "dot-stuffing (RFC 5321 4.5.2): the server reads the rest of it as commands",
            at + 1);
}

/* A 3yz at the head of a server line not ended when the client sent `it`:
 * the line still under way, or one cut off since the client's last line
 * (by a stall or by bytes written outside TLS), the other line after it or
 * not. After DATA, such a head may be what a client took for DATA's
 * answer, cut short by its timeout, before it sent its message (libESMTP,
 * found by fuzz_libesmtp; also where a line under way behind bytes written
 * outside TLS said 250, which libESMTP, its TLS stream broken there, never
 * read). */
static int open_head_3yz(const struct judge *j, const struct wire_item *it)
{
  return (it->server_open && it->server_open_code / 100 == 3) || j->cut_code / 100 == 3;
}

/* What a client line says of the message: its line ends and dots, and
 * whether it was sent where the server reads commands. The state of the
 * message under way starts at DATA and ends at its "." line; BDAT chunks
 * are data no rule here concerns. */
static void check_message(struct judge *j, const struct wire_item *it, const char *line)
{
  check_line_ends(j, it, line);
  if (it->chunk)
    return;
  if (j->dot_ended)
    check_after_message_dot(j, it);
  if (it->verb == SC_VERB_DATA) {
    j->body_lines = 0;
    j->last_body_len = SIZE_MAX;
    j->stuffed_lone = 0;
    j->data_code = -1;
    return;
  }
  /* The line right behind DATA is message text to the client
   * (client_verb()): after a 3yz, or a line's head that may have been one. */
  if (j->prev_client == SC_VERB_DATA && it->verb == SC_VERB_BODY)
    j->msg_open = 1;
  check_dot_stuffing(j, it, line);
  check_behind_data(j, it, line);
  check_after_refused_data(j, it, line);
  if (dot_alone(it))
    j->msg_open = j->stray_3yz = 0;
}

static void judge_after_421(struct judge *j, const struct wire_item *it, const char *line);

/* The held line, if any, judged now: no command of its group followed it
 * back to back. */
static void release_held(struct judge *j)
{
  j->group_421 = 0;
  if (!j->held)
    return;
  j->held = 0;
  judge_after_421(j, &j->held_it, j->held_line);
}

/* The command the client's line says, whatever the server takes it for. */
static enum sc_verb said_verb(const struct wire_item *it)
{
  return it->chunk ? SC_VERB_BODY : sc_classify((const char *)it->text, it->len);
}

static void check_after_421(struct judge *j, const struct wire_item *it, const char *line)
{
  /* The words the client wrote, whatever the server would take them for:
   * after a 334 or 354 that followed the 421, a server reads "QUIT" as SASL
   * data or message text, but the client said QUIT. */
  if (!j->closing.on)
    return;
  enum sc_verb said = said_verb(it);
  j->rep->after_421 |= 1u << said;
  int empty_message_end = j->data_opened_after_421 && dot_alone(it);
  j->data_opened_after_421 = 0;
  if (empty_message_end)
    return;
  /* RFC 3030 2: a BDAT's chunk follows it at once, no reply between. */
  if (it->chunk && j->group_chunk)
    return;
  j->group_chunk = 0;
  /* A group's end (DATA, BDAT) is held by nothing: no more of the group
   * can follow it to show the group. */
  if (j->group_421 && group_member(said) && (j->group_shown || j->held || group_goes_on(said))) {
    if (j->held)
      j->group_shown = 1;
    if (!j->group_shown) {
      j->held = 1;
      j->held_it = *it;
      snprintf(j->held_line, sizeof j->held_line, "%s", line);
      return;
    }
    j->held = 0;
    j->group_421 = group_goes_on(said);
    j->group_chunk = said == SC_VERB_BDAT;
    return;
  }
  release_held(j);
  if (said == SC_VERB_QUIT)
    return;
  judge_after_421(j, it, line);
  /* A BDAT's chunk is part of it, judged with it: a BDAT that was the
   * answer owed to a reply the 421 came behind brings its chunk (libESMTP,
   * found by fuzz_libesmtp). */
  j->group_chunk = said == SC_VERB_BDAT;
}

static void judge_after_421(struct judge *j, const struct wire_item *it, const char *line)
{
  int past_any = close_past_grace(&j->closing, it);
  size_t before = j->closing_end.next;
  int past_end = close_past_grace(&j->closing_end, it);
  /* Each command of grace takes one reply the client reads before the
   * 421, and the last takes the 421 itself. With replies injected after the
   * 220 among them, that is the command a client that kept them takes it
   * for, as the grace supposes, not the one the server answered with it
   * (libESMTP took an injected 235 for its EHLO's answer, an injected 250
   * for MAIL's, and the 421 to its EHLO for RCPT's: a failed recipient;
   * found by fuzz_libesmtp). */
  const struct closing *c = &j->closing_end;
  if (c->injected && before < c->ngrace && c->next == c->ngrace) {
    struct pending p = {.verb = said_verb(it), .sasl = sasl_answer(j)};
    j->rep->answered_421 = took_for(&p);
  }
  if (past_end) {
    /* A 421 that ended its reply was ignored too: that reason, not the
     * one about a 421 on no line that ends a reply, if that came first. */
    if (j->ignored_hidden_421) {
      j->rep->verdicts &= ~ORACLE_BIT(SC_V_IGNORED_421);
      j->ignored_hidden_421 = 0;
    }
    verdict(j, SC_V_IGNORED_421,
            "sent '%s' after the server's 421 (RFC 5321 3.8: it closes; only QUIT may follow)",
            line);
  } else if (past_any && !(j->rep->verdicts & ORACLE_BIT(SC_V_IGNORED_421))) {
    j->ignored_hidden_421 = 1;
    verdict(j, SC_V_IGNORED_421,
            "after a 421 on no line that ends a reply (RFC 5321 4.2.1: one code per reply), sent "
            "'%s' (RFC 5321 3.8: only QUIT may follow)",
            line);
  }
}

static void on_client_plain(struct judge *j, const struct wire_item *it, const char *line)
{
  const struct sf_config *cfg = j->cfg;
  enum sc_verb v = it->verb;
  int sasl = v == SC_VERB_AUTH || (v == SC_VERB_AUTH_DATA && (j->prev_client == SC_VERB_AUTH ||
                                                              j->prev_client == SC_VERB_AUTH_DATA));
  if (sasl && !cfg->allow_plaintext_auth)
    verdict(j, SC_V_LEAK_AUTH, "%s sent in plaintext at %llu ms: '%s'", sc_verb_name(v),
            (unsigned long long)it->t, line);
  int mail = v == SC_VERB_MAIL || v == SC_VERB_RCPT || v == SC_VERB_DATA || v == SC_VERB_BODY ||
             v == SC_VERB_BDAT || it->chunk;
  if (mail && cfg->tls == SF_TLS_REQUIRED)
    verdict(j, SC_V_LEAK_MAIL, "%s sent in plaintext at %llu ms under tls=required: '%s'",
            it->chunk ? "BDAT data" : sc_verb_name(v), (unsigned long long)it->t, line);
  if (cfg->tls == SF_TLS_REQUIRED && cfg->mode == SF_MODE_IMPLICIT)
    verdict(j, SC_V_DOWNGRADE, "implicit-TLS client sent SMTP in plaintext at %llu ms: '%s'",
            (unsigned long long)it->t, line);
  /* Not where STARTTLS took a 2xx sent ahead of it for its answer (curl
   * reads ahead, and sent its TLS hello behind the 220 it took: found by
   * the CI fuzz smoke): INJECTION's below. */
  int refused = j->refused && j->starttls_took / 100 != 2;
  if (cfg->tls == SF_TLS_REQUIRED && starttls_mode(j) && (refused || j->no_starttls) &&
      !harmless_before_tls(v))
    verdict(j, SC_V_DOWNGRADE,
            "went on in plaintext after STARTTLS was %s (RFC 8314 5.2): '%s' at %llu ms",
            j->refused ? "refused" : "not offered", line, (unsigned long long)it->t);
  /* A reply no command asked for was there to be read before STARTTLS's
   * own: a client that goes on in plaintext behind STARTTLS took it for the
   * answer, whether or not the 220 had also come by then (the order of the
   * two is the machine's timing, the verdict must not be). */
  if (v == SC_VERB_STARTTLS)
    j->ahead = j->surplus > 0;
  if (j->ahead &&
      (j->after_220 || pending_has(j, SC_VERB_STARTTLS, 0) || j->starttls_took / 100 == 2) &&
      !j->tls_up && v != SC_VERB_QUIT)
    verdict(j, SC_V_INJECTION,
            "sent '%s' in plaintext behind STARTTLS: it took a reply sent ahead of STARTTLS, "
            "which no command had asked for, for the answer (RFC 2920 3.1, RFC 3207 4.2)",
            line);
  /* The client agreed to TLS (its STARTTLS got 220): whatever it says next
   * in plaintext, under any policy, goes where it meant TLS to be. */
  else if (j->after_220 && !j->unclear_220 && !j->tls_up && v != SC_VERB_QUIT)
    verdict(j, SC_V_DOWNGRADE,
            "sent '%s' in plaintext after the 220 to its STARTTLS, instead of its TLS hello", line);
  if (j->injected && !j->unclear_220 && v != SC_VERB_QUIT)
    verdict(j, SC_V_INJECTION,
            "sent '%s' in plaintext after a STARTTLS answer that carried bytes after its 220",
            line);
  /* RFC 3207 4 and RFC 2920 3.1: STARTTLS ends a group; nothing may follow it
   * before its answer, or a server that keeps the bytes runs them inside TLS
   * (the CVE-2011-0411 class), and the client meant them for TLS. Not a QUIT
   * behind a reply sent ahead: the client took that reply for a refusal and
   * gives up (any other command there is judged above). */
  if (pending_has(j, SC_VERB_STARTTLS, 0) && !(j->ahead && v == SC_VERB_QUIT))
    verdict(j, SC_V_INJECTION,
            "sent '%s' in plaintext after STARTTLS, before its answer (RFC 3207 4: nothing may "
            "follow STARTTLS until the reply)",
            line);
  check_after_421(j, it, line);
  check_message(j, it, line);
}

/* Over TLS the client relies on something the post-TLS EHLO did not
 * announce (yet): blame the injected flight, or the pre-TLS EHLO (stale). */
static void relies_on(struct judge *j, unsigned post, unsigned pre, unsigned inj, unsigned bit,
                      const char *what, const char *line)
{
  if (post & bit)
    return;
  if (inj & bit)
    verdict(j, SC_V_INJECTION,
            "used %s over TLS, which only the bytes injected after the 220 to STARTTLS "
            "announced: '%s'",
            what, line);
  if (pre & bit)
    verdict(j, SC_V_STALE_CAPS,
            "used %s over TLS, which only the pre-TLS EHLO announced (RFC 3207 4.2): '%s'", what,
            line);
}

/* Where the parameters of "MAIL FROM:<path> params" (or RCPT TO:) begin:
 * after the '>' that closes the path (RFC 5321 4.1.2: a '>' inside a quoted
 * local part does not). Whatever the path holds, even text that looks like
 * a parameter, is the address. Without a '<', after the second token. */
static size_t path_end(const uint8_t *p, size_t n)
{
  const uint8_t *lt = memchr(p, '<', n);
  if (!lt) {
    const uint8_t *tok;
    size_t len;
    return token(p, n, 1, &tok, &len) ? (size_t)(tok - p) + len : n;
  }
  int quoted = 0;
  for (size_t i = (size_t)(lt - p) + 1; i < n; i++) {
    if (quoted && p[i] == '\\')
      i++;
    else if (p[i] == '"')
      quoted = !quoted;
    else if (!quoted && p[i] == '>')
      return i + 1;
  }
  return n;
}

/* The capability an ESMTP parameter of MAIL or RCPT relies on; 0 if none we
 * judge. */
static unsigned param_cap(const uint8_t *p, size_t len)
{
  static const struct {
    const char *prefix;
    unsigned bit;
  } params[] = {
      {"SIZE=", CAP_SIZE},
      {"BODY=8BITMIME", CAP_8BITMIME},
      {"BODY=BINARYMIME", CAP_BINARYMIME},
      {"RET=", CAP_DSN},
      {"ENVID=", CAP_DSN},
      {"NOTIFY=", CAP_DSN},
      {"ORCPT=", CAP_DSN},
      {"SMTPUTF8", CAP_SMTPUTF8},
      {"REQUIRETLS", CAP_REQUIRETLS},
  };
  for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
    size_t n = strlen(params[i].prefix);
    int whole = params[i].prefix[n - 1] != '=' && params[i].prefix[n - 1] != 'E';
    if (whole ? word_eq(p, len, params[i].prefix) : len >= n && jc_ieq(p, params[i].prefix, n))
      return params[i].bit;
  }
  return 0;
}

/* The client's next command comes after it waited in silence, as long as
 * the slack a live run's scheduling may need or longer, for replies still
 * due: it gave up on them and went on. */
static int gives_up(const struct judge *j)
{
  return j->npending > 0 && j->quiet >= ORACLE_TIMEOUT_SLACK_MS;
}

/* Bytes of a server line that had not ended came before this command
 * (still under way, or the last line the server sent before it stalled):
 * a client may have taken them for the reply it waited for, cut short by
 * its timeout or by the size of its buffer (libESMTP does both, over TLS
 * and in plaintext, found by fuzz_libesmtp). Once per such line they count
 * as a reply: over TLS one that answered nothing, which the client's
 * commands in flight take in order (on_client_tls()); in plaintext, as
 * on_reply() pairs one, the answer to the oldest command waiting, or to
 * none (take_plain_surplus()). Over TLS too, the answer to the message's
 * end when that waits first: a client that goes on from there took a line
 * that had not ended for the message's answer. Not where whole replies
 * were injected, which the client may have taken as well (INJECTION's
 * accounting). Once more where the line grew while the client waited in
 * silence for it: a client whose timeout cuts a line takes each new part
 * for a reply (libESMTP took two parts of one line, each at a timeout, for
 * the answers to a password and to the "*" it sent behind it; the oracle,
 * with one, called its MAIL and RCPT pipelining: found by fuzz_libesmtp). */
static void take_open_line(struct judge *j, const struct wire_item *it)
{
  if (!(it->server_open || j->open_line) || j->inj_replies > 0)
    return;
  int grew = it->server_open > j->open_taken_len && j->quiet >= ORACLE_TIMEOUT_SLACK_MS;
  if (j->open_taken && !grew)
    return;
  j->open_taken = 1;
  j->open_taken_len = it->server_open;
  /* Over TLS the message's end, waiting first with no unasked reply ahead
   * of the line, takes it as in plaintext: the line completed later
   * answers the next command. */
  int msg_end_first = j->npending > 0 && (j->pending[0].ends_msg || j->pending[0].dot) &&
                      j->msg_code < 0 && j->unread[1].n == 0;
  if (it->tls && !msg_end_first) {
    surplus_add(j, 1, j->open_line ? j->open_code : -1);
  } else if (j->npending > 0) {
    struct pending p = pending_pop(j);
    if ((p.ends_msg || p.dot) && j->msg_code < 0)
      j->msg_part_code = it->server_open ? it->server_open_code : j->open_code;
  } else {
    j->surplus++;
    surplus_add(j, 0, -1);
  }
}

static void on_client_tls(struct judge *j, const struct wire_item *it, const char *line)
{
  enum sc_verb v = it->verb;
  /* RFC 3207 4.1: a client that finds the authentication not good enough
   * SHOULD say QUIT at once, over TLS; that is all it may say. */
  if (j->cert_bad && j->cfg->verify && v != SC_VERB_QUIT)
    verdict(j, SC_V_CERT, "sent '%s' over TLS after the server presented %s", line, j->cert_what);
  check_after_421(j, it, line);
  check_message(j, it, line);
  if (data_line(it))
    return;
  /* A line of the SASL exchange too: the client took what it had of a
   * line under way for the challenge it answers. */
  take_open_line(j, it);
  if (v == SC_VERB_AUTH_DATA)
    return;
  /* Replies the server sent inside TLS that answered no command: a client
   * reading reply by reply takes them, in order, for the answers to its
   * commands in flight. The server's own doing, and no pipelining. */
  for (; j->unread[1].n > 0 && j->npending > 0 && v != SC_VERB_QUIT; surplus_take(j, 1)) {
    struct pending p = pending_pop(j);
    if (j->npending == 0)
      j->last_answer = surplus_first(j, 1);
    name_421_answer(j, 1, &p);
    surplus_taken(j, &p, surplus_first(j, 1));
  }
  /* A command sent after the client waited in silence, as long as the
   * slack a live run's scheduling may need or longer, for replies that had
   * not come: it gave up on them and went on, which it would do whatever
   * PIPELINING said (libESMTP after its own timeouts, found by
   * fuzz_libesmtp). The late ones, if they come, are what it takes for the
   * answers to its later commands: from here on it waits for that many
   * fewer replies than the oracle pairs with commands. */
  if (gives_up(j))
    j->given_up = j->npending;
  int first = j->tls_cmds++ == 0;
  if (!starttls_mode(j))
    return;
  /* RFC 3207 4.2: after the handshake the client knows nothing and says
   * EHLO first. */
  if (first && j->injected && v != SC_VERB_EHLO && v != SC_VERB_HELO)
    verdict(j, SC_V_INJECTION,
            "after a STARTTLS answer with injected bytes, the first command over TLS was '%s', "
            "not EHLO",
            line);
  /* Accounting: a command over TLS while one that needs its reply first is
   * still unanswered over TLS means the client took some other bytes for
   * that reply, and the only others are the ones injected in plaintext. */
  const struct pending *p = unanswered_sync(j, 1);
  if (p && j->injected)
    verdict(j, SC_V_INJECTION,
            "sent '%s' over TLS before the reply to its '%s' had arrived over TLS: it took bytes "
            "injected in plaintext after the 220 for that reply",
            line, sc_verb_name(p->verb));
  if (v == SC_VERB_EHLO || v == SC_VERB_HELO) {
    j->tls_hello = 1;
    return;
  }
  if ((v == SC_VERB_AUTH || v == SC_VERB_MAIL || v == SC_VERB_BDAT) && !j->tls_hello)
    verdict(j, SC_V_STALE_CAPS, "sent '%s' over TLS without a post-TLS EHLO (RFC 3207 4.2)", line);
  unsigned post = j->post.flags, pre = j->pre.flags, inj = j->inj.flags;
  /* A command before the last one's reply is pipelining (RFC 2920), as
   * the client counts its replies: past those it gave up on, and as many
   * as the lines without a code it may have read for replies. */
  if (v != SC_VERB_QUIT && j->npending > j->given_up + (size_t)j->loose) {
    /* A client that kept the replies injected after the 220 reads its
     * answers from them first, every later one shifted by as many: up to
     * that many commands out ahead of their replies are that client
     * reading in order, no pipelining (libESMTP, found by fuzz_libesmtp). */
    if (!(post & CAP_PIPELINING) && j->npending - j->given_up <= (size_t)j->inj_replies)
      verdict(j, SC_V_INJECTION,
              "sent '%s' over TLS before the reply to its '%s' with no PIPELINING announced "
              "over TLS: a reply injected after the 220 may have answered it",
              line, sc_verb_name(j->pending[j->npending - 1].verb));
    relies_on(j, post, pre, inj, CAP_PIPELINING, "PIPELINING", line);
  }
  if (v == SC_VERB_BDAT)
    relies_on(j, post, pre, inj, CAP_CHUNKING, "CHUNKING", line);
  const uint8_t *tok;
  size_t len;
  if (v == SC_VERB_AUTH && token(it->text, it->len, 1, &tok, &len)) {
    unsigned bit = mech_bit(tok, len);
    relies_on(j, j->post.auth, j->pre.auth, j->inj.auth, bit, "an AUTH mechanism", line);
  }
  if (v == SC_VERB_MAIL || v == SC_VERB_RCPT) {
    size_t after = path_end(it->text, it->len), pos = 0;
    while (next_token(it->text + after, it->len - after, &pos, &tok, &len)) {
      unsigned cap = param_cap(tok, len);
      if (cap)
        relies_on(j, post, pre, inj, cap, "an ESMTP parameter", line);
    }
  }
}

/* RFC 5321 4.5.3.2 timeouts: which one governs the wait after `v`. */
static uint32_t phase_timeout(const struct judge *j)
{
  const uint32_t *t = j->cfg->timeout_ms;
  uint32_t greet = t[SF_PHASE_GREETING] > t[SF_PHASE_TLS] ? t[SF_PHASE_GREETING] : t[SF_PHASE_TLS];
  if (j->last_hello)
    return j->cfg->mode == SF_MODE_IMPLICIT ? greet : t[SF_PHASE_TLS];
  switch (j->last_verb) {
  case SC_VERB_CONNECT:
    return j->cfg->mode == SF_MODE_IMPLICIT ? greet : t[SF_PHASE_GREETING];
  case SC_VERB_EHLO:
  case SC_VERB_HELO:
    return t[SF_PHASE_EHLO];
  case SC_VERB_STARTTLS:
    return t[SF_PHASE_STARTTLS] > t[SF_PHASE_TLS] ? t[SF_PHASE_STARTTLS] : t[SF_PHASE_TLS];
  case SC_VERB_AUTH:
  case SC_VERB_AUTH_DATA:
    return t[SF_PHASE_AUTH];
  case SC_VERB_MAIL:
    return t[SF_PHASE_MAIL];
  case SC_VERB_RCPT:
    return t[SF_PHASE_RCPT];
  case SC_VERB_DATA:
    return t[SF_PHASE_DATA];
  case SC_VERB_BODY:
  case SC_VERB_BDAT:
    return t[SF_PHASE_BODY];
  case SC_VERB_QUIT:
    return t[SF_PHASE_QUIT];
  default: {
    uint32_t m = 0;
    for (int i = 0; i < SF_PHASE_COUNT; i++)
      m = t[i] > m ? t[i] : m;
    return m;
  }
  }
}

/* RFC 5321 4.1 and 4.3: the client speaks, the server answers; between
 * the two the client waits only for an answer it is owed. Nothing is owed
 * when every command had its whole answer, with no TLS handshake under
 * way, the server reading, not closed, not stalling or silent by the
 * scenario's choice, no line of its left open or ended by a bare LF (a
 * client may wait for the CRLF), no bytes of its written outside TLS while
 * it was up (a record begun there is the server's to end: the client waits
 * for the rest), and replies paired without doubt (no line that clients
 * take differently for a reply's end, for one). After QUIT's answer the
 * client may wait for the close. */
static int owes_nothing(const struct judge *j)
{
  return !j->ended && j->npending == 0 && !pairing_uncertain(j, j->tls_up) && !j->open_line &&
         !j->server_partial && !j->deaf && !j->tls_pending && !j->closed && !j->server_holds &&
         !j->bare_lf && !j->raw && j->last_verb != SC_VERB_QUIT;
}

/* Activity on the wire: the gap since the last one must fit the timeout of
 * the phase the client was in, and time passes only while the client is
 * owed an answer: one that lets it pass owed nothing (more than the slack
 * a wire recorded live has between a reply and the next command) waits for
 * the answer to a command it has not sent, while the server waits for it.
 * (A client line that ends such a wait while a server line is still being
 * gathered, `server_open`, came while the client was reading that line.) */
static void activity(struct judge *j, const struct wire_item *it)
{
  if (it->t > j->last_t + ORACLE_TIMEOUT_SLACK_MS && owes_nothing(j) && !it->server_open)
    verdict(j, SC_V_HANG,
            "waited %llu ms after %s, owed nothing: every command had its answer (a deadlock: "
            "it waits on a command it has not sent)",
            (unsigned long long)(it->t - j->last_t),
            j->last_hello ? "its TLS hello" : sc_verb_name(j->last_verb));
  uint64_t limit = phase_timeout(j);
  /* A server that reads nothing keeps the client's next send from leaving:
   * that wait is bounded by the send timer (RFC 5321 4.5.3.2.5). */
  if (j->deaf && j->cfg->timeout_ms[SF_PHASE_BLOCK] > limit)
    limit = j->cfg->timeout_ms[SF_PHASE_BLOCK];
  limit += ORACLE_TIMEOUT_SLACK_MS;
  const char *after = j->last_hello ? "its TLS hello" : sc_verb_name(j->last_verb);
  /* A wait that began with a server line begun and not ended says so: a
   * client whose timeout bounds each read takes that part for a line when
   * it runs out, then waits as long again for the next (libESMTP, found by
   * fuzz_libesmtp). */
  if (!j->ended && it->t > j->last_t && it->t - j->last_t > limit)
    verdict(j, SC_V_HANG, "waited %llu ms after %s%s (the phase's timeout is %u ms)",
            (unsigned long long)(it->t - j->last_t), after,
            j->line_part ? ", a server line begun and not ended" : "", phase_timeout(j));
  /* RFC 5321 4.5.3.2: a timeout bounds the wait for a whole reply. Lines
   * that end no reply (or bytes that make no line), each in time, do not
   * end the wait: a client still there past its timeout when a line comes
   * lets a server that trickles a reply hold it for ever. */
  int server_line = it->kind == WIRE_S_DATA || it->kind == WIRE_S_RAW;
  int partial = server_line && !(it->kind == WIRE_S_DATA && it->final && it->code >= 0 && it->eol);
  /* A client line that goes out past that deadline, with bytes of a line
   * come in time since, was held so too (libESMTP's timeout bounds each
   * read: found by fuzz_libesmtp). */
  int held = server_line || (it->kind == WIRE_C_DATA && j->server_partial);
  if (held && !j->ended && it->t - j->last_t <= limit && it->t > j->wait_t &&
      it->t - j->wait_t > limit)
    verdict(j, SC_V_HANG,
            "waited %llu ms after %s for a whole reply, taking its lines as they trickled in "
            "(the phase's timeout is %u ms)",
            (unsigned long long)(it->t - j->wait_t), after, phase_timeout(j));
  if (!partial)
    j->wait_t = it->t;
  if (it->kind == WIRE_C_DATA && it->server_open)
    j->line_part = 1;
  if (server_line) {
    j->line_part = it->eol == 0;
    j->server_partial = partial;
    j->server_holds = 0;
    j->bare_lf |= it->kind == WIRE_S_DATA && it->eol == 2;
    j->raw |= it->kind == WIRE_S_RAW && it->len > 0;
  }
  j->quiet = it->t > j->last_t ? it->t - j->last_t : 0;
  /* Time never runs back: a line the server never ended comes out when
   * something else ends it, with the time its first byte came (libESMTP's
   * greeting cut short, then its QUIT 300 s later: found by fuzz_libesmtp). */
  if (it->t > j->last_t)
    j->last_t = it->t;
}

/* A command in plaintext takes the oldest reply that answered nothing, if
 * one is unread, for its answer (`sasl`: the line answers a 3yz of the
 * client's SASL exchange, as the client had paired replies before it), as
 * on_client_tls() pairs those inside TLS: a first 421 among them answers
 * the command that takes it, and a 3yz makes the client's next line its
 * SASL answer (libESMTP answered a 334 and a second one no line had asked
 * for with '*' each, and took the 421 behind them for the failure of its
 * mechanism: found by fuzz_libesmtp). Returns the code of the reply taken
 * (-1: not known), or TOOK_NONE. */
static int take_plain_surplus(struct judge *j, const struct wire_item *it, int sasl)
{
  if (j->unread[0].n == 0)
    return TOOK_NONE;
  struct pending p = pending_of(it, sasl);
  name_421_answer(j, 0, &p);
  int code = surplus_first(j, 0);
  surplus_take(j, 0);
  surplus_taken(j, &p, code);
  return code;
}

/* Bytes of a server line not ended came at t: activity of their own. */
static void line_bytes_came(struct judge *j, int tls, uint64_t t)
{
  struct wire_item bytes = {.kind = WIRE_S_DATA, .tls = tls, .t = t};
  bytes.code = -1;
  activity(j, &bytes);
}

/* The writes that brought bytes of a server line before an item: activity
 * of their own, those not before the last. Between the first and the
 * latest no two in a row came further apart than `gap`, so only that gap
 * can be too long a wait: it is judged as the one that ended at the latest
 * (a wait of 300 s per read, held by 9 bytes that came 6 s into it: found
 * by fuzz_libesmtp, where only the latest write was known). */
static void line_parts_came(struct judge *j, int tls, const struct wire_parts *p)
{
  if (p->n == 0 || p->last_t < j->last_t)
    return;
  if (p->first_t >= j->last_t)
    line_bytes_came(j, tls, p->first_t);
  if (p->last_t - p->gap > j->last_t)
    j->last_t = p->last_t - p->gap;
  line_bytes_came(j, tls, p->last_t);
}

/* A client line as the client meant it. The wire classifies lines as the
 * server reads them; after an unasked 334 or 354 the server takes a QUIT for
 * SASL data or message text, but it is neither a credential nor mail unless
 * the client itself began AUTH or DATA. The other way round, once its DATA
 * got a 354 (or any 3yz, as check_behind_data() allows) the client's lines
 * are its message up to the "." line (so too when a reply inside TLS that
 * answered nothing waits for it, a 3yz it takes for DATA's answer:
 * libESMTP, found by fuzz_libesmtp; or one in plaintext that DATA took,
 * take_plain_surplus()), whatever the server said in between
 * (RFC 5321 4.1.1.4: the data is one command, and a client sending it is
 * not reading): a reply in the middle of the message makes the server read
 * the rest as commands, not the client send them. */
static enum sc_verb client_verb(const struct judge *j, const struct wire_item *it)
{
  enum sc_verb prev = j->prev_client;
  if (it->chunk)
    return it->verb;
  if ((prev == SC_VERB_DATA && j->replies_since_client > 0 &&
       (j->turn_codes[0] == 354 || j->data_code / 100 == 3)) ||
      (prev == SC_VERB_DATA && it->tls && surplus_first(j, 1) / 100 == 3) ||
      (prev == SC_VERB_DATA && !it->tls && j->last_answer / 100 == 3) ||
      (prev == SC_VERB_DATA && open_head_3yz(j, it)) || (prev == SC_VERB_BODY && !j->body_ended))
    return SC_VERB_BODY; /* in its message */
  if (it->verb == SC_VERB_AUTH_DATA && prev != SC_VERB_AUTH && prev != SC_VERB_AUTH_DATA)
    return sc_classify((const char *)it->text, it->len);
  if (it->verb == SC_VERB_BODY && prev != SC_VERB_DATA)
    return sc_classify((const char *)it->text, it->len);
  return it->verb;
}

/* The certificate the server presented, from its TLS_UP event:
 * "<kind> <name> (...)". Bad unless it is valid and names the host the
 * client was told to expect. */
static void on_tls_up(struct judge *j, const struct wire_item *it)
{
  j->tls_up = 1;
  j->given_up = 0;
  j->loose = 0;
  j->line_pieces = 0;
  j->after_220 = 0;
  j->unclear_220 = 0;
  /* Room for any kind, a name of SF_HOST_NAME_MAX and the details; off
   * the stack of on_item(), which this is inlined into and which runs for
   * every line (ASan poisons a frame's arrays on every call). */
  static _Thread_local char what[SF_HOST_NAME_MAX + 96];
  size_t n = it->len < sizeof what - 1 ? it->len : sizeof what - 1;
  memcpy(what, it->text, n);
  what[n] = '\0';
  /* "<kind> <name>[ (<details>)]": the name runs to the details. */
  char *sp = strchr(what, ' ');
  char *name = sp ? sp + 1 : (char *)"";
  if (sp)
    *sp = '\0';
  const uint8_t *details = jc_find(name, strlen(name), " (", 2);
  if (details)
    name[details - (const uint8_t *)name] = '\0';
  const char *host = j->cfg->host ? j->cfg->host : "";
  j->cert_bad = !jc_streq(what, "valid") || !same_host(name, host);
  /* "an expired certificate", "a valid certificate". */
  const char *article = what[0] && strchr("aeiou", what[0]) ? "an" : "a";
  snprintf(j->cert_what, sizeof j->cert_what, "%s %s certificate for '%s'%s", article, what, name,
           jc_find(it->text, it->len, "resumed", 7) ? " (a resumed session)" : "");
  /* RFC 3207 4.2: nothing asked before TLS is answered inside it. */
  size_t k = 0;
  for (size_t i = 0; i < j->npending; i++)
    if (j->pending[i].tls)
      j->pending[k++] = j->pending[i];
  j->npending = k;
}

/* A server line over TLS that goes on from one that had not ended (the
 * wire splits a line where bytes went outside TLS in its middle) is one
 * line to a client that reads it: its code, and whether it ends a reply,
 * are its head's. The copy in `own` is that line, its head's first four
 * bytes and this part's (at most WIRE_MAX_LINE); the head's other bytes
 * are not in it. A client that read the lines as
 * the server split them took "334 ..." for a 334 and then "250-mx" for the
 * first line of a reply that never ended: libESMTP, which took the head
 * for the answer to its DATA at its timeout and then sent its message;
 * the oracle, which read the part alone, held DATA unanswered and called
 * its "." pipelining (found by fuzz_libesmtp). */
static const struct wire_item *whole_line(struct judge *j, const struct wire_item *it,
                                          struct wire_item *own)
{
  static _Thread_local uint8_t joined[4 + WIRE_MAX_LINE];
  if (j->open_line && it->tls) {
    size_t k = j->open_head_len;
    memcpy(joined, j->open_head, k);
    memcpy(joined + k, it->text, it->len);
    *own = *it;
    own->text = joined;
    own->len = k + it->len;
    own->full_len = k + it->full_len;
    own->code = wire_reply_code(joined, own->len);
    own->final = own->code >= 0 && (own->len == 3 || joined[3] != '-');
    it = own;
  }
  if (it->tls && !it->eol) {
    j->open_head_len = it->len < 4 ? it->len : 4;
    memcpy(j->open_head, it->text, j->open_head_len);
  }
  return it;
}

static void on_item(void *ctx, const struct wire_item *wire_it)
{
  struct judge *j = ctx;
  char line[64];
  /* A client line is judged with the verb the client meant; the copy is
   * made only for those. */
  struct wire_item own;
  const struct wire_item *it = wire_it;
  if (wire_it->kind == WIRE_C_DATA) {
    own = *wire_it;
    own.verb = client_verb(j, wire_it);
    it = &own;
  } else if (wire_it->kind == WIRE_S_DATA) {
    it = whole_line(j, wire_it, &own);
  }
  /* Bytes of a server line that came before this item: of this line if it
   * is one that came in parts, else of one not ended yet. */
  line_parts_came(j, it->tls, &it->parts);
  switch (it->kind) {
  case WIRE_S_DATA:
    activity(j, it);
    on_server_line(j, it);
    return;
  case WIRE_C_DATA: {
    int sasl = sasl_answer(j);
    count_pieces(j, it->server_open, 0);
    activity(j, it);
    excerpt(it, line, sizeof(line));
    if (it->tls)
      on_client_tls(j, it, line);
    else
      on_client_plain(j, it, line);
    if (!it->tls && !data_line(it))
      take_open_line(j, it);
    int took = !it->tls && !data_line(it) ? take_plain_surplus(j, it, sasl) : TOOK_NONE;
    if (!it->chunk) {
      j->prev_client = it->verb;
      j->body_ended = it->verb == SC_VERB_BODY && dot_alone(it);
    }
    if (!data_line(it) && gives_up(j)) {
      j->gave_up = 1;
      /* The replies it gave up on, in plaintext as over TLS
       * (on_client_tls()): the late ones answer its later commands (libESMTP
       * after its AUTH timed out twice, found by the CI fuzz smoke). */
      if (!it->tls)
        j->given_up = j->npending;
    }
    push_pending(j, it);
    if (took != TOOK_NONE)
      j->last_answer = took;
    if (it->verb == SC_VERB_STARTTLS && !it->tls)
      j->starttls_took = took == TOOK_NONE ? -1 : took;
    j->replies_since_client = 0;
    j->surplus_at_line = j->unread[1].n;
    j->cut_code = -1;
    j->nowed = 0;
    j->post_open = 0;
    if (!data_line(it)) {
      j->last_verb = it->verb;
      j->last_hello = 0;
    }
    return;
  }
  case WIRE_C_HELLO:
    activity(j, it);
    j->last_hello = 1;
    j->tls_pending = 1;
    /* Its TLS hello before STARTTLS was answered, with a reply that no
     * command asked for there to read first: it took that for the 220. */
    if (!it->tls && j->ahead && pending_has(j, SC_VERB_STARTTLS, 0))
      verdict(j, SC_V_INJECTION,
              "sent its TLS hello behind STARTTLS before the answer: it took a reply sent ahead "
              "of STARTTLS, which no command had asked for, for the 220 (RFC 2920 3.1, RFC 3207 "
              "4.2)");
    return;
  case WIRE_TLS_UP:
    activity(j, it);
    on_tls_up(j, it);
    j->tls_pending = 0;
    return;
  case WIRE_HANG:
    verdict(j, SC_V_HANG, "%.*s", (int)it->len, (const char *)it->text);
    return;
  case WIRE_END:
    activity(j, it);
    j->ended = 1;
    j->end_status = (enum sc_client_status)it->ev->arg;
    j->end_err = it->ev->err;
    snprintf(j->end_diag, sizeof j->end_diag, "%.*s", (int)it->len, (const char *)it->text);
    return;
  case WIRE_S_HELLO:
    activity(j, it);
    return;
  case WIRE_S_CLOSE:
  case WIRE_TLS_FAIL:
  case WIRE_C_CLOSE_NOTIFY:
    activity(j, it);
    j->closed = 1;
    j->unread_after_data |= it->kind == WIRE_S_CLOSE && j->data_sent && j->msg_ends == 0;
    return;
  case WIRE_SERVER_DEAF:
    j->deaf = 1;
    /* After DATA and before any end of a message reached it: what the
     * client sent since stays unread, and unrecorded. */
    j->unread_after_data |= j->data_sent && j->msg_ends == 0;
    return;
  case WIRE_S_RAW:
    activity(j, it); /* no reply: a correct client fails on it */
    return;
  case WIRE_TLS_START:
    j->tls_pending = 1;
    return;
  case WIRE_STALL:
  case WIRE_SERVER_HANG:
    j->server_holds = 1;
    return;
  case WIRE_KIND_COUNT:
    return;
  }
}

/* ---- secrets anywhere in the plaintext stream ----------------------------------- */

/* Everything the client sent in plaintext, in order, as one stream: a
 * password split across writes is whole again. */
#define STREAM_MAX (64 * 1024)

/* "user 0123...(32 hex)": a CRAM-MD5 response (RFC 2195). */
static int cram_response(const uint8_t *p, size_t n, const char *user)
{
  size_t ul = strlen(user);
  if (ul == 0 || n != ul + 1 + 32 || !jc_same(p, user, ul) || p[ul] != ' ')
    return 0;
  for (size_t i = ul + 1; i < n; i++)
    if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
      return 0;
  return 1;
}

/* The strings the client was configured to send for what they are (some
 * may be NULL): envelope, names, user. Returns how many. */
#define CONFIGURED_MAX (4 + SF_CONFIG_MAX_RCPT)
static size_t configured_values(const struct sf_config *cfg, const char *values[CONFIGURED_MAX])
{
  values[0] = cfg->mail_from;
  values[1] = cfg->helo_name;
  values[2] = cfg->host;
  values[3] = cfg->user;
  size_t k = 4;
  for (size_t i = 0; i < cfg->nrcpt && i < SF_CONFIG_MAX_RCPT; i++)
    values[k++] = cfg->rcpt[i];
  return k;
}

/* Whether `p[0..n)` appears in a value the client was configured to send in
 * the clear (its envelope, message or names): there it says nothing about
 * the credentials, so the scan must not count it. */
static int configured(const struct sf_config *cfg, const void *p, size_t n)
{
  const char *values[CONFIGURED_MAX];
  size_t k = configured_values(cfg, values);
  for (size_t i = 0; i < k; i++)
    if (values[i] && jc_find((const uint8_t *)values[i], strlen(values[i]), p, n))
      return 1;
  return cfg->message && jc_find((const uint8_t *)cfg->message, cfg->message_len, p, n);
}

/* A word of the protocol itself: a command verb (RFC 5321 4.1, RFC 3207,
 * RFC 4954, RFC 3030) or a SASL mechanism name. Some spell valid base64
 * ("STARTTLS" is the encoding of six bytes), but a client that sends them
 * says nothing secret, whatever a password happens to encode to. */
static int protocol_word(const uint8_t *p, size_t n)
{
  static const char *const words[] = {"EHLO",  "HELO",  "STARTTLS", "QUIT",    "MAIL",
                                      "RCPT",  "DATA",  "RSET",     "NOOP",    "AUTH",
                                      "BDAT",  "LAST",  "VRFY",     "EXPN",    "HELP",
                                      "PLAIN", "LOGIN", "CRAM-MD5", "XOAUTH2", "OAUTHBEARER"};
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strlen(words[i]) == n && jc_ieq(words[i], p, n))
      return 1;
  return 0;
}

/* Marks every occurrence of v[0..n) in the stream. */
static void mark_all(uint8_t *mask, const uint8_t *stream, size_t len, const void *v, size_t n)
{
  for (const uint8_t *at = stream; (at = jc_find(at, len - (size_t)(at - stream), v, n)) != NULL;
       at++)
    memset(mask + (at - stream), 1, n);
}

/* 1 if the token is an ESMTP parameter of MAIL or RCPT (RFC 5321 4.1.1.11:
 * "KEY=value") with a key the client may send without a secret in it. */
static int esmtp_param(const uint8_t *p, size_t n)
{
  static const char *const keys[] = {
      "SIZE=", "BODY=", "RET=", "ENVID=", "NOTIFY=", "ORCPT=", "AUTH=", "SMTPUTF8"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    size_t k = strlen(keys[i]);
    if (n >= k && jc_ieq(keys[i], p, k))
      return 1;
  }
  return 0;
}

/* Which bytes of the client's plaintext the protocol or its configuration
 * explains: line ends and blanks, protocol words, the FROM:<...> and TO:<...>
 * syntax, ESMTP parameters, a BDAT size, and every configured value sent in
 * the clear. A password that occurs only over explained bytes (a password
 * "EHLO", or one that is the client's own host name) says nothing: the
 * client sent those bytes for what they are. */
static void explain(const struct sf_config *cfg, const uint8_t *stream, size_t len, uint8_t *mask)
{
  memset(mask, 0, len);
  const char *values[CONFIGURED_MAX];
  size_t k = configured_values(cfg, values);
  for (size_t i = 0; i < k; i++)
    if (values[i])
      mark_all(mask, stream, len, values[i], strlen(values[i]));
  if (cfg->message)
    mark_all(mask, stream, len, cfg->message, cfg->message_len);
  /* Per line: the verb, AUTH's mechanism, BDAT's size and LAST. */
  size_t index = 0;
  int verb_auth = 0, verb_bdat = 0;
  for (size_t i = 0; i < len;) {
    if (stream[i] == '\r' || stream[i] == '\n')
      index = 0;
    if (is_space(stream[i]) || stream[i] == '\r' || stream[i] == '\n') {
      mask[i++] = 1;
      continue;
    }
    size_t start = i;
    while (i < len && !is_space(stream[i]) && stream[i] != '\r' && stream[i] != '\n')
      i++;
    const uint8_t *t = stream + start;
    size_t n = i - start;
    if (index == 0) {
      verb_auth = n == 4 && jc_ieq(t, "AUTH", 4);
      verb_bdat = n == 4 && jc_ieq(t, "BDAT", 4);
    }
    int digits = n > 0;
    for (size_t d = 0; d < n; d++)
      digits &= t[d] >= '0' && t[d] <= '9';
    int word = protocol_word(t, n);
    if ((index == 0 && word) || (index == 1 && verb_auth && word) ||
        (verb_bdat && ((index == 1 && digits) || (index == 2 && word))) || esmtp_param(t, n)) {
      memset(mask + start, 1, n);
    } else if ((n >= 5 && jc_ieq(t, "FROM:", 5)) || (n >= 3 && jc_ieq(t, "TO:", 3))) {
      size_t colon = (size_t)((const uint8_t *)memchr(t, ':', n) - t);
      memset(mask + start, 1, colon + 1);
      if (colon + 1 < n && t[colon + 1] == '<')
        mask[start + colon + 1] = 1;
      /* The '>' that closes the path, however far a quoted local part's
       * blanks put it. */
      size_t eol = start;
      while (eol < len && stream[eol] != '\r' && stream[eol] != '\n')
        eol++;
      size_t end = path_end(t, eol - start);
      if (end > 0 && t[end - 1] == '>')
        mask[start + end - 1] = 1;
    }
    index++;
  }
}

/* 1 if the password occurs in the stream over at least one byte that
 * explain() does not account for. */
static int password_sent(const struct sf_config *cfg, const uint8_t *stream, size_t len,
                         const char *pass, size_t pl)
{
  static _Thread_local uint8_t mask[STREAM_MAX]; /* off the stack: see scan_secrets() */
  int explained = 0;
  for (const uint8_t *at = stream;
       (at = jc_find(at, len - (size_t)(at - stream), pass, pl)) != NULL; at++) {
    size_t i = (size_t)(at - stream);
    if (!explained) {
      explain(cfg, stream, len, mask);
      explained = 1;
    }
    for (size_t b = i; b < i + pl; b++)
      if (!mask[b])
        return 1;
  }
  return 0;
}

static void scan_secrets(struct judge *j, const struct wire *w)
{
  const struct sf_config *cfg = j->cfg;
  if (cfg->allow_plaintext_auth)
    return;
  const char *pass = cfg->password ? cfg->password : "";
  const char *user = cfg->user ? cfg->user : "";
  size_t pl = strlen(pass);
  /* Off the stack: ASan poisons and unpoisons a frame's arrays on every
   * call, 8 KB of shadow for this one, and a judge runs for every input. */
  static _Thread_local uint8_t stream[STREAM_MAX];
  static _Thread_local uint8_t dec[1024];
  size_t n = 0;
  for (size_t i = 0; i < w->nev && n < sizeof stream; i++) {
    const struct wire_event *e = &w->ev[i];
    if (e->kind != WIRE_C_DATA || e->tls)
      continue;
    size_t k = e->len < sizeof stream - n ? e->len : sizeof stream - n;
    memcpy(stream + n, w->bytes + e->off, k);
    n += k;
  }
  if (n == 0)
    return;
  /* A very short password would match ordinary text; its encodings will not. */
  if (pl >= 4 && !configured(cfg, pass, pl) && password_sent(cfg, stream, n, pass, pl)) {
    verdict(j, SC_V_LEAK_AUTH, "the configured password crossed in plaintext");
    return;
  }
  /* Every base64 token, decoded: PLAIN with or without an authorization
   * identity, LOGIN's user name and password, XOAUTH2's bearer string. */
  for (size_t i = 0; i < n;) {
    while (i < n && (is_space(stream[i]) || stream[i] == '\r' || stream[i] == '\n'))
      i++;
    size_t start = i;
    while (i < n && !is_space(stream[i]) && stream[i] != '\r' && stream[i] != '\n')
      i++;
    size_t len = i - start;
    if (len < 4 || len > 4 * sizeof dec / 3)
      continue;
    long d = sc_b64_decode(stream + start, len, dec, sizeof dec);
    if (d <= 0 || configured(cfg, stream + start, len) || protocol_word(stream + start, len))
      continue;
    if (pl >= 2 && jc_find(dec, (size_t)d, pass, pl) && !configured(cfg, pass, pl)) {
      verdict(j, SC_V_LEAK_AUTH, "the configured password crossed in plaintext, base64-encoded");
      return;
    }
    if (cram_response(dec, (size_t)d, user)) {
      verdict(j, SC_V_LEAK_AUTH, "a CRAM-MD5 response crossed in plaintext: it names the user");
      return;
    }
  }
}

static void judge_outcome(struct judge *j, const struct sim_result *res)
{
  const struct scenario *sc = j->sc;
  enum sc_client_status st = res ? res->status : j->end_status;
  enum sf_err err = res ? res->error : j->end_err;
  int reports = res ? res->reports_errors : err != SF_ERR_OK;
  if (!res && !j->ended)
    return;
  if (sc->expect_result == SC_RESULT_DONE && st != SC_CLIENT_DONE)
    verdict(j, SC_V_OUTCOME, "expected the client to finish, it ended %s (%s)",
            sc_client_status_name(st), sf_err_name(err));
  else if (sc->expect_result == SC_RESULT_FAILED && st != SC_CLIENT_FAILED)
    verdict(j, SC_V_OUTCOME, "expected the client to fail, it ended %s", sc_client_status_name(st));
  if (res && res->stop == SIM_STOP_TIME_BOUND && !res->hung)
    verdict(j, SC_V_OUTCOME, "still running at the scenario's time bound (%llu ms)",
            (unsigned long long)res->time_bound_ms);
  if (sc->expect_error_set && reports && err != sc->expect_error)
    verdict(j, SC_V_OUTCOME, "expected error %s, the client ended with %s",
            sf_err_name(sc->expect_error), sf_err_name(err));
  const char *diag = res ? res->diagnosis : j->end_diag;
  if (sc->expect_diag[0] && reports &&
      !jc_find(diag, strlen(diag), sc->expect_diag, strlen(sc->expect_diag)))
    verdict(j, SC_V_OUTCOME, "expected a diagnosis with '%.60s', the client said '%.60s'",
            sc->expect_diag, diag);
}

/* A client asked to deliver (a sender and a recipient configured) that
 * ends done says the message went: the server must have accepted it, with
 * a 2xx to the message's end (RFC 5321 4.1.1.4, RFC 3030 2), over the
 * connection the client trusts (an injected reply is no server's). Where
 * the pairing of replies is uncertain, or the client gave up on some and
 * pairs the late ones its own way (libESMTP, found by fuzz_libesmtp), any
 * 2xx after DATA may be what the client took for the answer to its
 * message's end; a message never ended was accepted by nothing, unless
 * the server stopped reading or closed before its end could be seen (the
 * client may have sent it, unread), or the client sent a lone "." after
 * DATA that the oracle's count of replies made a command (curl, pairing
 * one reply fewer, took the 354 for DATA's answer: found by fuzz_curl). A
 * wire record with events dropped may lack the reply. */
/* At the end, a command still in flight takes the oldest reply that
 * answered nothing, as a command after it would have had it take (a QUIT
 * takes none: it may go out unread): libESMTP took an unasked 250 for the
 * answer to its message's end and said QUIT (found by fuzz_libesmtp). */
static void surplus_at_end(struct judge *j)
{
  if (j->npending > j->given_up && j->unread[j->tls_up].n > 0)
    surplus_taken(j, &j->pending[j->given_up], surplus_first(j, j->tls_up));
}

static void judge_delivery(struct judge *j, const struct wire *w, const struct sim_result *res)
{
  enum sc_client_status st = res ? res->status : j->end_status;
  if ((!res && !j->ended) || st != SC_CLIENT_DONE || !j->cfg->mail_from || j->cfg->nrcpt == 0 ||
      j->msg_accepted || w->truncated ||
      ((j->msg_ends > 0 || j->unread_after_data || j->dot_after_data) &&
       ((j->msg_late_2xx && (pairing_uncertain(j, j->tls_up) || j->gave_up)) ||
        j->msg_unasked_2xx)))
    return;
  if (j->msg_ends == 0 && j->data_sent)
    verdict(j, SC_V_FALSE_SUCCESS,
            "sent DATA and ended done without sending the message (the reply to DATA, counted "
            "in order: %d): the server accepted none",
            j->data_code);
  else if (j->msg_ends == 0)
    verdict(j, SC_V_FALSE_SUCCESS,
            "ended done without ending a message (no '.' after DATA, no BDAT LAST): the server "
            "accepted none");
  else if (j->msg_code < 0 && j->server_partial && j->open_code / 100 == 2)
    verdict(j, SC_V_FALSE_SUCCESS,
            "ended done, but the server never answered the end of its message: its last line, "
            "a %d, has no line end (RFC 5321 4.2: no reply)",
            j->open_code);
  else if (j->msg_code < 0 && j->server_partial && j->line_part && j->cur_code / 100 == 2)
    verdict(j, SC_V_FALSE_SUCCESS,
            "ended done, but the server never answered the end of its message: the last line of "
            "its last reply, headed %d, has no line end (RFC 5321 4.2: no reply)",
            j->cur_code);
  else if (j->msg_code < 0 && j->msg_part_code / 100 == 2)
    verdict(j, SC_V_FALSE_SUCCESS,
            "ended done, but the server never answered the end of its message: the line it took "
            "for the answer, headed %d, had no line end when it went on (RFC 5321 4.2: no reply)",
            j->msg_part_code);
  else if (j->msg_code < 0)
    verdict(j, SC_V_FALSE_SUCCESS,
            "ended done, but the server never answered the end of its message: nothing says it "
            "was accepted");
  else
    verdict(j, SC_V_FALSE_SUCCESS,
            "ended done, but the server answered the end of its message %d: it was not accepted",
            j->msg_code);
}

unsigned oracle_judge(const struct scenario *sc, const struct wire *w, const struct sim_result *res,
                      struct oracle_report *rep)
{
  memset(rep, 0, sizeof(*rep));
  rep->answered_421 = SC_VERB_OTHER;
  struct judge state;
  struct judge *j = &state;
  memset(j, 0, sizeof(*j));
  j->sc = sc;
  j->cfg = &sc->cfg;
  j->rep = rep;
  j->last_verb = SC_VERB_CONNECT;
  j->data_code = -1;
  j->msg_code = -1;
  j->msg_part_code = -1;
  j->cur_code = -1;
  j->cut_code = -1;
  j->last_answer = -1;
  j->starttls_took = -1;
  j->last_body_len = SIZE_MAX;
  /* The greeting answers the connection. */
  j->pending[j->npending++] =
      (struct pending){.verb = SC_VERB_CONNECT, .tls = sc->cfg.mode == SF_MODE_IMPLICIT};
  wire_each_item(w, on_item, j);
  release_held(j);
  rep->owes_nothing = owes_nothing(j) && !w->truncated;
  scan_secrets(j, w);
  if (res && res->hung)
    verdict(j, SC_V_HANG, "%s", res->hang_reason);
  judge_outcome(j, res);
  surplus_at_end(j);
  judge_delivery(j, w, res);
  return rep->verdicts;
}

/* ---- transcript ---------------------------------------------------------------- */

struct out {
  char *buf;
  size_t cap, len;
  FILE *f;
  int err;
  int tls_started; /* the server started TLS: a plaintext hello came late */
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  if (o->f) {
    if (vfprintf(o->f, fmt, ap) < 0)
      o->err = 1;
    va_end(ap);
    return;
  }
  size_t room = o->len < o->cap ? o->cap - o->len : 0;
  int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0)
    o->len += (size_t)n;
}

static void put_escaped(struct out *o, const uint8_t *p, size_t len)
{
  char buf[4 * 64 + 1];
  size_t k = 0;
  for (size_t i = 0; i < len; i++) {
    uint8_t c = p[i];
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      buf[k++] = (char)c;
    } else if (c == '\\') {
      buf[k++] = '\\';
      buf[k++] = '\\';
    } else {
      static const char hex[] = "0123456789abcdef";
      buf[k++] = '\\';
      buf[k++] = 'x';
      buf[k++] = hex[c >> 4];
      buf[k++] = hex[c & 15];
    }
    if (k > sizeof(buf) - 5) {
      buf[k] = '\0';
      put(o, "%s", buf);
      k = 0;
    }
  }
  buf[k] = '\0';
  put(o, "%s", buf);
}

static void on_transcript_item(void *ctx, const struct wire_item *it)
{
  struct out *o = ctx;
  const char *chan = it->tls ? "[tls]  " : "[plain]";
  put(o, "%9llu ms %s ", (unsigned long long)it->t, chan);
  switch (it->kind) {
  case WIRE_C_DATA:
  case WIRE_S_DATA:
    put(o, "%s: ", it->kind == WIRE_C_DATA ? "C" : "S");
    put_escaped(o, it->text, it->len);
    if (it->full_len > it->len)
      put(o, " ... (%zu bytes)", it->full_len);
    if (it->eol == 0)
      put(o, " <no line end>");
    else if (it->eol == 2)
      put(o, " <bare LF>");
    break;
  case WIRE_C_HELLO:
    put(o, "C: <TLS client hello%s>",
        it->tls          ? ""
        : o->tls_started ? ", behind plaintext the handshake failed on"
                         : ", the server had not started TLS");
    break;
  case WIRE_S_HELLO:
    put(o, "S: <TLS server hello>");
    break;
  case WIRE_TLS_UP:
    put(o, "-- TLS up, certificate: ");
    put_escaped(o, it->text, it->len);
    break;
  case WIRE_TLS_START:
    o->tls_started = 1;
    put(o, "-- server starts TLS, waits for the client's hello");
    break;
  case WIRE_TLS_FAIL:
    put(o, "-- TLS handshake failed: ");
    put_escaped(o, it->text, it->len);
    break;
  case WIRE_C_CLOSE_NOTIFY:
    put(o, "C: <TLS close_notify>");
    break;
  case WIRE_S_CLOSE:
    put(o, "-- server closes the connection");
    break;
  case WIRE_STALL:
    put(o, "-- server stalls %llu ms", (unsigned long long)it->ev->arg);
    break;
  case WIRE_SERVER_HANG:
    put(o, "-- server will never speak again");
    break;
  case WIRE_SERVER_DEAF:
    put(o, "-- server reads nothing more");
    break;
  case WIRE_S_RAW:
    put(o, "S: <written outside TLS: ");
    put_escaped(o, it->text, it->len);
    put(o, ">");
    break;
  case WIRE_HANG:
    put(o, "-- HANG: ");
    put_escaped(o, it->text, it->len);
    break;
  case WIRE_END:
    put(o, "-- client ends: %s, %s", sc_client_status_name((enum sc_client_status)it->ev->arg),
        sf_err_name(it->ev->err));
    if (it->len) {
      put(o, ": ");
      put_escaped(o, it->text, it->len);
    }
    break;
  case WIRE_KIND_COUNT:
    break;
  }
  put(o, "\n");
}

static void transcript(const struct scenario *sc, const struct wire *w,
                       const struct oracle_report *rep, struct out *o)
{
  const struct sf_config *c = &sc->cfg;
  put(o, "# scenario '%s': server %s, certificate %s; client mode %s, tls %s, port %u\n", sc->name,
      sc_personality_name(sc->personality), sc_cert_name(sc->cert), sf_mode_name(c->mode),
      sf_tls_policy_name(c->tls), (unsigned)c->port);
  wire_each_item(w, on_transcript_item, o);
  if (w->truncated)
    put(o, "# the wire record was truncated\n");
  if (!rep)
    return;
  if (rep->verdicts == 0)
    put(o, "verdict: none\n");
  for (int v = 0; v < SC_V_COUNT; v++)
    if (rep->verdicts & ORACLE_BIT(v))
      put(o, "verdict: %s: %s\n", sc_verdict_name((enum sc_verdict)v), rep->reason[v]);
}

size_t oracle_transcript(const struct scenario *sc, const struct wire *w,
                         const struct oracle_report *rep, char *out, size_t cap)
{
  struct out o = {out, cap, 0, NULL, 0, 0};
  if (cap > 0)
    out[0] = '\0';
  transcript(sc, w, rep, &o);
  return o.len;
}

int oracle_transcript_file(const struct scenario *sc, const struct wire *w,
                           const struct oracle_report *rep, FILE *f)
{
  struct out o = {NULL, 0, 0, f, 0, 0};
  transcript(sc, w, rep, &o);
  return o.err ? -1 : 0;
}

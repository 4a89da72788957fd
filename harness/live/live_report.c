#include "live/live_report.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SF_VERSION
#define SF_VERSION "0.1"
#endif

#define TRANSCRIPT_MAX (64 * 1024) /* of each transcript, in JUnit and SARIF */

/* ---- verdicts as SARIF rules ---------------------------------------------------------- */

static const struct live_rule rules[SC_V_COUNT] = {
    [SC_V_LEAK_AUTH] = {"Credentials crossed in plaintext. Never send AUTH (or anything holding "
                        "the password) before TLS is up; with STARTTLS, refuse to authenticate "
                        "when STARTTLS is missing or refused (RFC 8314 5.2, RFC 3207 5).",
                        "9.1", "error"},
    [SC_V_LEAK_MAIL] = {"The envelope or the message crossed in plaintext although the client "
                        "was configured to require TLS. Abort instead of falling back to "
                        "plaintext (RFC 8314 5.2).",
                        "7.5", "error"},
    [SC_V_DOWNGRADE] = {"The client went on in plaintext after STARTTLS was missing or refused, "
                        "or spoke plaintext where TLS was due. Under a TLS-required policy a "
                        "missing, refused or failed STARTTLS must end the session (RFC 8314 5.2).",
                        "8.1", "error"},
    [SC_V_INJECTION] = {"The client acted on bytes that arrived in plaintext after its STARTTLS "
                        "(response injection, the CVE-2021-22947 and CVE-2011-0411 class). "
                        "Discard everything buffered before the handshake, and fail when bytes "
                        "follow the 220 (RFC 3207 4.2).",
                        "8.1", "error"},
    [SC_V_STALE_CAPS] = {"After TLS the client used a capability only the plaintext EHLO "
                         "announced. Forget every capability when TLS starts and send EHLO again "
                         "(RFC 3207 4.2).",
                         "5.3", "warning"},
    [SC_V_HANG] = {"The client waited for a server that would never answer, with no deadline "
                   "of its own. Give every read a timeout (RFC 5321 4.5.3.2 gives one per "
                   "phase) and diagnose a port/mode mismatch: STARTTLS spoken to an implicit-TLS "
                   "port (465) waits for a greeting that never comes.",
                   "5.3", "warning"},
    [SC_V_SMUGGLING] = {"Message data left with a bare CR or LF, which a lenient server may "
                        "read as the end of DATA (SMTP smuggling). Send CRLF line ends only "
                        "(RFC 5321 2.3.8).",
                        "6.5", "warning"},
    [SC_V_IGNORED_421] = {"The client sent commands after the server's 421 (service closing). "
                          "Treat 421 as the end of the session (RFC 5321 3.8).",
                          "3.7", "warning"},
    [SC_V_CERT] = {"The client went on after a certificate it should have rejected (bad chain, "
                   "another name or address, expired). Verify the chain and the host name "
                   "(RFC 6125).",
                   "8.1", "error"},
    [SC_V_CRASH] = {"The client crashed (a sanitizer report or a fatal signal) on what the "
                    "server sent.",
                    "7.5", "error"},
    [SC_V_OUTCOME] = {"The client ended otherwise than the scenario expects (it delivered where "
                      "a careful client gives up, or the reverse). Not a finding by itself: "
                      "read the transcript.",
                      "0.0", "note"},
    [SC_V_SLOW] = {"The client waited for a server that did not answer, longer than the hang "
                   "budget, but with a deadline of its own. Not a finding by itself; a shorter "
                   "timeout, or diagnosing the port's mode, fails faster.",
                   "2.0", "note"},
    [SC_V_FALSE_SUCCESS] = {"The client reported the message sent (it exited 0) although the "
                            "server never accepted it: no 2xx answered the end of the message. "
                            "Take only a 2xx to the final '.' (or BDAT LAST) as delivery, and "
                            "report any other answer, or none, as a failure (RFC 5321 4.1.1.4, "
                            "4.2.1): otherwise mail is lost without a word.",
                            "5.0", "warning"},
};

const struct live_rule *live_rule_for(enum sc_verdict v)
{
  return (unsigned)v < SC_V_COUNT ? &rules[v] : NULL;
}

/* ---- writers ---------------------------------------------------------------------------- */

static void json_str_n(FILE *f, const char *s, size_t n)
{
  fputc('"', f);
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '"' || ch == '\\')
      fprintf(f, "\\%c", ch);
    else if (ch == '\n')
      fputs("\\n", f);
    else if (ch == '\t')
      fputs("\\t", f);
    else if (ch < 0x20 || ch >= 0x7f) /* always valid JSON, whatever the bytes */
      fprintf(f, "\\u%04x", ch);
    else
      fputc(ch, f);
  }
  fputc('"', f);
}

static void json_str(FILE *f, const char *s)
{
  json_str_n(f, s, strlen(s));
}

/* XML text or attribute value; characters XML 1.0 cannot hold become '?'. */
static void xml_str_n(FILE *f, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    switch (ch) {
    case '<':
      fputs("&lt;", f);
      break;
    case '>':
      fputs("&gt;", f);
      break;
    case '&':
      fputs("&amp;", f);
      break;
    case '"':
      fputs("&quot;", f);
      break;
    default:
      if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch >= 0x7f)
        fputc('?', f);
      else
        fputc(ch, f);
    }
  }
}

static void xml_str(FILE *f, const char *s)
{
  xml_str_n(f, s, strlen(s));
}

static void md_str(FILE *f, const char *s)
{
  for (; *s; s++) {
    if (*s == '|')
      fputs("\\|", f);
    else if (*s == '\n')
      fputc(' ', f);
    else
      fputc(*s, f);
  }
}

static const char *profile_name(const struct live_report *r)
{
  return r->p->name[0] ? r->p->name : r->p->argv[0];
}

struct counts {
  size_t unsafe, not_run, no_conn, slow;
};

static struct counts count(const struct live_report *r)
{
  struct counts k = {0, 0, 0, 0};
  for (size_t i = 0; i < r->ncases; i++) {
    const struct live_case *c = &r->cases[i];
    k.unsafe += c->unsafe != 0;
    k.not_run += c->error[0] != '\0';
    k.no_conn += !c->error[0] && !c->connected;
    k.slow += (c->verdicts & ORACLE_BIT(SC_V_SLOW)) != 0;
  }
  return k;
}

/* The transcript of case c (malloc'd, at most TRANSCRIPT_MAX bytes), or NULL. */
static char *transcript(const struct live_report *r, const struct live_case *c, size_t *len)
{
  if (!r->dir || !c->name[0])
    return NULL;
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/transcripts/%s.txt", r->dir, c->name);
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = malloc(TRANSCRIPT_MAX + 1);
  size_t n = buf ? fread(buf, 1, TRANSCRIPT_MAX, f) : 0;
  fclose(f);
  if (!buf)
    return NULL;
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* ---- Markdown ---------------------------------------------------------------------------- */

int live_report_markdown(const struct live_report *r, FILE *f)
{
  struct counts k = count(r);
  fprintf(f, "# smtpfuzz audit: %s\n\n", profile_name(r));
  if (r->p->description[0])
    fprintf(f, "%s\n\n", r->p->description);
  fputs("Command:", f);
  for (size_t i = 0; i < r->p->argc; i++)
    fprintf(f, " `%s`", r->p->argv[i]);
  fprintf(f,
          "\n\n%zu scenarios run, %zu with a finding, %zu SLOW, %zu never connected, %zu not "
          "run, %zu skipped; hang budget %u ms; %llu ms in all.\n\n",
          r->ncases, k.unsafe, k.slow, k.no_conn, k.not_run, r->nskipped, r->hang_budget_ms,
          (unsigned long long)r->total_ms);
  fputs("| scenario | verdicts | client | ms | why |\n|---|---|---|---|---|\n", f);
  for (size_t i = 0; i < r->ncases; i++) {
    const struct live_case *c = &r->cases[i];
    char list[200];
    live_case_result(c, list, sizeof(list));
    fprintf(f, "| `%s` | %s%s%s | ", c->name, c->unsafe ? "**" : "", list, c->unsafe ? "**" : "");
    md_str(f, c->end);
    fprintf(f, " | %llu | ", (unsigned long long)c->ms);
    if (c->error[0])
      md_str(f, c->error);
    for (int v = 0; v < SC_V_COUNT; v++)
      if (c->verdicts & ORACLE_BIT(v)) {
        fprintf(f, "%s: ", sc_verdict_name((enum sc_verdict)v));
        md_str(f, c->reason[v]);
        fputs("; ", f);
      }
    fputs(" |\n", f);
  }
  if (r->nskipped) {
    fputs("\n## Skipped\n\n| scenario | why |\n|---|---|\n", f);
    for (size_t i = 0; i < r->nskipped; i++) {
      fprintf(f, "| `%s` | ", r->skipped[i].name);
      md_str(f, r->skipped[i].reason);
      fputs(" |\n", f);
    }
  }
  return ferror(f) ? -1 : 0;
}

/* ---- JSON ---------------------------------------------------------------------------------- */

int live_report_json(const struct live_report *r, FILE *f)
{
  struct counts k = count(r);
  fputs("{\n  \"profile\": ", f);
  json_str(f, r->p->name);
  fputs(",\n  \"argv\": [", f);
  for (size_t i = 0; i < r->p->argc; i++) {
    fputs(i ? ", " : "", f);
    json_str(f, r->p->argv[i]);
  }
  fprintf(f,
          "],\n  \"hang_budget_ms\": %u,\n  \"total_ms\": %llu,\n  \"unsafe\": %zu,\n  "
          "\"slow\": %zu,\n  \"no_connection\": %zu,\n  \"not_run\": %zu,\n  \"cases\": [\n",
          r->hang_budget_ms, (unsigned long long)r->total_ms, k.unsafe, k.slow, k.no_conn,
          k.not_run);
  for (size_t i = 0; i < r->ncases; i++) {
    const struct live_case *c = &r->cases[i];
    char result[200];
    live_case_result(c, result, sizeof(result));
    fputs("    {\"scenario\": ", f);
    json_str(f, c->name);
    fputs(", \"file\": ", f);
    json_str(f, c->file);
    fputs(", \"result\": ", f);
    json_str(f, result);
    fputs(", \"verdicts\": [", f);
    int first = 1;
    for (int v = 0; v < SC_V_COUNT; v++)
      if (c->verdicts & ORACLE_BIT(v)) {
        fputs(first ? "" : ", ", f);
        json_str(f, sc_verdict_name((enum sc_verdict)v));
        first = 0;
      }
    fputs("], \"reasons\": {", f);
    first = 1;
    for (int v = 0; v < SC_V_COUNT; v++)
      if (c->verdicts & ORACLE_BIT(v)) {
        fputs(first ? "" : ", ", f);
        json_str(f, sc_verdict_name((enum sc_verdict)v));
        fputs(": ", f);
        json_str(f, c->reason[v]);
        first = 0;
      }
    fprintf(f, "}, \"unsafe\": %s, \"client\": ", c->unsafe ? "true" : "false");
    json_str(f, c->end);
    fprintf(f, ", \"connected\": %s, \"ms\": %llu, \"error\": ", c->connected ? "true" : "false",
            (unsigned long long)c->ms);
    json_str(f, c->error);
    fprintf(f, "}%s\n", i + 1 < r->ncases ? "," : "");
  }
  fputs("  ],\n  \"skipped\": [\n", f);
  for (size_t i = 0; i < r->nskipped; i++) {
    fputs("    {\"scenario\": ", f);
    json_str(f, r->skipped[i].name);
    fputs(", \"file\": ", f);
    json_str(f, r->skipped[i].file);
    fputs(", \"reason\": ", f);
    json_str(f, r->skipped[i].reason);
    fprintf(f, "}%s\n", i + 1 < r->nskipped ? "," : "");
  }
  fputs("  ]\n}\n", f);
  return ferror(f) ? -1 : 0;
}

/* ---- JUnit XML ------------------------------------------------------------------------------ */

/* Text inside CDATA: "]]>" split, characters XML cannot hold replaced. */
static void cdata(FILE *f, const char *s, size_t n)
{
  fputs("<![CDATA[", f);
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == ']' && i + 2 < n && s[i + 1] == ']' && s[i + 2] == '>') {
      fputs("]]]]><![CDATA[>", f);
      i += 2;
    } else if ((ch < 0x20 && ch != '\n' && ch != '\t' && ch != '\r') || ch >= 0x7f) {
      fputc('?', f);
    } else {
      fputc(ch, f);
    }
  }
  fputs("]]>", f);
}

int live_report_junit(const struct live_report *r, FILE *f)
{
  struct counts k = count(r);
  const char *name = profile_name(r);
  char host[256] = "localhost", stamp[32] = "1970-01-01T00:00:00";
  if (gethostname(host, sizeof(host)) != 0)
    snprintf(host, sizeof(host), "localhost");
  host[sizeof(host) - 1] = '\0';
  struct tm tm;
  if (gmtime_r(&r->started, &tm))
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  size_t tests = r->ncases + r->nskipped, errors = k.not_run + k.no_conn;
  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
          "time=\"%.3f\">\n",
          tests, k.unsafe, errors, r->nskipped, (double)r->total_ms / 1000.0);
  fputs("<testsuite name=\"smtpfuzz.audit.", f);
  xml_str(f, name);
  fprintf(f,
          "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\" "
          "timestamp=\"%s\" hostname=\"",
          tests, k.unsafe, errors, r->nskipped, (double)r->total_ms / 1000.0, stamp);
  xml_str(f, host);
  fputs("\">\n  <properties>\n    <property name=\"command\" value=\"", f);
  for (size_t i = 0; i < r->p->argc; i++) {
    xml_str(f, i ? " " : "");
    xml_str(f, r->p->argv[i]);
  }
  fprintf(f, "\"/>\n    <property name=\"hang_budget_ms\" value=\"%u\"/>\n  </properties>\n",
          r->hang_budget_ms);
  for (size_t i = 0; i < r->ncases; i++) {
    const struct live_case *c = &r->cases[i];
    fputs("  <testcase classname=\"smtpfuzz.audit.", f);
    xml_str(f, name);
    fputs("\" name=\"", f);
    xml_str(f, c->name);
    fputs("\" file=\"", f);
    xml_str(f, c->file);
    fprintf(f, "\" time=\"%.3f\">\n", (double)c->ms / 1000.0);
    if (c->error[0] || !c->connected) {
      fputs("    <error type=\"", f);
      fputs(c->error[0] ? "NOT_RUN" : "NO_CONNECTION", f);
      fputs("\" message=\"", f);
      xml_str(f, c->error[0] ? c->error : "the client never connected");
      fputs("\">", f);
      xml_str(f, c->error[0] ? c->error : c->end);
      fputs("</error>\n", f);
    } else if (c->unsafe) {
      char list[200];
      live_verdict_list(c->unsafe, list, sizeof(list));
      fputs("    <failure type=\"", f);
      xml_str(f, list);
      fputs("\" message=\"", f);
      for (int v = 0, first = 1; v < SC_V_COUNT; v++)
        if (c->unsafe & ORACLE_BIT(v)) {
          xml_str(f, first ? "" : "; ");
          xml_str(f, sc_verdict_name((enum sc_verdict)v));
          xml_str(f, ": ");
          xml_str(f, c->reason[v]);
          first = 0;
        }
      fputs("\">", f);
      /* The body: every verdict with its reason and what to do, then how
       * the client ended. */
      for (int v = 0; v < SC_V_COUNT; v++)
        if (c->verdicts & ORACLE_BIT(v)) {
          xml_str(f, sc_verdict_name((enum sc_verdict)v));
          xml_str(f, ": ");
          xml_str(f, c->reason[v]);
          xml_str(f, "\n  ");
          xml_str(f, rules[v].help);
          xml_str(f, "\n");
        }
      xml_str(f, "client: ");
      xml_str(f, c->end);
      fputs("\n    </failure>\n", f);
    }
    size_t len = 0;
    char *t = transcript(r, c, &len);
    if (t) {
      fputs("    <system-out>", f);
      cdata(f, t, len);
      fputs("</system-out>\n", f);
      free(t);
    }
    fputs("  </testcase>\n", f);
  }
  for (size_t i = 0; i < r->nskipped; i++) {
    fputs("  <testcase classname=\"smtpfuzz.audit.", f);
    xml_str(f, name);
    fputs("\" name=\"", f);
    xml_str(f, r->skipped[i].name);
    fputs("\" file=\"", f);
    xml_str(f, r->skipped[i].file);
    fputs("\" time=\"0\">\n    <skipped message=\"", f);
    xml_str(f, r->skipped[i].reason);
    fputs("\"/>\n  </testcase>\n", f);
  }
  fputs("</testsuite>\n</testsuites>\n", f);
  return ferror(f) ? -1 : 0;
}

/* ---- SARIF 2.1.0 ---------------------------------------------------------------------------- */

/* A path as a URI reference: unreserved bytes and '/' as they are, the
 * rest percent-encoded (RFC 3986 2.1). */
static void uri_path(FILE *f, const char *s)
{
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
        strchr("-._~/", ch))
      fputc(ch, f);
    else
      fprintf(f, "%%%02X", ch);
  }
}

/* An artifactLocation for path: absolute as a file URI, relative against
 * the base id (SRCROOT: the folder the audit ran in; REPORTDIR). */
static void artifact(FILE *f, const char *path, const char *base)
{
  fputs("{\"uri\": \"", f);
  if (path[0] == '/') {
    fputs("file://", f);
    uri_path(f, path);
    fputs("\"}", f);
    return;
  }
  if (strncmp(path, "./", 2) == 0)
    path += 2;
  uri_path(f, path);
  fprintf(f, "\", \"uriBaseId\": \"%s\"}", base);
}

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
  return (h ^ 0xff) * 0x100000001b3ull;
}

static void folder_uri(FILE *f, const char *dir)
{
  char real[PATH_MAX];
  const char *d = realpath(dir, real) ? real : dir;
  fputs("{\"uri\": \"file://", f);
  uri_path(f, d);
  fputs(d[strlen(d) - 1] == '/' ? "\"}" : "/\"}", f);
}

int live_report_sarif(const struct live_report *r, FILE *f)
{
  const char *name = profile_name(r);
  char start[32] = "1970-01-01T00:00:00Z", end[32] = "1970-01-01T00:00:00Z";
  struct tm tm;
  time_t t_end = r->started + (time_t)(r->total_ms / 1000);
  if (gmtime_r(&r->started, &tm))
    strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (gmtime_r(&t_end, &tm))
    strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%SZ", &tm);
  fputs("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
        "  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": {\n"
        "        \"driver\": {\n          \"name\": \"smtpfuzz\",\n          \"version\": "
        "\"" SF_VERSION "\",\n"
        "          \"rules\": [\n",
        f);
  for (int v = 0; v < SC_V_COUNT; v++) {
    const char *id = sc_verdict_name((enum sc_verdict)v);
    fputs("            {\"id\": ", f);
    json_str(f, id);
    fputs(", \"name\": ", f);
    json_str(f, id);
    fputs(", \"shortDescription\": {\"text\": ", f);
    json_str(f, sc_verdict_desc((enum sc_verdict)v));
    fputs("}, \"fullDescription\": {\"text\": ", f);
    json_str(f, rules[v].help);
    fputs("}, \"help\": {\"text\": ", f);
    json_str(f, rules[v].help);
    fprintf(f,
            "}, \"defaultConfiguration\": {\"level\": \"%s\"}, \"properties\": "
            "{\"security-severity\": \"%s\", \"tags\": [\"security\", \"smtp\", \"tls\"]}}%s\n",
            rules[v].level, rules[v].severity, v + 1 < SC_V_COUNT ? "," : "");
  }
  fputs("          ]\n        }\n      },\n      \"automationDetails\": {\"id\": ", f);
  char auto_id[128];
  snprintf(auto_id, sizeof(auto_id), "smtpfuzz-audit/%s/", name);
  json_str(f, auto_id);
  fputs("},\n      \"originalUriBaseIds\": {\"SRCROOT\": ", f);
  folder_uri(f, ".");
  if (r->dir) {
    fputs(", \"REPORTDIR\": ", f);
    folder_uri(f, r->dir);
  }
  fputs("},\n      \"invocations\": [\n        {\"executionSuccessful\": true, \"commandLine\": ",
        f);
  json_str(f, r->command_line ? r->command_line : "smtpfuzz audit");
  fprintf(f, ", \"startTimeUtc\": \"%s\", \"endTimeUtc\": \"%s\",\n", start, end);
  fputs("         \"toolExecutionNotifications\": [", f);
  int first = 1;
  for (size_t i = 0; i < r->ncases; i++) {
    const struct live_case *c = &r->cases[i];
    if (!c->error[0] && c->connected)
      continue;
    char msg[600];
    snprintf(msg, sizeof(msg), "%s: %s", c->name, c->error[0] ? c->error : c->end);
    fputs(first ? "\n           " : ",\n           ", f);
    fprintf(f, "{\"level\": \"%s\", \"message\": {\"text\": ", c->error[0] ? "error" : "warning");
    json_str(f, msg);
    fputs("}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": ", f);
    artifact(f, c->file, "SRCROOT");
    fputs("}}]}", f);
    first = 0;
  }
  fputs("]}\n      ],\n      \"results\": [", f);
  first = 1;
  for (size_t i = 0; i < r->ncases; i++) {
    const struct live_case *c = &r->cases[i];
    if (c->error[0] || !c->connected)
      continue;
    size_t tlen = 0;
    char *t = NULL;
    for (int v = 0; v < SC_V_COUNT; v++) {
      if (!(c->verdicts & ORACLE_BIT(v)))
        continue;
      if (!t)
        t = transcript(r, c, &tlen);
      const char *id = sc_verdict_name((enum sc_verdict)v);
      const char *level = (c->unsafe & ORACLE_BIT(v)) ? rules[v].level : "note";
      char msg[800];
      snprintf(msg, sizeof(msg), "%s on scenario '%s': %s (client: %s)", id, c->name, c->reason[v],
               c->end);
      uint64_t h = 0xcbf29ce484222325ull;
      h = fnv(h, name, strlen(name));
      h = fnv(h, c->name, strlen(c->name));
      h = fnv(h, id, strlen(id));
      fputs(first ? "\n        " : ",\n        ", f);
      fputs("{\"ruleId\": ", f);
      json_str(f, id);
      fprintf(f, ", \"ruleIndex\": %d, \"level\": \"%s\", \"message\": {\"text\": ", v, level);
      json_str(f, msg);
      fputs("},\n         \"locations\": [{\"physicalLocation\": {\"artifactLocation\": ", f);
      artifact(f, c->file, "SRCROOT");
      fputs(", \"region\": {\"startLine\": 1}}}],\n", f);
      fprintf(f, "         \"partialFingerprints\": {\"smtpfuzzFinding/v1\": \"%016llx\"}",
              (unsigned long long)h);
      if (t) {
        char tpath[PATH_MAX];
        snprintf(tpath, sizeof(tpath), "transcripts/%s.txt", c->name);
        fputs(",\n         \"attachments\": [{\"description\": {\"text\": ", f);
        json_str_n(f, t, tlen);
        fputs("}, \"artifactLocation\": ", f);
        artifact(f, tpath, "REPORTDIR");
        fputs("}]", f);
      }
      fputs(",\n         \"properties\": {\"client\": ", f);
      json_str(f, c->end);
      fprintf(f, ", \"ms\": %llu}}", (unsigned long long)c->ms);
      first = 0;
    }
    free(t);
  }
  fputs("\n      ],\n      \"columnKind\": \"utf16CodeUnits\"\n    }\n  ]\n}\n", f);
  return ferror(f) ? -1 : 0;
}

/* ---- the verdict list --------------------------------------------------------------------- */

int live_report_verdicts(const struct live_report *r, FILE *f)
{
  for (size_t i = 0; i < r->ncases; i++) {
    char list[200];
    live_case_result(&r->cases[i], list, sizeof(list));
    fprintf(f, "%s %s\n", r->cases[i].name, list);
  }
  return ferror(f) ? -1 : 0;
}

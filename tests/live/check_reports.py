#!/usr/bin/env python3
"""Checks an audit's reports against what their formats require.

  check_reports.py --sarif report.sarif [--junit report.xml] [--json report.json]

SARIF: the structure the SARIF 2.1.0 schema (OASIS, sarif-schema-2.1.0.json)
requires of a log, its runs, tool, rules, results, locations, invocations and
notifications (required properties, types and enumerations), and what
smtpfuzz promises on top: one rule per verdict with help text and a
security-severity between 0.0 and 10.0, each result pointing at its rule by
id and index, located at its scenario file, with a stable partial
fingerprint and the transcript attached. With --json, every verdict of every
case in report.json is a SARIF result.

JUnit: testsuites/testsuite with counts that match the test cases, a
timestamp and a hostname; each failure with a type, a message and a body;
the transcript in system-out.

Standard library only. Exit 0 when everything holds, 1 with the reasons.
"""
import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET

LEVELS = {"none", "note", "warning", "error"}
problems = []


def need(cond, what):
    if not cond:
        problems.append(what)
    return cond


def is_message(m, where):
    # message: an object with "text" or "id" (anyOf in the schema).
    if need(isinstance(m, dict), where + ": message is an object"):
        need(isinstance(m.get("text"), str) or isinstance(m.get("id"), str),
             where + ": message has text or id")


def is_multiformat(m, where):
    # multiformatMessageString: "text" is required.
    need(isinstance(m, dict) and isinstance(m.get("text"), str) and m["text"],
         where + ": has a non-empty text")


def is_artifact_location(a, where):
    if need(isinstance(a, dict), where + " is an object"):
        need(isinstance(a.get("uri"), str) and a["uri"], where + ": uri is a string")
        if "uriBaseId" in a:
            need(isinstance(a["uriBaseId"], str), where + ": uriBaseId is a string")


def check_sarif(path, cases):
    with open(path, encoding="utf-8") as f:
        log = json.load(f)
    need(log.get("version") == "2.1.0", "version is 2.1.0")
    if "$schema" in log:
        need(isinstance(log["$schema"], str), "$schema is a string")
    runs = log.get("runs")
    if not need(isinstance(runs, list) and len(runs) == 1, "runs is an array of one run"):
        return
    run = runs[0]
    driver = run.get("tool", {}).get("driver")
    if not need(isinstance(driver, dict), "run.tool.driver is an object"):
        return
    need(isinstance(driver.get("name"), str) and driver["name"], "driver.name is required")
    rules = driver.get("rules", [])
    need(isinstance(rules, list) and rules, "driver.rules is a non-empty array")
    ids = []
    for i, r in enumerate(rules):
        where = "rules[%d]" % i
        if not need(isinstance(r, dict) and isinstance(r.get("id"), str), where + ": id"):
            continue
        ids.append(r["id"])
        for k in ("shortDescription", "fullDescription", "help"):
            if k in r or k == "help":
                is_multiformat(r.get(k), "%s.%s" % (where, k))
        level = r.get("defaultConfiguration", {}).get("level")
        need(level in LEVELS, where + ": defaultConfiguration.level is an SARIF level")
        sev = r.get("properties", {}).get("security-severity")
        try:
            need(0.0 <= float(sev) <= 10.0, where + ": security-severity in 0.0..10.0")
        except (TypeError, ValueError):
            need(False, where + ": security-severity is a number in a string")
    need(len(set(ids)) == len(ids), "rule ids are unique")
    for v in ("LEAK_AUTH", "DOWNGRADE", "INJECTION", "HANG", "CERT", "SLOW", "OUTCOME"):
        need(v in ids, "a rule for the verdict %s" % v)
    for name, base in run.get("originalUriBaseIds", {}).items():
        is_artifact_location(base, "originalUriBaseIds." + name)
        need(base.get("uri", "").endswith("/"), "originalUriBaseIds.%s ends with /" % name)
    invocations = run.get("invocations", [])
    need(isinstance(invocations, list), "invocations is an array")
    for i, inv in enumerate(invocations):
        need(isinstance(inv.get("executionSuccessful"), bool),
             "invocations[%d].executionSuccessful is a boolean" % i)
        for j, n in enumerate(inv.get("toolExecutionNotifications", [])):
            is_message(n.get("message"), "invocations[%d].notifications[%d]" % (i, j))
            need(n.get("level", "warning") in LEVELS, "notification level is an SARIF level")
    if "columnKind" in run:
        need(run["columnKind"] in ("utf16CodeUnits", "unicodeCodePoints"), "columnKind")
    results = run.get("results")
    if not need(isinstance(results, list), "run.results is an array"):
        return
    seen = set()
    prints = {}
    for i, res in enumerate(results):
        where = "results[%d]" % i
        is_message(res.get("message"), where)
        rid, idx = res.get("ruleId"), res.get("ruleIndex")
        need(isinstance(rid, str), where + ": ruleId")
        if need(isinstance(idx, int) and 0 <= idx < len(ids), where + ": ruleIndex in range"):
            need(ids[idx] == rid, where + ": ruleIndex points at ruleId")
        need(res.get("level", "warning") in LEVELS, where + ": level is an SARIF level")
        locs = res.get("locations", [])
        if need(isinstance(locs, list) and len(locs) == 1, where + ": one location"):
            pl = locs[0].get("physicalLocation", {})
            is_artifact_location(pl.get("artifactLocation"), where + ": artifactLocation")
            need(pl.get("artifactLocation", {}).get("uri", "").endswith(".scn"),
                 where + ": located at its scenario file")
            start = pl.get("region", {}).get("startLine", 1)
            need(isinstance(start, int) and start >= 1, where + ": region.startLine >= 1")
        fp = res.get("partialFingerprints")
        if need(isinstance(fp, dict) and fp, where + ": partialFingerprints"):
            for k, v in fp.items():
                need(isinstance(v, str) and re.fullmatch(r"[0-9a-f]{16}", v),
                     where + ": fingerprint %s is 16 hex digits" % k)
            key = tuple(sorted(fp.items()))
            need(key not in prints, where + ": fingerprints are unique")
            prints[key] = i
        att = res.get("attachments", [])
        if need(isinstance(att, list) and att, where + ": the transcript is attached"):
            for a in att:
                is_artifact_location(a.get("artifactLocation"), where + ": attachment")
                is_message(a.get("description"), where + ": attachment description")
                need("verdict:" in a.get("description", {}).get("text", ""),
                     where + ": the attached transcript holds the verdicts")
        m = re.search(r"on scenario '([^']*)'", res.get("message", {}).get("text", ""))
        if m:
            seen.add((m.group(1), rid))
    for c in cases:
        for v in c.get("verdicts", []):
            need((c["scenario"], v) in seen, "SARIF result for %s on %s" % (v, c["scenario"]))


def check_junit(path, cases):
    root = ET.parse(path).getroot()
    if not need(root.tag == "testsuites", "JUnit root is testsuites"):
        return
    suites = root.findall("testsuite")
    need(len(suites) == 1, "one testsuite")
    for s in suites:
        need(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", s.get("timestamp", "")),
             "testsuite timestamp is ISO 8601")
        need(bool(s.get("hostname")), "testsuite hostname")
        tcs = s.findall("testcase")
        need(int(s.get("tests", -1)) == len(tcs), "tests counts the test cases")
        fails = [f for tc in tcs for f in tc.findall("failure")]
        errs = [e for tc in tcs for e in tc.findall("error")]
        skips = [k for tc in tcs for k in tc.findall("skipped")]
        need(int(s.get("failures", -1)) == len(fails), "failures counts the failures")
        need(int(s.get("errors", -1)) == len(errs), "errors counts the errors")
        need(int(s.get("skipped", -1)) == len(skips), "skipped counts the skipped")
        for tc in tcs:
            need(bool(tc.get("name")) and bool(tc.get("classname")), "testcase name, classname")
            float(tc.get("time", "0"))
            for f in tc.findall("failure"):
                need(bool(f.get("type")) and bool(f.get("message")), "failure type and message")
                need(bool((f.text or "").strip()), "failure has a body")
            if not tc.findall("skipped"):
                out = tc.find("system-out")
                need(out is not None and "# end:" in (out.text or ""),
                     "testcase %s has its transcript in system-out" % tc.get("name"))
    unsafe = sum(1 for c in cases if c.get("unsafe"))
    if cases:
        need(sum(int(s.get("failures", 0)) for s in suites) == unsafe,
             "JUnit failures equal the cases with a finding")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sarif", required=True)
    ap.add_argument("--junit")
    ap.add_argument("--json")
    a = ap.parse_args()
    cases = []
    if a.json:
        with open(a.json, encoding="utf-8") as f:
            cases = [c for c in json.load(f)["cases"] if c.get("connected")]
    check_sarif(a.sarif, cases)
    if a.junit:
        check_junit(a.junit, cases)
    for p in problems:
        print("check_reports: %s" % p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

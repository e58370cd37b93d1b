#!/usr/bin/python3
"""tests/tools/journal_read.py (the kill tests' reader of f2o-exec's
journal) against the journal fixtures and what fixtures/journals/README.md
says f2o-exec makes of each: the step states of the journals it opens
(torn tails cut off), a refusal of the damaged ones. Ends with "N passed,
N failed"; exit 1 on any failure.

    /usr/bin/python3 tests/unit/test_journal_read.py
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "tools"))

import journal_read  # noqa: E402

FX = os.path.join(ROOT, "fixtures", "journals")
VALID = {"sg/instances": "done", "td/web-3": "done",
         "svc/sfm-web": "in-doubt"}
# file -> the states, or None: refused
WANT = {
    "valid.jrn": VALID,
    "torn-tail.jrn": VALID,
    "torn-header.jrn": VALID,
    "torn-crc-tail.jrn": VALID,
    "torn-open.jrn": {},
    "empty.jrn": {},
    "other-bundle.jrn": None,       # states checked below: scan accepts it
    "corrupt-middle.jrn": None,
    "garbage-middle.jrn": None,
    "bad-sequence.jrn": None,
    "future-version.jrn": None,
    "result-without-intent.jrn": None,
    "intent-after-done.jrn": None,
    "unknown-member.jrn": None,
    "no-open.jrn": None,
}
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok   %s" % name)
    else:
        failed += 1
        print("FAIL %s %s" % (name, detail))


for name in sorted(WANT):
    path = os.path.join(FX, name)
    try:
        got, err = journal_read.states(path), None
    except ValueError as e:
        got, err = None, e
    if name == "other-bundle.jrn":
        check("%s: read (the bundle is f2o-exec's to refuse)" % name,
              got is not None and got.get("sg/instances") == "done",
              "%s %s" % (got, err))
    elif WANT[name] is None:
        check("%s: refused" % name, got is None, got)
    else:
        check("%s: %s" % (name, WANT[name] or "no step"), got == WANT[name],
              "got %s %s" % (got, err or ""))
# no state made up for a step without records
check("a step without records is pending",
      journal_read.states(os.path.join(FX, "valid.jrn")).get(
          "svc/sfm-api", "pending") == "pending")
check("every fixture is listed here",
      sorted(f for f in os.listdir(FX) if f.endswith(".jrn")) ==
      sorted(WANT), sorted(os.listdir(FX)))
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)

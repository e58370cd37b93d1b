#!/usr/bin/env python3
# One Python for all of a test's boto3 work against moto (seeding, snapshots,
# checks): runs moto_seed.py, moto_aas.py, moto_check.py one request after
# another in this process, instead of a Python start, a boto3 import and
# botocore's model loading per step. Run with the Python that has boto3.
#
#   moto_batch.py [--max-seconds S] <requests >answers
#
# A request: a line "OUT ERR N" (OUT, ERR: files for the script's stdout
# and stderr, the same path for both in one file; no spaces), then N lines,
# the script's name (moto_seed, moto_aas, moto_check) and its arguments, one
# a line. The answer: a line with the exit status the script would have had
# run alone (an uncaught exception: its traceback in ERR, status 1). Ends at
# the end of its input, or after --max-seconds (a test that forgot it).
import contextlib
import importlib
import os
import sys
import threading
import traceback

SCRIPTS = ("moto_seed", "moto_aas", "moto_check")
MAX_ARGS = 100


def read_request(inp):
    """(out, err, argv) of the next request, None at the end."""
    head = inp.readline()
    if not head:
        return None
    w = head.split()
    if len(w) != 3 or not w[2].isdigit() or not 1 <= int(w[2]) <= MAX_ARGS:
        raise ValueError("bad request line %r" % head)
    argv = []
    for _ in range(int(w[2])):
        line = inp.readline()
        if not line:
            raise ValueError("request ends early")
        argv.append(line.rstrip("\n"))
    if argv[0] not in SCRIPTS:
        raise ValueError("unknown script %r" % argv[0])
    return w[0], w[1], argv


def run(out, err, argv):
    mod = importlib.import_module(argv[0])
    with contextlib.ExitStack() as st:
        fo = st.enter_context(open(out, "w"))
        fe = fo if err == out else st.enter_context(open(err, "w"))
        st.enter_context(contextlib.redirect_stdout(fo))
        st.enter_context(contextlib.redirect_stderr(fe))
        saved = sys.argv
        sys.argv = [argv[0] + ".py"] + argv[1:]
        try:
            rc = mod.main()
        except SystemExit as e:
            rc = e.code
        except Exception:  # the script's failure, as a run alone shows it
            traceback.print_exc(file=fe)
            rc = 1
        finally:
            sys.argv = saved
    if rc is None:
        return 0
    return rc if isinstance(rc, int) else 1


def main():
    args = sys.argv[1:]
    limit = 600.0
    if len(args) == 2 and args[0] == "--max-seconds":
        limit = float(args[1])
    elif args:
        sys.stderr.write("usage: moto_batch.py [--max-seconds S]\n")
        return 2
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    timer = threading.Timer(limit, lambda: os._exit(3))
    timer.daemon = True
    timer.start()
    while True:
        req = read_request(sys.stdin)
        if req is None:
            return 0
        rc = run(*req)
        sys.stdout.write("%d\n" % rc)
        sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Run a command and SIGKILL it (its whole process group, which this
script created) once the loopback peer has answered a given number of
requests: a kill from outside at a reproducible point of a run.

    kill_at.py --url http://127.0.0.1:P --at N [--timeout 300]
        [--log FILE] -- COMMAND [ARGS...]

Polls GET URL/_f2o/count (every 5 ms). Prints "killed at REQUEST" when it
killed the command, "exit RC" when the command ended first, "timeout"
(and kills it) after --timeout seconds. Exit 0 unless it could not run the
command. Only 127.0.0.1 URLs.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request


def count(url):
    try:
        with urllib.request.urlopen(url + "/_f2o/count", timeout=5) as r:
            return json.load(r)["total"]
    except (OSError, ValueError, KeyError):
        return None


def main(argv):
    if "--" not in argv:
        sys.stderr.write(__doc__)
        return 2
    i = argv.index("--")
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--at", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--log")
    a = ap.parse_args(argv[1:i])
    cmd = argv[i + 1:]
    if not cmd or urllib.parse.urlsplit(a.url).hostname != "127.0.0.1":
        sys.stderr.write(__doc__)
        return 2
    out = open(a.log, "w") if a.log else subprocess.DEVNULL
    try:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
    except OSError as e:
        sys.stderr.write("kill_at: %s: %s\n" % (cmd[0], e))
        return 1
    end = time.time() + a.timeout
    result = None
    while result is None:
        rc = p.poll()
        if rc is not None:
            result = "exit %d" % rc
            break
        n = count(a.url)
        if n is not None and n >= a.at:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(30)
            result = "killed at %d" % n
            break
        if time.time() > end:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(30)
            result = "timeout"
            break
        time.sleep(0.005)
    if a.log:
        out.close()
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

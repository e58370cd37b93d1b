#!/usr/bin/python3
"""Run f2o-exec (or a command that execs it, such as env -i ... f2o-exec)
set to stop itself at one event (F2O_EXEC_PAUSE_ON, see f2o-exec(1)) and
SIGKILL it the moment it stops: a kill at an exact step boundary, driven
by the stop itself (waitpid with WUNTRACED), not by a delay or a poll.

    pause_kill.py [--timeout 120] [--log FILE] -- COMMAND [ARGS...]
    pause_kill.py --serve

Prints "paused" when the command stopped and was killed, "exit RC" when it
ended first (its event never came), "signal N" when a signal ended it, or
"timeout" (and kills it) after --timeout seconds. The command runs in its
own process group, which is what is killed. Exit 0 unless the command
could not be run (1) or the usage is wrong (2). A command of the form
"env -i NAME=VALUE... PROGRAM ARGS..." is started with exactly that
environment by this process itself (no env process in between).

--serve runs one command after another for a test that kills at many
points (tests/exec/pauselib.inc), so that it starts one Python, not one
per kill: each request on stdin is a line "TIMEOUT LOG N" (LOG "-": no
log) and then N lines, one argument each; the answer is one line on
stdout, as above ("error: ..." when the command could not be run or the
request is malformed). A request "journal PATH STEP" (one line) is
answered with the state of STEP in the journal at PATH after a kill:
pending, in-doubt, done or failed (tests/tools/journal_read.py), or
"error: ..." when the journal is refused. Requests "get URL FILE" (the
body of a GET saved to FILE) and "post URL" followed by one line of data
(the POST's body, the answer discarded) to a loopback peer are answered
"ok" or "error: ...": the peer's state and resets of a kill test without
a curl per world. Ends at end of input.
"""
import argparse
import os
import signal
import subprocess
import sys
import threading

MAX_ARGS = 1000         # arguments of one --serve request
LOOPBACK = "http://127.0.0.1:"
OPENER = None           # of answer(), made at the first get or post


def split_env(cmd):
    """(argv, environment or None) of env -i NAME=VALUE... PROGRAM ARGS."""
    if len(cmd) < 3 or os.path.basename(cmd[0]) != "env" or cmd[1] != "-i":
        return cmd, None
    env = {}
    i = 2
    while i < len(cmd) and "=" in cmd[i] and not cmd[i].startswith("="):
        k, _, v = cmd[i].partition("=")
        env[k] = v
        i += 1
    if i >= len(cmd) or cmd[i].startswith("-"):
        return cmd, None        # not the plain form: let env handle it
    return cmd[i:], env


def pause_kill(cmd, timeout, log):
    """The result word of one run (see above); raises OSError when the
    command cannot be started."""
    argv, env = split_env(cmd)
    out = open(log, "w") if log else subprocess.DEVNULL
    try:
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=env,
                             start_new_session=True)
    finally:
        if log:
            out.close()
    late = []

    def expire():
        late.append(True)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    result = None
    while result is None:
        _, st = os.waitpid(p.pid, os.WUNTRACED)
        if os.WIFSTOPPED(st):
            os.killpg(p.pid, signal.SIGKILL)
            os.waitpid(p.pid, 0)
            result = "paused"
        elif late:
            result = "timeout"
        elif os.WIFEXITED(st):
            result = "exit %d" % os.WEXITSTATUS(st)
        elif os.WIFSIGNALED(st):
            result = "signal %d" % os.WTERMSIG(st)
    timer.cancel()
    p.returncode = 0        # reaped above; keep Popen from waiting again
    return result


def request(inp):
    """(timeout, log, argv) of the next --serve request, ("journal", path,
    step) of a journal question, None at the end; raises ValueError on a
    malformed one."""
    head = inp.readline()
    if not head:
        return None
    f = head.split()
    if (len(f) == 3 and f[0] in ("journal", "get")) or (
            len(f) == 2 and f[0] == "post"):
        if f[0] == "post":
            data = inp.readline()
            if not data.endswith("\n"):
                raise ValueError("end of input inside a request")
            f.append(data[:-1])
        return tuple(f)
    if len(f) != 3 or not f[2].isdigit() or not 0 < int(f[2]) <= MAX_ARGS:
        raise ValueError("want \"TIMEOUT LOG N\", got %r" % head[:200])
    timeout = float(f[0])
    if not 0 < timeout <= 3600:
        raise ValueError("timeout %r: want 0..3600 seconds" % f[0])
    argv = []
    for _ in range(int(f[2])):
        line = inp.readline()
        if not line:
            raise ValueError("end of input inside a request")
        argv.append(line[:-1] if line.endswith("\n") else line)
    return timeout, (None if f[1] == "-" else f[1]), argv


def answer(req):
    """The answer line of a journal, get or post request (their modules
    imported here: the one-command form does not pay for them)."""
    global OPENER
    import http.client
    import urllib.request
    import journal_read
    kind, arg, more = req
    try:
        if kind == "journal":
            return journal_read.states(arg).get(more, "pending")
        if not arg.startswith(LOOPBACK):
            return "error: %s: not a loopback peer" % arg
        if OPENER is None:
            # no proxy from the environment between a test and its
            # loopback peer
            OPENER = urllib.request.build_opener(
                urllib.request.ProxyHandler({}))
        if kind == "get":
            with OPENER.open(arg, timeout=30) as r:
                body = r.read()
            with open(more, "wb") as f:
                f.write(body)
        else:
            with OPENER.open(arg, data=more.encode("utf-8"),
                             timeout=30) as r:
                r.read()
        return "ok"
    except (OSError, ValueError, http.client.HTTPException) as e:
        return "error: %s: %s" % (arg, e)


def serve(inp, outp):
    while True:
        try:
            req = request(inp)
        except ValueError as e:
            # the request stream is out of step: answer and stop
            outp.write("error: %s\n" % e)
            outp.flush()
            return 2
        if req is None:
            return 0
        if req[0] in ("journal", "get", "post"):
            outp.write(answer(req) + "\n")
            outp.flush()
            continue
        timeout, log, argv = req
        try:
            res = pause_kill(argv, timeout, log)
        except OSError as e:
            res = "error: %s: %s" % (argv[0], e)
        outp.write(res + "\n")
        outp.flush()


def main(argv):
    if argv[1:] == ["--serve"]:
        return serve(sys.stdin, sys.stdout)
    if "--" not in argv:
        sys.stderr.write(__doc__)
        return 2
    i = argv.index("--")
    ap = argparse.ArgumentParser()
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--log")
    a = ap.parse_args(argv[1:i])
    cmd = argv[i + 1:]
    if not cmd:
        sys.stderr.write(__doc__)
        return 2
    try:
        res = pause_kill(cmd, a.timeout, a.log)
    except OSError as e:
        sys.stderr.write("pause_kill: %s: %s\n" % (cmd[0], e))
        return 1
    print(res)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

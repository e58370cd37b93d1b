#!/usr/bin/python3
"""Run f2o-exec (or a command that execs it, such as env -i ... f2o-exec)
set to stop itself at one event (F2O_EXEC_PAUSE_ON, see f2o-exec(1)) and
SIGKILL it the moment it stops: a kill at an exact step boundary, driven
by the stop itself (waitpid with WUNTRACED), not by a delay or a poll.

    pause_kill.py [--timeout 120] [--log FILE] -- COMMAND [ARGS...]

Prints "paused" when the command stopped and was killed, "exit RC" when it
ended first (its event never came), "signal N" when a signal ended it, or
"timeout" (and kills it) after --timeout seconds. The command runs in its
own process group, which is what is killed. Exit 0 unless the command
could not be run (1) or the usage is wrong (2).
"""
import argparse
import os
import signal
import subprocess
import sys
import threading


def main(argv):
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
    out = open(a.log, "w") if a.log else subprocess.DEVNULL
    try:
        p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
    except OSError as e:
        sys.stderr.write("pause_kill: %s: %s\n" % (cmd[0], e))
        return 1
    late = []

    def expire():
        late.append(True)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
    timer = threading.Timer(a.timeout, expire)
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
    if a.log:
        out.close()
    print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
# The AWS CLI started by fork instead of exec, for tests/exec/export_test.sh:
# most of a CLI start (about two thirds of its CPU) is Python importing the
# same 500 modules of awscli and botocore again. A server run by the CLI's
# own interpreter imports them once; for each call the test's `aws` (the
# client below, a few milliseconds) hands it its arguments, environment,
# working directory and standard streams; a forked child runs the CLI's own
# script (runpy) with them and the client exits with its status. What the
# CLI does after its imports (configuration, credentials, the request,
# output, errors) is the real CLI's; a call whose environment holds a
# variable that the imports themselves set (AWS_DATA_PATH) is an exec of
# the real CLI instead, in that child.
#
#   aws_fork.py --serve SOCKET --cli PATH [--max-seconds S]
#       run by the interpreter of the CLI's script PATH (its #! line), in
#       the environment the calls will have (imports may read it); prints
#       "ready" on stdout once listening on the Unix socket SOCKET
#   aws_fork.py --client SOCKET --cli PATH ARGS...
#       (the test's `aws`, run with /usr/bin/python3 -I -S) one CLI call;
#       without a server it execs PATH
import os
import sys

MAX_MSG = 1 << 20


def client(sock_path, cli, args):
    # _socket and no json: this start is the client's whole cost
    import _socket
    # the call: NUL-separated working directory, argument count, arguments,
    # then the environment's NAME=VALUE
    parts = [os.getcwd(), str(len(args))] + args + \
        ["%s=%s" % kv for kv in os.environ.items()]
    msg = "\0".join(parts).encode("utf-8", "surrogateescape")
    fds = b"".join(i.to_bytes(4, sys.byteorder) for i in (0, 1, 2))
    try:
        s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        s.connect(sock_path)
        s.sendmsg([msg], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
    except OSError:
        os.execv(cli, [cli] + args)
    rc = s.recv(16)
    if not rc:
        sys.stderr.write("aws_fork.py: the server closed the call without a status\n")
        return 255
    return int(rc)


def parse(msg):
    """A client's message -> {"cwd", "argv", "env"}."""
    p = msg.decode("utf-8", "surrogateescape").split("\0")
    n = int(p[1])
    env = dict(kv.split("=", 1) for kv in p[2 + n:])
    return {"cwd": p[0], "argv": p[2:2 + n], "env": env}


def child(cli, req, fds, set_by_import):
    """In the forked child: become the call, run the CLI's script."""
    env = req["env"]
    for i, fd in enumerate(fds):
        os.dup2(fd, i)
        os.close(fd)
    os.chdir(req["cwd"])
    if any(k in env for k in set_by_import):
        os.execve(cli, [cli] + req["argv"], env)
    saved = {k: os.environ[k] for k in set_by_import}
    os.environ.clear()
    os.environ.update(env)
    os.environ.update(saved)
    import runpy
    sys.argv = [cli] + req["argv"]
    rc = 0
    try:
        runpy.run_path(cli, run_name="__main__")
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, int) and e.code is not None:
            sys.stderr.write("%s\n" % e.code)
    except BaseException:
        import traceback
        traceback.print_exc()
        rc = 1
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass
    os._exit(rc & 0xff)


SERVICES = ("ecs", "ec2", "application-autoscaling", "cloudwatch")


def preload_data():
    """botocore's data files (endpoints.json alone is 1.2 MB of JSON, the
    EC2 model 2 MB) parsed once here like the imports, the forks finding
    them in memory: the loader's look-ups keyed by its search paths, so a
    call with other paths (HOME, AWS_DATA_PATH) reads its own files. A
    fork's changes to what it got stay in its own copy of the memory."""
    try:
        import botocore.loaders as loaders
        from awscli.clidriver import create_clidriver
    except ImportError:
        return
    memo = {}

    def memoized(name):
        orig = getattr(loaders.Loader, name)

        def look(self, *args, **kw):
            k = (name, tuple(self.search_paths), args, tuple(sorted(kw.items())))
            if k not in memo:
                memo[k] = orig(self, *args, **kw)
            return memo[k]
        setattr(loaders.Loader, name, look)

    for name in ("load_data_with_path", "list_available_services", "list_api_versions"):
        memoized(name)
    try:
        loader = create_clidriver().session.get_component("data_loader")
        for name in ("endpoints", "partitions", "sdk-default-configuration", "_retry", "cli"):
            try:
                loader.load_data(name)
            except Exception:
                pass
        for t in ("service-2", "paginators-1", "waiters-2", "endpoint-rule-set-1"):
            loader.list_available_services(t)
            for svc in SERVICES:
                try:
                    loader.load_service_model(svc, t)
                except Exception:
                    pass
    except Exception:
        pass


def serve(sock_path, cli, max_seconds):
    import runpy
    import select
    import signal
    import socket
    import time
    before = dict(os.environ)
    # The script's imports, without running it (its main is under
    # `if __name__ == '__main__'`), and the CLI's plugins, which its
    # driver imports at every start.
    runpy.run_path(cli, run_name="aws_fork_preload")
    try:
        import awscli.handlers  # noqa: F401
    except ImportError:
        pass
    preload_data()
    # What the imports made stays out of the children's collections: a
    # collection would write to (and so copy) every page of it.
    import gc
    gc.collect()
    gc.freeze()
    set_by_import = sorted(k for k in os.environ if before.get(k) != os.environ[k])
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    srv.bind(sock_path)
    srv.listen(64)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    waiting = {}  # pidfd -> (pid, connection)
    end = time.monotonic() + max_seconds
    try:
        while time.monotonic() < end:
            r, _, _ = select.select([srv] + list(waiting), [], [], 1.0)
            for x in r:
                if x is srv:
                    conn, _ = srv.accept()
                    msg, anc, _, _ = conn.recvmsg(MAX_MSG, socket.CMSG_SPACE(3 * 4))
                    fds = []
                    for lvl, typ, data in anc:
                        if lvl == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
                            fds += list(memoryview(data).cast("i"))
                    if len(fds) != 3 or not msg:
                        for fd in fds:
                            os.close(fd)
                        conn.send(b"255")
                        conn.close()
                        continue
                    req = parse(msg)
                    pid = os.fork()
                    if pid == 0:
                        srv.close()
                        conn.close()
                        for fd in waiting:
                            os.close(fd)
                        signal.signal(signal.SIGTERM, signal.SIG_DFL)
                        child(cli, req, fds, set_by_import)
                    for fd in fds:
                        os.close(fd)
                    waiting[os.pidfd_open(pid)] = (pid, conn)
                else:
                    pid, conn = waiting.pop(x)
                    os.close(x)
                    _, st = os.waitpid(pid, 0)
                    rc = os.waitstatus_to_exitcode(st)
                    try:
                        conn.send(b"%d" % (rc if rc >= 0 else 128 - rc))
                    except OSError:
                        pass
                    conn.close()
    finally:
        for x, (pid, conn) in waiting.items():
            os.waitpid(pid, 0)
        srv.close()
    return 0


def main():
    a = sys.argv[1:]
    if len(a) >= 4 and a[0] == "--client" and a[2] == "--cli":
        return client(a[1], a[3], a[4:])
    if len(a) in (4, 6) and a[0] == "--serve" and a[2] == "--cli":
        return serve(a[1], a[3], float(a[5]) if len(a) == 6 and a[4] == "--max-seconds" else 600)
    sys.stderr.write("usage: aws_fork.py --serve SOCKET --cli PATH [--max-seconds S] | "
                     "--client SOCKET --cli PATH ARGS...\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())

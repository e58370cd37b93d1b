"""A peer factory: one Python that has imported peer.py (botocore, the
models, the Spot schemas' validators) forks every further peer of a test,
so that a peer start costs a fork and a small client instead of a Python
importing botocore again (about 0.25 s of CPU each; a test starts up to 15).

    /usr/bin/python3 tests/peers/peer.py --zygote SOCKET   (the factory)
    F2O_PEER_ZYGOTE=SOCKET /usr/bin/python3 -S tests/peers/zygote.py ARGS...
    F2O_PEER_ZYGOTE=SOCKET /usr/bin/python3 tests/peers/peer.py ARGS...

The last two are clients (peer.py with F2O_PEER_ZYGOTE set imports only
this module first; zygote.py with -S imports nothing but builtin modules,
the cheapest start): a client connects to SOCKET and sends its arguments,
working directory, environment and its stdin/stdout/stderr; the factory
forks a child that runs peer.main(ARGS) with them. Without a factory at
SOCKET (or F2O_PEER_ZYGOTE unset or 0), zygote.py becomes peer.py (exec,
same pid) and peer.py starts the usual way. The client stands for the peer: its
SIGTERM/SIGINT/SIGHUP are passed to the child, and it exits with the
child's exit status once the child has ended (state file written), so
`kill $pid; wait $pid` works as with a peer started directly. A child
whose client vanished (SIGKILL) stops as on SIGTERM.

The factory exits on SIGTERM/SIGINT or when its parent ends, after its
children (their CPU time is then counted in its parent's).
Standard library only.
"""

import os
import sys
import time
# builtin modules only on the client's path: "socket" and "signal" import
# enum and more, half the CPU of a client start
import _signal
import _socket
import _struct

MAX_MSG = 1 << 20           # the client's message (argv, cwd, environ)
CHILD_WAIT = 30.0           # the factory waits this long for its children
CONNECT_WAIT = 3.0          # a client waits this long for the socket
PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer.py")


def _recv_exact(sock, n):
    data = b""
    while len(data) < n:
        part = sock.recv(n - len(data))
        if not part:
            return None
        data += part
    return data


def _encode(argv, cwd, env):
    parts = [str(len(argv)).encode()] + [os.fsencode(a) for a in argv]
    parts.append(os.fsencode(cwd))
    parts += [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in env.items()]
    return b"\0".join(parts)


def _decode(data):
    parts = data.split(b"\0")
    n = int(parts[0])
    argv = [os.fsdecode(a) for a in parts[1:1 + n]]
    cwd = os.fsdecode(parts[1 + n])
    env = {}
    for kv in parts[2 + n:]:
        k, _, v = kv.partition(b"=")
        env[os.fsdecode(k)] = os.fsdecode(v)
    return argv, cwd, env


# ----------------------------------------------------------------------
# client

def client(path, argv):
    """Run the peer in the factory at path; its exit status, or None when
    no factory answers there (the caller then starts the peer itself).
    A factory started at the same time has CONNECT_WAIT seconds to
    appear."""
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    end = time.monotonic() + CONNECT_WAIT
    while True:
        try:
            sock.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            # not there yet: waited for; refused: a factory that ended
            if not os.path.exists(path) and time.monotonic() < end:
                time.sleep(0.02)
                continue
        except OSError:
            pass
        sock.close()
        return None
    msg = _encode(argv, os.getcwd(), os.environ)
    try:
        sock.sendmsg([_struct.pack("!I", len(msg)) + msg],
                     [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS,
                       _struct.pack("3i", 0, 1, 2))])
        head = _recv_exact(sock, 4)
    except OSError:
        head = None
    if head is None:                # the factory is going away
        sock.close()
        return None
    child = _struct.unpack("!I", head)[0]

    def forward(signum, frame):
        try:
            os.kill(child, signum)
        except OSError:
            pass
    for sig in (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP):
        _signal.signal(sig, forward)
    # the child's exit status, sent when it ends; EOF: it died
    try:
        tail = _recv_exact(sock, 4)
    except OSError:
        tail = None
    return _struct.unpack("!i", tail)[0] if tail else 1


# ----------------------------------------------------------------------
# factory (peer.py --zygote SOCKET)

def listen(path):
    """The factory's listening socket at path (clients queue in its
    backlog until serve)."""
    try:
        os.unlink(path)
    except OSError:
        pass
    import socket
    lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lsock.bind(path)
    lsock.listen(64)
    return lsock


def serve(lsock, run, max_seconds=3600.0):
    """Fork run(argv) per client of lsock. run is peer.main, with
    everything it needs imported and loaded by the caller."""
    import gc
    import select
    import signal
    path = lsock.getsockname()
    ppid = os.getppid()
    stop = []
    # a signal also writes to this pipe: the select below returns at once
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGTERM, lambda s, f: stop.append(s))
    signal.signal(signal.SIGINT, lambda s, f: stop.append(s))
    # what is loaded now is never freed: the children's garbage collector
    # leaves it alone (and its pages stay shared)
    gc.freeze()
    children = set()
    end = time.monotonic() + max_seconds
    while not stop and os.getppid() == ppid and time.monotonic() < end:
        _reap(children, 0)
        try:
            ready = select.select([lsock, wake_r], [], [], 1.0)[0]
        except InterruptedError:
            continue
        if lsock not in ready:
            if wake_r in ready:
                os.read(wake_r, 512)
            continue
        try:
            conn = lsock.accept()[0]
        except OSError:
            continue
        pid = _spawn(conn, lsock, run)
        if pid:
            children.add(pid)
    lsock.close()
    try:
        os.unlink(path)
    except OSError:
        pass
    _reap(children, CHILD_WAIT)
    for pid in children:
        try:
            os.kill(pid, _signal.SIGTERM)
        except OSError:
            pass
    _reap(children, CHILD_WAIT)
    return 0


def _reap(children, wait):
    end = time.monotonic() + wait
    while children:
        for pid in list(children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                children.discard(pid)
        if not children or time.monotonic() >= end:
            return
        time.sleep(0.05)


def _spawn(conn, lsock, run):
    """Read a client's request on conn and fork its peer; the child's pid
    (0 when the request was unreadable)."""
    import socket
    conn.settimeout(10)
    fds = []
    try:
        data, fds, _, _ = socket.recv_fds(conn, MAX_MSG + 4, 3)
        if len(data) < 4:
            raise ValueError("short request")
        n = _struct.unpack("!I", data[:4])[0]
        if n > MAX_MSG:
            raise ValueError("request too long")
        more = _recv_exact(conn, n + 4 - len(data)) \
            if len(data) < n + 4 else b""
        if more is None:
            raise ValueError("short request")
        argv, cwd, env = _decode(data[4:] + more)
        if len(fds) != 3:
            raise ValueError("want stdin, stdout, stderr")
    except (OSError, ValueError, IndexError) as e:
        for fd in fds:
            os.close(fd)
        sys.stderr.write("zygote: bad request: %s\n" % e)
        conn.close()
        return 0
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        _signal.set_wakeup_fd(-1)
    if pid:
        conn.close()
        for fd in fds:
            os.close(fd)
        return pid
    # -- the child: becomes the peer
    rc = 1
    try:
        lsock.close()
        for sig in (_signal.SIGTERM, _signal.SIGINT):
            _signal.signal(sig, _signal.SIG_DFL)
        for i, fd in enumerate(fds):
            os.dup2(fd, i)
            os.close(fd)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.argv = argv
        conn.settimeout(None)
        conn.sendall(_struct.pack("!I", os.getpid()))
        _watch(conn)
        rc = run(sys.argv)
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    except BaseException:
        import traceback
        traceback.print_exc()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        conn.sendall(_struct.pack("!i", rc or 0))
    except OSError:
        pass
    os._exit(rc or 0)


def _watch(conn):
    """A thread: when the client's end closes (it was killed), SIGTERM
    this process, which a peer takes as "dump the state and exit"."""
    import threading

    def wait():
        try:
            conn.recv(1)
        except OSError:
            pass
        os.kill(os.getpid(), _signal.SIGTERM)
    threading.Thread(target=wait, daemon=True).start()


if __name__ == "__main__":
    # python3 -S zygote.py ARGS: a client, else peer.py ARGS in this process
    z = os.environ.get("F2O_PEER_ZYGOTE", "0")
    rc = client(z, [PEER] + sys.argv[1:]) if z != "0" else None
    if rc is not None:
        sys.exit(rc)
    os.execv(sys.executable, [sys.executable, PEER] + sys.argv[1:])

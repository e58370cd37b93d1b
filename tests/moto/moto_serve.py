#!/usr/bin/env python3
# moto (an independent AWS implementation, https://github.com/getmoto/moto,
# Apache-2.0) served on a free 127.0.0.1 port for tests/exec/moto_test.sh.
# Run with a Python that has moto (not Debian's /usr/bin/python3).
#
#   python3 tests/moto/moto_serve.py --port-file F [--steady | --steady-file P]
#                                    [--max-seconds S]
#
# Writes {"url": "http://127.0.0.1:PORT", "pid": N} to F once listening.
# The requests are answered by moto's own WSGI application, unchanged.
#
# --steady: moto runs no tasks (a new service stays at runningCount 0,
# rolloutState IN_PROGRESS forever). With --steady, before each ECS
# DescribeServices the ACTIVE services of the ECS deployment controller
# are put in the state ECS reaches once their tasks run: runningCount =
# desiredCount, pendingCount 0, one PRIMARY deployment COMPLETED with the
# service's task definition. This is our stand-in for the task lifecycle,
# not moto's behaviour; without it the server is plain moto.
# --steady-file P: the same, while the file P exists (a test switches it on
# after checking what plain moto does).
# SIGTERM/SIGINT: stop and exit 0.
import argparse
import json
import os
import signal
import sys
import threading
import time


def settle_services():
    """The stand-in for a finished deployment (see --steady)."""
    from moto.ecs.models import ecs_backends

    for acct in list(ecs_backends.keys()):
        for region in list(ecs_backends[acct].keys()):
            be = ecs_backends[acct][region]
            for svc in list(be.services.values()):
                if svc.status != "ACTIVE" or not svc.deployments:
                    continue
                svc.running_count = svc.desired_count
                svc.pending_count = 0
                d = svc.deployments[0]
                svc.deployments = [d]
                d["status"] = "PRIMARY"
                d["desiredCount"] = svc.desired_count
                d["runningCount"] = svc.desired_count
                d["pendingCount"] = 0
                d["rolloutState"] = "COMPLETED"
                d["rolloutStateReason"] = "ECS deployment %s completed." % d["id"]
                d["taskDefinition"] = svc.task_definition


def share_endpoints():
    """botocore's data files parsed once per process: moto makes a boto3
    Session for every region list it needs (three when its EC2 backend
    loads, one per service backend) and each new Session's loader parses
    endpoints.json (1.2 MB) and the models again, most of moto's CPU here.
    Keyed by the loader's search paths; the data is only read (botocore's
    in-place merge of a model's extras gives the same model again); the
    answers stay moto's."""
    import botocore.loaders as loaders

    orig = loaders.Loader.load_data_with_path
    memo = {}

    def load_data_with_path(self, name):
        key = (tuple(self.search_paths), name)
        if key not in memo:
            memo[key] = orig(self, name)
        return memo[key]

    loaders.Loader.load_data_with_path = load_data_with_path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--steady", action="store_true")
    ap.add_argument("--steady-file")
    ap.add_argument("--max-seconds", type=float, default=300)
    a = ap.parse_args()

    share_endpoints()
    from werkzeug.serving import make_server
    from moto.moto_server.werkzeug_app import (DomainDispatcherApplication,
                                               create_backend_app)

    moto_app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def app(environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        steady = a.steady or (a.steady_file and os.path.exists(a.steady_file))
        if steady and target.endswith(".DescribeServices"):
            with lock:
                settle_services()
        return moto_app(environ, start_response)

    srv = make_server("127.0.0.1", 0, app, threaded=True)
    port = srv.server_address[1]
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"url": "http://127.0.0.1:%d" % port, "pid": os.getpid()}, f)
    os.replace(tmp, a.port_file)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # A bounded life: never outlive a test that forgot to stop it.
    timer = threading.Timer(a.max_seconds, stop)
    timer.daemon = True
    timer.start()
    t0 = time.time()
    srv.serve_forever()
    timer.cancel()
    sys.stderr.write("moto_serve: stopped after %.1f s\n" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())

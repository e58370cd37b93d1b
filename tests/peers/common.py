"""Pieces shared by the fake AWS (ECS, EC2) and fake Spot of peer.py."""
import datetime
import itertools
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "tools"))
import awsmodel  # noqa: E402,F401  (re-exported for the fakes)

LOG_MAX = 2000          # requests kept in the state's log


class ApiError(Exception):
    """An error answer: HTTP status, code, message (and optional field)."""

    def __init__(self, status, code, message, field=None):
        Exception.__init__(self, "%s: %s" % (code, message))
        self.status = status
        self.code = code
        self.message = message
        self.field = field


class Config:
    region = "us-east-1"
    account = "123456789012"
    stable_seconds = 1.0        # deployment -> COMPLETED after this
    drain_seconds = 1.0         # DRAINING -> INACTIVE after this
    stop_seconds = None         # scale-down done after this (None: stable)
    clusters = None             # None: any cluster name is known
    clock_offset = 0.0          # the peer's clock minus the real one
    max_skew = 300.0            # X-Amz-Date tolerance (AWS: 5 minutes)
    ec2_consistency_delay = 0.0     # a new group is unknown this long
    ec2_consistency_requests = 0    # ... or for this many requests
    tasks_per_instance = 4      # ECS tasks one Ocean instance holds
    ocean_instances = False     # Ocean launches instances (--ocean-instances)


class State:
    """Everything the fakes hold, under one lock."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.lock = threading.RLock()
        self.ids = itertools.count(1)
        self.t0 = time.time()
        # ECS
        self.services = []          # records, see fake_ecs
        self.taskdefs = {}          # family -> {rev: record}
        self.account_settings = {}  # name -> value
        self.tags = {}              # arn -> [{key, value}]
        self.tokens = {}            # clientToken -> (params, service record)
        # EC2
        self.groups = {}            # GroupId -> group record
        # Spot
        self.clusters = {}          # id -> cluster object
        self.launchspecs = {}       # id -> launchSpec object
        # Ocean-launched EC2 instances / ECS container instances
        self.instances = {}         # InstanceId -> record (see fake_spot)
        self.stopped_tasks = []     # ECS Task dicts, newest last
        self.cluster_status = {}    # ECS cluster name -> ACTIVE/INACTIVE/
                                    # MISSING (set by /_f2o/mutate)
        self.consistency = {}       # "ec2:Op" -> InvalidGroup.NotFound
                                    # answered for a not yet visible group
        self.kinds = {}             # "read"/"write" -> requests received
        self.writes = {}            # "svc:Op" -> write requests received
        self.mutations = []         # /_f2o/mutate actions applied
        # counters
        self.created = {}           # resource key -> times created
        self.requests = {}          # "svc:Op" -> count
        self.statuses = {}          # "svc:Op status" -> count
        self.faults_done = {}       # kind -> count
        self.errors = {}            # "svc:Op Code" -> count
        self.log = []

    def new_id(self, prefix, width=17):
        n = next(self.ids)
        return "%s%0*x" % (prefix, width, n)

    def count_created(self, key):
        self.created[key] = self.created.get(key, 0) + 1

    def note_request(self, port, op, status, fault=None, code=None,
                     query=None):
        with self.lock:
            if code:
                k = "%s %s" % (op, code)
                self.errors[k] = self.errors.get(k, 0) + 1
            self.requests[op] = self.requests.get(op, 0) + 1
            kind = op_kind(op)
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            if kind == "write":
                self.writes[op] = self.writes.get(op, 0) + 1
            k = "%s %d" % (op, status)
            self.statuses[k] = self.statuses.get(k, 0) + 1
            if fault:
                self.faults_done[fault] = self.faults_done.get(fault, 0) + 1
            self.log.append({"t": round(time.time() - self.t0, 3),
                             "port": port, "op": op, "status": status,
                             "code": code, "fault": fault})
            if query:
                self.log[-1]["query"] = dict(query)
            if len(self.log) > LOG_MAX:
                del self.log[:len(self.log) - LOG_MAX]


READ_PREFIXES = ("Describe", "List", "Get")


def op_kind(op):
    """"read" for Describe*/List*/Get* operations ("ecs:DescribeServices",
    "spot:GetOceanCluster"), else "write" (unknown ones included)."""
    name = op.split(":", 1)[-1]
    return "read" if name.startswith(READ_PREFIXES) or \
        name.startswith("GET ") else "write"


def now():
    return time.time()


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % int((t % 1) * 1000)


def parse_iso(s):
    s = s.strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        return datetime.datetime.fromisoformat(s).timestamp()
    except ValueError:
        return None

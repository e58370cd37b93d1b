"""Fake AWS credential sources for peer.py: STS (AssumeRole,
AssumeRoleWithWebIdentity, GetCallerIdentity; query protocol, XML like real
STS), the IAM Identity Center portal (GetRoleCredentials) and its SSO OIDC
token renewal (CreateToken with a refresh token, rest-json, unsigned, the
body checked against tests/models/sso-oidc), the ECS/EKS container
credentials endpoint and EC2 IMDSv2.

SSO: the portal accepts --sso-token (for --sso-token-uses calls, 0: any
number; after them it answers 401 as for an expired token) and every access
token CreateToken issued. CreateToken wants --sso-client-id,
--sso-client-secret and the current refresh token (first
--sso-refresh-token); each renewal issues a new access token and a new
refresh token, and the old refresh token is refused from then on
(invalid_grant), as a rotating OIDC server does.

Every temporary key issued here is remembered (Registry) so that the ECS and
EC2 fakes accept it while it lasts and refuse it once expired
(ExpiredTokenException / RequestExpired). GET /_f2o/creds returns who signed
what: {"signers": {service: {identity: count}}, "issued": {source: count},
"refused_expired": {service: count}}. POST /_f2o/creds/expire ends every
session issued so far at once (tests of expiry need not sleep out a lifetime).

Secrets here are test values; the registry never prints them.
"""
import datetime
import json
import secrets
import string
import threading
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape

from common import ApiError, awsmodel

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
STS_ACTIONS = ("AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity")
IMDS_ROLE = "f2o-instance-role"
CONTAINER_PATH = "/_creds/container"
SECRET_PREFIX = "F2oTmpSecret/"      # every issued secret key starts so
TOKEN_PREFIX = "FQoGZXIvYXdzE"       # and every issued session token
SSO_PATH = "/federation/credentials"
OIDC_PATH = "/token"
SSO_ACCESS_PREFIX = "f2oSsoAccess-"  # every access token CreateToken issues
SSO_REFRESH_PREFIX = "f2oSsoRefresh-"  # and every refresh token


def add_args(ap):
    """The peer's command-line options for the credential sources."""
    ap.add_argument("--sts-duration", type=float, default=3600.0,
                    help="lifetime of issued temporary keys, seconds")
    ap.add_argument("--web-identity-token", default="f2o-test-oidc-token",
                    help="the JWT AssumeRoleWithWebIdentity accepts")
    ap.add_argument("--sso-token", default="f2o-test-sso-access-token",
                    help="the bearer token GetRoleCredentials accepts")
    ap.add_argument("--sso-token-uses", type=int, default=0,
                    help="GetRoleCredentials calls --sso-token is good for "
                    "(0: any number); then 401, as for an expired token")
    ap.add_argument("--sso-client-id", default="f2o-test-sso-client-id",
                    help="the registered client CreateToken accepts")
    ap.add_argument("--sso-client-secret",
                    default="f2o-test-sso-client-secret",
                    help="its secret")
    ap.add_argument("--sso-refresh-token",
                    default="f2o-test-sso-refresh-token",
                    help="the first refresh token CreateToken accepts")
    ap.add_argument("--container-token", default="f2o-test-container-auth",
                    help="the Authorization the container endpoint wants")


class Session:
    def __init__(self, ak, secret, token, identity, expires):
        self.ak, self.secret, self.token = ak, secret, token
        self.identity, self.expires = identity, expires

    def refuse(self, tok):
        """None when tok is this session's and it lasts, else why not."""
        if tok is None or tok != self.token:
            return "invalid"
        if time.time() >= self.expires:
            return "expired"
        return None


def _rand(alphabet, n):
    return "".join(secrets.choice(alphabet) for _ in range(n))


def iso(t):
    return datetime.datetime.fromtimestamp(
        t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Registry:
    """Issued sessions and signer counts (thread-safe)."""

    def __init__(self, a, account, static_ak):
        self.duration = a.sts_duration
        self.web_token = a.web_identity_token
        self.sso_token = a.sso_token
        # access token -> calls left (None: any number)
        self.sso_tokens = {a.sso_token: a.sso_token_uses or None}
        self.sso_client = (a.sso_client_id, a.sso_client_secret)
        self.sso_refresh = a.sso_refresh_token
        self.container_token = a.container_token
        self.account = account
        self.static_ak = static_ak
        self.lock = threading.Lock()
        self.sessions = {}
        self.imds_tokens = {}
        self.signers = {}
        self.issued = {}
        self.refused = {}

    def issue(self, identity, source):
        ak = "ASIA" + _rand(string.ascii_uppercase + string.digits, 16)
        # Recognisable prefixes, so tests can grep outputs for leaks.
        s = Session(ak, SECRET_PREFIX + _rand(string.ascii_letters +
                                              string.digits + "/+", 27),
                    TOKEN_PREFIX + _rand(string.ascii_letters +
                                            string.digits + "/+", 120),
                    identity, time.time() + self.duration)
        with self.lock:
            self.sessions[ak] = s
            self.issued[source] = self.issued.get(source, 0) + 1
        return s

    def sso_use(self, tok):
        """True when the portal takes access token tok (one call used)."""
        with self.lock:
            if tok not in self.sso_tokens:
                return False
            left = self.sso_tokens[tok]
            if left is None:
                return True
            if left <= 0:
                return False
            self.sso_tokens[tok] = left - 1
            return True

    def sso_renew(self, client_id, secret, refresh):
        """(access, refresh) for a valid renewal, else the OAuth error."""
        with self.lock:
            if (client_id, secret) != self.sso_client:
                return "invalid_client"
            if refresh != self.sso_refresh:
                return "invalid_grant"
            access = SSO_ACCESS_PREFIX + _rand(string.ascii_letters +
                                               string.digits, 40)
            self.sso_refresh = SSO_REFRESH_PREFIX + _rand(
                string.ascii_letters + string.digits, 40)
            self.sso_tokens[access] = None
            self.issued["sso-oidc"] = self.issued.get("sso-oidc", 0) + 1
            return access, self.sso_refresh

    def session(self, ak):
        with self.lock:
            return self.sessions.get(ak)

    def identity(self, ak):
        s = self.session(ak)
        if s is not None:
            return s.identity
        return "arn:aws:iam::%s:user/f2o-test" % self.account \
            if ak == self.static_ak else None

    def note(self, service, ak):
        who = self.identity(ak) or "unknown"
        with self.lock:
            d = self.signers.setdefault(service, {})
            d[who] = d.get(who, 0) + 1

    def note_refused(self, service):
        with self.lock:
            self.refused[service] = self.refused.get(service, 0) + 1

    def expire_all(self):
        """End every issued session now; their count."""
        now = time.time()
        with self.lock:
            for s in self.sessions.values():
                s.expires = min(s.expires, now)
            return len(self.sessions)

    def snapshot(self):
        with self.lock:
            return {"signers": json.loads(json.dumps(self.signers)),
                    "issued": dict(self.issued),
                    "refused_expired": dict(self.refused)}


# ----------------------------------------------------------------------

def _sts_xml(action, inner):
    return ('<%sResponse xmlns="%s">\n  <%sResult>\n%s  </%sResult>\n'
            '  <ResponseMetadata>\n    <RequestId>%s</RequestId>\n'
            '  </ResponseMetadata>\n</%sResponse>\n'
            % (action, STS_NS, action, inner, action, uuid.uuid4(), action))


def _sts_error(code, message):
    return ('<ErrorResponse xmlns="%s">\n  <Error>\n    <Type>Sender</Type>\n'
            '    <Code>%s</Code>\n    <Message>%s</Message>\n  </Error>\n'
            '  <RequestId>%s</RequestId>\n</ErrorResponse>\n'
            % (STS_NS, escape(code), escape(message), uuid.uuid4()))


def _creds_xml(s, role_arn, session_name, extra=""):
    role = role_arn.split("/")[-1]
    return ("    <Credentials>\n      <AccessKeyId>%s</AccessKeyId>\n"
            "      <SecretAccessKey>%s</SecretAccessKey>\n"
            "      <SessionToken>%s</SessionToken>\n"
            "      <Expiration>%s</Expiration>\n    </Credentials>\n"
            "    <AssumedRoleUser>\n      <AssumedRoleId>AROA%s:%s"
            "</AssumedRoleId>\n      <Arn>%s</Arn>\n    </AssumedRoleUser>\n"
            "%s" % (s.ak, escape(s.secret), escape(s.token), iso(s.expires),
                    role.upper()[:12], escape(session_name),
                    escape(s.identity), extra))


def _assumed_arn(account, role_arn, session_name):
    return "arn:aws:sts::%s:assumed-role/%s/%s" % (
        account, role_arn.split("/")[-1], session_name)


STS_CODES = {  # EC2-style codes from check_sigv4 -> STS codes
    "AuthFailure": (403, "InvalidClientTokenId"),
    "RequestExpired": (400, "ExpiredToken"),
    "IncompleteSignature": (400, "IncompleteSignature"),
}


def _sts(h, reg, body, verify):
    peer = h.server.peer
    form = dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                       keep_blank_values=True))
    action = form.get("Action")
    if form.get("Version") != "2011-06-15":
        return h.send(400, _sts_error("InvalidAction", "Version must be "
                                      "2011-06-15"), "text/xml")
    try:
        if action in ("AssumeRole", "GetCallerIdentity"):
            verify(peer.cfg, h.command, h.path, h.headers, body, "sts")
        if action == "GetCallerIdentity":
            ak = h.headers.get("Authorization", "").split(
                "Credential=")[1].split("/")[0]
            arn = reg.identity(ak)
            inner = ("    <Arn>%s</Arn>\n    <UserId>%s</UserId>\n"
                     "    <Account>%s</Account>\n"
                     % (escape(arn), ak, reg.account))
            return h.send(200, _sts_xml(action, inner), "text/xml")
        arn, name = form.get("RoleArn"), form.get("RoleSessionName")
        if not arn or not arn.startswith("arn:aws:iam::") or \
                ":role/" not in arn or not name:
            raise ApiError(400, "ValidationError", "RoleArn and "
                           "RoleSessionName are required")
        if action == "AssumeRoleWithWebIdentity":
            if "Authorization" in h.headers:
                raise ApiError(400, "InvalidParameterValue",
                               "AssumeRoleWithWebIdentity is unsigned")
            if form.get("WebIdentityToken") != reg.web_token:
                raise ApiError(400, "InvalidIdentityToken",
                               "Couldn't retrieve verification key from "
                               "your identity provider")
            s = reg.issue(_assumed_arn(reg.account, arn, name), "web")
            extra = ("    <SubjectFromWebIdentityToken>f2o-test"
                     "</SubjectFromWebIdentityToken>\n")
            return h.send(200, _sts_xml(action, _creds_xml(s, arn, name,
                                                           extra)),
                          "text/xml")
        s = reg.issue(_assumed_arn(reg.account, arn, name), "assume-role")
        return h.send(200, _sts_xml(action, _creds_xml(s, arn, name)),
                      "text/xml")
    except ApiError as e:
        st, code = STS_CODES.get(e.code, (e.status, e.code))
        if code == "ExpiredToken":
            reg.note_refused("sts")
        return h.send(st, _sts_error(code, e.message), "text/xml")


def _sso(h, reg, url):
    q = dict(urllib.parse.parse_qsl(url.query))
    if h.command != "GET":
        return h.send_json(405, {"message": "GET only"})
    if not reg.sso_use(h.headers.get("x-amz-sso_bearer_token")):
        return h.send_json(401, {"message": "Session token not found or "
                                 "invalid"},
                           headers={"x-amzn-ErrorType":
                                    "UnauthorizedException"})
    acct, role = q.get("account_id"), q.get("role_name")
    if not acct or not role:
        return h.send_json(400, {"message": "account_id and role_name are "
                                 "required"})
    s = reg.issue("arn:aws:sts::%s:assumed-role/AWSReservedSSO_%s/f2o-test"
                  % (acct, role), "sso")
    return h.send_json(200, {"roleCredentials": {
        "accessKeyId": s.ak, "secretAccessKey": s.secret,
        "sessionToken": s.token, "expiration": int(s.expires * 1000)}})


OIDC_ERRORS = {"invalid_client": "InvalidClientException",
               "invalid_grant": "InvalidGrantException",
               "invalid_request": "InvalidRequestException"}


def _oidc_error(h, status, error, desc):
    return h.send_json(status, {"error": error, "error_description": desc},
                       headers={"x-amzn-ErrorType": OIDC_ERRORS[error]})


def _oidc(h, reg, body):
    """SSO OIDC CreateToken (rest-json, POST /token, unsigned)."""
    if "Authorization" in h.headers:
        return _oidc_error(h, 400, "invalid_request",
                           "CreateToken is unsigned (smithy.api#noAuth)")
    if not h.headers.get("Content-Type", "").startswith("application/json"):
        return _oidc_error(h, 400, "invalid_request",
                           "Content-Type must be application/json")
    try:
        params = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _oidc_error(h, 400, "invalid_request", "body is not JSON")
    if not isinstance(params, dict):
        return _oidc_error(h, 400, "invalid_request",
                           "body is not a JSON object")
    problems = awsmodel.validate_params("sso-oidc", "CreateToken", params)
    if problems:
        return _oidc_error(h, 400, "invalid_request", "; ".join(
            "%s: %s" % p for p in problems))
    if params.get("grantType") != "refresh_token" or \
            not params.get("refreshToken"):
        return _oidc_error(h, 400, "invalid_request",
                           "only grantType refresh_token, with refreshToken")
    r = reg.sso_renew(params["clientId"], params["clientSecret"],
                      params["refreshToken"])
    if isinstance(r, str):
        return _oidc_error(h, 400, r, "the client or refresh token is not "
                           "valid")
    return h.send_json(200, {"accessToken": r[0], "tokenType": "Bearer",
                             "expiresIn": 3600, "refreshToken": r[1]})


def _doc(s, **more):
    d = {"AccessKeyId": s.ak, "SecretAccessKey": s.secret, "Token": s.token,
         "Expiration": iso(s.expires)}
    d.update(more)
    return d


def _container(h, reg):
    if h.command != "GET":
        return h.send_json(405, {"message": "GET only"})
    if h.headers.get("Authorization") != reg.container_token:
        return h.send_json(401, {"code": "AccessDenied",
                                 "message": "bad Authorization"})
    s = reg.issue("arn:aws:sts::%s:assumed-role/f2o-task-role/container"
                  % reg.account, "container")
    return h.send_json(200, _doc(s, RoleArn="arn:aws:iam::%s:role/"
                                 "f2o-task-role" % reg.account))


def _imds(h, reg, path):
    if path == "/latest/api/token":
        ttl = h.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
        if h.command != "PUT" or not ttl.isdigit() or not \
                1 <= int(ttl) <= 21600:
            return h.send(400, "", "text/plain")
        tok = _rand(string.ascii_letters + string.digits, 56)
        with reg.lock:
            reg.imds_tokens[tok] = time.time() + int(ttl)
        return h.send(200, tok, "text/plain",
                      {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
    tok = h.headers.get("X-aws-ec2-metadata-token")
    with reg.lock:
        ok = tok is not None and reg.imds_tokens.get(tok, 0) > time.time()
    if not ok:                  # IMDSv2 only: no token, no answer
        return h.send(401, "", "text/plain")
    base = "/latest/meta-data/iam/security-credentials/"
    if h.command != "GET" or not path.startswith(base):
        return h.send(404, "", "text/plain")
    role = path[len(base):]
    if role == "":
        return h.send(200, IMDS_ROLE, "text/plain")
    if role != IMDS_ROLE:
        return h.send(404, "", "text/plain")
    s = reg.issue("arn:aws:sts::%s:assumed-role/%s/i-0f2o" % (
        reg.account, IMDS_ROLE), "imds")
    return h.send_json(200, _doc(s, Code="Success", Type="AWS-HMAC",
                                 LastUpdated=iso(time.time())))


def route(h, url, body, verify):
    """Answer a credential-source request on the AWS port; True when done."""
    reg = getattr(h.server.peer.cfg, "sts", None)
    if reg is None:
        return False
    path = url.path
    if path == "/_f2o/creds" and h.command == "GET":
        h.send_json(200, reg.snapshot())
        return True
    if path == "/_f2o/creds/expire" and h.command == "POST":
        h.send_json(200, {"expired": reg.expire_all()})
        return True
    if path.startswith("/latest/"):
        _imds(h, reg, path)
        return True
    if path == SSO_PATH:
        _sso(h, reg, url)
        return True
    if path == OIDC_PATH and h.command == "POST":
        _oidc(h, reg, body)
        return True
    if path == CONTAINER_PATH:
        _container(h, reg)
        return True
    if h.command == "POST" and h.headers.get("X-Amz-Target") is None:
        auth = h.headers.get("Authorization", "")
        try:
            action = dict(urllib.parse.parse_qsl(
                body.decode("utf-8", "replace"))).get("Action")
        except ValueError:
            action = None
        if "/sts/aws4_request" in auth or action in STS_ACTIONS:
            _sts(h, reg, body, verify)
            return True
    return False

#!/usr/bin/python3
"""Self-test of tests/peers/fake_sts.py through peer.py: botocore's own STS,
SSO and ECS/EC2 clients against the peer (so the XML and JSON shapes are what
botocore parses from real AWS), raw HTTP for the container endpoint and
IMDSv2, temporary keys accepted while they last and refused once expired.
Ends with "N passed, N failed"; exit 1 on any failure.

    /usr/bin/python3 tests/peers/test_fake_sts.py
"""
import json
import os
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import botocore.session  # noqa: E402
import botocore.config  # noqa: E402
import botocore.exceptions  # noqa: E402
from botocore import UNSIGNED  # noqa: E402

import test_peer as tp  # noqa: E402

ROLE = "arn:aws:iam::123456789012:role/f2o-test-role"
WEB, SSO, CTR = "oidc-test-token", "sso-test-token", "ctr-test-token"


def sts_client(url, ak=tp.AK, sk=tp.SK, token=None, unsigned=False):
    s = botocore.session.get_session()
    cfg = botocore.config.Config(retries={"total_max_attempts": 1,
                                          "mode": "standard"})
    if unsigned:
        cfg = cfg.merge(botocore.config.Config(signature_version=UNSIGNED))
    else:
        s.set_credentials(ak, sk, token)
    return s.create_client("sts", region_name="us-east-1", endpoint_url=url,
                           config=cfg)


def raw(url, method="GET", headers=None):
    req = urllib.request.Request(url, method=method, headers=headers or {},
                                 data=b"" if method == "PUT" else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def creds_state(url):
    with urllib.request.urlopen(url + "/_f2o/creds", timeout=10) as r:
        return json.load(r)


def run(p):
    aws = p["aws"]
    check = tp.check
    # STS AssumeRole, signed with the static keys
    sts = sts_client(aws)
    r = sts.assume_role(RoleArn=ROLE, RoleSessionName="t1")
    c = r["Credentials"]
    check("AssumeRole answers Credentials", c["AccessKeyId"].startswith(
        "ASIA") and c["SessionToken"] and c["Expiration"])
    check("AssumedRoleUser.Arn", r["AssumedRoleUser"]["Arn"] ==
          "arn:aws:sts::123456789012:assumed-role/f2o-test-role/t1")
    code = tp.code_of(sts_client(aws, sk="wrong/secret").assume_role,
                      RoleArn=ROLE, RoleSessionName="tt")[0]
    check("AssumeRole with a wrong secret refused", code is not None, code)
    code = tp.code_of(sts.assume_role, RoleArn="arn:aws:iam::123456789012:user/nope",
                      RoleSessionName="tt")[0]
    check("AssumeRole with a bad RoleArn -> ValidationError",
          code == "ValidationError", code)
    # the temporary keys sign ECS / EC2 / STS while they last
    temp = tp.session(c["SessionToken"])
    temp.set_credentials(c["AccessKeyId"], c["SecretAccessKey"],
                         c["SessionToken"])
    ecs = tp.client(temp, "ecs", aws)
    ec2 = tp.client(temp, "ec2", aws)
    code = tp.code_of(ecs.describe_services, cluster="shop",
                      services=["web"])[0]
    check("ECS accepts the issued keys", code is None, code)
    code = tp.code_of(ec2.describe_security_groups)[0]
    check("EC2 accepts the issued keys", code is None, code)
    who = sts_client(aws, c["AccessKeyId"], c["SecretAccessKey"],
                     c["SessionToken"]).get_caller_identity()
    check("GetCallerIdentity names the role session", who["Arn"].endswith(
        "assumed-role/f2o-test-role/t1"), who)
    chained = sts_client(aws, c["AccessKeyId"], c["SecretAccessKey"],
                         c["SessionToken"]).assume_role(
        RoleArn=ROLE.replace("f2o-test-role", "next"), RoleSessionName="t2")
    check("AssumeRole signed by an assumed role (chaining)",
          chained["Credentials"]["AccessKeyId"].startswith("ASIA"))
    code = tp.code_of(sts_client(aws, c["AccessKeyId"], c["SecretAccessKey"],
                                 "wrong-token").get_caller_identity)[0]
    check("an issued key with another token refused", code is not None,
          code)
    # expiry: the peer ends every issued session now (no wall-clock wait,
    # and no race with a slow machine before this point)
    req = urllib.request.Request(aws + "/_f2o/creds/expire", data=b"",
                                 method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        n = json.load(r)["expired"]
    check("/_f2o/creds/expire ends the sessions issued so far", n >= 2, n)
    code = tp.code_of(ecs.describe_services, cluster="shop",
                      services=["web"])[0]
    check("ECS: expired session -> ExpiredTokenException",
          code == "ExpiredTokenException", code)
    code = tp.code_of(ec2.describe_security_groups)[0]
    check("EC2: expired session -> RequestExpired", code == "RequestExpired",
          code)
    code = tp.code_of(sts_client(aws, c["AccessKeyId"], c["SecretAccessKey"],
                                 c["SessionToken"]).get_caller_identity)[0]
    check("STS: expired session -> ExpiredToken", code == "ExpiredToken",
          code)
    # web identity, unsigned
    anon = sts_client(aws, unsigned=True)
    code = tp.code_of(anon.assume_role_with_web_identity, RoleArn=ROLE,
                      RoleSessionName="ww", WebIdentityToken="other")[0]
    check("AssumeRoleWithWebIdentity: wrong token -> InvalidIdentityToken",
          code == "InvalidIdentityToken", code)
    r = anon.assume_role_with_web_identity(RoleArn=ROLE,
                                           RoleSessionName="ww",
                                           WebIdentityToken=WEB)
    check("AssumeRoleWithWebIdentity answers Credentials",
          r["Credentials"]["AccessKeyId"].startswith("ASIA"))
    # SSO portal
    s = botocore.session.get_session()
    sso = s.create_client("sso", region_name="us-east-1", endpoint_url=aws,
                          config=botocore.config.Config(
                              signature_version=UNSIGNED))
    code = tp.code_of(sso.get_role_credentials, roleName="R",
                      accountId="210987654321", accessToken="bad")[0]
    check("SSO: bad token -> UnauthorizedException",
          code == "UnauthorizedException", code)
    r = sso.get_role_credentials(roleName="R", accountId="210987654321",
                                 accessToken=SSO)
    rc = r["roleCredentials"]
    check("SSO GetRoleCredentials", rc["accessKeyId"].startswith("ASIA") and
          rc["expiration"] > time.time() * 1000)
    # SSO OIDC token renewal (CreateToken with the refresh token)
    oidc = s.create_client("sso-oidc", region_name="us-east-1",
                           endpoint_url=aws, config=botocore.config.Config(
                               signature_version=UNSIGNED))

    def renew(client="f2o-test-sso-client-id"):
        return oidc.create_token(clientId=client,
                                 clientSecret="f2o-test-sso-client-secret",
                                 grantType="refresh_token",
                                 refreshToken="f2o-test-sso-refresh-token")
    code = tp.code_of(renew, "other")[0]
    check("SSO OIDC: unknown client -> InvalidClientException",
          code == "InvalidClientException", code)
    r = renew()
    check("SSO OIDC CreateToken: new access and refresh tokens",
          r["accessToken"].startswith("f2oSsoAccess-") and
          r["refreshToken"].startswith("f2oSsoRefresh-") and
          r["expiresIn"] == 3600, r)
    code = tp.code_of(renew)[0]
    check("SSO OIDC: a used refresh token -> InvalidGrantException",
          code == "InvalidGrantException", code)
    rc = sso.get_role_credentials(roleName="R", accountId="210987654321",
                                  accessToken=r["accessToken"])
    check("SSO GetRoleCredentials with the renewed token",
          rc["roleCredentials"]["accessKeyId"].startswith("ASIA"))
    # container endpoint
    st, _ = raw(aws + "/_creds/container", headers={"Authorization": "x"})
    check("container: bad Authorization -> 401", st == 401, st)
    st, b = raw(aws + "/_creds/container", headers={"Authorization": CTR})
    check("container: credentials", st == 200 and "Token" in json.loads(b))
    # IMDSv2
    st, _ = raw(aws + "/latest/meta-data/iam/security-credentials/")
    check("IMDS: no token -> 401", st == 401, st)
    st, tok = raw(aws + "/latest/api/token", "PUT",
                  {"X-aws-ec2-metadata-token-ttl-seconds": "60"})
    check("IMDS: PUT token", st == 200 and len(tok) > 20, st)
    h = {"X-aws-ec2-metadata-token": tok}
    st, role = raw(aws + "/latest/meta-data/iam/security-credentials/",
                   headers=h)
    check("IMDS: role name", st == 200 and role == "f2o-instance-role", role)
    st, b = raw(aws + "/latest/meta-data/iam/security-credentials/" + role,
                headers=h)
    check("IMDS: credentials", st == 200 and json.loads(b)["Code"] ==
          "Success")
    # who signed what
    d = creds_state(aws)
    check("/_f2o/creds counts signers",
          d["signers"]["ecs"].get("arn:aws:sts::123456789012:assumed-role/"
                                  "f2o-test-role/t1") == 1, d)
    check("/_f2o/creds counts expired refusals",
          d["refused_expired"].get("ecs") == 1 and
          d["refused_expired"].get("ec2") == 1, d["refused_expired"])
    check("/_f2o/creds holds no secret", c["SecretAccessKey"] not in
          json.dumps(d) and c["SessionToken"] not in json.dumps(d))


def main():
    with tempfile.TemporaryDirectory(prefix="f2o-sts-") as tmp:
        p = tp.start_peer(tmp, "--web-identity-token", WEB, "--sso-token", SSO,
                          "--container-token", CTR)
        try:
            run(p)
        finally:
            p["proc"].terminate()
            p["proc"].wait(10)
    print("%d passed, %d failed" % (tp.passed, tp.failed))
    return 1 if tp.failed else 0


if __name__ == "__main__":
    sys.exit(main())

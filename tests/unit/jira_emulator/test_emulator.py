"""Tests of the Jira emulator itself: real HTTP(S) to it on 127.0.0.1."""
import base64
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time

import pytest
import requests

from jira_emulator import Account, JiraEmulator, Project

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _api(emu, version=None):
    return "%s/rest/api/%s" % (emu.url, version or ("3" if emu.mode == "cloud" else "2"))


# ------------------------------------------------------------------ basics
def test_myself_cloud_shape_and_headers(jira_emulator):
    emu = jira_emulator
    r = requests.get(_api(emu) + "/myself", auth=(emu.service_username, emu.service_token))
    assert r.status_code == 200
    assert r.headers["X-AAccountId"] == emu.service_account.account_id
    assert r.headers["Content-Type"].startswith("application/json")
    body = r.json()
    assert body["accountId"] == emu.service_account.account_id
    assert body["emailAddress"] == "svc-ansible@example.com"
    assert body["active"] is True and body["accountType"] == "atlassian"
    assert body["key"] == "" and body["name"] == ""
    assert body["self"].startswith(emu.url + "/rest/api/3/user?accountId=")
    # docs/jira-behaviour.md §3: size always, items only when expanded
    assert body["groups"]["size"] == 2 and body["groups"]["items"] == []
    assert body["applicationRoles"]["size"] == 1 and body["applicationRoles"]["items"] == []
    expanded = requests.get(_api(emu) + "/myself", params={"expand": "groups,applicationRoles"},
                            auth=(emu.service_username, emu.service_token)).json()
    assert len(expanded["groups"]["items"]) == expanded["groups"]["size"] == 2
    assert {g["name"] for g in expanded["groups"]["items"]} == {"jira-software-users", "ansible-automation"}
    assert expanded["applicationRoles"]["items"][0]["key"] == "jira-software"


def test_cloud_email_is_case_insensitive_and_v2_works(jira_emulator):
    emu = jira_emulator
    r = requests.get(_api(emu, "2") + "/myself", auth=(emu.service_username.upper(), emu.service_token))
    assert r.status_code == 200
    assert r.json()["self"].startswith(emu.url + "/rest/api/2/")


def test_myself_dc_shape_with_context_path(jira_emulator_factory):
    emu = jira_emulator_factory(mode="datacenter", context_path="/jira")
    assert emu.url.endswith("/jira")
    r = requests.get(emu.url + "/rest/api/2/myself", auth=(emu.service_username, emu.service_token))
    assert r.status_code == 200
    assert r.headers["X-AUSERNAME"] == "svc-ansible"
    body = r.json()
    assert "accountId" not in body
    assert body["name"] == "svc-ansible" and body["key"].startswith("JIRAUSER1")
    assert body["self"] == emu.url + "/rest/api/2/user?username=svc-ansible"
    # Without the context path: 404 (docs/jira-behaviour.md §1); counts use the context-stripped path.
    assert requests.get(emu.gateway_url + "/rest/api/2/myself",
                        auth=(emu.service_username, emu.service_token)).status_code == 404
    assert requests.get(emu.url + "/rest/api/latest/myself",
                        auth=(emu.service_username, emu.service_token)).status_code == 200
    assert emu.count("/rest/api/2/myself") == 2   # one in context, one outside (raw path)
    assert emu.count("/rest/api/latest/myself") == 1


def test_dc_has_no_api_v3(jira_emulator_dc):
    emu = jira_emulator_dc
    r = requests.get(emu.url + "/rest/api/3/myself", auth=(emu.service_username, emu.service_token))
    assert r.status_code == 403 and r.headers["Content-Type"].startswith("text/html")


def test_dc_pat_bearer_and_cloud_rejects_bearer(jira_emulator_dc, jira_emulator):
    dc = jira_emulator_dc
    r = requests.get(_api(dc) + "/myself", headers={"Authorization": "Bearer " + dc.service_pat})
    assert r.status_code == 200 and r.json()["name"] == "svc-ansible"
    assert requests.get(_api(dc) + "/myself", headers={"Authorization": "Bearer nope"}).status_code == 401
    cloud = jira_emulator
    r = requests.get(_api(cloud) + "/myself", headers={"Authorization": "Bearer " + cloud.service_token})
    assert r.status_code == 401


# -------------------------------------------------------------- auth failures
def test_cloud_401_bodies(jira_emulator):
    emu = jira_emulator
    wrong = requests.get(_api(emu) + "/myself", auth=(emu.service_username, "wrong"))
    assert wrong.status_code == 401
    assert wrong.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    assert wrong.text.startswith("Basic authentication with passwords is deprecated")
    assert not wrong.headers["WWW-Authenticate"].lower().startswith("basic")
    unknown = requests.get(_api(emu) + "/myself", auth=("nobody@example.com", "x"))
    assert unknown.status_code == 401 and unknown.text == "Client must be authenticated to access this resource."
    anon = requests.get(_api(emu) + "/myself")
    assert anon.status_code == 401 and "X-Seraph-LoginReason" not in anon.headers
    # Cloud usernames are emails; the bare login name is unknown (docs/jira-behaviour.md §2).
    assert requests.get(_api(emu) + "/myself", auth=("svc-ansible", emu.service_token)).status_code == 401


def test_dc_401_is_html_with_seraph_header(jira_emulator_dc):
    emu = jira_emulator_dc
    r = requests.get(_api(emu) + "/myself", auth=(emu.service_username, "wrong"))
    assert r.status_code == 401
    assert r.headers["Content-Type"].startswith("text/html")
    assert "Basic Authentication Failure - Reason : AUTHENTICATED_FAILED" in r.text
    assert r.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    anon = requests.get(_api(emu) + "/myself")
    assert anon.status_code == 401 and anon.json()["errorMessages"]


@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_inactive_and_revoked(jira_emulator_factory, mode):
    emu = jira_emulator_factory(mode=mode)
    auth = (emu.service_username, emu.service_token)
    emu.service_account.active = False
    r = requests.get(_api(emu) + "/myself", auth=auth)
    assert r.status_code == 401 and r.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    emu.service_account.active = True
    assert requests.get(_api(emu) + "/myself", auth=auth).status_code == 200
    emu.service_account.tokens.remove(emu.service_token)
    assert requests.get(_api(emu) + "/myself", auth=auth).status_code == 401


def test_dc_user_without_application_access_gets_401(jira_emulator_factory):
    emu = jira_emulator_factory(mode="datacenter", accounts=[
        Account(name="noaccess", tokens=["pw"], application_roles=[], groups=[])])
    assert requests.get(_api(emu) + "/myself", auth=("noaccess", "pw")).status_code == 401


def test_dc_basic_auth_disabled(jira_emulator_factory):
    emu = jira_emulator_factory(mode="datacenter", basic_auth=False)
    assert requests.get(_api(emu) + "/myself", auth=(emu.service_username, emu.service_token)).status_code == 401
    assert requests.get(_api(emu) + "/myself", headers={"Authorization": "Bearer " + emu.service_pat}).status_code == 200


def test_dc_captcha_locks_after_threshold_and_reset_clears(jira_emulator_factory):
    emu = jira_emulator_factory(mode="datacenter", context_path="/jira", captcha_after=3)
    good = (emu.service_username, emu.service_token)
    # a success before the lock resets the counter
    for dummy in range(2):
        assert requests.get(_api(emu) + "/myself", auth=(emu.service_username, "bad")).status_code == 401
    assert requests.get(_api(emu) + "/myself", auth=good).status_code == 200
    assert emu.failed_logins("svc-ansible") == 0
    for dummy in range(3):
        assert requests.get(_api(emu) + "/myself", auth=(emu.service_username, "bad")).status_code == 401
    r = requests.get(_api(emu) + "/myself", auth=good)   # even the right password is refused now
    assert r.status_code == 403
    assert r.headers["X-Authentication-Denied-Reason"] == "CAPTCHA_CHALLENGE; login-url=%s/login.jsp" % emu.url
    assert r.headers["X-Seraph-LoginReason"] == "AUTHENTICATION_DENIED"
    assert r.headers["Content-Type"].startswith("text/html")
    # PATs are not subject to CAPTCHA
    assert requests.get(_api(emu) + "/myself", headers={"Authorization": "Bearer " + emu.service_pat}).status_code == 200
    emu.reset()
    assert requests.get(_api(emu) + "/myself", auth=good).status_code == 200


def test_captcha_disabled_with_zero(jira_emulator_factory):
    emu = jira_emulator_factory(mode="datacenter", captcha_after=0)
    for dummy in range(5):
        requests.get(_api(emu) + "/myself", auth=(emu.service_username, "bad"))
    assert requests.get(_api(emu) + "/myself", auth=(emu.service_username, emu.service_token)).status_code == 200


# ------------------------------------------------------- anonymous-capable
def test_cloud_anonymous_endpoints_answer_200_to_bad_creds(jira_emulator):
    emu = jira_emulator
    r = requests.get(_api(emu) + "/serverInfo", auth=(emu.service_username, "wrong"))
    assert r.status_code == 200
    assert r.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    info = r.json()
    assert info["deploymentType"] == "Cloud" and info["version"] == "1001.0.0-SNAPSHOT"
    assert info["versionNumbers"] == [1001, 0, 0] and info["baseUrl"] == emu.url
    r = requests.get(_api(emu) + "/mypermissions", params={"permissions": "BROWSE_PROJECTS"},
                     auth=(emu.service_username, "wrong"))
    assert r.status_code == 200 and r.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    assert r.json()["permissions"]["BROWSE_PROJECTS"]["havePermission"] is False
    anon = requests.get(_api(emu) + "/serverInfo")
    assert anon.status_code == 200 and "X-Seraph-LoginReason" not in anon.headers


def test_cloud_mypermissions(jira_emulator):
    emu = jira_emulator
    auth = (emu.service_username, emu.service_token)
    r = requests.get(_api(emu) + "/mypermissions", auth=auth)
    assert r.status_code == 400 and r.json()["errorMessages"]
    assert requests.get(_api(emu) + "/mypermissions", params={"permissions": "NOPE"}, auth=auth).status_code == 400
    r = requests.get(_api(emu) + "/mypermissions", params={"permissions": "BROWSE_PROJECTS,DELETE_ISSUES,ADMINISTER"},
                     auth=auth)
    perms = r.json()["permissions"]
    assert set(perms) == {"BROWSE_PROJECTS", "DELETE_ISSUES", "ADMINISTER"}
    assert perms["BROWSE_PROJECTS"]["havePermission"] is True
    assert perms["DELETE_ISSUES"]["havePermission"] is False
    assert perms["ADMINISTER"]["havePermission"] is False and perms["ADMINISTER"]["type"] == "GLOBAL"
    r = requests.get(_api(emu) + "/mypermissions", params={"permissions": "BROWSE_PROJECTS", "projectKey": "NOPE"},
                     auth=auth)
    assert r.status_code == 404 and r.json()["errorMessages"]


def test_dc_mypermissions_all_and_bad_creds_401(jira_emulator_dc):
    emu = jira_emulator_dc
    r = requests.get(_api(emu) + "/mypermissions", auth=(emu.service_username, emu.service_token))
    assert r.status_code == 200 and len(r.json()["permissions"]) > 30
    assert requests.get(_api(emu) + "/mypermissions", auth=(emu.service_username, "bad")).status_code == 401
    assert requests.get(_api(emu) + "/serverInfo", auth=(emu.service_username, "bad")).status_code == 401
    r = requests.get(_api(emu) + "/serverInfo")
    assert r.status_code == 200 and r.json()["deploymentType"] == "Server" and r.json()["version"] == "9.12.4"


def test_dc_deployment_type_configurable(jira_emulator_factory):
    emu = jira_emulator_factory(mode="datacenter", deployment_type="DataCenter", version="10.3.1")
    info = requests.get(_api(emu) + "/serverInfo").json()
    assert info["deploymentType"] == "DataCenter" and info["versionNumbers"] == [10, 3, 1]


def test_project_visibility(jira_emulator):
    emu = jira_emulator
    auth = (emu.service_username, emu.service_token)
    r = requests.get(_api(emu) + "/project/OPS", auth=auth)
    assert r.status_code == 200 and r.json()["key"] == "OPS" and r.json()["id"] == "10000"
    assert requests.get(_api(emu) + "/project/10000", auth=auth).status_code == 200
    assert requests.get(_api(emu) + "/project/NOPE", auth=auth).status_code == 404
    emu.add_project(Project("SEC", "Secret"))
    assert requests.get(_api(emu) + "/project/SEC", auth=auth).status_code == 404
    assert requests.get(_api(emu) + "/project/SEC", auth=(emu.admin_username, emu.admin_token)).status_code == 200
    assert requests.get(_api(emu) + "/project/OPS", auth=(emu.service_username, "bad")).status_code == 404


# ------------------------------------------------------------- paths
def test_unknown_paths_root_and_double_slash(jira_emulator, jira_emulator_dc):
    emu = jira_emulator
    r = requests.get(emu.url + "/rest/api/3/nonsense", auth=(emu.service_username, emu.service_token))
    assert r.status_code == 404 and r.json()["message"] == "HTTP 404 Not Found"
    assert requests.get(emu.url + "/rest/foo/1").status_code == 404
    # http.client, because urllib3 collapses "//" in the path before sending.
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    conn.request("GET", "//rest/api/3/myself", headers={"Authorization": requests.auth._basic_auth_str(
        emu.service_username, emu.service_token)})
    resp = conn.getresponse()
    assert resp.status == 404 and json.loads(resp.read())["status-code"] == 404
    conn.close()
    root = requests.get(emu.url + "/")
    assert root.status_code == 200 and root.headers["Content-Type"].startswith("text/html")
    dc = jira_emulator_dc
    r = requests.get(dc.url + "/rest/api/2/nonsense")
    assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/html")


# ------------------------------------------------------------- gateway
def test_scoped_token_only_via_gateway(jira_emulator):
    emu = jira_emulator
    tenant = requests.get(emu.url + "/_edge/tenant_info")
    assert tenant.status_code == 200 and tenant.json() == {"cloudId": emu.cloud_id}
    scoped = (emu.service_username, emu.service_scoped_token)
    r = requests.get(emu.url + "/rest/api/3/myself", auth=scoped)
    assert r.status_code == 401 and r.text == "Client must be authenticated to access this resource."
    gw = "%s/ex/jira/%s/rest/api/3/myself" % (emu.gateway_url, emu.cloud_id)
    assert emu.gateway_site_url + "/rest/api/3/myself" == gw
    r = requests.get(gw, auth=scoped)
    assert r.status_code == 200 and r.json()["accountId"] == emu.service_account.account_id
    assert requests.get(gw, auth=(emu.service_username, emu.service_token)).status_code == 200
    assert requests.get(gw, auth=(emu.service_username, "bad")).status_code == 401
    bad_id = "%s/ex/jira/%s/rest/api/3/myself" % (emu.gateway_url, "00000000-0000-0000-0000-000000000000")
    assert requests.get(bad_id, auth=scoped).status_code == 404
    assert emu.count("/ex/jira/%s/rest/api/3/myself" % emu.cloud_id) == 3
    assert emu.count("/rest/api/3/myself") == 1


def test_gateway_scope_mismatch(jira_emulator):
    emu = jira_emulator
    emu.service_account.scopes = ["read:jira-work"]
    gw = emu.gateway_site_url + "/rest/api/3/myself"
    r = requests.get(gw, auth=(emu.service_username, emu.service_scoped_token))
    assert r.status_code == 401
    assert r.json() == {"code": 401, "message": "Unauthorized; scope does not match"}
    assert r.headers["X-Failure-Category"] == "FAILURE_CLIENT_SCOPE_CHECK"
    emu.service_account.scopes = ["read:jira-user"]
    assert requests.get(gw, auth=(emu.service_username, emu.service_scoped_token)).status_code == 200


def test_dc_has_no_gateway_or_tenant_info(jira_emulator_dc):
    emu = jira_emulator_dc
    assert requests.get(emu.url + "/_edge/tenant_info").status_code == 404
    assert requests.get(emu.gateway_site_url + "/rest/api/2/myself").status_code == 404


# ------------------------------------------------------------ counters
def test_counts_log_and_reset(jira_emulator):
    emu = jira_emulator
    auth = (emu.service_username, emu.service_token)
    requests.get(_api(emu) + "/myself?expand=groups", auth=auth)
    requests.get(_api(emu) + "/myself", auth=auth)
    requests.get(_api(emu) + "/serverInfo")
    requests.post(_api(emu) + "/group", json={"name": "g1"}, auth=auth)
    requests.get(emu.url + "/_emulator/counts")   # control calls are not counted
    assert emu.count("/rest/api/3/myself") == 2
    assert emu.count("/rest/api/3/group", "POST") == 1
    assert emu.counts() == {"GET /rest/api/3/myself": 2, "GET /rest/api/3/serverInfo": 1, "POST /rest/api/3/group": 1}
    assert emu.total_requests() == 4
    first = emu.requests[0]
    assert first["method"] == "GET" and first["path"] == "/rest/api/3/myself" and first["query"] == "expand=groups"
    expected = "Basic " + base64.b64encode(("%s:%s" % auth).encode()).decode()
    assert first["headers"]["Authorization"] == expected
    assert first["body"] is None
    assert json.loads(emu.requests[3]["body"]) == {"name": "g1"}
    assert requests.get(emu.url + "/_emulator/counts").json() == emu.counts()
    assert requests.get(emu.url + "/_emulator/total").json() == {"total": 4}
    logged = requests.get(emu.url + "/_emulator/requests").json()
    assert logged[3]["body"] == '{"name": "g1"}'
    emu.reset()
    assert emu.counts() == {} and emu.requests == [] and emu.total_requests() == 0


def test_http_control_api(jira_emulator):
    emu = jira_emulator
    ctl = emu.url + "/_emulator"
    info = requests.get(ctl + "/info").json()
    assert info["url"] == emu.url and info["cloud_id"] == emu.cloud_id
    new = {"email": "new@example.com", "tokens": ["tok-new"]}
    assert requests.post(ctl + "/accounts", json=new).status_code == 200
    assert requests.get(_api(emu) + "/myself", auth=("new@example.com", "tok-new")).status_code == 200
    assert requests.patch(ctl + "/accounts/new@example.com", json={"active": False}).status_code == 200
    assert requests.get(_api(emu) + "/myself", auth=("new@example.com", "tok-new")).status_code == 401
    requests.patch(ctl + "/accounts/new@example.com", json={"active": True})
    assert requests.delete(ctl + "/accounts/new%40example.com/tokens").status_code == 200
    assert requests.get(_api(emu) + "/myself", auth=("new@example.com", "tok-new")).status_code == 401
    assert requests.post(ctl + "/faults", json=[{"path": "/rest/api/3/serverInfo", "kind": "status", "status": 502,
                                                 "times": 2}]).status_code == 200
    assert [requests.get(_api(emu) + "/serverInfo").status_code for dummy in range(3)] == [502, 502, 200]
    assert requests.post(ctl + "/faults", json={"path": "*", "kind": "bogus"}).status_code == 400
    assert requests.post(ctl + "/faults", json={"path": "*", "kind": "empty_200", "times": None}).status_code == 200
    assert requests.get(_api(emu) + "/serverInfo").content == b""
    assert requests.delete(ctl + "/faults").status_code == 200
    assert requests.get(_api(emu) + "/serverInfo").status_code == 200
    assert requests.post(ctl + "/reset").status_code == 200
    assert emu.total_requests() == 0


# --------------------------------------------------------------- faults
def test_fault_status_retry_after_and_times(jira_emulator):
    emu = jira_emulator
    url = _api(emu) + "/myself"
    auth = (emu.service_username, emu.service_token)
    emu.add_fault("/rest/api/3/myself", "rate_limit", times=2, retry_after=7)
    r = requests.get(url, auth=auth)
    assert r.status_code == 429 and r.headers["Retry-After"] == "7" and "X-RateLimit-Reset" not in r.headers
    assert requests.get(url, auth=auth).status_code == 429
    assert requests.get(url, auth=auth).status_code == 200
    emu.add_fault("*", "server_error", status=503, retry_after="Wed, 21 Oct 2026 07:28:00 GMT")
    r = requests.get(_api(emu) + "/serverInfo")
    assert r.status_code == 503 and r.headers["Retry-After"] == "Wed, 21 Oct 2026 07:28:00 GMT"
    emu.add_fault("/rest/api/3/myself", "status", status=418, body={"x": 1}, headers={"X-Test": "y"})
    r = requests.get(url, auth=auth)
    assert r.status_code == 418 and r.json() == {"x": 1} and r.headers["X-Test"] == "y"
    emu.add_fault("/rest/api/3/myself", "status", method="POST", status=500)
    assert requests.get(url, auth=auth).status_code == 200   # method filter
    with pytest.raises(ValueError):
        emu.add_fault("*", "no-such-kind")


@pytest.mark.parametrize("kind,check", [
    ("html_sso_200", lambda r: r.status_code == 200 and r.text.startswith("<!DOCTYPE")
     and r.headers["Content-Type"].startswith("text/html")),
    ("malformed_json", lambda r: r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
     and _not_json(r.text)),
    ("anonymous_200", lambda r: r.status_code == 200 and "accountId" not in r.json()
     and r.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"),
    ("empty_200", lambda r: r.status_code == 200 and r.content == b""),
    ("inactive_200", lambda r: r.status_code == 200 and r.json()["active"] is False and "accountId" in r.json()),
    ("xsrf", lambda r: r.status_code == 403 and r.text == "XSRF check failed"),
])
def test_fault_bodies(jira_emulator, kind, check):
    emu = jira_emulator
    emu.add_fault("/rest/api/3/myself", kind)
    r = requests.get(_api(emu) + "/myself", auth=(emu.service_username, emu.service_token))
    assert check(r)


def _not_json(text):
    try:
        json.loads(text)
    except ValueError:
        return True
    return False


def test_fault_redirect_login(jira_emulator):
    emu = jira_emulator
    emu.add_fault("/rest/api/3/myself", "redirect_login")
    r = requests.get(_api(emu) + "/myself", allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].startswith(emu.url + "/login.jsp")
    emu.add_fault("/rest/api/3/myself", "redirect_login")
    followed = requests.get(_api(emu) + "/myself")
    assert followed.status_code == 200 and followed.headers["Content-Type"].startswith("text/html")


def test_fault_slow_and_drip(jira_emulator):
    emu = jira_emulator
    auth = (emu.service_username, emu.service_token)
    emu.add_fault("/rest/api/3/serverInfo", "slow", delay=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(_api(emu) + "/serverInfo", timeout=0.3)
    emu.add_fault("/rest/api/3/myself", "slow", delay=0.2)
    start = time.monotonic()
    assert requests.get(_api(emu) + "/myself", auth=auth).status_code == 200
    assert time.monotonic() - start >= 0.2
    # drip: the normal answer, one byte at a time (a read timeout alone never fires).
    normal = requests.get(emu.url + "/_edge/tenant_info").content
    emu.add_fault("/_edge/tenant_info", "drip", interval=0.02)
    start = time.monotonic()
    r = requests.get(emu.url + "/_edge/tenant_info", timeout=5)
    assert r.content == normal
    # The emulator sleeps after every byte; the client has the last byte before the last sleep.
    assert time.monotonic() - start >= (len(normal) - 1) * 0.02


def test_fault_reset_closes_connection(jira_emulator):
    emu = jira_emulator
    emu.add_fault("*", "reset")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(_api(emu) + "/serverInfo")
    assert requests.get(_api(emu) + "/serverInfo").status_code == 200


def test_fault_big_body_streams(jira_emulator):
    emu = jira_emulator
    emu.add_fault("/rest/api/3/myself", "big_body", size=3 * 1024 * 1024 + 5)
    r = requests.get(_api(emu) + "/myself", stream=True)
    assert int(r.headers["Content-Length"]) == 3 * 1024 * 1024 + 5
    total = sum(len(c) for c in r.iter_content(65536))
    assert total == 3 * 1024 * 1024 + 5
    # A client that stops early does not break the server.
    emu.add_fault("/rest/api/3/myself", "big_body", size=50 * 1024 * 1024)
    r = requests.get(_api(emu) + "/myself", stream=True)
    r.raw.read(1024)
    r.close()
    assert requests.get(_api(emu) + "/serverInfo").status_code == 200


def test_fault_captcha_and_scope_kinds(jira_emulator_dc):
    emu = jira_emulator_dc
    emu.add_fault("/rest/api/2/myself", "captcha")
    r = requests.get(_api(emu) + "/myself", auth=(emu.service_username, emu.service_token))
    assert r.status_code == 403 and r.headers["X-Authentication-Denied-Reason"].startswith("CAPTCHA_CHALLENGE")


# ------------------------------------------------------------------- TLS
def test_tls_valid_cert(jira_emulator_tls):
    emu = jira_emulator_tls
    assert emu.url.startswith("https://127.0.0.1:")
    assert os.path.exists(emu.ca_path)
    r = requests.get(_api(emu) + "/myself", auth=(emu.service_username, emu.service_token), verify=emu.ca_path)
    assert r.status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(_api(emu) + "/serverInfo")   # system trust store does not know the run-time CA
    # localhost is in the certificate too
    r = requests.get(emu.url.replace("127.0.0.1", "localhost") + "/rest/api/3/serverInfo", verify=emu.ca_path)
    assert r.status_code == 200
    ca = emu.ca_path
    emu.stop()
    assert not os.path.exists(ca)


@pytest.mark.parametrize("cert,needle", [("wrong_host", "match"), ("expired", "expired")])
def test_tls_bad_certs(jira_emulator_factory, cert, needle):
    emu = jira_emulator_factory(tls=True, cert=cert)
    with pytest.raises(requests.exceptions.SSLError) as err:
        requests.get(_api(emu) + "/serverInfo", verify=emu.ca_path)
    assert needle in str(err.value).lower()
    # The server survives the failed handshake.
    ctx = ssl.create_default_context(cafile=emu.ca_path)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", emu.port)) as raw, ctx.wrap_socket(raw) as sock:
        sock.sendall(b"GET /rest/api/3/serverInfo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert sock.recv(64).startswith(b"HTTP/1.1 200")


# ------------------------------------------------------------------ admin
@pytest.mark.parametrize("mode", ["cloud", "datacenter"])
def test_admin_setup_flow(jira_emulator_factory, mode):
    emu = jira_emulator_factory(mode=mode)
    api = _api(emu)
    admin = (emu.admin_username, emu.admin_token)
    svc = (emu.service_username, emu.service_token)
    # non-admin is refused
    r = requests.post(api + "/group", json={"name": "jira-bots"}, auth=svc)
    assert r.status_code == 403 and r.json()["errorMessages"]
    assert requests.post(api + "/group", json={"name": "jira-bots"}, auth=admin).status_code == 201
    r = requests.post(api + "/group", json={"name": "jira-bots"}, auth=admin)
    assert r.status_code == 400 and r.json()["errorMessages"] == ["A group with that name already exists."]
    assert requests.get(api + "/group", params={"groupname": "jira-bots"}, auth=admin).status_code == 200
    assert requests.get(api + "/group", params={"groupname": "nope"}, auth=admin).status_code == 404
    # create the service user
    if mode == "cloud":
        body = {"emailAddress": "bot@example.com", "products": ["jira-software"]}
    else:
        body = {"name": "bot", "password": "s3cret", "emailAddress": "bot@example.com", "displayName": "Bot",
                "applicationKeys": ["jira-software"]}
    r = requests.post(api + "/user", json=body, auth=admin)
    assert r.status_code == 201
    user = r.json()
    ident = {"accountId": user["accountId"]} if mode == "cloud" else {"name": user["name"]}
    r = requests.post(api + "/user", json=body, auth=admin)
    assert r.status_code == (201 if mode == "cloud" else 400)
    # membership
    r = requests.post(api + "/group/user", params={"groupname": "jira-bots"}, json=ident, auth=admin)
    assert r.status_code == 201
    assert requests.post(api + "/group/user", params={"groupname": "jira-bots"}, json=ident,
                         auth=admin).status_code == 400
    bad = {"accountId": "0" * 24} if mode == "cloud" else {"name": "ghost"}
    assert requests.post(api + "/group/user", params={"groupname": "jira-bots"}, json=bad, auth=admin).status_code == 404
    members = requests.get(api + "/group/member", params={"groupname": "jira-bots"}, auth=admin).json()
    assert members["total"] == 1 and members["values"][0]["displayName"]
    # project role -> permissions follow
    if mode == "datacenter":
        r = requests.put(api + "/applicationrole/jira-software",
                         json={"groups": ["jira-software-users", "jira-bots"], "defaultGroups": ["jira-software-users"]},
                         auth=admin)
        assert r.status_code == 200 and "jira-bots" in r.json()["groups"]
        assert requests.put(api + "/applicationrole/jira-software", json={"groups": ["ghost"]},
                            auth=admin).status_code == 400
        assert requests.put(api + "/applicationrole/jira-software", json={"groups": []}, auth=svc).status_code == 403
    roles = requests.get(api + "/project/OPS/role", auth=admin).json()
    assert set(roles) == {"Administrators", "Developers", "Users"}
    assert requests.post(api + "/project/OPS/role/10001", json={"group": ["jira-bots"]}, auth=svc).status_code == 403
    r = requests.post(api + "/project/OPS/role/10001", json={"group": ["jira-bots"]}, auth=admin)
    assert r.status_code == 200
    assert [a["name"] for a in r.json()["actors"]] == ["jira-bots"]
    assert requests.post(api + "/project/OPS/role/10001", json={"group": ["jira-bots"]}, auth=admin).status_code == 400
    assert requests.post(api + "/project/OPS/role/10001", json={"group": ["ghost"]}, auth=admin).status_code == 404
    bot = emu.find_account("bot@example.com" if mode == "cloud" else "bot")
    bot.tokens.append("bot-token")
    bot_auth = ("bot@example.com" if mode == "cloud" else "bot", "bot-token")
    assert requests.get(api + "/myself", auth=bot_auth).status_code == 200
    assert requests.get(api + "/project/OPS", auth=bot_auth).status_code == 200
    # removal
    gq = {"groupname": "jira-bots"}
    assert requests.delete(api + "/project/OPS/role/10001", params={"group": "jira-bots"}, auth=admin).status_code == 204
    assert requests.get(api + "/project/OPS", auth=bot_auth).status_code == 404
    uq = {"accountId": user["accountId"]} if mode == "cloud" else {"username": "bot"}
    assert requests.delete(api + "/group/user", params=dict(gq, **uq), auth=admin).status_code == 200
    assert requests.delete(api + "/group", params=gq, auth=admin).status_code == 200
    assert requests.delete(api + "/group", params=gq, auth=admin).status_code == 404
    assert requests.get(api + "/user", params=uq, auth=admin).status_code == 200
    assert requests.delete(api + "/user", params=uq, auth=admin).status_code == 204
    assert requests.get(api + "/user", params=uq, auth=admin).status_code == 404


def test_cloud_application_roles_admin_only(jira_emulator):
    emu = jira_emulator
    r = requests.get(_api(emu) + "/applicationrole", auth=(emu.service_username, emu.service_token))
    assert r.status_code == 403
    roles = requests.get(_api(emu) + "/applicationrole", auth=(emu.admin_username, emu.admin_token)).json()
    assert {r["key"] for r in roles} >= {"jira-software", "jira-core"}
    assert requests.put(_api(emu) + "/applicationrole/jira-software", json={},
                        auth=(emu.admin_username, emu.admin_token)).status_code == 405


def test_user_groups(jira_emulator, jira_emulator_dc):
    emu = jira_emulator
    q = {"accountId": emu.service_account.account_id}
    r = requests.get(_api(emu) + "/user/groups", params=q, auth=(emu.admin_username, emu.admin_token))
    assert sorted(g["name"] for g in r.json()) == ["ansible-automation", "jira-software-users"]
    assert requests.get(_api(emu) + "/user/groups", params=q,
                        auth=(emu.service_username, emu.service_token)).status_code == 403
    assert requests.get(_api(emu) + "/user/groups", auth=(emu.admin_username, emu.admin_token)).status_code == 400
    dc = jira_emulator_dc
    r = requests.get(_api(dc) + "/user/groups", params={"username": "svc-ansible"}, auth=(dc.admin_username, dc.admin_token))
    assert r.status_code == 200 and "self" in r.json()[0] and "groupId" not in r.json()[0]


def test_user_search(jira_emulator, jira_emulator_dc):
    emu = jira_emulator
    r = requests.get(_api(emu) + "/user/search", params={"query": "svc-ansible"}, auth=(emu.admin_username, emu.admin_token))
    assert [u["accountId"] for u in r.json()] == [emu.service_account.account_id]
    assert requests.get(_api(emu) + "/user/search", auth=(emu.admin_username, emu.admin_token)).status_code == 400
    dc = jira_emulator_dc
    r = requests.get(_api(dc) + "/user/search", params={"username": "svc"}, auth=(dc.admin_username, dc.admin_token))
    assert [u["name"] for u in r.json()] == ["svc-ansible"]


# ------------------------------------------------------------ plumbing
def test_parallel_requests_are_served(jira_emulator):
    import concurrent.futures

    emu = jira_emulator
    auth = (emu.service_username, emu.service_token)
    emu.add_fault("/rest/api/3/serverInfo", "slow", times=None, delay=1.0)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(lambda _: requests.get(_api(emu) + "/serverInfo", auth=auth).status_code, range(20)))
    assert codes == [200] * 20
    assert time.monotonic() - start < 10   # threaded: far below 20 x 1 s
    assert emu.count("/rest/api/3/serverInfo") == 20


def test_keep_alive_connection_reused(jira_emulator):
    emu = jira_emulator
    with requests.Session() as session:
        for dummy in range(5):
            assert session.get(_api(emu) + "/serverInfo").status_code == 200
    assert emu.count("/rest/api/3/serverInfo") == 5


def test_context_manager_and_ports():
    session = requests.Session()
    with JiraEmulator(mode="cloud") as emu:
        port = emu.port
        assert port > 0 and emu.url == "http://127.0.0.1:%d" % port
        assert session.get(emu.url + "/rest/api/3/serverInfo").status_code == 200
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get("http://127.0.0.1:%d/" % port, timeout=2)
    # The keep-alive connection is gone as well: a stopped emulator answers nobody.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    with pytest.raises((ConnectionError, OSError, http.client.HTTPException)):
        conn.request("GET", "/rest/api/3/serverInfo")
        conn.getresponse()
    with pytest.raises(requests.exceptions.ConnectionError):
        session.get("http://127.0.0.1:%d/rest/api/3/serverInfo" % port, timeout=2)
    session.close()


def test_cli_subprocess(tmp_path):
    config = tmp_path / "accounts.json"
    config.write_text(json.dumps({"mode": "datacenter", "captcha_after": 2, "context_path": "/jira",
                                  "accounts": [{"name": "bob", "tokens": ["pw-bob"]}],
                                  "projects": [{"key": "OPS", "name": "Operations"}],
                                  "faults": [{"path": "/rest/api/2/serverInfo", "kind": "status", "status": 503}]}))
    port_file, ca_file = tmp_path / "url", tmp_path / "ca.pem"
    env = dict(os.environ, PYTHONPATH=TESTS_DIR)
    proc = subprocess.Popen([sys.executable, "-m", "jira_emulator", "--tls", "--config", str(config),
                             "--port-file", str(port_file), "--ca-file", str(ca_file)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert info["pid"] == proc.pid and info["url"].startswith("https://127.0.0.1:") and info["url"].endswith("/jira")
        assert port_file.read_text().strip() == info["url"]
        assert info["ca_path"] == str(ca_file)
        r = requests.get(info["url"] + "/rest/api/2/myself", auth=("bob", "pw-bob"), verify=str(ca_file))
        assert r.status_code == 200 and r.json()["name"] == "bob"
        assert requests.get(info["url"] + "/rest/api/2/serverInfo", verify=str(ca_file)).status_code == 503
        counts = requests.get(info["gateway_url"] + "/_emulator/counts", verify=str(ca_file)).json()
        assert counts == {"GET /rest/api/2/myself": 1, "GET /rest/api/2/serverInfo": 1}
        # A failed TLS handshake is not worth a traceback either.
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(info["url"] + "/rest/api/2/serverInfo")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert out == "" and err == ""   # quiet: one JSON line, then nothing (no access log)


def test_cloud_get_with_body_fails_auth(jira_emulator, jira_emulator_factory):
    emu = jira_emulator
    auth = (emu.service_username, emu.service_token)
    r = requests.get(_api(emu) + "/myself", auth=auth, data=b'{"x": 1}')
    assert r.status_code == 401 and r.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    relaxed = jira_emulator_factory(reject_get_body=False)
    assert requests.get(_api(relaxed) + "/myself", auth=(relaxed.service_username, relaxed.service_token),
                        data=b'{"x": 1}').status_code == 200


def test_form_encoded_write_needs_no_check_header(jira_emulator):
    emu = jira_emulator
    admin = (emu.admin_username, emu.admin_token)
    r = requests.post(_api(emu) + "/group", data={"name": "g"}, auth=admin)
    assert r.status_code == 403 and r.text == "XSRF check failed"
    r = requests.post(_api(emu) + "/group", json={"name": "g"}, auth=admin)
    assert r.status_code == 201


def test_request_log_is_capped_but_counts_are_exact(jira_emulator_factory):
    emu = jira_emulator_factory(max_log=3)
    for dummy in range(5):
        requests.get(_api(emu) + "/serverInfo")
    assert len(emu.requests) == 3 and emu.count("/rest/api/3/serverInfo") == 5


def test_anonymous_200_with_authentication_denied(jira_emulator_dc):
    emu = jira_emulator_dc
    emu.add_fault("/rest/api/2/myself", "anonymous_200", login_reason="AUTHENTICATION_DENIED")
    r = requests.get(_api(emu) + "/myself", auth=(emu.service_username, "wrong"))
    assert r.status_code == 200 and r.headers["X-Seraph-LoginReason"] == "AUTHENTICATION_DENIED"
    assert "name" not in r.json()


def test_chunked_request_body_keeps_connection_usable(jira_emulator):
    emu = jira_emulator
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=5)
    auth = {"Authorization": requests.auth._basic_auth_str(emu.admin_username, emu.admin_token),
            "Content-Type": "application/json"}
    conn.request("POST", "/rest/api/3/group", body=iter([b'{"name":', b' "chunky"}']), headers=auth,
                 encode_chunked=True)
    resp = conn.getresponse()
    assert resp.status == 201 and json.loads(resp.read())["name"] == "chunky"
    conn.request("GET", "/rest/api/3/serverInfo")     # same connection still in sync
    assert conn.getresponse().status == 200
    conn.close()


def test_probability_and_random_faults(jira_emulator):
    emu = jira_emulator
    url = _api(emu) + "/serverInfo"
    emu.add_fault("*", "server_error", times=None, status=503, probability=0.3, seed=7)
    codes = [requests.get(url).status_code for dummy in range(60)]
    hit = codes.count(503)
    assert 5 <= hit <= 35 and codes.count(200) == 60 - hit
    assert sum(1 for e in emu.requests if e["fault"] == "server_error") == hit
    emu.clear_faults()
    emu.add_fault("/rest/api/3/serverInfo", "random", times=4, seed=1,
                  kinds=["empty_200", {"kind": "status", "status": 418}])
    got = [requests.get(url) for dummy in range(6)]
    assert all((r.status_code, r.content) in ((200, b""), (418, r.content)) for r in got[:4])
    assert {r.status_code for r in got[:4]} <= {200, 418} and all(r.content for r in got[4:])
    assert {e["fault"] for e in emu.requests[-6:-2]} <= {"empty_200", "status"}
    with pytest.raises(ValueError):
        emu.add_fault("*", "random", kinds=["nope"])


def test_default_random_faults_are_transient(jira_emulator):
    emu = jira_emulator
    emu.add_fault("/rest/api/3/serverInfo", "random", times=None, seed=3)
    statuses = set()
    for dummy in range(25):
        try:
            statuses.add(requests.get(_api(emu) + "/serverInfo", timeout=5).status_code)
        except requests.exceptions.ConnectionError:
            statuses.add("reset")
    assert statuses <= {200, 429, 502, 503, 504, "reset"} and len(statuses) >= 3


# ------------------------------------------------------------------ transport faults
def test_fault_drip_headers_sends_the_status_line_slowly(jira_emulator):
    emu = jira_emulator
    emu.add_fault("/rest/api/3/myself", "drip_headers", interval=0.2)
    sock = socket.create_connection(("127.0.0.1", emu.port), timeout=5)
    auth = base64.b64encode(("%s:%s" % (emu.service_username, emu.service_token)).encode()).decode()
    sock.sendall(("GET /rest/api/3/myself HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\n\r\n" % auth).encode())
    started = time.monotonic()
    first = sock.recv(100)
    second = sock.recv(100)
    assert len(first) == 1 and len(second) == 1 and first + second == b"HT"
    assert time.monotonic() - started >= 0.15
    sock.close()


@pytest.mark.parametrize("encoding,decode", [("gzip", lambda b: __import__("gzip").decompress(b)),
                                             ("deflate", lambda b: __import__("zlib").decompress(b))])
def test_fault_gzip_compresses_the_normal_answer_whatever_was_asked(jira_emulator, encoding, decode):
    emu = jira_emulator
    emu.add_fault("/rest/api/3/myself", "gzip", encoding=encoding)
    r = requests.get(_api(emu) + "/myself", auth=(emu.service_username, emu.service_token),
                     headers={"Accept-Encoding": "identity"}, stream=True)
    raw = r.raw.read(decode_content=False)
    assert r.headers["Content-Encoding"] == encoding
    assert json.loads(decode(raw))["accountId"] == emu.service_account.account_id


def test_fault_gzip_bomb_is_small_on_the_wire_and_huge_decoded(jira_emulator):
    import zlib
    emu = jira_emulator
    emu.add_fault("/rest/api/3/myself", "gzip_bomb", size=32 * 1024 * 1024)
    r = requests.get(_api(emu) + "/myself", stream=True)
    raw = r.raw.read(decode_content=False)
    assert r.headers["Content-Encoding"] == "gzip" and len(raw) < 256 * 1024
    assert len(zlib.decompress(raw, 16 + zlib.MAX_WBITS)) == 32 * 1024 * 1024 + len(b'{"data":""}')


def test_fault_rate_limit_reset_and_reason_switches(jira_emulator):
    emu = jira_emulator
    url = _api(emu) + "/myself"
    emu.add_fault("/rest/api/3/myself", "rate_limit", reset_after=30, reason="jira-quota-tenant-based")
    r = requests.get(url)
    assert r.status_code == 429 and r.headers["RateLimit-Reason"] == "jira-quota-tenant-based"
    import datetime
    reset = datetime.datetime.strptime(r.headers["X-RateLimit-Reset"], "%Y-%m-%dT%H:%M:%S.%fZ")
    ahead = (reset.replace(tzinfo=datetime.timezone.utc) - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
    assert 25 < ahead <= 30
    emu.add_fault("/rest/api/3/myself", "rate_limit", reset="not-a-time", reason=None)
    r = requests.get(url)
    assert r.headers["X-RateLimit-Reset"] == "not-a-time" and "RateLimit-Reason" not in r.headers
    assert "Retry-After" not in r.headers


def test_request_log_has_a_monotonic_time(jira_emulator):
    emu = jira_emulator
    before = time.monotonic()
    requests.get(_api(emu) + "/serverInfo")
    assert before <= emu.requests[-1]["time"] <= time.monotonic()

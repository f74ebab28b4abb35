"""The emulator's shared handler opening (`_admin.opens_with` and its steps)."""
import json

import requests

from jira_emulator import _admin
from jira_emulator._http import Response


class FakeReq(object):
    def __init__(self, cloud=True, admin=False):
        self.cloud = cloud
        self.account = type("A", (), {"is_admin": admin, "global_permissions": []})()


def test_steps_run_in_order_and_feed_the_handler():
    seen = []

    def first(req, found):
        seen.append(("first", dict(found)))
        return {"a": 1}

    def second(req, found):
        seen.append(("second", dict(found)))
        return None

    @_admin.opens_with(first, second)
    def handler(req, key, a):
        """doc"""
        return (key, a)

    assert handler(FakeReq(), key="K") == ("K", 1)
    assert seen == [("first", {"key": "K"}), ("second", {"key": "K", "a": 1})]
    assert handler.__name__ == "handler" and handler.__doc__ == "doc"


def test_a_response_from_a_step_is_the_answer():
    calls = []
    stop = Response(418, b"")

    @_admin.opens_with(lambda req, found: stop, lambda req, found: calls.append("later"))
    def handler(req):
        calls.append("handler")

    assert handler(FakeReq()) is stop
    assert calls == []


def test_needs_messages():
    def message(resp):
        return json.loads(resp.body.decode("utf-8"))["errorMessages"]

    step = _admin.needs(lambda req: False, "plain", cloud_message="cloud")
    cloud, dc = step(FakeReq(cloud=True), {}), step(FakeReq(cloud=False), {})
    assert (cloud.status, dc.status) == (403, 403)
    assert message(cloud) == ["cloud"] and message(dc) == ["plain"]
    default = _admin.needs(lambda req: False)(FakeReq(), {})
    assert message(default) == ["You do not have permission to perform this operation."]
    assert _admin.needs(lambda req: True, "x")(FakeReq(), {}) is None
    assert _admin.ADMIN(FakeReq(admin=True), {}) is None


def test_step_order_over_http(jira_emulator, jira_emulator_dc):
    """The order of the steps is part of the answer: the Cloud 405 comes before the admin check,
    the admin check before the 404 for an unknown role, the user lookup before the permission."""
    emu = jira_emulator
    svc = (emu.service_username, emu.service_token)
    admin = (emu.admin_username, emu.admin_token)
    api = emu.url + "/rest/api/3"
    assert requests.put(api + "/applicationrole/nope", json={}, auth=svc).status_code == 405
    assert requests.get(api + "/applicationrole/nope", auth=svc).status_code == 403
    assert requests.get(api + "/applicationrole/nope", auth=admin).status_code == 404
    assert requests.get(api + "/user/groups", auth=svc).status_code == 400     # no accountId, before 403
    assert requests.get(api + "/group", auth=svc).status_code == 403           # permission before the group
    assert requests.get(api + "/group", auth=admin).status_code == 400
    # a project the caller cannot administer: reads say 404, writes say 403
    assert requests.get(api + "/project/OPS/role/10001", auth=svc).status_code == 404
    assert requests.post(api + "/project/OPS/role/10001", json={"group": ["x"]}, auth=svc).status_code == 403
    dc = jira_emulator_dc
    dc_api = dc.url + "/rest/api/2"
    r = requests.put(dc_api + "/applicationrole/nope", json={}, auth=(dc.service_username, dc.service_token))
    assert r.status_code == 403 and r.json()["errorMessages"] == ["You are not an administrator."]

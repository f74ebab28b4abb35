"""Request routing, Jira REST resources, faults and the /_emulator control API (test-only code).

Section references ("docs/jira-behaviour.md §N") point to that page of this repository.
"""
import base64
import datetime
import json
import re
from urllib.parse import quote, unquote

from ._http import (HTML, JSON, Response, error_collection, html_page, html_response, json_response,
                    text_response)
from ._model import PERMISSION_BY_KEY, PERMISSIONS, Account, Project

CLOUD = "cloud"
DATACENTER = "datacenter"
BOTH = (CLOUD, DATACENTER)

PASSWORD_DEPRECATED = ("Basic authentication with passwords is deprecated.  For more information, see: "
                       "https://confluence.atlassian.com/cloud/deprecation-of-basic-authentication-with-passwords-"
                       "for-jira-and-confluence-apis-972355348.html\n")
CLIENT_MUST_AUTH = "Client must be authenticated to access this resource."


class Request(object):
    def __init__(self, emu, method, path, query, headers, body, gateway, cloud_id, outside_context):
        self.emu = emu
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.gateway = gateway
        self.cloud_id = cloud_id
        self.outside_context = outside_context
        self.version = "2"
        self.auth = None
        self.account = None
        self.extra_headers = {}

    @property
    def cloud(self):
        return self.emu.mode == CLOUD

    def q(self, name, default=None):
        values = self.query.get(name)
        return values[0] if values else default

    def q_all(self, name):
        return list(self.query.get(name) or [])

    def json(self):
        if not self.body:
            return None
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, RecursionError):  # RecursionError: a body nested thousands of levels deep
            return None

    def api(self, version=None):
        return "%s/rest/api/%s" % (self.emu.url, version or self.version)


# ----------------------------------------------------------------- pages
def _root_page(req):
    return html_response(200, html_page("System Dashboard - Jira", "Welcome to Jira (emulator, %s mode)." % req.emu.mode))


def _login_page(req):
    return html_response(200, html_page(
        "Log in - Jira",
        '<form id="login-form" action="%s/login.jsp" method="post"><input name="os_username">'
        '<input name="os_password" type="password"></form>' % req.emu.url))


def _html_not_found(req):
    return html_response(404, html_page("Oops, you&#39;ve found a dead link. - Jira", "Page not found (404)."))


def rest_not_found(req):
    # docs/jira-behaviour.md §1: Cloud answers unknown REST paths with this JSON; DC with an HTML page.
    if req.cloud:
        return json_response(404, {"message": "HTTP 404 Not Found", "status-code": 404, "sub-code": -1})
    return _html_not_found(req)


def _realm(req):
    return 'OAuth realm="%s"' % quote(req.emu.url, safe="")


def unauthorized(req):
    auth = req.auth
    failed = auth is not None and auth.state == "failed"
    headers = {"WWW-Authenticate": _realm(req)}
    if failed:
        headers["X-Seraph-LoginReason"] = "AUTHENTICATED_FAILED"
    if req.cloud:
        if req.gateway:
            return json_response(401, {"code": 401, "message": "Unauthorized"}, headers)
        # docs/jira-behaviour.md §5: a wrong token for a known user reportedly gets the "passwords deprecated" text
        # (pycontribs/jira#1497); scoped tokens on the site URL, unknown users, anonymous get "Client must…".
        if failed and auth.reason in ("password", "wrong"):
            return text_response(401, PASSWORD_DEPRECATED, headers)
        return text_response(401, CLIENT_MUST_AUTH, headers)
    if not failed:
        return error_collection(401, ["You are not authenticated. Authentication required to perform this operation."],
                                headers=headers)
    return html_response(401, html_page(
        "Unauthorized (401)",
        'Encountered a &quot;401 - Unauthorized&quot; error while loading this page.<br>'
        'Basic Authentication Failure - Reason : AUTHENTICATED_FAILED'), headers)


def captcha_response(req):
    # docs/jira-behaviour.md §6: 403 + X-Authentication-Denied-Reason with the login URL (context path included).
    return html_response(403, html_page("Forbidden (403)", "CAPTCHA_CHALLENGE"), {
        "X-Authentication-Denied-Reason": "CAPTCHA_CHALLENGE; login-url=%s/login.jsp" % req.emu.url,
        "X-Seraph-LoginReason": "AUTHENTICATION_DENIED",
        "WWW-Authenticate": _realm(req),
    })


def scope_mismatch(req):
    # docs/jira-behaviour.md §10: gateway answer for a scoped token without the needed scope.
    return json_response(401, {"code": 401, "message": "Unauthorized; scope does not match"},
                         {"X-Failure-Category": "FAILURE_CLIENT_SCOPE_CHECK"})


def forbidden(req, message="You do not have permission to perform this operation."):
    return error_collection(403, [message])


# ------------------------------------------------------------ builders
def avatar_urls(seed):
    base = "https://avatar-management.emulator.invalid/initials/%s.png" % quote(seed)
    return {"%dx%d" % (n, n): "%s?size=%d&s=%d" % (base, n, n) for n in (16, 24, 32, 48)}


def group_ref(req, name):
    emu = req.emu
    gid = emu.groups.get(name)
    if req.cloud:
        return {"name": name, "groupId": gid, "self": "%s/group?groupId=%s" % (req.api(), gid)}
    return {"name": name, "self": "%s/group?groupname=%s" % (req.api(), quote(name))}


def application_role_json(req, key):
    emu = req.emu
    role = emu.application_roles[key]
    users = [a for a in emu.accounts.values() if key in emu.effective_application_roles(a)]
    return {
        "key": key, "name": role["name"],
        "groups": list(role["groups"]), "groupDetails": [group_ref(req, g) for g in role["groups"]],
        "defaultGroups": list(role["defaultGroups"]),
        "defaultGroupsDetails": [group_ref(req, g) for g in role["defaultGroups"]],
        "selectedByDefault": False, "defined": True, "numberOfSeats": 100, "remainingSeats": 100 - len(users),
        "userCount": len(users), "userCountDescription": "users", "hasUnlimitedSeats": False,
        "platform": role["platform"],
    }


def user_json(req, account, expand=()):
    emu = req.emu
    groups = emu.effective_groups(account)
    roles = emu.effective_application_roles(account)
    data = {}
    if req.cloud:
        data["self"] = "%s/user?accountId=%s" % (req.api(), account.account_id)
        data["accountId"] = account.account_id
        data["accountType"] = account.account_type
        data["emailAddress"] = account.email if account.email_visible else None
    else:
        data["self"] = "%s/user?username=%s" % (req.api(), quote(account.name))
        data["key"] = account.key
        data["name"] = account.name
        data["emailAddress"] = account.email if account.email_visible else ""
    data["avatarUrls"] = avatar_urls(account.account_id if req.cloud else account.name)
    data["displayName"] = account.display_name
    data["active"] = bool(account.active)
    if not req.cloud:
        data["deleted"] = False
    data["timeZone"] = account.time_zone
    data["locale"] = account.locale
    # docs/jira-behaviour.md §3: size always present, items only when expanded.
    data["groups"] = {"size": len(groups),
                      "items": [group_ref(req, g) for g in groups] if "groups" in expand else []}
    data["applicationRoles"] = {"size": len(roles),
                                "items": [application_role_json(req, r) for r in roles]
                                if "applicationRoles" in expand else []}
    data["expand"] = "groups,applicationRoles"
    if req.cloud:
        data["key"] = ""    # GDPR: "no longer available" (spec example shows empty strings)
        data["name"] = ""
    return data


def project_json(req, project):
    emu = req.emu
    roles = emu.project_roles.get(project.key, {})
    return {
        "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
        "self": "%s/project/%s" % (req.api(), project.id),
        "id": project.id, "key": project.key, "name": project.name,
        "description": "",
        "avatarUrls": avatar_urls(project.key),
        "projectTypeKey": "software", "simplified": False, "style": "classic", "isPrivate": False,
        "roles": {role["name"]: "%s/project/%s/role/%s" % (req.api(), project.id, rid) for rid, role in roles.items()},
        "properties": {},
    }


def find_project(req, key_or_id):
    emu = req.emu
    with emu.lock:
        for project in emu.projects.values():
            if key_or_id in (project.key, project.id) or project.key.lower() == (key_or_id or "").lower():
                return project
    return None


def project_not_found(req, key_or_id):
    return error_collection(404, ["No project could be found with key '%s'." % key_or_id])


def _iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


# ------------------------------------------------------------ resources
def get_myself(req):
    expand = set(x.strip() for x in (req.q("expand") or "").split(",") if x.strip())
    return json_response(200, user_json(req, req.account, expand))


def get_server_info(req):
    emu = req.emu
    now = datetime.datetime.now(datetime.timezone.utc)
    numbers = [int(x) for x in re.findall(r"\d+", emu.version)[:3]]
    data = {
        "baseUrl": emu.url, "displayUrl": emu.url, "version": emu.version, "versionNumbers": numbers,
        "deploymentType": emu.deployment_type, "buildNumber": 100287 if req.cloud else 9120004,
        "buildDate": "2026-11-20T08:00:00.000+0000", "serverTime": _iso(now),
        "scmInfo": "1f51473f5c7b75c1a69a0090f4832cdc5053702a", "serverTitle": emu.server_title,
    }
    if req.cloud:
        data["defaultLocale"] = {"locale": "en_US"}
        data["serverTimeZone"] = "Etc/UTC"
    else:
        data["databaseBuildNumber"] = 912004
    return json_response(200, data)


def _permission_entry(key, have):
    key, pid, name, ptype, description = PERMISSION_BY_KEY[key]
    return {"id": pid, "key": key, "name": name, "type": ptype, "description": description, "havePermission": have}


def get_my_permissions(req):
    emu = req.emu
    account = req.account
    if req.cloud:
        # docs/jira-behaviour.md §8: Cloud requires `permissions` (400 without), DC has no such parameter (all returned).
        raw = req.q("permissions")
        keys = [k.strip() for k in (raw or "").split(",") if k.strip()]
        if not keys:
            return error_collection(400, ["The 'permissions' query parameter is required."])
        bad = [k for k in keys if k not in PERMISSION_BY_KEY]
        if bad:
            return error_collection(400, ["Invalid permission key: %s" % ", ".join(bad)])
    else:
        keys = [p[0] for p in PERMISSIONS]
    project = None
    pkey = req.q("projectKey") or req.q("projectId")
    if pkey is not None:
        project = find_project(req, pkey)
        if project is None or not emu.can_see_project(account, project.key):
            return project_not_found(req, pkey)
    if req.q("issueKey") or req.q("issueId"):
        return error_collection(404, ["Issue does not exist or you do not have permission to see it."])
    result = {}
    for key in keys:
        ptype = PERMISSION_BY_KEY[key][3]
        if account is None:
            have = False
        elif ptype == "GLOBAL":
            have = key in account.global_permissions
        elif project is not None:
            have = key in emu.project_permissions(account, project.key)
        else:  # "held if the user has the project permission in any project" (docs/jira-behaviour.md §8)
            have = any(key in emu.project_permissions(account, p) for p in list(emu.projects))
        result[key] = _permission_entry(key, have)
    return json_response(200, {"permissions": result})


def get_all_permissions(req):
    return json_response(200, {"permissions": {p[0]: {"key": p[0], "name": p[2], "type": p[3], "description": p[4]}
                                               for p in PERMISSIONS}})


def get_project(req, key):
    project = find_project(req, key)
    if project is None or not req.emu.can_see_project(req.account, project.key):
        return project_not_found(req, key)
    return json_response(200, project_json(req, project))


def _visible_projects(req):
    emu = req.emu
    return [p for p in sorted(emu.projects.values(), key=lambda p: p.key) if emu.can_see_project(req.account, p.key)]


def get_projects(req):
    return json_response(200, [project_json(req, p) for p in _visible_projects(req)])


def search_projects(req):
    values = [project_json(req, p) for p in _visible_projects(req)]
    return json_response(200, {"self": "%s/project/search" % req.api(), "maxResults": 50, "startAt": 0,
                               "total": len(values), "isLast": True, "values": values})


# (methods, regex on the path after /rest/api/<v>, handler, modes where anonymous is allowed, gateway scope)
ROUTES = [
    (("GET",), r"/myself", get_myself, (), "read:jira-user"),
    (("GET",), r"/serverInfo", get_server_info, BOTH, "read:jira-work"),
    (("GET",), r"/mypermissions", get_my_permissions, BOTH, "read:jira-work"),
    (("GET",), r"/permissions", get_all_permissions, BOTH, "read:jira-work"),
    # Cloud: bad credentials on get-project fall through to anonymous and give 404 (JRACLOUD-94680, docs/jira-behaviour.md §5 and §7).
    (("GET",), r"/project", get_projects, (CLOUD,), "read:jira-work"),
    (("GET",), r"/project/search", search_projects, (CLOUD,), "read:jira-work"),
    (("GET",), r"/project/(?P<key>[^/]+)", get_project, (CLOUD,), "read:jira-work"),
]


def _load_admin_routes():
    from . import _admin
    return list(_admin.ROUTES)


_COMPILED = None


def _compiled():
    global _COMPILED
    if _COMPILED is None:
        _COMPILED = [(m, re.compile("^%s/?$" % p), h, a, s) for (m, p, h, a, s) in ROUTES + _load_admin_routes()]
    return _COMPILED


# --------------------------------------------------------------- routing
def route(req):
    emu = req.emu
    if req.outside_context:
        return _html_not_found(req)   # DC without its context path (docs/jira-behaviour.md §1)
    if req.gateway:
        if emu.mode != CLOUD or req.cloud_id != emu.cloud_id:
            return json_response(404, {"code": 404, "message": "Not Found"})
        if not req.path.startswith("/rest/"):
            return json_response(404, {"code": 404, "message": "Not Found"})
    path = req.path
    if path.startswith("//"):
        return rest_not_found(req)      # base URL with a trailing slash (docs/jira-behaviour.md §1)
    if not req.gateway:
        if path == "/":
            return _root_page(req)
        if path == "/login.jsp":
            return _login_page(req)
        if path == "/_edge/tenant_info" and req.cloud:
            return json_response(200, {"cloudId": emu.cloud_id})   # public, no auth (docs/jira-behaviour.md §10)
    if path.startswith("/rest/"):
        return _rest(req)
    return _html_not_found(req)


def _rest(req):
    emu = req.emu
    match = re.match(r"^/rest/api/(2|3|latest)(/.*)?$", req.path)
    if not match:
        return rest_not_found(req)
    req.version = match.group(1)
    if not req.cloud and req.version == "3":
        # docs/jira-behaviour.md §1: /rest/api/3 does not exist on DC; jira-cli#323 saw an HTML 403.
        return html_response(403, html_page("Forbidden (403)", "Encountered a &quot;403 - Forbidden&quot; error while loading this page."))
    resource = match.group(2) or "/"
    req.auth = emu.authenticate(req.headers, req.gateway)
    if req.method == "GET" and req.body and emu.reject_get_body and req.auth.state == "ok":
        # docs/jira-behaviour.md §11 (jira-agile-metrics#61): a GET with a body fails on Cloud as AUTHENTICATED_FAILED.
        req.auth.state, req.auth.reason = "failed", "get_body"
    ctype = (req.headers.get("Content-Type") or "").lower()
    if (req.method in ("POST", "PUT", "DELETE", "PATCH")
            and ctype.startswith(("multipart/form-data", "application/x-www-form-urlencoded", "text/plain"))
            and (req.headers.get("X-Atlassian-Token") or "").lower() != "no-check"):
        # docs/jira-behaviour.md §11: form-encoded writes without X-Atlassian-Token: no-check hit the XSRF check.
        return text_response(403, "XSRF check failed")
    found = None
    allowed = []
    for methods, pattern, handler, anon_modes, scope in _compiled():
        m = pattern.match(resource)
        if not m:
            continue
        allowed.extend(methods)
        if req.method in methods or (req.method == "HEAD" and "GET" in methods):
            found = (handler, m.groupdict(), anon_modes, scope)
            break
    if found is None:
        if allowed:
            resp = Response(405, b"", JSON, {"Allow": ", ".join(sorted(set(allowed)))})
        else:
            resp = rest_not_found(req)
        return _stamp(req, resp)
    handler, params, anon_modes, scope = found
    denied = _gate(req, emu.mode in anon_modes, scope)
    if denied is not None:
        return denied
    resp = handler(req, **params)
    return _stamp(req, resp)


def _gate(req, anonymous_ok, scope):
    auth = req.auth
    if auth.state == "captcha":
        return captcha_response(req)
    if auth.state == "ok":
        account = auth.account
        if req.gateway and auth.via == "scoped" and account.scopes is not None and scope not in account.scopes:
            return scope_mismatch(req)
        req.account = account
        return None
    if auth.state == "failed" and anonymous_ok and req.cloud:
        # JRACLOUD-93811 / jira.js#418 (docs/jira-behaviour.md §7): bad credentials are treated as anonymous on Cloud,
        # and the 200 carries X-Seraph-LoginReason: AUTHENTICATED_FAILED.
        req.extra_headers["X-Seraph-LoginReason"] = "AUTHENTICATED_FAILED"
        return None
    if auth.state == "anonymous" and anonymous_ok:
        return None
    return unauthorized(req)


def _stamp(req, resp):
    emu = req.emu
    if req.account is not None:
        resp.headers.setdefault("X-Seraph-LoginReason", "OK")
        if req.cloud:
            resp.headers.setdefault("X-AAccountId", req.account.account_id)  # docs/jira-behaviour.md §3
        else:
            resp.headers.setdefault("X-AUSERNAME", req.account.name)
    elif not req.cloud:
        resp.headers.setdefault("X-AUSERNAME", "anonymous")
    for name, value in req.extra_headers.items():
        resp.headers[name] = value
    return resp


# ---------------------------------------------------------------- faults
def fault_response(req, kind, kw):
    emu = req.emu
    headers = dict(kw.get("headers") or {})
    if kw.get("retry_after") is not None:
        headers["Retry-After"] = str(kw["retry_after"])
    if kind == "status":
        status = int(kw.get("status", 500))
        body = kw.get("body", {"errorMessages": ["Emulated status %d" % status], "errors": {}})
        if isinstance(body, (dict, list)):
            return Response(status, json.dumps(body), kw.get("content_type", JSON), headers)
        return Response(status, body or b"", kw.get("content_type", TEXT_CT), headers)
    if kind == "rate_limit":
        # docs/jira-behaviour.md §9: X-RateLimit-Reset is ISO 8601 (yyyy-MM-ddTHH:mmZ), Retry-After optional.
        # kw reset_after (seconds from now) sends X-RateLimit-Reset, kw reset its raw value (malformed
        # ones too); kw reason sets RateLimit-Reason (None: the header is left out).
        if kw.get("reset") is not None:
            headers.setdefault("X-RateLimit-Reset", str(kw["reset"]))
        elif kw.get("reset_after") is not None:
            reset = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=float(kw["reset_after"]))
            headers.setdefault("X-RateLimit-Reset", reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        reason = kw.get("reason", "jira-burst-based")
        if reason is not None:
            headers.setdefault("RateLimit-Reason", str(reason))
        headers.setdefault("X-RateLimit-Limit", "100")
        headers.setdefault("X-RateLimit-Remaining", "0")
        body = kw.get("body", {"errorMessages": ["Rate limit exceeded."], "errors": {}})
        return Response(429, json.dumps(body) if isinstance(body, (dict, list)) else body, JSON, headers)
    if kind == "server_error":
        status = int(kw.get("status", 503))
        if status in (502, 504):  # proxies answer these with HTML
            return Response(status, html_page("%d" % status, "Bad Gateway" if status == 502 else "Gateway Timeout"), HTML, headers)
        body = kw.get("body", {"errorMessages": ["Internal server error"], "errors": {}})
        return Response(status, json.dumps(body) if isinstance(body, (dict, list)) else body, JSON, headers)
    if kind == "html_sso_200":
        return Response(200, html_page("Log in with SSO", '<form action="https://idp.emulator.invalid/saml/login">'
                                       '<input name="SAMLRequest" type="hidden" value="x"></form>'), HTML, headers)
    if kind == "redirect_login":
        headers["Location"] = "%s/login.jsp?permissionViolation=true&os_destination=%s" % (emu.url, quote(req.path, safe=""))
        return Response(302, b"", HTML, headers)
    if kind == "malformed_json":
        return Response(200, '{"accountId": "5b10a2844c20165700ede21g", "displayName": ', JSON, headers)
    if kind == "anonymous_200":
        # kw login_reason="AUTHENTICATION_DENIED" gives the old 200 + DENIED quirk (docs/jira-behaviour.md §6, go-jira#8).
        headers["X-Seraph-LoginReason"] = kw.get("login_reason", "AUTHENTICATED_FAILED")
        return Response(200, json.dumps({"self": "%s/rest/api/%s/myself" % (emu.url, req.version)}), JSON, headers)
    if kind == "empty_200":
        return Response(200, b"", JSON, headers)
    if kind == "big_body":
        return _big_body(int(kw.get("size", 10 * 1024 * 1024)), headers)
    if kind == "scope_mismatch":
        resp = scope_mismatch(req)
        resp.headers.update(headers)
        return resp
    if kind == "captcha":
        resp = captcha_response(req)
        resp.headers.update(headers)
        return resp
    if kind == "xsrf":
        return Response(403, "XSRF check failed", TEXT_CT, headers)
    raise ValueError(kind)


TEXT_CT = "text/plain;charset=UTF-8"


def _big_body(size, headers):
    head, tail = b'{"data":"', b'"}'
    size = max(size, len(head) + len(tail))
    fill = size - len(head) - len(tail)
    chunk = b"x" * 65536

    def stream(write):
        write(head)
        left = fill
        while left > 0:
            n = min(left, len(chunk))
            write(chunk[:n])
            left -= n
        write(tail)

    return Response(200, b"", JSON, headers, stream=stream, length=size)


def make_inactive(resp):
    """inactive_200 fault: the normal answer, but the user reads "active": false."""
    if isinstance(resp.data, dict) and "active" in resp.data and resp.status == 200:
        data = dict(resp.data)
        data["active"] = False
        new = json_response(resp.status, data, resp.headers)
        return new
    return resp


# ------------------------------------------------ hostile-content faults
def _echo(req, kw):
    """What echo_auth repeats: the Authorization credentials (form="header": after the scheme)
    or the secret decoded from basic auth (form="token"), re-cased as kw case says."""
    value = (req.headers.get("Authorization") or "").partition(" ")[2].strip()
    if kw.get("form", "header") == "token":
        try:
            value = base64.b64decode(value).decode("utf-8").partition(":")[2] or value
        except (ValueError, UnicodeDecodeError):
            pass
    case = kw.get("case", "same")
    return value.upper() if case == "upper" else value.lower() if case == "lower" else value


def content_fault(req, kind, kw):
    """Answers with hostile or wrong content (the client must classify them, never crash):

    seraph_failed_200  the normal answer (a complete user on /myself) plus X-Seraph-LoginReason
                       AUTHENTICATED_FAILED (kw login_reason)
    deep_json          200, a JSON array nested kw depth (default 100000) levels deep
    shape_200          200 with kw body (default a list of scalars), JSON of the wrong shape
    echo_auth          kw status (default 400) whose text repeats the request's credentials
                       (kw form, case) after kw pad characters, in kw where: "body"
                       (errorMessages), "seraph" (X-Seraph-LoginReason on a 200), "location"
                       (the host of a redirect)
    """
    headers = dict(kw.get("headers") or {})
    if kind == "seraph_failed_200":
        resp = route(req)
        resp.headers["X-Seraph-LoginReason"] = kw.get("login_reason", "AUTHENTICATED_FAILED")
        resp.headers.update(headers)
        return resp
    if kind == "deep_json":
        depth = int(kw.get("depth", 100000))
        return Response(200, "[" * depth + "]" * depth, JSON, headers)
    if kind == "shape_200":
        return Response(int(kw.get("status", 200)), json.dumps(kw.get("body", [1, "two", None, True])), JSON, headers)
    if kind == "echo_auth":
        echo = "x" * int(kw.get("pad", 0)) + _echo(req, kw)
        where = kw.get("where", "body")
        if where == "seraph":
            headers["X-Seraph-LoginReason"] = "AUTHENTICATED_FAILED " + echo
            return Response(200, json.dumps({"self": "%s/rest/api/%s/myself" % (req.emu.url, req.version)}), JSON, headers)
        if where == "location":
            headers["Location"] = "https://%s.example.invalid/" % echo
            return Response(int(kw.get("status", 302)), b"", HTML, headers)
        status = int(kw.get("status", 400))
        return Response(status, json.dumps({"errorMessages": ["Bad request: Authorization %s" % echo], "errors": {}}),
                        JSON, headers)
    raise ValueError(kind)


# ----------------------------------------------------------- control API
def _request_entry(entry):
    out = dict(entry)
    body = entry.get("body")
    out["body"] = body.decode("utf-8", "replace") if body is not None else None
    return out


def control(emu, method, path, query, body):
    """/_emulator/... endpoints (never counted or logged)."""
    try:
        data = json.loads(body.decode("utf-8")) if body else None
    except (ValueError, RecursionError):
        return error_collection(400, ["body is not JSON"])
    parts = [unquote(p) for p in path.split("/") if p][1:]   # drop "_emulator"; emails may come %-encoded
    if not parts:
        return error_collection(404, ["unknown control endpoint"])
    head = parts[0]
    if head == "info" and method == "GET":
        return json_response(200, {"url": emu.url, "gateway_url": emu.gateway_url, "ca_path": emu.ca_path,
                                   "cloud_id": emu.cloud_id, "mode": emu.mode, "gateway_site_url": emu.gateway_site_url})
    if head == "counts" and method == "GET":
        return json_response(200, emu.counts())
    if head == "total" and method == "GET":
        return json_response(200, {"total": emu.total_requests()})
    if head == "requests" and method == "GET":
        with emu.lock:
            entries = [_request_entry(e) for e in emu.requests]
        return json_response(200, entries)
    if head == "reset" and method == "POST":
        emu.reset()
        return json_response(200, {"reset": True})
    if head == "faults":
        if method == "DELETE":
            emu.clear_faults()
            return json_response(200, {"faults": 0})
        if method == "POST":
            items = data if isinstance(data, list) else [data]
            try:
                for item in items:
                    item = dict(item)
                    emu.add_fault(item.pop("path", "*"), item.pop("kind"), item.pop("times", 1), **item)
            except (KeyError, TypeError, ValueError) as exc:
                return error_collection(400, [str(exc)])
            return json_response(200, {"added": len(items)})
    if head == "accounts":
        if len(parts) == 1 and method == "GET":
            with emu.lock:
                return json_response(200, [a.to_dict() for a in emu.accounts.values()])
        if len(parts) == 1 and method == "POST":
            try:
                account = emu.add_account(Account.from_dict(data or {}))
            except (TypeError, ValueError) as exc:
                return error_collection(400, [str(exc)])
            return json_response(200, account.to_dict())
        account = emu.find_account(parts[1]) if len(parts) > 1 else None
        if account is None:
            return error_collection(404, ["no such account"])
        if len(parts) == 3 and parts[2] == "tokens" and method == "DELETE":
            with emu.lock:
                del account.tokens[:]
                del account.scoped_tokens[:]
                del account.pats[:]
            return json_response(200, account.to_dict())
        if len(parts) == 2 and method == "PATCH":
            try:
                with emu.lock:
                    for name, value in (data or {}).items():
                        if not hasattr(account, name):
                            raise ValueError("unknown Account field %s" % name)
                        setattr(account, name, value)
            except ValueError as exc:
                return error_collection(400, [str(exc)])
            return json_response(200, account.to_dict())
        if len(parts) == 2 and method == "DELETE":
            with emu.lock:
                for key, acct in list(emu.accounts.items()):
                    if acct is account:
                        del emu.accounts[key]
            return json_response(200, {"deleted": True})
    if head == "projects" and method == "POST":
        project = emu.add_project(Project.from_dict(data or {}))
        return json_response(200, {"key": project.key, "name": project.name, "id": project.id})
    return error_collection(404, ["unknown control endpoint %s %s" % (method, path)])

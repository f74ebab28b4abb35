"""Jira-side administration resources the setup modules use: groups, users, application roles, project roles.

Test-only code. Shapes and status codes follow Atlassian's Jira Cloud platform v3 OpenAPI document
(the excerpt in tests/contract/data/, checked by tests/contract/); Data Center differences are noted
where they matter (login names instead of accountIds, PUT /applicationrole/{key}; see
docs/jira-behaviour.md §8). State lives on the JiraEmulator: emu.groups (name -> groupId),
Account.groups (membership), emu.application_roles, emu.project_roles.

Every handler opens with the same checks (caller's permission, the group or user named in the query,
the project and role in the URL); they are declared once per handler with @opens_with(...) below.
"""
import functools
from urllib.parse import quote

from ._http import Response, error_collection, json_response
from ._model import Account
from . import _routes as R

NOT_ADMIN = "You are not authorized to perform this action. Administrator privileges are required."
NO_GROUP = "Specified group does not exist."
NO_USER = "Specified user does not exist or you do not have required permissions"


NOT_ADMINISTRATOR = "You are not an administrator."


def _is_admin(req):
    return req.account.is_admin


def _can_browse_users(req):
    return req.account.is_admin or "USER_PICKER" in req.account.global_permissions


# ------------------------------------------------------ handler preamble
def opens_with(*steps):
    """Decorator: run a handler's opening checks, in order, before the handler itself.

    A step is called as step(req, found), where found holds the route's URL parameters plus what
    earlier steps resolved. It returns a Response (the answer: the handler does not run), or a dict
    of names to add to found, or None. The handler is then called as handler(req, **found).
    """
    def wrap(handler):
        @functools.wraps(handler)
        def run(req, **params):
            found = dict(params)
            for step in steps:
                out = step(req, found)
                if isinstance(out, Response):
                    return out
                found.update(out or {})
            return handler(req, **found)
        return run
    return wrap


def needs(allowed, message=None, cloud_message=None):
    """Step: 403 ErrorCollection (message, or cloud_message on Cloud) unless allowed(req)."""
    def step(req, found):
        if allowed(req):
            return None
        text = cloud_message if req.cloud and cloud_message else message
        return R.forbidden(req, text) if text else R.forbidden(req)
    return step


def datacenter_only(req, found):
    """Step: Cloud has no such operation (405, GET allowed)."""
    if req.cloud:
        return Response(405, b"", R.JSON, {"Allow": "GET"})
    return None


def group_in_query(req, found):
    """Step: the group named by groupname= / groupId= (Cloud) or groupname= (DC), as `name`."""
    name, err = _group_from_query(req)
    return err or {"name": name}


def user_in_query(req, found):
    """Step: the user named by accountId= (Cloud) or username= / key= (DC), as `account`."""
    account, err = _find_user(req)
    return err or {"account": account}


def known_application_role(req, found):
    """Step: 404 unless the URL's application role `key` exists."""
    if found["key"] not in req.emu.application_roles:
        return error_collection(404, ["The application role with key '%s' does not exist." % found["key"]])
    return None


def project_in_url(denied):
    """Step: the URL's project (and role, when the route has role_id) as `project` and `role`;
    a caller who may not administer the project gets `denied` ("not_found": 404, else 403)."""
    def step(req, found):
        project, role, err = _role_context(req, found["key"], found.get("role_id"))
        if err:
            return err
        if not _project_admin(req, project):
            return R.project_not_found(req, found["key"]) if denied == "not_found" else R.forbidden(req)
        return {"project": project, "role": role}
    return step


ADMIN = needs(_is_admin, NOT_ADMIN)
ADMINISTRATOR = needs(_is_admin, NOT_ADMINISTRATOR)
BROWSE_USERS = needs(_can_browse_users)
BROWSE_USERS_ADMIN_TEXT = needs(_can_browse_users, NOT_ADMIN)


def _group_from_query(req):
    """(name, error response) from groupname= / groupId= (Cloud) or groupname= (DC)."""
    emu = req.emu
    name = req.q("groupname")
    gid = req.q("groupId")
    if not name and not gid:
        return None, R.error_collection(400, ["You must specify a group name or group id."] if req.cloud
                                        else ["Group name must be specified."])
    with emu.lock:
        if gid and req.cloud:
            for gname, ggid in emu.groups.items():
                if ggid == gid:
                    return gname, None
            return None, error_collection(404, [NO_GROUP])
        for gname in emu.groups:
            # Jira group names are case-insensitive.
            if gname.lower() == (name or "").lower():
                return gname, None
    return None, error_collection(404, [NO_GROUP])


def _members(emu, group, include_inactive=True):
    with emu.lock:
        return sorted((a for a in emu.accounts.values() if group in a.groups and (include_inactive or a.active)),
                      key=lambda a: a.name.lower())


def _user_details(req, account):
    data = {"self": "", "avatarUrls": R.avatar_urls(account.account_id if req.cloud else account.name),
            "displayName": account.display_name, "active": bool(account.active), "timeZone": account.time_zone}
    if req.cloud:
        data["self"] = "%s/user?accountId=%s" % (req.api(), account.account_id)
        data["accountId"] = account.account_id
        data["accountType"] = account.account_type
        if account.email_visible:
            data["emailAddress"] = account.email
    else:
        data["self"] = "%s/user?username=%s" % (req.api(), quote(account.name))
        data["name"] = account.name
        data["key"] = account.key
        data["emailAddress"] = account.email
    return data


def group_json(req, name):
    emu = req.emu
    members = _members(emu, name)
    data = {"name": name, "self": R.group_ref(req, name)["self"], "expand": "users",
            "users": {"size": len(members), "items": [], "max-results": 50, "start-index": 0, "end-index": 0}}
    if req.cloud:
        data["groupId"] = emu.groups[name]
    return data


# ----------------------------------------------------------------- groups
@opens_with(BROWSE_USERS, group_in_query)
def get_group(req, name):
    return json_response(200, group_json(req, name))


@opens_with(ADMIN)
def create_group(req):
    data = req.json() or {}
    name = (data.get("name") or "").strip() if isinstance(data, dict) else ""
    if not name:
        return error_collection(400, ["You must specify a valid group name."])
    emu = req.emu
    with emu.lock:
        if any(g.lower() == name.lower() for g in emu.groups):
            return error_collection(400, ["A group with that name already exists."])
        emu.add_group(name)
    return json_response(201, group_json(req, name))


@opens_with(ADMIN, group_in_query)
def delete_group(req, name):
    emu = req.emu
    with emu.lock:
        del emu.groups[name]
        for account in emu.accounts.values():
            if name in account.groups:
                account.groups.remove(name)
        for role in emu.application_roles.values():
            role["groups"] = [g for g in role["groups"] if g != name]
            role["defaultGroups"] = [g for g in role["defaultGroups"] if g != name]
        for roles in emu.project_roles.values():
            for role in roles.values():
                role["groups"] = [g for g in role["groups"] if g != name]
    return Response(200, b"")


@opens_with(BROWSE_USERS_ADMIN_TEXT, group_in_query)
def get_group_members(req, name):
    include_inactive = (req.q("includeInactiveUsers") or "false").lower() == "true"
    start = int(req.q("startAt") or 0)
    limit = int(req.q("maxResults") or 50)
    members = _members(req.emu, name, include_inactive)
    page = members[start:start + limit]
    ident = "groupId=%s" % req.emu.groups[name] if req.cloud else "groupname=%s" % quote(name)
    data = {"self": "%s/group/member?%s&includeInactiveUsers=%s&startAt=%d&maxResults=%d"
                    % (req.api(), ident, str(include_inactive).lower(), start, limit),
            "maxResults": limit, "startAt": start, "total": len(members),
            "isLast": start + limit >= len(members),
            "values": [_user_details(req, a) for a in page]}
    if not data["isLast"]:
        data["nextPage"] = "%s/group/member?%s&includeInactiveUsers=%s&startAt=%d&maxResults=%d" % (
            req.api(), ident, str(include_inactive).lower(), start + limit, limit)
    return json_response(200, data)


@opens_with(BROWSE_USERS_ADMIN_TEXT)
def get_groups_bulk(req):
    emu = req.emu
    wanted = set(req.q_all("groupName")) | set(req.q_all("groupname"))
    wanted_ids = set(req.q_all("groupId"))
    with emu.lock:
        values = [{"name": n, "groupId": g} for n, g in sorted(emu.groups.items())
                  if (not wanted and not wanted_ids) or n in wanted or g in wanted_ids]
    return json_response(200, {"self": "%s/group/bulk" % req.api(), "maxResults": 50, "startAt": 0,
                               "total": len(values), "isLast": True, "values": values})


def _user_from_body_or_query(req, body):
    """Cloud identifies users by accountId; DC by name (login)."""
    emu = req.emu
    if req.cloud:
        ident = (body or {}).get("accountId") if isinstance(body, dict) else None
        ident = ident or req.q("accountId")
        if not ident:
            return None, error_collection(400, ["accountId must be provided"])
        with emu.lock:
            for account in emu.accounts.values():
                if account.account_id == ident:
                    return account, None
        return None, error_collection(404, [NO_USER])
    ident = (body or {}).get("name") if isinstance(body, dict) else None
    ident = ident or req.q("username") or req.q("name")
    if not ident:
        return None, error_collection(400, ["username must be provided"])
    with emu.lock:
        for account in emu.accounts.values():
            if account.name.lower() == ident.lower():
                return account, None
    return None, error_collection(404, [NO_USER])


@opens_with(ADMIN, group_in_query)
def add_group_user(req, name):
    account, err = _user_from_body_or_query(req, req.json())
    if err:
        return err
    with req.emu.lock:
        if name in account.groups:
            return error_collection(400, ["Cannot add user. '%s' is already a member of '%s'"
                                          % (account.display_name if req.cloud else account.name, name)])
        account.groups.append(name)
    return json_response(201, group_json(req, name))


@opens_with(ADMIN, group_in_query)
def remove_group_user(req, name):
    account, err = _user_from_body_or_query(req, None)
    if err:
        return err
    with req.emu.lock:
        if name not in account.groups:
            return error_collection(400, ["Cannot remove user. '%s' is not a member of '%s'"
                                          % (account.display_name if req.cloud else account.name, name)])
        account.groups.remove(name)
    return Response(200, b"")


# ------------------------------------------------------------------ users
def _find_user(req):
    emu = req.emu
    if req.cloud:
        ident = req.q("accountId")
        if not ident:
            return None, error_collection(400, ["The accountId query parameter needs to be provided."])
        match = [a for a in emu.accounts.values() if a.account_id == ident]
    else:
        name, key = req.q("username"), req.q("key")
        if not name and not key:
            return None, error_collection(400, ["Either the 'username' or the 'key' query parameters need to be provided"])
        match = [a for a in emu.accounts.values()
                 if (name and a.name.lower() == name.lower()) or (key and a.key == key)]
    if not match:
        return None, error_collection(404, [NO_USER])
    return match[0], None


@opens_with(user_in_query)
def get_user(req, account):
    if account is not req.account and not _can_browse_users(req):
        return R.forbidden(req)
    expand = set(x.strip() for x in (req.q("expand") or "").split(",") if x.strip())
    return json_response(200, R.user_json(req, account, expand))


@opens_with(ADMIN)
def create_user(req):
    emu = req.emu
    body = req.json()
    if not isinstance(body, dict):
        return error_collection(400, ["Request body is not a JSON object."])
    email = (body.get("emailAddress") or "").strip()
    if req.cloud:
        if not email:
            return error_collection(400, [], {"emailAddress": "You must specify an email address."})
        products = body.get("products")
        if products is None:
            return error_collection(400, [], {"products": "You must specify the products the user has access to."})
        existing = emu.find_account(email)
        if existing is not None:
            # Spec: "If the user exists and has access to Jira, the operation returns a 201 status.
            # If the user exists but does not have access to Jira, the operation returns a 400 status."
            if emu.effective_application_roles(existing):
                return json_response(201, R.user_json(req, existing))
            return error_collection(400, ["The user already exists but does not have access to Jira."])
        account = Account(email=email, display_name=body.get("displayName") or "", application_roles=[])
        keys = list(products)
    else:
        name = (body.get("name") or "").strip()
        if not name:
            return error_collection(400, [], {"username": "You must specify a username."})
        if emu.find_account(name) is not None and emu.find_account(name).name.lower() == name.lower():
            return error_collection(400, [], {"username": "A user with that username already exists."})
        if not email:
            return error_collection(400, [], {"email": "You must specify an email address."})
        account = Account(email=email, name=name, display_name=body.get("displayName") or name,
                          password=body.get("password"), application_roles=[])
        keys = body.get("applicationKeys")
        if keys is None:
            keys = [k for k, r in emu.application_roles.items() if r.get("selectedByDefault")] or ["jira-software"]
    unknown = [k for k in keys if k not in emu.application_roles]
    if unknown:
        return error_collection(400, ["Invalid application key(s): %s" % ", ".join(unknown)])
    with emu.lock:
        # Product access comes from the role's default groups, as in Jira.
        for key in keys:
            for group in emu.application_roles[key]["defaultGroups"]:
                if group not in account.groups:
                    account.groups.append(group)
        emu.add_account(account)
    return json_response(201, R.user_json(req, account))


@opens_with(ADMIN, user_in_query)
def delete_user(req, account):
    if account is req.account:
        return error_collection(400, ["You cannot delete the currently logged in user."])
    emu = req.emu
    with emu.lock:
        for key, acct in list(emu.accounts.items()):
            if acct is account:
                del emu.accounts[key]
        for roles in emu.project_roles.values():
            for role in roles.values():
                role["users"] = [u for u in role["users"] if u not in (account.account_id, account.name)]
    return Response(204, b"")


def search_users(req):
    emu = req.emu
    if req.cloud:
        query, account_id = req.q("query"), req.q("accountId")
        if not query and not account_id and not req.q("property"):
            return error_collection(400, ["One of 'query', 'accountId' or 'property' query parameters must be provided."])
        if query and account_id:
            return error_collection(400, ["Only one of 'query' or 'accountId' may be provided."])
        include_inactive = False
    else:
        query = req.q("username")
        account_id = None
        if not query:
            return error_collection(400, ["The username query parameter was not provided"])
        include_inactive = (req.q("includeInactive") or "false").lower() == "true"
    if not _can_browse_users(req):
        return json_response(200, [])   # privacy: no Browse-users permission -> nobody visible
    start = int(req.q("startAt") or 0)
    limit = int(req.q("maxResults") or 50)
    low = (query or "").lower()
    with emu.lock:
        found = []
        for account in sorted(emu.accounts.values(), key=lambda a: a.name.lower()):
            if not account.active and not include_inactive:
                continue
            if account_id:
                ok = account.account_id == account_id
            elif low in (".", "*"):
                ok = True
            else:
                ok = any(low in v.lower() for v in (account.email, account.display_name, account.name))
            if ok:
                found.append(account)
    return json_response(200, [R.user_json(req, a) for a in found[start:start + limit]])


@opens_with(user_in_query, needs(_can_browse_users, "You do not have the permission to browse users and groups."))
def get_user_groups(req, account):
    """GET /user/groups (docs/jira-behaviour.md §8): Cloud accountId= (required), DC username=; Browse users needed."""
    return json_response(200, [R.group_ref(req, g) for g in req.emu.effective_groups(account)])


# ------------------------------------------------------ application roles
@opens_with(needs(_is_admin, NOT_ADMIN, cloud_message=NOT_ADMINISTRATOR))
def list_application_roles(req):
    return json_response(200, [R.application_role_json(req, k) for k in sorted(req.emu.application_roles)])


@opens_with(ADMINISTRATOR, known_application_role)
def get_application_role(req, key):
    return json_response(200, R.application_role_json(req, key))


# Data Center only; on Cloud group product access is managed in the admin hub (docs/jira-behaviour.md §8).
@opens_with(datacenter_only, ADMINISTRATOR, known_application_role)
def put_application_role(req, key):
    emu = req.emu
    body = req.json()
    if not isinstance(body, dict):
        return error_collection(400, ["Request body is not a JSON object."])
    role = emu.application_roles[key]
    groups = body.get("groups", role["groups"])
    defaults = body.get("defaultGroups", role["defaultGroups"])
    with emu.lock:
        missing = [g for g in list(groups) + list(defaults) if g not in emu.groups]
        if missing:
            return error_collection(400, [], {"groups": "Group '%s' does not exist." % missing[0]})
        if not set(defaults) <= set(groups):
            return error_collection(400, [], {"defaultGroups": "Default groups must be a subset of the role's groups."})
        role["groups"] = list(dict.fromkeys(groups))
        role["defaultGroups"] = list(dict.fromkeys(defaults))
    return json_response(200, R.application_role_json(req, key))


# ----------------------------------------------------------- project roles
def _project_admin(req, project):
    return req.account.is_admin or "ADMINISTER_PROJECTS" in req.emu.project_permissions(req.account, project.key)


def _role_context(req, key, role_id=None):
    project = R.find_project(req, key)
    if project is None or not req.emu.can_see_project(req.account, project.key):
        return None, None, R.project_not_found(req, key)
    if role_id is None:
        return project, None, None
    role = req.emu.project_roles.get(project.key, {}).get(role_id)
    if role is None:
        return project, None, error_collection(404, ["Can not retrieve a role actor for a null project role."])
    return project, role, None


def _actor_id(text):
    return 10000 + sum(ord(c) for c in text) % 89999


def project_role_json(req, project, role_id, role):
    emu = req.emu
    actors = []
    for group in role["groups"]:
        actors.append({"id": _actor_id("g:" + group), "displayName": group, "type": "atlassian-group-role-actor",
                       "name": group,
                       "actorGroup": {"name": group, "displayName": group, "groupId": emu.groups.get(group)}})
    for ident in role["users"]:
        account = emu.find_account(ident)
        if account is None:
            continue
        actor = {"id": _actor_id("u:" + ident), "displayName": account.display_name,
                 "type": "atlassian-user-role-actor",
                 "avatarUrl": R.avatar_urls(ident)["48x48"]}
        if req.cloud:
            actor["actorUser"] = {"accountId": account.account_id}
        else:
            actor["name"] = account.name
        actors.append(actor)
    return {"self": "%s/project/%s/role/%s" % (req.api(), project.id, role_id), "name": role["name"],
            "id": int(role_id), "description": role["description"], "actors": actors}


@opens_with(project_in_url(denied="not_found"))
def get_project_roles(req, key, project, role):
    roles = req.emu.project_roles.get(project.key, {})
    return json_response(200, {r["name"]: "%s/project/%s/role/%s" % (req.api(), project.id, rid)
                               for rid, r in sorted(roles.items())})


@opens_with(project_in_url(denied="not_found"))
def get_project_role(req, key, role_id, project, role):
    return json_response(200, project_role_json(req, project, role_id, role))


def _resolve_actors(req, users, groups, group_ids):
    """(user idents, group names, error) with Cloud accountIds / DC login names."""
    emu = req.emu
    out_users, out_groups = [], []
    for ident in users:
        account = None
        for acct in emu.accounts.values():
            if (req.cloud and acct.account_id == ident) or (not req.cloud and acct.name.lower() == ident.lower()):
                account = acct
        if account is None:
            return None, None, error_collection(404, ["We can't find '%s'." % ident] if not req.cloud
                                                else ["The user with account ID '%s' does not exist." % ident])
        out_users.append(account.account_id if req.cloud else account.name)
    for name in groups:
        match = [g for g in emu.groups if g.lower() == name.lower()]
        if not match:
            return None, None, error_collection(404, ["Group '%s' does not exist." % name])
        out_groups.append(match[0])
    for gid in group_ids:
        match = [g for g, i in emu.groups.items() if i == gid]
        if not match:
            return None, None, error_collection(404, ["Group with id '%s' does not exist." % gid])
        out_groups.append(match[0])
    return out_users, out_groups, None


@opens_with(project_in_url(denied="forbidden"))
def add_project_role_actors(req, key, role_id, project, role):
    body = req.json()
    if not isinstance(body, dict) or not any(body.get(k) for k in ("user", "group", "groupId")):
        return error_collection(400, ["You must specify at least one actor (user, group or groupId)."])
    if body.get("group") and body.get("groupId"):
        return error_collection(400, ["Use either group or groupId, not both."])
    with req.emu.lock:
        users, groups, err = _resolve_actors(req, body.get("user") or [], body.get("group") or [],
                                             body.get("groupId") or [])
        if err:
            return err
        for name in groups:
            if name in role["groups"]:
                return error_collection(400, ["'%s' is already a member of the project role." % name])
        for ident in users:
            if ident in role["users"]:
                return error_collection(400, ["'%s' is already a member of the project role." % ident])
        role["groups"].extend(groups)
        role["users"].extend(users)
    return json_response(200, project_role_json(req, project, role_id, role))


@opens_with(project_in_url(denied="forbidden"))
def set_project_role_actors(req, key, role_id, project, role):
    body = req.json()
    actors = body.get("categorisedActors") if isinstance(body, dict) else None
    if not isinstance(actors, dict):
        return error_collection(400, ["categorisedActors must be provided."])
    with req.emu.lock:
        users, groups, err = _resolve_actors(req, actors.get("atlassian-user-role-actor") or [],
                                             actors.get("atlassian-group-role-actor") or [],
                                             actors.get("atlassian-group-role-actor-id") or [])
        if err:
            return err
        role["groups"] = list(dict.fromkeys(groups))
        role["users"] = list(dict.fromkeys(users))
    return json_response(200, project_role_json(req, project, role_id, role))


@opens_with(project_in_url(denied="not_found"))
def delete_project_role_actor(req, key, role_id, project, role):
    user, group, gid = req.q("user"), req.q("group"), req.q("groupId")
    if sum(1 for x in (user, group, gid) if x) != 1:
        return error_collection(400, ["Exactly one of user, group or groupId must be given."])
    with req.emu.lock:
        users, groups, err = _resolve_actors(req, [user] if user else [], [group] if group else [],
                                             [gid] if gid else [])
        if err:
            return err
        for name in groups:
            if name not in role["groups"]:
                return error_collection(404, ["'%s' is not a member of the project role." % name])
            role["groups"].remove(name)
        for ident in users:
            if ident not in role["users"]:
                return error_collection(404, ["'%s' is not a member of the project role." % ident])
            role["users"].remove(ident)
    return Response(204, b"")


# (methods, regex after /rest/api/<v>, handler, anonymous modes, gateway scope)
ROUTES = [
    (("GET",), r"/group", get_group, (), "read:jira-user"),
    (("POST",), r"/group", create_group, (), "manage:jira-configuration"),
    (("DELETE",), r"/group", delete_group, (), "manage:jira-configuration"),
    (("GET",), r"/group/member", get_group_members, (), "read:jira-user"),
    (("GET",), r"/group/bulk", get_groups_bulk, (), "read:jira-user"),
    (("POST",), r"/group/user", add_group_user, (), "manage:jira-configuration"),
    (("DELETE",), r"/group/user", remove_group_user, (), "manage:jira-configuration"),
    (("GET",), r"/user", get_user, (), "read:jira-user"),
    (("POST",), r"/user", create_user, (), "manage:jira-configuration"),
    (("DELETE",), r"/user", delete_user, (), "manage:jira-configuration"),
    (("GET",), r"/user/search", search_users, (), "read:jira-user"),
    # anonymous-capable per the spec (a `{}` security entry); anonymous callers lack Browse users -> 403
    (("GET",), r"/user/groups", get_user_groups, (), "read:jira-user"),
    (("GET",), r"/applicationrole", list_application_roles, (), "manage:jira-configuration"),
    (("GET",), r"/applicationrole/(?P<key>[^/]+)", get_application_role, (), "manage:jira-configuration"),
    (("PUT",), r"/applicationrole/(?P<key>[^/]+)", put_application_role, (), "manage:jira-configuration"),
    (("GET",), r"/project/(?P<key>[^/]+)/role", get_project_roles, (), "manage:jira-project"),
    (("GET",), r"/project/(?P<key>[^/]+)/role/(?P<role_id>\d+)", get_project_role, (), "manage:jira-project"),
    (("POST",), r"/project/(?P<key>[^/]+)/role/(?P<role_id>\d+)", add_project_role_actors, (), "manage:jira-project"),
    (("PUT",), r"/project/(?P<key>[^/]+)/role/(?P<role_id>\d+)", set_project_role_actors, (), "manage:jira-project"),
    (("DELETE",), r"/project/(?P<key>[^/]+)/role/(?P<role_id>\d+)", delete_project_role_actor, (), "manage:jira-project"),
]

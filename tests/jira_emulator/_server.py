"""A small local Jira (Cloud or Data Center) that answers like the real one.

Behaviour follows docs/jira-behaviour.md (cited as "docs/jira-behaviour.md §N"). Test-only code: runs on the
controller Python (3.9+), standard library HTTP server plus trustme for TLS.
"""
import base64
import binascii
import datetime
import os
import random
import shutil
import socket
import ssl
import struct
import tempfile
import zlib
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from ._http import json_response
from ._model import APPLICATION_ROLES, DEFAULT_ROLES, ROLE_PERMISSIONS, Account, Project, stable_uuid
from . import _routes

CLOUD = "cloud"
DATACENTER = "datacenter"
# Fault kinds understood by add_fault (see README.md).
FAULT_KINDS = frozenset([
    "status", "rate_limit", "server_error", "slow", "drip", "reset", "html_sso_200", "redirect_login",
    "malformed_json", "anonymous_200", "empty_200", "big_body", "inactive_200", "scope_mismatch",
    "captcha", "xsrf", "random",
]) | frozenset([
    # Transport faults (see README.md "Transport faults"): a slow status line/headers, a compressed answer
    # the client did not ask for, a gzip bomb.
    "drip_headers", "gzip", "gzip_bomb",
])
# Hostile-content faults: answers whose content (not transport) is wrong or hostile (README.md,
# "Hostile content"). Served by _routes.content_fault.
CONTENT_FAULT_KINDS = frozenset(["seraph_failed_200", "deep_json", "shape_200", "echo_auth"])
FAULT_KINDS = FAULT_KINDS | CONTENT_FAULT_KINDS
# kind="random" picks one of these unless `kinds` is given (transient trouble a client should survive).
DEFAULT_RANDOM_KINDS = [
    {"kind": "rate_limit", "retry_after": 1}, {"kind": "rate_limit"},
    {"kind": "server_error", "status": 502}, {"kind": "server_error", "status": 503},
    {"kind": "server_error", "status": 504}, {"kind": "reset"}, {"kind": "slow", "delay": 0.5},
]


class _Auth(object):
    """Outcome of reading the Authorization header.

    state: "anonymous" (no header), "ok", "failed", "captcha" (DC lock), "scope" (gateway scope miss).
    """

    def __init__(self, state, account=None, reason="", via=""):
        self.state = state
        self.account = account
        self.reason = reason   # failed: unknown|wrong|password|scoped_on_site|inactive|no_access|scheme|basic_disabled
        self.via = via         # ok: token|scoped|password|pat


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 512   # benchmarks open many connections at once

    def __init__(self, *args, **kwargs):
        self.open_sockets = set()
        self.sockets_lock = threading.Lock()
        ThreadingHTTPServer.__init__(self, *args, **kwargs)

    def process_request(self, request, client_address):
        with self.sockets_lock:
            self.open_sockets.add(request)
        ThreadingHTTPServer.process_request(self, request, client_address)

    def shutdown_request(self, request):
        with self.sockets_lock:
            self.open_sockets.discard(request)
        ThreadingHTTPServer.shutdown_request(self, request)

    def close_open_sockets(self):
        """Drop keep-alive connections too, so a stopped emulator really is gone."""
        with self.sockets_lock:
            sockets, self.open_sockets = list(self.open_sockets), set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        # Clients that hang up, reject the certificate or get a "reset" fault are normal here.
        pass


class JiraEmulator(object):
    def __init__(self, mode=CLOUD, tls=False, cert="valid", accounts=None, projects=None, captcha_after=3,
                 cloud_id=None, context_path="", port=0, host="127.0.0.1", version=None,
                 deployment_type=None, basic_auth=True, groups=None, server_title="Jira", max_log=100000,
                 reject_get_body=None):
        if mode not in (CLOUD, DATACENTER):
            raise ValueError("mode must be 'cloud' or 'datacenter'")
        if cert not in ("valid", "wrong_host", "expired"):
            raise ValueError("cert must be valid, wrong_host or expired")
        self.mode = mode
        self.tls = bool(tls)
        self.cert = cert
        self.captcha_after = captcha_after
        self.cloud_id = cloud_id or str(uuid.uuid4())
        context_path = (context_path or "").rstrip("/")
        if context_path and not context_path.startswith("/"):
            context_path = "/" + context_path
        self.context_path = context_path
        self.host = host
        self._port = port
        self.version = version or ("1001.0.0-SNAPSHOT" if mode == CLOUD else "9.12.4")
        self.deployment_type = deployment_type or ("Cloud" if mode == CLOUD else "Server")
        # Jira DC 11 ships with basic auth off (docs/jira-behaviour.md §2); basic_auth=False emulates that.
        self.basic_auth = basic_auth
        self.server_title = server_title
        self.max_log = max_log      # request log keeps the newest entries (counters are exact)
        # docs/jira-behaviour.md §11: Cloud fails GETs that carry a body (seen as AUTHENTICATED_FAILED). Default on for Cloud.
        self.reject_get_body = (mode == CLOUD) if reject_get_body is None else bool(reject_get_body)
        self.lock = threading.RLock()
        self.accounts = {}
        self.projects = {}
        self.groups = {}          # name -> groupId
        self.application_roles = {}   # key -> {"name", "groups" (list), "defaultGroups", "platform"}
        self.project_roles = {}   # project key -> {role id: {"name", "description", "groups": [], "users": []}}
        self.requests = []
        self._counts = {}
        self._faults = []
        self._failed_logins = {}
        self._server = None
        self._thread = None
        self._tmpdir = None
        self.ca_path = None
        for key, (name, default_groups, platform) in APPLICATION_ROLES.items():
            self.application_roles[key] = {"name": name, "groups": list(default_groups),
                                           "defaultGroups": list(default_groups), "platform": platform}
        for group in ["jira-administrators", "jira-software-users", "jira-core-users", "jira-servicedesk-users"] + list(groups or []):
            self.add_group(group)
        for account in accounts or []:
            self.add_account(account)
        for project in projects or []:
            self.add_project(project)

    # ------------------------------------------------------------------ state
    def _account_key(self, account):
        return account.email if self.mode == CLOUD else account.name

    def add_account(self, account):
        if isinstance(account, dict):
            account = Account.from_dict(account)
        with self.lock:
            key = self._account_key(account)
            for existing in list(self.accounts):
                if existing.lower() == key.lower():
                    del self.accounts[existing]
            self.accounts[key] = account
            for group in account.groups:
                self.add_group(group)
        return account

    def add_project(self, project):
        if isinstance(project, dict):
            project = Project.from_dict(project)
        with self.lock:
            self.projects[project.key] = project
            roles = self.project_roles.setdefault(project.key, {})
            for role_id, name, description in DEFAULT_ROLES:
                roles.setdefault(role_id, {"name": name, "description": description, "groups": [], "users": []})
        return project

    def add_group(self, name):
        with self.lock:
            if name not in self.groups:
                self.groups[name] = stable_uuid("group:" + name)
            return self.groups[name]

    def find_account(self, ident):
        """Account by email (Cloud) / login name (DC), case-insensitive; also by accountId or key."""
        if not ident:
            return None
        low = ident.lower()
        with self.lock:
            for account in self.accounts.values():
                login = account.email if self.mode == CLOUD else account.name
                if login.lower() == low:
                    return account
            for account in self.accounts.values():
                if ident in (account.account_id, account.key) or account.email.lower() == low or account.name.lower() == low:
                    return account
        return None

    # ------------------------------------------------------------- lifecycle
    @property
    def port(self):
        return self._server.server_address[1] if self._server else self._port

    @property
    def gateway_url(self):
        return "%s://%s:%d" % ("https" if self.tls else "http", self.host, self.port)

    @property
    def url(self):
        return self.gateway_url + self.context_path

    @property
    def gateway_site_url(self):
        """What a user gives as the URL for scoped tokens (api.atlassian.com/ex/jira/<cloudId>)."""
        return "%s/ex/jira/%s" % (self.gateway_url, self.cloud_id)

    def start(self):
        if self._server is not None:
            return self
        server = _Server((self.host, self._port), _Handler)
        server.emulator = self
        if self.tls:
            server.socket = self._tls_context().wrap_socket(server.socket, server_side=True,
                                                            do_handshake_on_connect=False)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="jira-emulator-%d" % self.port, daemon=True)
        self._thread.start()
        return self

    def _tls_context(self):
        import trustme  # only needed for TLS

        self._tmpdir = tempfile.mkdtemp(prefix="jira-emulator-")
        ca = trustme.CA()
        now = datetime.datetime.now(datetime.timezone.utc)
        if self.cert == "valid":
            leaf = ca.issue_cert("127.0.0.1", "localhost", "::1")
        elif self.cert == "wrong_host":
            leaf = ca.issue_cert("jira.wrong-host.invalid")
        else:  # expired: right names, validity window in the past
            leaf = ca.issue_cert("127.0.0.1", "localhost", "::1", not_before=now - datetime.timedelta(days=30),
                                 not_after=now - datetime.timedelta(days=1))
        self.ca_path = os.path.join(self._tmpdir, "ca.pem")
        ca.cert_pem.write_to_path(self.ca_path)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(ctx)
        return ctx

    def stop(self):
        server, self._server = self._server, None
        if server is not None:
            self._port = server.server_address[1]
            server.shutdown()
            server.server_close()
            server.close_open_sockets()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
            self.ca_path = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------ counters & faults
    def reset(self):
        """Clear counters, request log, faults and failed-login (CAPTCHA) counts; accounts stay."""
        with self.lock:
            self.requests = []
            self._counts = {}
            self._faults = []
            self._failed_logins = {}

    def count(self, path, method="GET"):
        with self.lock:
            return self._counts.get("%s %s" % (method.upper(), path), 0)

    def counts(self):
        with self.lock:
            return dict(self._counts)

    def total_requests(self):
        with self.lock:
            return sum(self._counts.values())

    def add_fault(self, path, kind, times=1, **kw):
        """Apply `kind` to the next `times` requests matching `path` ("*" = any; times=None = forever).

        kw: status, headers, body, retry_after, delay, interval, size, method (only that method),
        probability (0..1: each matching request is hit with that chance; misses do not use up `times`),
        seed (for probability/random), kinds (for kind="random": names or {"kind", ...kw} dicts).
        """
        if kind not in FAULT_KINDS:
            raise ValueError("unknown fault kind %r (known: %s)" % (kind, ", ".join(sorted(FAULT_KINDS))))
        kw = dict(kw)
        fault = {"path": path, "kind": kind, "times": times, "kw": kw,
                 "rng": random.Random(kw.pop("seed", None))}
        if kind == "random":
            choices = []
            for item in kw.pop("kinds", None) or DEFAULT_RANDOM_KINDS:
                item = {"kind": item} if isinstance(item, str) else dict(item)
                if item.get("kind") not in FAULT_KINDS or item["kind"] == "random":
                    raise ValueError("random fault: bad kind in %r" % (item,))
                choices.append(item)
            fault["choices"] = choices
        if kind == "gzip_bomb":
            _gzip_bomb(int(kw.get("size", 256 * 1024 * 1024)))  # build it now, not while the client waits
        with self.lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self):
        with self.lock:
            self._faults = []

    def failed_logins(self, name):
        with self.lock:
            return self._failed_logins.get(name.lower(), 0)

    def _take_fault(self, method, paths):
        """(kind, kw) of the fault for this request, or (None, {})."""
        with self.lock:
            for fault in self._faults:
                if fault["path"] != "*" and fault["path"] not in paths:
                    continue
                kw = fault["kw"]
                want = kw.get("method")
                if want and want.upper() != method:
                    continue
                if fault["times"] is not None and fault["times"] <= 0:
                    continue
                if kw.get("probability") is not None and fault["rng"].random() >= float(kw["probability"]):
                    continue
                if fault["times"] is not None:
                    fault["times"] -= 1
                if fault["kind"] == "random":
                    choice = dict(fault["rng"].choice(fault["choices"]))
                    return choice.pop("kind"), choice
                return fault["kind"], kw
        return None, {}

    def _record(self, method, path, query, headers, body, fault=None):
        with self.lock:
            key = "%s %s" % (method, path)
            self._counts[key] = self._counts.get(key, 0) + 1
            self.requests.append({"method": method, "path": path, "query": query, "headers": headers, "body": body,
                                  "fault": fault, "time": time.monotonic()})
            if self.max_log and len(self.requests) > self.max_log:
                del self.requests[:len(self.requests) - self.max_log]

    # ---------------------------------------------------------------- auth
    def authenticate(self, headers, gateway):
        value = headers.get("Authorization")
        if not value:
            return _Auth("anonymous")
        scheme, dummy, cred = value.strip().partition(" ")
        scheme = scheme.lower()
        cred = cred.strip()
        if scheme == "basic":
            try:
                user, sep, secret = base64.b64decode(cred, validate=True).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return _Auth("failed", reason="scheme")
            if not sep:
                return _Auth("failed", reason="scheme")
            return self._basic(user, secret, gateway)
        if scheme == "bearer" and self.mode == DATACENTER:
            with self.lock:
                for account in self.accounts.values():
                    if cred and cred in account.pats:
                        if not account.active or not self.effective_application_roles(account):
                            return _Auth("failed", account, "inactive")
                        return _Auth("ok", account, via="pat")
            return _Auth("failed", reason="wrong")
        return _Auth("failed", reason="scheme")

    def _basic(self, user, secret, gateway):
        if self.mode == CLOUD:
            # Cloud: the username must be the account email (docs/jira-behaviour.md §2), compared case-insensitively.
            account = None
            with self.lock:
                for acct in self.accounts.values():
                    if acct.email.lower() == user.lower():
                        account = acct
            if account is None:
                return _Auth("failed", reason="unknown")
            if secret and secret in account.tokens:
                via = "token"
            elif secret and secret in account.scoped_tokens:
                if not gateway:
                    # Scoped tokens only work through api.atlassian.com/ex/jira/<cloudId> (docs/jira-behaviour.md §10).
                    return _Auth("failed", account, "scoped_on_site")
                via = "scoped"
            elif account.password is not None and secret == account.password:
                return _Auth("failed", account, "password")
            else:
                return _Auth("failed", account, "wrong")
            if not account.active:
                return _Auth("failed", account, "inactive")  # AX-684: tokens of deactivated users -> 401
            return _Auth("ok", account, via=via)

        # Data Center: login name + password (tokens act as passwords here).
        if not self.basic_auth:
            return _Auth("failed", reason="basic_disabled")
        account = None
        with self.lock:
            for acct in self.accounts.values():
                if acct.name.lower() == user.lower():
                    account = acct
            if account is None:
                return _Auth("failed", reason="unknown")
            low = account.name.lower()
            # docs/jira-behaviour.md §6: after N consecutive failures Seraph refuses even to check the password.
            if self.captcha_after and self._failed_logins.get(low, 0) >= self.captcha_after:
                return _Auth("captcha", account)
            good = bool(secret) and (secret in account.tokens or secret == account.password)
            if not good:
                self._failed_logins[low] = self._failed_logins.get(low, 0) + 1
                return _Auth("failed", account, "wrong")
            self._failed_logins[low] = 0
        if not account.active:
            return _Auth("failed", account, "inactive")
        if not self.effective_application_roles(account):
            # docs/jira-behaviour.md §5: DC user without USE permission (no application access) -> 401.
            return _Auth("failed", account, "no_access")
        return _Auth("ok", account, via="password")

    # ------------------------------------------------------- derived state
    def effective_groups(self, account):
        return sorted(set(account.groups))

    def effective_application_roles(self, account):
        with self.lock:
            roles = set(account.application_roles)
            groups = set(account.groups)
            for key, role in self.application_roles.items():
                if groups & set(role["groups"]):
                    roles.add(key)
            return sorted(r for r in roles if r in self.application_roles)

    def project_permissions(self, account, project_key):
        if account is None:
            return set()
        with self.lock:
            perms = set(account.permissions.get(project_key, [])) | set(account.permissions.get("*", []))
            groups = set(account.groups)
            for role in self.project_roles.get(project_key, {}).values():
                if account.account_id in role["users"] or account.name in role["users"] or groups & set(role["groups"]):
                    perms |= set(ROLE_PERMISSIONS.get(role["name"], []))
            return perms

    def can_see_project(self, account, project_key):
        if account is None:
            return False
        if account.is_admin:
            return True
        return bool({"BROWSE_PROJECTS", "ADMINISTER_PROJECTS"} & self.project_permissions(account, project_key))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY keep-alive clients wait ~40 ms
    # for the delayed ACK on every request.
    disable_nagle_algorithm = True

    def version_string(self):
        return "JiraEmulator"

    def log_message(self, format, *args):  # quiet: benchmarks pound this server
        pass

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_HEAD(self):
        self._handle("HEAD")

    # ------------------------------------------------------------------
    def _handle(self, method):
        emu = self.server.emulator
        # Not urlsplit: it would read "//rest/..." as a network location (docs/jira-behaviour.md §1 needs it as a path).
        # and not self.path: Python 3.12+ collapses a leading "//" there (gh-87389); the request line is raw.
        words = self.requestline.split()
        target = words[1] if len(words) >= 2 else self.path
        raw_path, dummy, query = target.partition("?")
        raw_path = raw_path.partition("#")[0] or "/"
        if "://" in raw_path:  # absolute-form request line (proxies)
            raw_path = "/" + raw_path.split("://", 1)[1].partition("/")[2]
        body = self._read_body()

        control = raw_path
        if emu.context_path and control.startswith(emu.context_path + "/_emulator/"):
            control = control[len(emu.context_path):]
        if control.startswith("/_emulator/"):
            return self._send(_routes.control(emu, method, control, parse_qs(query), body), method)

        # Work out the logical path: gateway prefix or context path stripped (docs/jira-behaviour.md §1).
        gateway = False
        cloud_id = None
        path = raw_path
        outside_context = False
        if raw_path.startswith("/ex/jira/"):
            gateway = True
            rest = raw_path[len("/ex/jira/"):]
            cloud_id, dummy, tail = rest.partition("/")
            path = "/" + tail
        elif emu.context_path:
            if raw_path == emu.context_path or raw_path.startswith(emu.context_path + "/"):
                path = raw_path[len(emu.context_path):] or "/"
            else:
                outside_context = True
        count_path = raw_path if gateway else path
        kind, kw = emu._take_fault(method, (count_path, path, raw_path))
        emu._record(method, count_path, query, dict(self.headers.items()), body, kind)
        if kind == "reset":
            return self._reset()
        if kind == "slow":
            time.sleep(float(kw.get("delay", 2.0)))
        req = _routes.Request(emu, method, path, parse_qs(query, keep_blank_values=True), self.headers, body,
                              gateway, cloud_id, outside_context)
        if kind == "gzip_bomb":
            resp = _gzip_bomb(int(kw.get("size", 256 * 1024 * 1024)))
        elif kind in CONTENT_FAULT_KINDS:
            resp = _routes.content_fault(req, kind, kw)
        elif kind and kind not in ("slow", "drip", "inactive_200", "drip_headers", "gzip"):
            resp = _routes.fault_response(req, kind, kw)
        else:
            try:
                resp = _routes.route(req)
            except Exception as exc:  # an emulator bug must show up as a 500, not a hung client
                resp = json_response(500, {"errorMessages": ["emulator error: %r" % (exc,)], "errors": {}})
            if kind == "inactive_200":
                resp = _routes.make_inactive(resp)
            if kind == "gzip":
                resp = _compressed(resp, kw.get("encoding", "gzip"))
        self._send(resp, method, drip=float(kw.get("interval", 0.2)) if kind == "drip" else None,
                   drip_headers=float(kw.get("interval", 1.0)) if kind == "drip_headers" else None)

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailers
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks) or None
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else None

    def _reset(self):
        try:
            # SO_LINGER 0 turns close() into a TCP RST: the client sees "connection reset", no answer.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def _send(self, resp, method, drip=None, drip_headers=None):
        try:
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            length = resp.length if resp.stream is not None else len(resp.body)
            self.send_header("Content-Length", str(length))
            for name, value in resp.headers.items():
                self.send_header(name, str(value))
            if drip_headers is not None:
                # drip_headers fault: the status line and headers one byte per interval, then the body at once.
                head, self._headers_buffer = b"".join(self._headers_buffer) + b"\r\n", []
                for i in range(len(head)):
                    self.wfile.write(head[i:i + 1])
                    self.wfile.flush()
                    time.sleep(drip_headers)
                self.wfile.write(resp.body)
                self.wfile.flush()
                return
            if method != "HEAD" and resp.stream is None and drip is None:
                # One write for headers + body (one TLS record / TCP segment for small answers).
                self._headers_buffer.append(b"\r\n" + resp.body)
                self.flush_headers()
                return
            self.end_headers()
            if method == "HEAD":
                return
            if resp.stream is not None:
                resp.stream(self.wfile.write)
            else:  # drip
                for i in range(len(resp.body)):
                    self.wfile.write(resp.body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(drip)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True


# ------------------------------------------------------------------ transport faults
_BOMBS = {}


def _gzip_bomb(size):
    """200 JSON whose gzip body decodes to `size` bytes (a JSON string of zeros' digits): about a
    thousandth of that on the wire. Built once per size."""
    if size not in _BOMBS:
        comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        parts = [comp.compress(b'{"data":"')]
        block = b"0" * (1024 * 1024)
        left = size
        while left > 0:
            parts.append(comp.compress(block[:min(left, len(block))]))
            left -= len(block)
        parts.append(comp.compress(b'"}'))
        parts.append(comp.flush())
        _BOMBS[size] = b"".join(parts)
    resp = _http_response(200, _BOMBS[size])
    resp.headers["Content-Encoding"] = "gzip"
    return resp


def _compressed(resp, encoding):
    """gzip fault: the normal answer compressed (gzip or deflate) whatever the client asked for, as a
    proxy with gzip on for application/json would if the client advertised it."""
    if resp.stream is not None or not resp.body:
        return resp
    if encoding == "deflate":
        body = zlib.compress(resp.body)
    else:
        comp = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        body = comp.compress(resp.body) + comp.flush()
    new = _http_response(resp.status, body, resp.content_type, resp.headers)
    new.headers["Content-Encoding"] = encoding
    return new


def _http_response(status, body, content_type=None, headers=None):
    from ._http import JSON, Response
    return Response(status, body, content_type or JSON, headers)

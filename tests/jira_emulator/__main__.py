"""Run the Jira emulator as a process (demo, benchmarks, Molecule, manual use).

    PYTHONPATH=tests python -m jira_emulator --mode cloud --port 0 --tls --config accounts.json
        --port-file FILE --ca-file FILE [--default-accounts]

Prints one JSON line {"url", "gateway_url", "gateway_site_url", "ca_path", "pid", "mode", "cloud_id"
[, "default_accounts"]} and serves until SIGTERM/SIGINT. With --default-accounts the line holds the
fixture accounts and their secrets (tokens in clear): keep it in a 0600 file.

Control API, at the server root (also under --context-path); its calls are never counted or logged.
Bodies are JSON. With --tls pass the CA file (curl --cacert FILE):
  GET    /_emulator/info                  url, gateway_url, gateway_site_url, ca_path, cloud_id, mode
  GET    /_emulator/counts                requests served so far, per method and path
  GET    /_emulator/total                 {"total": N}
  GET    /_emulator/requests              the request log (method, path, query, headers, body, fault)
  POST   /_emulator/reset                 clear counters, request log, faults, failed logins (not accounts)
  POST   /_emulator/faults                add faults: {"path", "kind", "times", ...} or a list of them
  DELETE /_emulator/faults                clear every fault
  GET    /_emulator/accounts              every account, secrets included
  POST   /_emulator/accounts              add (or replace) one account: {"email", "tokens", ...}
  PATCH  /_emulator/accounts/<login>      set fields of one account; each field given REPLACES the
                                          old value, so {"tokens": ["NEW"]} leaves NEW as the only
                                          valid token (give ["OLD", "NEW"] to keep both valid)
  DELETE /_emulator/accounts/<login>      remove the account
  DELETE /_emulator/accounts/<login>/tokens   revoke its tokens, scoped tokens and PATs
  POST   /_emulator/projects              add a project: {"key", "name", "id"}
<login> is the email (Cloud) or login name (Data Center), URL-encoded (@ as %40). Account fields:
email, name, display_name, tokens, scoped_tokens, pats, password, active, groups, permissions,
global_permissions, ... (tests/jira_emulator/README.md lists them all).

Rotating the service account's token, for example (Cloud, default accounts, over --tls):
  curl --cacert CA.pem -X PATCH -H 'Content-Type: application/json' \\
    -d '{"tokens": ["OLD-TOKEN", "NEW-TOKEN"]}' URL/_emulator/accounts/svc-ansible%40example.com
"""
import argparse
import json
import os
import shutil
import signal
import sys
import threading

from ._model import Account, Project
from ._server import JiraEmulator


def _load_config(path):
    with open(path) as handle:
        text = handle.read()
    try:
        return json.loads(text)
    except ValueError:
        try:
            import yaml
        except ImportError:
            raise SystemExit("%s is not JSON (and PyYAML is not installed for YAML)" % path)
        return yaml.safe_load(text) or {}


def build(argv=None):
    parser = argparse.ArgumentParser(prog="python -m jira_emulator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["cloud", "datacenter"], help="default: cloud")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port (default)")
    parser.add_argument("--tls", action="store_true", default=None, help="HTTPS with a run-time CA")
    parser.add_argument("--cert", choices=["valid", "wrong_host", "expired"], help="server certificate (with --tls)")
    parser.add_argument("--context-path", help="DC context path, e.g. /jira")
    parser.add_argument("--cloud-id", help="Cloud id served by /_edge/tenant_info (default: random)")
    parser.add_argument("--captcha-after", type=int, help="DC failed logins before CAPTCHA (0 = never; default 3)")
    parser.add_argument("--deployment-type", help="serverInfo deploymentType (DC default Server)")
    parser.add_argument("--jira-version", dest="version", help="serverInfo version")
    parser.add_argument("--no-basic-auth", dest="basic_auth", action="store_false", default=None,
                        help="DC: refuse basic auth (Jira 11 default), PATs only")
    parser.add_argument("--config", help="JSON (or YAML) file: mode, accounts, projects, captcha_after, ...")
    parser.add_argument("--default-accounts", action="store_true",
                        help="add the standard fixture accounts/project (random secrets, printed in the JSON line)")
    parser.add_argument("--port-file", help="write the site URL here")
    parser.add_argument("--ca-file", help="copy the CA PEM here (with --tls)")
    args = parser.parse_args(argv)

    config = _load_config(args.config) if args.config else {}
    options = {k: v for k, v in config.items() if k not in ("accounts", "projects", "faults")}
    for name in ("mode", "tls", "cert", "context_path", "cloud_id", "captcha_after", "deployment_type", "version",
                 "basic_auth"):
        value = getattr(args, name)
        if value is not None:
            options[name] = value
    options["host"] = args.host
    options["port"] = args.port if args.port else options.get("port", 0)
    accounts = [Account.from_dict(a) for a in config.get("accounts", [])]
    projects = [Project.from_dict(p) for p in config.get("projects", [])]
    extra = {}
    if args.default_accounts:
        from ._fixtures import default_accounts, default_projects
        defaults = default_accounts(options.get("mode", "cloud"))
        accounts = defaults + accounts
        projects = projects or default_projects()
        extra["default_accounts"] = [a.to_dict() for a in defaults]
    emu = JiraEmulator(accounts=accounts, projects=projects, **options)
    for item in config.get("faults", []):   # same shape as POST /_emulator/faults
        item = dict(item)
        emu.add_fault(item.pop("path", "*"), item.pop("kind"), item.pop("times", 1), **item)
    return emu, args, extra


def main(argv=None):
    emu, args, extra = build(argv)
    emu.start()
    ca_path = emu.ca_path
    if args.ca_file and ca_path:
        shutil.copyfile(ca_path, args.ca_file)
        ca_path = os.path.abspath(args.ca_file)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as handle:
            handle.write(emu.url + "\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    info = {"url": emu.url, "gateway_url": emu.gateway_url, "gateway_site_url": emu.gateway_site_url,
            "ca_path": ca_path, "pid": os.getpid(), "mode": emu.mode, "cloud_id": emu.cloud_id}
    info.update(extra)
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()

    done = threading.Event()

    def _stop(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not done.wait(0.5):
        pass
    emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

# Sourced by gates that run Ansible against the local Jira emulator (tests/jira_emulator).
# start_emulator [emulator flags...] starts `python -m jira_emulator --default-accounts` in the
# background and sets EMU_URL, EMU_CA (with --tls), EMU_USER/EMU_TOKEN (service account),
# EMU_ADMIN_USER/EMU_ADMIN_TOKEN, EMU_PID. stop_emulator ends it (also registered on EXIT).
EMU_PID=
EMU_DIR=
stop_emulator() {
  if [ -n "$EMU_PID" ] && kill -0 "$EMU_PID" 2>/dev/null; then
    kill "$EMU_PID" 2>/dev/null || true
    wait "$EMU_PID" 2>/dev/null || true
  fi
  EMU_PID=
  [ -z "$EMU_DIR" ] || rm -rf "$EMU_DIR"
  EMU_DIR=
}

start_emulator() {
  local dir info py="${EMU_PYTHON:-$DEV_VENV/bin/python}"
  dir=$(mktemp -d "${TMPDIR:-/tmp}/jira-emu.XXXXXX"); EMU_DIR=$dir
  info="$dir/info.json"
  PYTHONPATH="$ROOT/tests" "$py" -m jira_emulator --port 0 --default-accounts \
    --port-file "$dir/url" --ca-file "$dir/ca.pem" "$@" > "$info" 2> "$dir/stderr" &
  EMU_PID=$!
  trap stop_emulator EXIT
  local i
  for i in $(seq 1 100); do
    [ -s "$info" ] && break
    kill -0 "$EMU_PID" 2>/dev/null || { cat "$dir/stderr" >&2; die "emulator did not start"; }
    sleep 0.1
  done
  [ -s "$info" ] || die "emulator did not print its address"
  eval "$("$py" - "$info" <<'PY'
import json, shlex, sys
info = json.loads(open(sys.argv[1]).readline())
svc, admin = info["default_accounts"][:2]
login = (lambda a: a["email"]) if info["mode"] == "cloud" else (lambda a: a["name"])
secret = lambda a: (a["tokens"] or [a.get("password")])[0]
for k, v in (("EMU_URL", info["url"]), ("EMU_CA", info.get("ca_path") or ""),
             ("EMU_USER", login(svc)), ("EMU_TOKEN", secret(svc)),
             ("EMU_ADMIN_USER", login(admin)), ("EMU_ADMIN_TOKEN", secret(admin)),
             ("EMU_MODE", info["mode"])):
    print("%s=%s" % (k, shlex.quote(v)))
PY
)"
  log "emulator ($EMU_MODE) at $EMU_URL"
}

# emu_count PATH: requests the emulator counted for PATH (GET), from its control API.
emu_count() {
  "${EMU_PYTHON:-$DEV_VENV/bin/python}" - "$EMU_URL" "$1" "${EMU_CA:-}" <<'PY'
import json, ssl, sys, urllib.request
url, path, ca = sys.argv[1:4]
ctx = ssl.create_default_context(cafile=ca) if ca else None
# The emulator is on loopback: never through a proxy named in the environment.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=ctx))
counts = json.load(opener.open(url.rstrip("/") + "/_emulator/counts"))
print(sum(v for k, v in counts.items() if path in k))
PY
}

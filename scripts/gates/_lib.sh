# Shared helpers for the gate scripts (sourced, not run).
# Every gate works from a fresh clone: it creates the venvs it needs on first use.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GATES_VENV="$ROOT/.venv-gates"
DEV_VENV="$ROOT/.venv"
BUILD="$ROOT/build"
export PIP_DISABLE_PIP_VERSION_CHECK=1

log() { printf '[%s] %s\n' "${GATE:-gate}" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

# python_for VERSION: a working interpreter path (pyenv shims of inactive versions do not work).
python_for() { "$ROOT/scripts/find-python" "$1"; }

# _ensure_venv DIR PYVER REQFILE: (re)create DIR when REQFILE changed since the last install.
_ensure_venv() {
  local dir=$1 pyver=$2 req=$3 stamp want py
  stamp="$dir/.requirements.sha256"
  want=$(sha256sum "$req" | cut -d' ' -f1)
  if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  py=$(python_for "$pyver") || die "Python $pyver not found (scripts/find-python $pyver)"
  log "installing $(basename "$req") into $(basename "$dir") (Python $pyver)"
  [ -x "$dir/bin/python" ] || "$py" -m venv "$dir"
  "$dir/bin/python" -m pip install -q --upgrade pip >&2
  "$dir/bin/python" -m pip install -q -r "$req" >&2
  echo "$want" > "$stamp"
}

ensure_gates_venv() { _ensure_venv "$GATES_VENV" 3.12 "$ROOT/requirements-gates.txt"; }
ensure_dev_venv() { _ensure_venv "$DEV_VENV" 3.12 "$ROOT/requirements-dev.txt"; }

# The collection's version, from galaxy.yml (the one place it is written down).
collection_version() {
  local v
  v=$(sed -n 's/^version:[[:space:]]*["'\'']\{0,1\}\([^"'\''[:space:]]*\).*/\1/p' "$ROOT/galaxy.yml")
  [ -n "$v" ] || die "galaxy.yml has no version"
  echo "$v"
}

# The collection's files as git sees them (tracked + untracked, not ignored).
collection_files() { git -C "$ROOT" ls-files -co --exclude-standard; }

# copy_collection DEST: lay the collection out as DEST/ansible_collections/integrations/jira.
copy_collection() {
  local dest="$1/ansible_collections/integrations/jira"
  rm -rf "$1"
  mkdir -p "$dest"
  (cd "$ROOT" && collection_files | while IFS= read -r f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    xargs -0 cp --parents -t "$dest")
  echo "$dest"
}

# build_tarball OUTDIR: ansible-galaxy collection build of the git-visible files (a copy, so no
# local scratch file slips in); prints the tarball path.
build_tarball() {
  local out=$1 src
  src=$(copy_collection "$out/src")
  mkdir -p "$out"
  rm -f "$out"/integrations-jira-*.tar.gz
  "$GATES_VENV/bin/ansible-galaxy" collection build --force --output-path "$out" "$src" >&2
  ls "$out"/integrations-jira-*.tar.gz
}

# git_snapshot DIR: make DIR (a copy_collection result) its own git repository holding exactly its
# files. Tools that list content with git (ansible-test, antsibull-changelog) look for the nearest
# .git upwards; build/ is ignored by the outer repository, so without this they see no files.
git_snapshot() {
  git -C "$1" init -q . && git -C "$1" add -A &&
    git -C "$1" -c user.name=gates -c user.email=gates@localhost commit -qm snapshot
}

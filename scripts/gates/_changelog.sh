# Sourced by changelog-update and the docs gate: render_changelog DEST_DIR writes changelog.yaml,
# CHANGELOG.rst and CHANGELOG.md for the release named by galaxy.yml's version from every fragment
# in changelogs/fragments (and the plugins' version_added), in a scratch copy, so the repository's
# fragments stay put. Needs _lib.sh sourced and the gates venv ready.
RELEASE_VERSION=$(collection_version)
# release_date: the date already recorded for this release, so the output only changes when the
# content does; today for a release not recorded yet.
release_date() {
  "$GATES_VENV/bin/python" - "$ROOT/changelogs/changelog.yaml" "$RELEASE_VERSION" <<'PY'
import datetime, sys, yaml
try:
    data = yaml.safe_load(open(sys.argv[1])) or {}
except OSError:
    data = {}
rel = (data.get("releases") or {}).get(sys.argv[2]) or {}
print(rel.get("release_date") or datetime.date.today().isoformat())
PY
}
render_changelog() {
  local dest=$1 scratch coll
  scratch="$BUILD/changelog-scratch"
  coll=$(copy_collection "$scratch")
  rm -f "$coll/changelogs/changelog.yaml" "$coll/CHANGELOG.rst" "$coll/CHANGELOG.md"
  git_snapshot "$coll"
  (cd "$coll" && ANSIBLE_COLLECTIONS_PATH="$scratch" "$GATES_VENV/bin/antsibull-changelog" release \
      --version "$RELEASE_VERSION" --date "$(release_date)" --reload-plugins >&2)
  mkdir -p "$dest"
  cp "$coll/changelogs/changelog.yaml" "$dest/changelog.yaml"
  cp "$coll/CHANGELOG.rst" "$dest/CHANGELOG.rst"
  cp "$coll/CHANGELOG.md" "$dest/CHANGELOG.md"
}

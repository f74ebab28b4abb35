# Sourced by changelog-update and the docs gate: render_changelog DEST_DIR writes changelog.yaml,
# CHANGELOG.rst and CHANGELOG.md for release 0.1.0 from every fragment in changelogs/fragments
# (and the plugins' version_added), in a scratch copy, so the repository's fragments stay put.
RELEASE_VERSION=0.1.0
RELEASE_DATE=2026-12-01   # fixed, so the output only changes when the content does
render_changelog() {
  local dest=$1 scratch coll
  scratch="$BUILD/changelog-scratch"
  coll=$(copy_collection "$scratch")
  rm -f "$coll/changelogs/changelog.yaml" "$coll/CHANGELOG.rst" "$coll/CHANGELOG.md"
  git_snapshot "$coll"
  (cd "$coll" && ANSIBLE_COLLECTIONS_PATH="$scratch" "$GATES_VENV/bin/antsibull-changelog" release \
      --version "$RELEASE_VERSION" --date "$RELEASE_DATE" --reload-plugins >&2)
  mkdir -p "$dest"
  cp "$coll/changelogs/changelog.yaml" "$dest/changelog.yaml"
  cp "$coll/CHANGELOG.rst" "$dest/CHANGELOG.rst"
  cp "$coll/CHANGELOG.md" "$dest/CHANGELOG.md"
}

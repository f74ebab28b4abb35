# Sourced by docs and docs-generate: generate_plugin_docs DEST renders docs/plugins from the
# plugins' own DOCUMENTATION/EXAMPLES/RETURN and the roles' argument specs (antsibull-docs).
# Needs _lib.sh sourced and the gates venv ready.
docs_collections_path() {
  local base="$BUILD/docs/collections"
  copy_collection "$base" >/dev/null
  echo "$base"
}

generate_plugin_docs() {
  local dest=$1 colls
  colls=$(docs_collections_path)
  rm -rf "$dest"; mkdir -p "$dest"
  ANSIBLE_COLLECTIONS_PATH="$colls" "$GATES_VENV/bin/antsibull-docs" collection \
    --use-current --squash-hierarchy --output-format simplified-rst \
    --no-add-antsibull-docs-version --fail-on-error --cleanup everything \
    --dest-dir "$dest" integrations.jira >&2
}

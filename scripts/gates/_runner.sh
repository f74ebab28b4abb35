# Sourced by the ee and awx gates: make_runner_dir DIR COLLECTIONS_PATH writes an ansible-runner
# private data directory (as AWX lays one out) whose project runs the collection's `provision`
# playbook by FQCN against an inventory of local hosts writing under DIR/out.
make_runner_dir() {
  local dir=$1 colls=$2
  rm -rf "$dir"; mkdir -p "$dir/project" "$dir/inventory" "$dir/env" "$dir/out"
  [ -f "$colls/ansible_collections/integrations/jira/playbooks/provision.yml" ] ||
    die "the collection has no playbooks/provision.yml (integrations.jira.provision)"
  # An AWX project: a playbook in the project's repository that imports the collection's playbook.
  cat > "$dir/project/provision.yml" <<'YML'
---
- name: Provision the Jira integration
  ansible.builtin.import_playbook: integrations.jira.provision
YML
  {
    echo "[jira_integration]"
    for h in node1 node2; do echo "$h ansible_connection=local"; done
    echo "[all:vars]"
    echo "ansible_python_interpreter=$GATES_VENV/bin/python"
    echo "jira_integration_config_path=$dir/out/{{ inventory_hostname }}/jira.yml"
    echo "jira_integration_fact_path=$dir/out/{{ inventory_hostname }}/jira_integration.fact"
  } > "$dir/inventory/hosts"
  # Only the installed collection, as in an EE (nothing from the repository checkout).
  printf -- '---\nANSIBLE_COLLECTIONS_PATH: %s\nANSIBLE_COLLECTIONS_SCAN_SYS_PATH: "false"\n' "$colls" > "$dir/env/envvars"
  printf -- '---\nsuppress_ansible_output: false\n' > "$dir/env/settings"
}

# run_runner DIR LOG [extra ansible-runner args]: ansible-runner run, then check the status file.
run_runner() {
  local dir=$1 logf=$2; shift 2
  local rc=0 ident="provision-$$-$RANDOM"
  "$GATES_VENV/bin/ansible-runner" run "$dir" -p provision.yml --ident "$ident" "$@" > "$logf" 2>&1 || rc=$?
  local status
  status=$(cat "$dir/artifacts/$ident/status" 2>/dev/null)
  if [ $rc -ne 0 ] || [ "$status" != successful ]; then
    cat "$logf" >&2; die "ansible-runner: rc=$rc status=${status:-none}"
  fi
}

#!/usr/bin/env python
"""Cut the vendored excerpt of Atlassian's Jira Cloud platform REST API v3 OpenAPI document.

Usage: tests/contract/vendor_openapi_subset.py FULL_DOCUMENT.json [OUTPUT.json]

The full document is about 3.5 MB; the contract test needs only the operations the collection and
the emulator use, plus the component schemas those operations reference (followed transitively).
The excerpt is written deterministically (sorted keys, fixed indent, ASCII only, trailing newline), so
re-running the script on the same input gives a byte-identical file and a diff shows real upstream
changes. Where the excerpt came from is recorded in its top-level `x-vendored` entry and in
tests/contract/data/PROVENANCE.md. Test-only code, run by hand when refreshing the excerpt; the
tests never need the full document.
"""
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUTPUT = os.path.join(HERE, "data", "jira-cloud-platform-v3.subset.openapi.json")

UPSTREAM_URL = "https://developer.atlassian.com/cloud/jira/platform/swagger-v3.v3.json"
# The copy the excerpt was taken from (a public mirror of the upstream URL, re-serialised with indent 2).
COPY = {
    "repository": "https://github.com/Himenon/atlassian-jira-typescript-openapi",
    "path": "api-spec/openapi-v3.json",
    "commit": "afba5bc6fdb7fd25e4de342a101b8342b8a7bb7a",
}

# (path, method) of every operation the collection's modules or the emulator call on Jira Cloud.
# Data Center-only operations (PUT /applicationrole/{key}) are not in the Cloud document.
OPERATIONS = [
    ("/rest/api/3/myself", "get"),
    ("/rest/api/3/serverInfo", "get"),
    ("/rest/api/3/mypermissions", "get"),
    ("/rest/api/3/permissions", "get"),
    ("/rest/api/3/project", "get"),
    ("/rest/api/3/project/search", "get"),
    ("/rest/api/3/project/{projectIdOrKey}", "get"),
    ("/rest/api/3/group", "get"),
    ("/rest/api/3/group", "post"),
    ("/rest/api/3/group", "delete"),
    ("/rest/api/3/group/member", "get"),
    ("/rest/api/3/group/bulk", "get"),
    ("/rest/api/3/group/user", "post"),
    ("/rest/api/3/group/user", "delete"),
    ("/rest/api/3/user", "get"),
    ("/rest/api/3/user", "post"),
    ("/rest/api/3/user", "delete"),
    ("/rest/api/3/user/search", "get"),
    ("/rest/api/3/user/groups", "get"),
    ("/rest/api/3/applicationrole", "get"),
    ("/rest/api/3/applicationrole/{key}", "get"),
    ("/rest/api/3/project/{projectIdOrKey}/role", "get"),
    ("/rest/api/3/project/{projectIdOrKey}/role/{id}", "get"),
    ("/rest/api/3/project/{projectIdOrKey}/role/{id}", "post"),
    ("/rest/api/3/project/{projectIdOrKey}/role/{id}", "put"),
    ("/rest/api/3/project/{projectIdOrKey}/role/{id}", "delete"),
]

# Top-level members kept as they are; `tags` and the long `x-atlassian-narrative` prose are dropped.
KEPT_TOP_LEVEL = ("openapi", "info", "servers", "externalDocs")
REF_PREFIX = "#/components/"


def _refs(node, found):
    """Collect every local "$ref" target below node."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def _component(document, ref):
    section, name = ref[len(REF_PREFIX):].split("/", 1)
    return section, name, document["components"][section][name]


def extract(document, sha256=None):
    """The excerpt of `document` (a parsed OpenAPI dict): OPERATIONS plus what they reference."""
    paths = {}
    missing = []
    for path, method in OPERATIONS:
        item = document["paths"].get(path, {})
        if method not in item:
            missing.append("%s %s" % (method.upper(), path))
            continue
        kept = paths.setdefault(path, {k: v for k, v in item.items() if k in ("parameters", "summary", "description")})
        kept[method] = item[method]
    if missing:
        raise SystemExit("not in the document: %s" % ", ".join(missing))

    components = {"securitySchemes": dict(document["components"].get("securitySchemes", {}))}
    todo = sorted(_refs(paths, set()))
    seen = set()
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        section, name, value = _component(document, ref)
        components.setdefault(section, {})[name] = value
        todo.extend(sorted(_refs(value, set()) - seen))

    subset = {key: document[key] for key in KEPT_TOP_LEVEL if key in document}
    subset["paths"] = paths
    subset["components"] = components
    vendored = {
        "upstream": UPSTREAM_URL,
        "copied_from": dict(COPY),
        "upstream_info_version": document.get("info", {}).get("version"),
        "operations": ["%s %s" % (method.upper(), path) for path, method in OPERATIONS],
        "note": "Excerpt: only the operations above and the components they reference; "
                "tags and x-atlassian-narrative are left out. See tests/contract/data/PROVENANCE.md.",
    }
    if sha256 is not None:
        vendored["full_document_sha256"] = sha256
    subset["x-vendored"] = vendored
    return subset


def dumps(subset):
    return json.dumps(subset, sort_keys=True, indent=1, ensure_ascii=True) + "\n"


def main(argv):
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1], "rb") as handle:
        raw = handle.read()
    document = json.loads(raw.decode("utf-8"))
    text = dumps(extract(document, hashlib.sha256(raw).hexdigest()))
    output = argv[2] if len(argv) == 3 else DEFAULT_OUTPUT
    with open(output, "w", encoding="utf-8") as handle:
        handle.write(text)
    sys.stdout.write("%s: %d paths, %d schemas, %d bytes\n" % (
        output, len(json.loads(text)["paths"]), len(json.loads(text)["components"].get("schemas", {})),
        len(text.encode("utf-8"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

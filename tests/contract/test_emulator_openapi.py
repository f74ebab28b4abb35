"""Contract test: the emulator's Cloud answers match the official Jira Cloud v3 OpenAPI document.

The document is the vendored excerpt tests/contract/data/jira-cloud-platform-v3.subset.openapi.json
(the operations the collection and the emulator use, and the components they reference; where it
comes from and its licence: tests/contract/data/PROVENANCE.md; regenerate it with
tests/contract/vendor_openapi_subset.py). OpenAPI 3.0 schemas are approximated as JSON Schema
draft 4: `nullable: true` becomes a "null" alternative, components are addressed as
#/definitions/<name>. The spec's own examples (stored as JSON strings) are validated too, and a
broken example must fail, so the validator is shown to be able to say no.
"""
import copy
import hashlib
import json
import os

import jsonschema
import pytest
import requests

from contract import vendor_openapi_subset

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC_PATH = os.path.join(HERE, "data", "jira-cloud-platform-v3.subset.openapi.json")

# (path in the spec, method, status) for every operation the emulator implements on Cloud.
OPERATIONS = [
    ("/rest/api/3/myself", "get", "200"),
    ("/rest/api/3/serverInfo", "get", "200"),
    ("/rest/api/3/mypermissions", "get", "200"),
    ("/rest/api/3/permissions", "get", "200"),
    ("/rest/api/3/project/{projectIdOrKey}", "get", "200"),
    ("/rest/api/3/group", "post", "201"),
    ("/rest/api/3/group", "get", "200"),
    ("/rest/api/3/group/member", "get", "200"),
    ("/rest/api/3/group/bulk", "get", "200"),
    ("/rest/api/3/group/user", "post", "201"),
    ("/rest/api/3/user", "get", "200"),
    ("/rest/api/3/user", "post", "201"),
    ("/rest/api/3/user/search", "get", "200"),
    ("/rest/api/3/applicationrole", "get", "200"),
    ("/rest/api/3/applicationrole/{key}", "get", "200"),
    ("/rest/api/3/project/{projectIdOrKey}/role", "get", "200"),
    ("/rest/api/3/project/{projectIdOrKey}/role/{id}", "get", "200"),
    ("/rest/api/3/project/{projectIdOrKey}/role/{id}", "post", "200"),
    ("/rest/api/3/user/groups", "get", "200"),
]


def _convert(node):
    """OpenAPI 3.0 schema object -> JSON Schema draft 4 (approximation)."""
    if isinstance(node, list):
        return [_convert(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref":
            out[key] = value.replace("#/components/schemas/", "#/definitions/")
        elif key in ("properties", "patternProperties", "definitions"):
            out[key] = {k: _convert(v) for k, v in value.items()}
        elif key in ("example", "examples", "xml", "discriminator", "externalDocs", "readOnly", "writeOnly",
                     "deprecated") or key.startswith("x-"):
            continue
        else:
            out[key] = _convert(value)
    # The User schema says emailAddress/locale "may be returned as null" without `nullable`;
    # honour the prose as the spec's own statement (docs/jira-behaviour.md §3).
    nullable = node.get("nullable") or "may be returned as null" in str(node.get("description", ""))
    out.pop("nullable", None)
    if nullable:
        if "type" in out and isinstance(out["type"], str):
            out["type"] = [out["type"], "null"]
        elif "$ref" in out or "allOf" in out or "oneOf" in out or "anyOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@pytest.fixture(scope="module")
def spec():
    with open(SPEC_PATH, encoding="utf-8") as handle:
        return json.load(handle)


# Properties real Jira returns, shown in the spec's own examples, but missing from schemas that say
# additionalProperties: false. Added here (and only these) so schema and examples agree.
KNOWN_SCHEMA_GAPS = {
    "ServerInformation": ["defaultLocale"],   # the spec's serverInfo example (docs/jira-behaviour.md §4)
    "RoleActor": ["user"],                    # project role example actors
}


@pytest.fixture(scope="module")
def definitions(spec):
    defs = {name: _convert(schema) for name, schema in spec["components"]["schemas"].items()}
    for name, props in KNOWN_SCHEMA_GAPS.items():
        for prop in props:
            assert prop not in defs[name]["properties"], "spec now defines %s.%s: drop the gap" % (name, prop)
            defs[name]["properties"][prop] = {}
    jsonschema.Draft4Validator.check_schema({"definitions": defs})
    return defs


# Operations whose example shows a single item of the array the schema describes.
EXAMPLE_IS_ONE_ITEM = {("/rest/api/3/user/groups", "get", "200")}
# Operations the spec gives no example for (their answers are still checked against the schema below).
WITHOUT_EXAMPLE = {("/rest/api/3/group", "get", "200"), ("/rest/api/3/group/user", "post", "201")}

_VALIDATORS = {}


def _response_schema(spec, path, method, status):
    media = spec["paths"][path][method]["responses"][status]["content"]["application/json"]
    return media


def _validator(definitions, schema):
    key = json.dumps(schema, sort_keys=True)
    if key not in _VALIDATORS:
        document = dict(_convert(schema), definitions=definitions)
        _VALIDATORS[key] = jsonschema.Draft4Validator(document)
    return _VALIDATORS[key]


def _errors(spec, definitions, op, instance):
    path, method, status = op
    validator = _validator(definitions, _response_schema(spec, path, method, status)["schema"])
    return sorted("%s: %s" % ("/".join(str(p) for p in e.absolute_path), e.message)
                  for e in validator.iter_errors(instance))


# ------------------------------------------------------ the vendored excerpt
def test_vendored_excerpt_is_self_contained(spec):
    """Every $ref resolves inside the excerpt, and every operation the test checks is in it."""
    for ref in sorted(vendor_openapi_subset._refs(spec, set())):
        section, name = ref[len(vendor_openapi_subset.REF_PREFIX):].split("/", 1)
        assert name in spec["components"].get(section, {}), ref
    listed = set(vendor_openapi_subset.OPERATIONS)
    assert {(path, method) for path, method, dummy in OPERATIONS} <= listed
    assert {(path, method) for path, item in spec["paths"].items() for method in item
            if method in ("get", "post", "put", "delete")} == listed


def test_vendored_excerpt_records_provenance(spec):
    vendored = spec["x-vendored"]
    assert vendored["upstream"] == "https://developer.atlassian.com/cloud/jira/platform/swagger-v3.v3.json"
    assert vendored["copied_from"]["commit"] == "afba5bc6fdb7fd25e4de342a101b8342b8a7bb7a"
    assert vendored["upstream_info_version"] == spec["info"]["version"]
    assert len(vendored["full_document_sha256"]) == 64
    assert spec["info"]["license"]["name"] == "Apache 2.0"


def test_vendoring_script_reproduces_the_excerpt(spec, tmp_path):
    """The script, fed a document holding the excerpt's content, writes the vendored file byte for byte:
    the file is the script's output, not hand-edited."""
    with open(SPEC_PATH, encoding="utf-8") as handle:
        vendored_text = handle.read()
    again = vendor_openapi_subset.extract(spec, spec["x-vendored"]["full_document_sha256"])
    assert vendor_openapi_subset.dumps(again) == vendored_text
    source, out = tmp_path / "full.json", tmp_path / "out.json"
    source.write_text(json.dumps(spec), encoding="utf-8")
    assert vendor_openapi_subset.main(["vendor", str(source), str(out)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["x-vendored"]["full_document_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    written["x-vendored"]["full_document_sha256"] = spec["x-vendored"]["full_document_sha256"]
    assert written == spec


# ------------------------------------------------------ the validator itself
def test_examples_present_where_expected(spec):
    assert {op for op in OPERATIONS if "example" not in _response_schema(spec, *op)} == WITHOUT_EXAMPLE


@pytest.mark.parametrize("op", [op for op in OPERATIONS if op not in WITHOUT_EXAMPLE],
                         ids=lambda op: "%s %s" % (op[1].upper(), op[0]))
def test_spec_examples_validate(spec, definitions, op):
    media = _response_schema(spec, *op)
    example = media["example"]
    if isinstance(example, str):   # the document stores its examples as JSON strings
        example = json.loads(example)
    if op in EXAMPLE_IS_ONE_ITEM:
        assert isinstance(example, dict)
        example = [example]
    assert _errors(spec, definitions, op, example) == []


def test_broken_examples_fail(spec, definitions):
    myself = ("/rest/api/3/myself", "get", "200")
    example = json.loads(_response_schema(spec, *myself)["example"])
    wrong_type = dict(example, active="yes")
    assert any("active" in e for e in _errors(spec, definitions, myself, wrong_type))
    extra = dict(example, bogus=1)          # User has additionalProperties: false
    assert _errors(spec, definitions, myself, extra)
    deep = copy.deepcopy(example)
    deep["groups"]["size"] = "three"        # nested $ref (SimpleListWrapperGroupName)
    assert any("groups/size" in e for e in _errors(spec, definitions, myself, deep))
    enum = dict(example, accountType="robot")
    assert _errors(spec, definitions, myself, enum)
    server = ("/rest/api/3/serverInfo", "get", "200")
    assert _errors(spec, definitions, server, {"versionNumbers": ["1001"]})
    perms = ("/rest/api/3/mypermissions", "get", "200")
    assert _errors(spec, definitions, perms, {"permissions": {"X": {"type": "SOMETIMES"}}})
    # nullable converts: Group.groupId is nullable, Group.name is not
    group = ("/rest/api/3/group", "post", "201")
    assert _errors(spec, definitions, group, {"name": "g", "groupId": None}) == []
    assert _errors(spec, definitions, group, {"name": None})


# ------------------------------------------------------ the emulator's answers
def _emulator_answers(emu):
    """(operation, body) pairs for every implemented operation, driven the way the setup modules drive them."""
    api = emu.url + "/rest/api/3"
    admin = (emu.admin_username, emu.admin_token)
    svc = (emu.service_username, emu.service_token)
    out = []

    def call(op, method, url, expect, **kw):
        r = requests.request(method, url, timeout=10, **kw)
        assert r.status_code == expect, (url, r.status_code, r.text[:300])
        out.append((op, r.json()))
        return r.json()

    call(OPERATIONS[0], "GET", api + "/myself", 200, auth=svc)
    call(OPERATIONS[0], "GET", api + "/myself?expand=groups,applicationRoles", 200, auth=svc)
    call(OPERATIONS[1], "GET", api + "/serverInfo", 200)
    call(OPERATIONS[1], "GET", api + "/serverInfo", 200, auth=(emu.service_username, "wrong"))
    call(OPERATIONS[2], "GET", api + "/mypermissions?permissions=BROWSE_PROJECTS,ADMINISTER", 200, auth=svc)
    call(OPERATIONS[2], "GET", api + "/mypermissions?permissions=BROWSE_PROJECTS&projectKey=OPS", 200, auth=svc)
    call(OPERATIONS[3], "GET", api + "/permissions", 200)
    call(OPERATIONS[4], "GET", api + "/project/OPS", 200, auth=svc)
    group = call(OPERATIONS[5], "POST", api + "/group", 201, auth=admin, json={"name": "jira-bots"})
    call(OPERATIONS[6], "GET", api + "/group?groupId=" + group["groupId"], 200, auth=admin)
    user = call(OPERATIONS[11], "POST", api + "/user", 201, auth=admin,
                json={"emailAddress": "bot@example.com", "products": ["jira-software"]})
    call(OPERATIONS[9], "POST", api + "/group/user?groupId=" + group["groupId"], 201, auth=admin,
         json={"accountId": user["accountId"]})
    call(OPERATIONS[7], "GET", api + "/group/member?groupname=jira-bots", 200, auth=admin)
    call(OPERATIONS[8], "GET", api + "/group/bulk", 200, auth=admin)
    call(OPERATIONS[10], "GET", api + "/user?accountId=%s&expand=groups,applicationRoles" % user["accountId"], 200,
         auth=admin)
    call(OPERATIONS[12], "GET", api + "/user/search?query=bot", 200, auth=admin)
    call(OPERATIONS[13], "GET", api + "/applicationrole", 200, auth=admin)
    call(OPERATIONS[14], "GET", api + "/applicationrole/jira-software", 200, auth=admin)
    call(OPERATIONS[15], "GET", api + "/project/OPS/role", 200, auth=admin)
    call(OPERATIONS[17], "POST", api + "/project/OPS/role/10001", 200, auth=admin,
         json={"groupId": [group["groupId"]], "user": [user["accountId"]]})
    call(OPERATIONS[16], "GET", api + "/project/OPS/role/10001", 200, auth=admin)
    call(OPERATIONS[18], "GET", api + "/user/groups?accountId=" + user["accountId"], 200, auth=admin)
    # privacy: hidden email is null (the spec's prose allows it)
    emu.service_account.email_visible = False
    call(OPERATIONS[0], "GET", api + "/myself", 200, auth=svc)
    return out


def test_emulator_cloud_answers_match_spec(spec, definitions, jira_emulator):
    answers = _emulator_answers(jira_emulator)
    assert {op for op, dummy in answers} == set(OPERATIONS)   # every listed operation was exercised
    failures = {}
    for op, body in answers:
        errors = _errors(spec, definitions, op, body)
        if errors:
            failures.setdefault("%s %s" % (op[1].upper(), op[0]), []).extend(errors)
    assert failures == {}


def test_emulator_error_bodies_are_error_collections(spec, definitions, jira_emulator):
    emu = jira_emulator
    validator = _validator(definitions, {"$ref": "#/components/schemas/ErrorCollection"})
    svc = (emu.service_username, emu.service_token)
    bodies = [
        requests.get(emu.url + "/rest/api/3/mypermissions", auth=svc),
        requests.get(emu.url + "/rest/api/3/project/NOPE", auth=svc),
        requests.post(emu.url + "/rest/api/3/group", json={"name": "x"}, auth=svc),
        requests.post(emu.url + "/rest/api/3/group", json={"name": "jira-administrators"},
                      auth=(emu.admin_username, emu.admin_token)),
    ]
    assert [r.status_code for r in bodies] == [400, 404, 403, 400]
    for r in bodies:
        assert list(validator.iter_errors(r.json())) == []
        assert r.json()["errorMessages"]

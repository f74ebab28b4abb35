"""Small response helpers for the emulator (test-only code)."""
import json

JSON = "application/json;charset=UTF-8"
HTML = "text/html;charset=UTF-8"
TEXT = "text/plain;charset=UTF-8"


class Response(object):
    """A complete answer: status, headers, body bytes (or a streaming callable)."""

    def __init__(self, status, body=b"", content_type=JSON, headers=None, stream=None, length=None):
        self.status = status
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.body = body
        self.content_type = content_type
        self.headers = dict(headers or {})
        self.stream = stream          # callable(write) for big bodies
        self.length = length          # Content-Length when streaming
        self.data = None              # decoded JSON document, if any (faults may rewrite it)

    def header(self, name, value):
        self.headers[name] = value
        return self


def json_response(status, data, headers=None):
    resp = Response(status, json.dumps(data, separators=(",", ":")), JSON, headers)
    resp.data = data
    return resp


def html_response(status, html, headers=None):
    return Response(status, html, HTML, headers)


def text_response(status, text, headers=None):
    return Response(status, text, TEXT, headers)


def error_collection(status, messages=None, errors=None, headers=None):
    """Jira's ErrorCollection body (spec narrative "Status codes")."""
    return json_response(status, {"errorMessages": list(messages or []), "errors": dict(errors or {})}, headers)


def html_page(title, text):
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title></head>"
            "<body id=\"jira\"><h1>%s</h1><p>%s</p></body></html>\n" % (title, title, text))

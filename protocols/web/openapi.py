"""The OpenAPI 3.1 document of the JSON API (protocols/web/api.py), served at
/api/v1/openapi.json and checked against the running API by schemathesis in the tests."""

from __future__ import annotations

from typing import Any

from registry_core.services.console_domains import KNOWN_STATUSES

_TIME = {"type": ["string", "null"], "format": "date-time"}
_ERROR = {"type": "object", "required": ["error", "status"],
          "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}}
_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 253}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "malformed request", 401: "no valid API key or session", 402: "not enough funds",
            403: "not allowed for this key or user", 404: "no such object", 409: "the object's state forbids it",
            422: "a value is wrong", 429: "too many tries", 503: "briefly unavailable"}
    return {str(code): {"description": text[code], "content": {"application/json": {"schema": _ERROR}}}
            for code in codes}


_DOMAIN_ROW = {"type": "object", "required": ["name", "statuses", "expires_at", "created_at"],
               "properties": {"name": {"type": "string"}, "statuses": {"type": "array", "items": {"type": "string"}},
                              "expires_at": _TIME, "created_at": _TIME}}
_DOMAIN = {"type": "object",
           "required": ["name", "roid", "statuses", "sponsor", "expires_at", "nameservers", "contacts", "ds"],
           "properties": {
               "name": {"type": "string"}, "roid": {"type": "string"},
               "statuses": {"type": "array", "items": {"type": "string"}},
               "rgp_statuses": {"type": "array", "items": {"type": "string"}},
               "sponsor": {"type": "string"}, "created_at": _TIME, "updated_at": _TIME, "expires_at": _TIME,
               "nameservers": {"type": "array", "items": {"type": "string"}},
               "registrant": {"type": ["string", "null"]},
               "contacts": {"type": "array", "items": {"type": "object", "properties": {
                   "role": {"type": "string"}, "handle": {"type": "string"}}}},
               "ds": {"type": "array", "items": {"type": "object", "properties": {
                   "key_tag": {"type": "integer"}, "alg": {"type": "integer"}, "digest_type": {"type": "integer"},
                   "digest": {"type": "string"}}}}}}
_JSON = "application/json"
_DS = {"type": "object", "required": ["key_tag", "alg", "digest_type", "digest"], "additionalProperties": False,
       "properties": {"key_tag": {"type": "integer", "minimum": 0, "maximum": 65535},
                      "alg": {"type": "integer", "minimum": 0, "maximum": 255},
                      "digest_type": {"type": "integer", "minimum": 0, "maximum": 255},
                      "digest": {"type": "string", "pattern": "^[0-9A-Fa-f]+$", "minLength": 2, "maxLength": 128}}}
_DS_CHANGE = {"type": "array", "maxItems": 8, "items": _DS}
_RESULTS = {"type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": {
    "type": "object", "required": ["line", "name", "ok", "code", "message", "detail"],
    "properties": {"line": {"type": "integer"}, "name": {"type": "string"}, "ok": {"type": "boolean"},
                   "code": {"type": "integer", "description": "the EPP result code the row would have had"},
                   "message": {"type": "string", "description": "that result's EPP <msg>"},
                   "detail": {"type": "string"}}}}}}


def _bulk(summary: str, row: dict[str, Any]) -> dict[str, Any]:
    """A bulk call: up to 500 rows, each its own use case; refused rows are results, not errors."""
    return {"post": {
        "summary": summary,
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["rows"], "additionalProperties": False,
            "properties": {"rows": {"type": "array", "minItems": 1, "maxItems": 500, "items": row}}}}}},
        "responses": {"200": {"description": "one result per row, in order",
                              "content": {"application/json": {"schema": _RESULTS}}},
                      **_errors(401, 403, 422, 503)}}}


_RENEW_ROW = {"type": "object", "required": ["name", "years", "current_expiry"], "additionalProperties": False,
              "properties": {"name": {"type": "string"}, "years": {"type": "integer"},
                             "current_expiry": {"type": "string", "format": "date",
                                                "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}}}
_NAMESERVER_ROW = {"type": "object", "required": ["name", "nameservers"], "additionalProperties": False,
                   "properties": {"name": {"type": "string"},
                                  "nameservers": {"type": "array", "items": {"type": "string"}}}}

_LOCK_REQUEST = {"type": "object",
                 "required": ["id", "domain", "action", "state", "reason", "requested_by", "requested_at",
                              "expires_at", "confirmed_at"],
                 "properties": {"id": {"type": "integer"}, "domain": {"type": "string"},
                                "action": {"type": "string", "enum": ["lock", "unlock"]},
                                "state": {"type": "string",
                                          "enum": ["requested", "confirmed", "expired", "cancelled"]},
                                "reason": {"type": "string"}, "requested_by": {"type": "string"},
                                "requested_at": _TIME, "expires_at": _TIME, "confirmed_at": _TIME}}
_LOCK_PATHS: dict[str, Any] = {
    "/api/v1/domains/{name}/lock": {"get": {
        "summary": "Whether the domain is registry-locked, and its lock requests (newest first)",
        "parameters": [_NAME],
        "responses": {"200": {"description": "the lock state", "content": {"application/json": {"schema": {
            "type": "object", "required": ["name", "locked", "locked_at", "requests"],
            "properties": {"name": {"type": "string"}, "locked": {"type": "boolean"}, "locked_at": _TIME,
                           "requests": {"type": "array", "items": _LOCK_REQUEST}}}}}},
                      **_errors(401, 403, 404, 422, 503)}}},
    "/api/v1/domains/{name}/lock-requests": {"post": {
        "summary": "Ask for registry lock or unlock; the registry mails a one-time code (valid one hour) to the "
                   "registrar, or with deliver_to=registrant to the registrant contact's address",
        "parameters": [_NAME],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["action", "reason"], "additionalProperties": False,
            "properties": {"action": {"type": "string", "enum": ["lock", "unlock"]},
                           "reason": {"type": "string", "minLength": 1, "maxLength": 500},
                           "deliver_to": {"type": "string", "enum": ["registrar", "registrant"]}}}}}},
        "responses": {"201": {"description": "the request, waiting for its code",
                              "content": {"application/json": {"schema": _LOCK_REQUEST}}},
                      **_errors(401, 403, 404, 409, 422, 503)}}},
    "/api/v1/lock-requests/{id}/confirm": {"post": {
        "summary": "Confirm a lock request with its mailed code (a browser session adds a current TOTP code)",
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 2**62}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["code"], "additionalProperties": False,
            "properties": {"code": {"type": "string", "maxLength": 32},
                           "totp": {"type": "string", "maxLength": 32}}}}}},
        "responses": {"200": {"description": "confirmed: the lock is set or lifted",
                              "content": {"application/json": {"schema": _LOCK_REQUEST}}},
                      **_errors(401, 403, 404, 409, 422, 429, 503)}}},
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Registry API for registrars", "version": "1"},
    "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                                  "description": "an API key made in the registrar console"}}},
    "security": [{"apiKey": []}],
    "paths": {
        "/api/v1/registrar": {"get": {
            "summary": "The registrar's balance and the domains that need attention",
            "responses": {"200": {"description": "the overview", "content": {_JSON: {"schema": {
                "type": "object", "required": ["id", "name", "balance", "credit_limit", "currency", "counts"],
                "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                               "balance": {"type": "string"}, "credit_limit": {"type": "string"},
                               "currency": {"type": "string"},
                               "counts": {"type": "object", "additionalProperties": {"type": "integer"}}}}}}},
                          **_errors(401, 403, 422, 503)}}},
        "/api/v1/domains": {"get": {
            "summary": "The registrar's domains by name, in pages",
            "parameters": [
                {"name": "prefix", "in": "query",
                 "schema": {"type": "string", "maxLength": 253, "pattern": "^[A-Za-z0-9.-]*$"}},
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": sorted(KNOWN_STATUSES)}},
                {"name": "expires_before", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "after", "in": "query", "schema": {"type": "string", "maxLength": 253}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
            "responses": {"200": {"description": "a page of domains; `next` is the `after` of the next page",
                                  "content": {_JSON: {"schema": {"type": "object", "required": ["domains", "next"],
                                              "properties": {"domains": {"type": "array", "items": _DOMAIN_ROW},
                                                             "next": {"type": ["string", "null"]}}}}}},
                          **_errors(401, 403, 422, 503)}}},
        "/api/v1/domains/{name}": {"get": {
            "summary": "One of the registrar's domains",
            "parameters": [_NAME],
            "responses": {"200": {"description": "the domain", "content": {_JSON: {"schema": _DOMAIN}}},
                          **_errors(401, 403, 404, 422, 503)}},
            "delete": {
            "summary": "Delete, as EPP <delete> does (pending: in its redemption period, restorable)",
            "parameters": [_NAME],
            "responses": {"200": {"description": "deleted", "content": {_JSON: {"schema": {
                "type": "object", "required": ["name", "pending"],
                "properties": {"name": {"type": "string"}, "pending": {"type": "boolean"}}}}}},
                          **_errors(401, 403, 404, 409, 422, 503)}}},
        "/api/v1/domains/{name}/ds": {"post": {
            "summary": "Add and remove DS records, as a secDNS <update> does",
            "parameters": [_NAME],
            "requestBody": {"required": True, "content": {_JSON: {"schema": {
                "type": "object", "additionalProperties": False,
                "properties": {"add": _DS_CHANGE, "remove": _DS_CHANGE}}}}},
            "responses": {"200": {"description": "the domain afterwards", "content": {_JSON: {"schema": _DOMAIN}}},
                          **_errors(401, 403, 404, 409, 422, 503)}}},
        "/api/v1/domains/{name}/renew": {"post": {
            "summary": "Renew, as EPP <renew> does (current_expiry is curExpDate)",
            "parameters": [_NAME],
            "requestBody": {"required": True, "content": {_JSON: {"schema": {
                "type": "object", "required": ["years", "current_expiry"],
                "properties": {"years": {"type": "integer", "minimum": 1, "maximum": 10},
                               "current_expiry": {"type": "string", "format": "date"}}}}}},
            "responses": {"200": {"description": "renewed", "content": {_JSON: {"schema": {
                "type": "object", "required": ["name", "expires_at", "charged", "currency"],
                "properties": {"name": {"type": "string"}, "expires_at": _TIME, "charged": {"type": "string"},
                               "currency": {"type": "string"}}}}}},
                          **_errors(401, 402, 403, 404, 409, 422, 503)}}},
        "/api/v1/bulk/renew": _bulk("Renew many domains, each as one EPP <renew> (current_expiry is curExpDate)",
                                    _RENEW_ROW),
        "/api/v1/bulk/nameservers": _bulk("Give many domains their whole set of name servers, each as one "
                                          "EPP <update>", _NAMESERVER_ROW),
        **_LOCK_PATHS,
    },
}

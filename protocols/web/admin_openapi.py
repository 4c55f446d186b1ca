"""The OpenAPI 3.1 document of the admin JSON API (protocols/web/admin_api.py), served at
/api/v1/openapi.json on the admin listener and checked against it by schemathesis."""

from __future__ import annotations

from typing import Any

from protocols.web.openapi import _ERROR, _errors
from registry_core.services.registrars import STATUSES
from registry_core.services.staff import MAX_REASON

_JSON = "application/json"
_REASON = {"type": "string", "minLength": 1, "maxLength": MAX_REASON, "description": "why, for the audit"}
_TEXT = {"type": "string"}
_REGISTRAR = {"type": "object", "required": ["id", "name", "status", "balance", "credit_limit", "currency"],
              "properties": dict.fromkeys(("id", "name", "status", "balance", "credit_limit", "currency"), _TEXT)}
_REGISTRAR_ID = {"name": "registrar_id", "in": "path", "required": True,
                 "schema": {"type": "string", "maxLength": 16}}
_TLD = {"name": "name", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 63}}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": description, "content": {_JSON: {"schema": schema}}}}


def _body(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {_JSON: {"schema": {"type": "object", "required": required,
                                                             "properties": properties}}}}


ADMIN_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Registry admin API", "version": "1"},
    "components": {"securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                                  "description": "a registry API key (rgy_...)"}},
                   "schemas": {"Error": _ERROR}},
    "security": [{"apiKey": []}],
    "paths": {
        "/api/v1/admin/tlds": {"get": {
            "summary": "Every TLD with its contact policy, currency and yearly prices",
            "responses": {**_ok("the TLDs", {"type": "object", "required": ["tlds"], "properties": {"tlds": {
                "type": "array", "items": {"type": "object", "required": ["name", "contact_policy", "currency",
                                                                          "prices"],
                                           "properties": {"name": _TEXT, "contact_policy": _TEXT, "currency": _TEXT,
                                                          "prices": {"type": "object",
                                                                     "additionalProperties": _TEXT}}}}}}),
                          **_errors(401, 403, 503)}}},
        "/api/v1/admin/tlds/{name}/reserved": {"post": {
            "summary": "Reserve names on a TLD (admin role)",
            "parameters": [_TLD],
            "requestBody": _body(["names", "reason"], {
                "names": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {"type": "string",
                                                                                      "maxLength": 253}},
                "shown": {"type": "string", "maxLength": 200}, "reason": _REASON}),
            "responses": {**_ok("the names reserved, normalized", {
                "type": "object", "required": ["reserved"],
                "properties": {"reserved": {"type": "array", "items": _TEXT}}}),
                **_errors(401, 403, 404, 422, 503)}}},
        "/api/v1/admin/registrars": {"get": {
            "summary": "Every registrar with its status and money",
            "responses": {**_ok("the registrars", {"type": "object", "required": ["registrars"], "properties": {
                "registrars": {"type": "array", "items": _REGISTRAR}}}), **_errors(401, 403, 503)}}},
        "/api/v1/admin/registrars/{registrar_id}/status": {"post": {
            "summary": "Suspend, set read-only or reactivate a registrar (admin role)",
            "parameters": [_REGISTRAR_ID],
            "requestBody": _body(["status", "reason"], {"status": {"type": "string", "enum": list(STATUSES)},
                                                        "reason": _REASON}),
            "responses": {**_ok("the registrar", _REGISTRAR), **_errors(401, 403, 404, 422, 503)}}},
        "/api/v1/admin/registrars/{registrar_id}/credit": {"post": {
            "summary": "Book a credit (positive) or manual adjustment (negative) with a reason (admin or finance)",
            "parameters": [_REGISTRAR_ID],
            "requestBody": _body(["amount", "reason"], {
                "amount": {"type": "string", "pattern": "^-?[0-9]{1,9}(\\.[0-9]{1,2})?$"},
                "description": {"type": "string", "maxLength": 200}, "reason": _REASON}),
            "responses": {**_ok("the balance after it", {"type": "object", "required": ["balance"],
                                                         "properties": {"balance": _TEXT}}),
                          **_errors(401, 402, 403, 404, 422, 503)}}},
        "/api/v1/admin/lifecycle": {"get": {
            "summary": "Transitions due now and the redemption queue",
            "responses": {**_ok("the overview", {"type": "object", "required": ["due", "cap", "redemption"],
                                                 "properties": {
                                                     "due": {"type": "object",
                                                             "additionalProperties": {"type": "integer"}},
                                                     "cap": {"type": "integer"},
                                                     "redemption": {"type": "array", "items": {"type": "object"}}}}),
                          **_errors(401, 403, 503)}}},
    },
}

"""Our own structural checks of RDAP JSON (RFC 9083, RFC 8056, RFC 9537, RFC 8977).
`check_*` return a list of problems; tests assert it is empty, so a failure names them all."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

STATUS = {"validated", "renew prohibited", "update prohibited", "transfer prohibited", "delete prohibited",
          "proxy", "private", "removed", "obscured", "associated", "active", "inactive", "locked",
          "pending create", "pending renew", "pending transfer", "pending update", "pending delete",
          "add period", "auto renew period", "client delete prohibited", "client hold",
          "client renew prohibited", "client transfer prohibited", "client update prohibited",
          "pending restore", "redemption period", "renew period", "server delete prohibited",
          "server renew prohibited", "server transfer prohibited", "server update prohibited", "server hold",
          "transfer period", "administrative", "reserved"}
EVENTS = {"registration", "reregistration", "last changed", "expiration", "deletion", "reinstantiation",
          "transfer", "locked", "unlocked", "last update of RDAP database", "registrar expiration",
          "enum validation expiration"}
ROLES = {"registrant", "technical", "administrative", "abuse", "billing", "registrar", "reseller", "sponsor",
         "proxy", "notifications", "noc"}
NOTICE_TYPES = {"object redacted due to authorization"} | {
    f"{what} truncated due to {why}" for what in ("result set", "object")
    for why in ("authorization", "excessive load", "unexplainable reasons")}
REDACTION_METHODS = {"removal", "emptyValue", "partialValue", "replacementValue"}
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
LDH = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")
COMMON = {"rdapConformance", "notices", "lang", "links", "events", "status", "port43", "remarks", "handle",
          "objectClassName", "entities"}
MEMBERS = {
    "domain": COMMON | {"ldhName", "unicodeName", "variants", "nameservers", "secureDNS", "publicIds", "network"},
    "nameserver": COMMON | {"ldhName", "unicodeName", "ipAddresses"},
    "entity": COMMON | {"vcardArray", "roles", "publicIds", "asEventActor", "networks", "autnums"},
}


class Checker:
    def __init__(self, extensions: list[str]) -> None:
        self.extensions = extensions
        self.problems: list[str] = []

    def fail(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def members(self, obj: dict[str, Any], kind: str, where: str) -> None:
        for key in obj:
            if key not in MEMBERS[kind] and not any(key == e or key.startswith(e + "_") for e in self.extensions):
                self.fail(where, f"member {key!r} is neither RFC 9083 nor a declared extension")

    def links(self, links: Any, where: str) -> None:
        if not isinstance(links, list):
            return self.fail(where, "links is not an array")
        for link in links:
            href = link.get("href") if isinstance(link, dict) else None
            if not isinstance(href, str) or not re.match(r"^https?://\S+$", href):
                self.fail(where, f"link without an absolute href: {link}")
            elif not isinstance(link.get("rel"), str) or not isinstance(link.get("value", ""), str):
                self.fail(where, f"link rel/value must be strings: {link}")

    def events(self, events: Any, where: str) -> None:
        if not isinstance(events, list):
            return self.fail(where, "events is not an array")
        actions = [e.get("eventAction") for e in events]
        for event in events:
            if event.get("eventAction") not in EVENTS:
                self.fail(where, f"unregistered eventAction {event.get('eventAction')!r}")
            if not DATE.match(str(event.get("eventDate", ""))):
                self.fail(where, f"eventDate not RFC 3339 UTC: {event.get('eventDate')!r}")
        if len(set(actions)) != len(actions):
            self.fail(where, f"repeated eventAction in {actions}")

    def status(self, values: Any, where: str) -> None:
        if not isinstance(values, list) or not values:
            return self.fail(where, "status must be a non-empty array")
        for value in values:
            if value not in STATUS:
                self.fail(where, f"status {value!r} is not an RDAP JSON value")
        if len(set(values)) != len(values):
            self.fail(where, f"repeated status in {values}")

    def notices(self, notes: Any, where: str) -> None:
        if not isinstance(notes, list):
            return self.fail(where, "notices/remarks is not an array")
        for note in notes:
            desc = note.get("description")
            if not isinstance(desc, list) or not all(isinstance(d, str) for d in desc):
                self.fail(where, "notice description must be an array of strings")
            if "type" in note and note["type"] not in NOTICE_TYPES:
                self.fail(where, f"notice type {note['type']!r} is not registered")
            if "links" in note:
                self.links(note["links"], where + ".notice")

    def common(self, obj: dict[str, Any], where: str) -> None:
        for key, check in (("links", self.links), ("events", self.events), ("status", self.status),
                           ("notices", self.notices), ("remarks", self.notices)):
            if key in obj:
                check(obj[key], f"{where}.{key}")
        if "handle" in obj and not isinstance(obj["handle"], str):
            self.fail(where, "handle must be a string")
        if "port43" in obj and not LDH.match(obj["port43"]):
            self.fail(where, f"port43 {obj['port43']!r} is not a host name")
        for i, entity in enumerate(obj.get("entities", [])):
            self.entity(entity, f"{where}.entities[{i}]")

    def entity(self, obj: dict[str, Any], where: str) -> None:
        if obj.get("objectClassName") != "entity":
            self.fail(where, "objectClassName must be 'entity'")
        self.members(obj, "entity", where)
        for role in obj.get("roles", []):
            if role not in ROLES:
                self.fail(where, f"role {role!r} is not registered")
        if "vcardArray" in obj:
            self.vcard(obj["vcardArray"], where)
        for pid in obj.get("publicIds", []):
            if not isinstance(pid.get("type"), str) or not isinstance(pid.get("identifier"), str):
                self.fail(where, f"publicId needs string type and identifier: {pid}")
        self.common(obj, where)

    def vcard(self, card: Any, where: str) -> None:
        if not (isinstance(card, list) and len(card) == 2 and card[0] == "vcard" and isinstance(card[1], list)):
            return self.fail(where, "vcardArray must be ['vcard', [properties]]")
        names = []
        for prop in card[1]:
            if not (isinstance(prop, list) and len(prop) >= 4 and isinstance(prop[0], str)
                    and isinstance(prop[1], dict) and isinstance(prop[2], str)):
                self.fail(where, f"jCard property must be [name, {{params}}, type, value]: {prop}")
                continue
            names.append(prop[0])
            if prop[0] == "tel" and not str(prop[3]).startswith("tel:"):
                self.fail(where, f"tel value must be a tel: URI: {prop[3]}")
            if prop[0] == "adr" and (not isinstance(prop[3], list) or len(prop[3]) != 7):
                self.fail(where, "adr value must have 7 components")
        if names[:1] != ["version"] or "fn" not in names:
            self.fail(where, f"jCard must start with version and have fn: {names}")

    def nameserver(self, obj: dict[str, Any], where: str) -> None:
        if obj.get("objectClassName") != "nameserver":
            self.fail(where, "objectClassName must be 'nameserver'")
        self.members(obj, "nameserver", where)
        if not LDH.match(str(obj.get("ldhName", ""))):
            self.fail(where, f"ldhName {obj.get('ldhName')!r} is not a lower-case LDH name")
        for version, items in obj.get("ipAddresses", {}).items():
            for item in items:
                if version not in ("v4", "v6") or ipaddress.ip_address(item).version != int(version[1]):
                    self.fail(where, f"ipAddresses.{version} holds {item!r}")
        self.common(obj, where)

    def domain(self, obj: dict[str, Any], where: str) -> None:
        if obj.get("objectClassName") != "domain":
            self.fail(where, "objectClassName must be 'domain'")
        self.members(obj, "domain", where)
        if not LDH.match(str(obj.get("ldhName", ""))):
            self.fail(where, f"ldhName {obj.get('ldhName')!r} is not a lower-case LDH name")
        for i, ns in enumerate(obj.get("nameservers", [])):
            self.nameserver(ns, f"{where}.nameservers[{i}]")
        if "secureDNS" in obj:
            self.secure_dns(obj["secureDNS"], where + ".secureDNS")
        self.common(obj, where)

    def secure_dns(self, secure: dict[str, Any], where: str) -> None:
        if not isinstance(secure.get("delegationSigned"), bool):
            self.fail(where, "delegationSigned must be a boolean")
        for ds in secure.get("dsData", []):
            if not all(isinstance(ds.get(k), int) for k in ("keyTag", "algorithm", "digestType")) or \
                    not re.fullmatch(r"[0-9A-Fa-f]+", str(ds.get("digest", ""))):
                self.fail(where, f"dsData member malformed: {ds}")

    def redacted(self, items: Any, where: str) -> None:
        if "redacted" not in self.extensions:
            self.fail(where, "'redacted' member without the 'redacted' conformance token")
        for item in items:
            name = item.get("name", {})
            if not (isinstance(name.get("type"), str) or isinstance(name.get("description"), str)):
                self.fail(where, f"redacted name needs type or description: {item}")
            if item.get("method") not in REDACTION_METHODS or item.get("pathLang") != "jsonpath":
                self.fail(where, f"redacted method/pathLang: {item}")
            paths = [item.get(k) for k in ("prePath", "postPath") if k in item]
            if not paths or not all(isinstance(p, str) and p.startswith("$") for p in paths):
                self.fail(where, f"redacted needs a JSONPath prePath or postPath: {item}")


def _top(doc: dict[str, Any]) -> Checker:
    tokens = doc.get("rdapConformance")
    checker = Checker([t for t in tokens if t != "rdap_level_0"] if isinstance(tokens, list) else [])
    if not isinstance(tokens, list) or "rdap_level_0" not in tokens:
        checker.fail("$", "rdapConformance must list rdap_level_0")
    if "redacted" in doc:
        checker.redacted(doc["redacted"], "$.redacted")
    return checker


def check_object(doc: dict[str, Any], kind: str) -> list[str]:
    checker = _top(doc)
    getattr(checker, kind)(doc, "$")
    return checker.problems


def check_search(doc: dict[str, Any], member: str, kind: str) -> list[str]:
    checker = _top(doc)
    results = doc.get(member)
    if not isinstance(results, list):
        return checker.problems + [f"$.{member} must be an array"]
    for key in doc:
        if key not in {"rdapConformance", "notices", "lang", member} and not any(
                key.startswith(e + "_") or key == e for e in checker.extensions):
            checker.fail("$", f"member {key!r} not allowed in a search answer")
    for i, item in enumerate(results):
        getattr(checker, kind)(item, f"$.{member}[{i}]")
    checker.notices(doc.get("notices", []), "$.notices")
    return checker.problems


def check_help(doc: dict[str, Any]) -> list[str]:
    checker = _top(doc)
    if set(doc) - {"rdapConformance", "notices", "lang"}:
        checker.fail("$", f"help allows rdapConformance, notices, lang only: {sorted(doc)}")
    checker.notices(doc.get("notices"), "$.notices")
    return checker.problems


def check_error(doc: dict[str, Any], status: int) -> list[str]:
    checker = _top(doc)
    if doc.get("errorCode") != status:
        checker.fail("$", f"errorCode {doc.get('errorCode')} != HTTP {status}")
    if not isinstance(doc.get("title", ""), str):
        checker.fail("$", "title must be a string")
    desc = doc.get("description", [])
    if not isinstance(desc, list) or not all(isinstance(d, str) for d in desc):
        checker.fail("$", "description must be an array of strings")
    return checker.problems


def walk_strings(node: Any) -> list[str]:
    """Every key and string value in a JSON document (for leak checks)."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in [k, *walk_strings(v)]]
    if isinstance(node, list):
        return [s for v in node for s in walk_strings(v)]
    return [node] if isinstance(node, str) else []

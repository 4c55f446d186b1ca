"""`registry rde check`'s work on a deposit's XML: validation against our schemas
(schemas/rde/), then the rules of ICANN's RST rde tests that a file can show by itself, in
one streaming pass (lxml iterparse, each object dropped once read). Two validators, both
streaming (neither builds the document):

- `xmlschema`, in lazy mode pruned below <rde:contents> (lazy=2): `registry rde check`'s
  default, an independent second implementation; pure Python, so slow on big files;
- `lxml`: libxml2 validating during the same iterparse pass as the rules, some 40 times
  faster; what a deposit passes before it is packaged (tests/bench_escrow.py has both).

The rules:

- the file name: {tld}_{YYYY-MM-DD}_{full|diff|thin}_S{n}_R{resend}, agreeing with the
  header's TLD, the watermark's day, the deposit type and its resend attribute;
- the menu against the header: a count for every object URI of the menu, no other, and no
  object whose namespace the menu does not declare;
- the counts: every header count equal to the objects of that URI in the file;
- required fields and references: domain names under the TLD, every registrar named by an
  object present as a registrar object, in a FULL deposit every contact and name server a
  domain names present too;
- ROIDs: the RFC 5730 form, and one repository suffix for all domains of the TLD.
Pure of the network and the database; blocking (run it in a thread)."""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import xmlschema
from lxml import etree

from protocols.escrow.deposit_xml import RDE
from registry_core.model import escrow

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schemas" / "rde" / "bundle.xsd"
MAX_SCHEMA_ERRORS = 20  # the first ones say enough; a broken writer repeats itself
FILE_NAME = re.compile(r"^(?P<tld>[a-z0-9-]+)_(?P<date>\d{4}-\d{2}-\d{2})_(?P<mode>full|diff|thin)"
                       r"_S(?P<split>[1-9]\d*)_R(?P<resend>\d+)\.(?:xml|ryde)$")
ROID = re.compile(r"^[A-Za-z0-9_]{1,80}-([A-Za-z0-9_]{1,8})$")  # RFC 5730 section 4.2 roidType
_OBJECTS = {f"{{{escrow.URI_DOMAIN}}}domain": escrow.URI_DOMAIN, f"{{{escrow.URI_HOST}}}host": escrow.URI_HOST,
            f"{{{escrow.URI_CONTACT}}}contact": escrow.URI_CONTACT,
            f"{{{escrow.URI_REGISTRAR}}}registrar": escrow.URI_REGISTRAR,
            f"{{{escrow.URI_EPP_PARAMS}}}eppParams": escrow.URI_EPP_PARAMS}
_READ = (f"{{{RDE}}}deposit", f"{{{RDE}}}watermark", f"{{{RDE}}}objURI", f"{{{escrow.URI_HEADER}}}header",
         *_OBJECTS)


@functools.cache
def schema() -> xmlschema.XMLSchema:
    """Our deposit schemas, compiled once per process."""
    return xmlschema.XMLSchema(str(SCHEMA_FILE))


@dataclass
class CheckReport:
    problems: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    header: dict[str, int] = field(default_factory=dict)
    deposit_type: str = ""
    tld: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


@functools.cache
def lxml_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


ENGINES = ("xmlschema", "lxml")


def check_xml(path: Path, file_name: str | None = None, engine: str = "xmlschema") -> CheckReport:
    """Every problem of the deposit at `path` (named `file_name`, default its own name)."""
    report = CheckReport()
    if engine == "xmlschema":
        errors = schema().iter_errors(xmlschema.XMLResource(str(path), lazy=2))
        for error in itertools.islice(errors, MAX_SCHEMA_ERRORS):
            report.problems.append(f"schema: {error.reason} at {error.path}")
        if report.problems:
            return report
    return _walked(report, str(path), file_name or path.name, lxml_schema() if engine == "lxml" else None)


def check_stream(stream: IO[bytes], file_name: str) -> CheckReport:
    """As check_xml with lxml, on a deposit read from `stream` (a pipe: check_process.py)."""
    return _walked(CheckReport(), stream, file_name, lxml_schema())


def _walked(report: CheckReport, source: str | IO[bytes], file_name: str,
            validator: etree.XMLSchema | None) -> CheckReport:
    state = _Walk(report)
    try:
        state.run(source, validator)
    except etree.XMLSyntaxError as exc:
        report.problems.append(f"schema: {exc}")
        return report
    state.judge(file_name)
    return report


@dataclass
class _Walk:
    report: CheckReport
    menu: list[str] = field(default_factory=list)
    watermark: str = ""
    resend: str = "0"
    registrars: set[str] = field(default_factory=set)
    registrar_refs: set[str] = field(default_factory=set)
    handles: set[str] = field(default_factory=set)
    handle_refs: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)
    host_refs: set[str] = field(default_factory=set)
    domain_parents: Counter[str] = field(default_factory=Counter)  # what follows each name's first label
    roid_suffixes: Counter[str] = field(default_factory=Counter)

    def run(self, source: str | IO[bytes], validator: etree.XMLSchema | None = None) -> None:
        # only the elements read here reach Python; libxml2 parses (and validates) the rest
        for _, el in etree.iterparse(source, events=("end",), remove_blank_text=True, schema=validator,
                                     tag=_READ):
            parent = el.getparent()
            if parent is None:
                self.report.deposit_type = el.get("type", "")
                self.resend = el.get("resend", "0")
            elif parent.tag == f"{{{RDE}}}contents":
                self._content(el)
                _drop(el)
            elif el.tag == f"{{{RDE}}}watermark":
                self.watermark = el.text or ""
            elif el.tag == f"{{{RDE}}}objURI":
                self.menu.append(el.text or "")

    def _content(self, el: Any) -> None:
        if el.tag == f"{{{escrow.URI_HEADER}}}header":
            self.report.tld = el.findtext(f"{{{escrow.URI_HEADER}}}tld") or ""
            for count in el.iterfind(f"{{{escrow.URI_HEADER}}}count"):
                self.report.header[count.get("uri", "")] = int(count.text or 0)
            return
        uri = _OBJECTS.get(el.tag) or etree.QName(el).namespace or ""
        self.report.counts[uri] += 1
        if uri not in self.menu:
            self._problem(f"a {etree.QName(el).localname} object of {uri}, which the menu does not declare")
        getattr(self, f"_read_{etree.QName(el).localname}", _ignore)(el, uri)

    def _refs(self, parts: dict[str, list[Any]]) -> None:
        for tag in ("clID", "crRr", "upRr"):
            self.registrar_refs.update(ref.text or "" for ref in parts.get(tag, ()))
        for data in parts.get("trnData", ()):
            self.registrar_refs.update(ref.text or "" for ref in data if ref.tag.endswith(("}reRr", "}acRr")))

    def _read_domain(self, el: Any, ns: str) -> None:
        parts = _parts(el)
        self._refs(parts)
        name = _text(parts, "name")
        self.domain_parents[name.partition(".")[2]] += 1
        self._roid(_text(parts, "roid"), "domain " + name, count=True)
        self.handle_refs.update(c.text or "" for c in (*parts.get("contact", ()), *parts.get("registrant", ())))
        for ns_el in parts.get("ns", ()):
            self.host_refs.update(h.text or "" for h in ns_el)

    def _read_host(self, el: Any, ns: str) -> None:
        parts = _parts(el)
        self._refs(parts)
        self.hosts.add(_text(parts, "name"))
        self._roid(_text(parts, "roid"), "host " + _text(parts, "name"))

    def _read_contact(self, el: Any, ns: str) -> None:
        parts = _parts(el)
        self._refs(parts)
        self.handles.add(_text(parts, "id"))
        self._roid(_text(parts, "roid"), "contact " + _text(parts, "id"))

    def _read_registrar(self, el: Any, ns: str) -> None:
        self.registrars.add(el.findtext(f"{{{ns}}}id") or "")

    def _roid(self, roid: str, what: str, *, count: bool = False) -> None:
        match = ROID.match(roid)
        if match is None:
            self._problem(f"{what}: ROID {roid!r} is not of the form NAME-SUFFIX")
        elif count:
            self.roid_suffixes[match.group(1)] += 1

    def _problem(self, text: str) -> None:
        if len(self.report.problems) < MAX_SCHEMA_ERRORS * 5:
            self.report.problems.append(text)

    def judge(self, file_name: str) -> None:
        self._file_name(file_name)
        self._menu_and_counts()
        self._references()
        tld = self.report.tld
        for parent, number in self.domain_parents.items():
            if parent != tld:
                self._problem(f"{number} domain(s) under {parent!r}, not the TLD {tld}")
        if len(self.roid_suffixes) > 1:
            self._problem(f"domain ROIDs carry more than one repository suffix: {sorted(self.roid_suffixes)}")

    def _file_name(self, file_name: str) -> None:
        match = FILE_NAME.match(file_name)
        if match is None:
            self._problem(f"file name {file_name!r} is not {{tld}}_{{YYYY-MM-DD}}_{{full|diff|thin}}_S{{n}}_R{{n}}")
            return
        expected_type = "DIFF" if match["mode"] == "diff" else "FULL"
        for what, named, found in (("TLD", match["tld"], self.report.tld),
                                   ("watermark day", match["date"], self.watermark[:10]),
                                   ("deposit type", expected_type, self.report.deposit_type),
                                   ("resend", match["resend"], self.resend)):
            if named != found:
                self._problem(f"the file name says {what} {named}, the deposit {found}")

    def _menu_and_counts(self) -> None:
        report = self.report
        if escrow.URI_HEADER not in self.menu or not report.tld:
            self._problem("no header, or the menu does not declare it")
        counted = set(escrow.counted_uris(tuple(self.menu)))
        if set(report.header) != counted:
            self._problem(f"header counts {sorted(report.header)} but the menu declares {sorted(counted)}")
        for uri, stated in report.header.items():
            if report.counts.get(uri, 0) != stated:
                self._problem(f"header counts {stated} of {uri}, the file holds {report.counts.get(uri, 0)}")

    def _references(self) -> None:
        missing = self.registrar_refs - self.registrars
        if missing:
            self._problem(f"registrars named but not deposited: {sorted(missing)[:10]}")
        if self.report.deposit_type != "FULL":
            return
        if escrow.URI_CONTACT in self.menu and self.handle_refs - self.handles:
            self._problem(f"contacts named but not deposited: {sorted(self.handle_refs - self.handles)[:10]}")
        if escrow.URI_HOST in self.menu and self.host_refs - self.hosts:
            self._problem(f"name servers named but not deposited: {sorted(self.host_refs - self.hosts)[:10]}")


def _parts(el: Any) -> dict[str, list[Any]]:
    """An object's children by local name, in one pass (the object's own namespace only
    occurs at this level; the schema has been checked)."""
    parts: dict[str, list[Any]] = {}
    for child in el:
        parts.setdefault(child.tag.rpartition("}")[2], []).append(child)
    return parts


def _text(parts: dict[str, list[Any]], tag: str) -> str:
    found = parts.get(tag)
    return (found[0].text or "") if found else ""


def _ignore(el: Any, uri: str) -> None:
    return None


def _drop(el: Any) -> None:
    """Free what iterparse has built so far: the element and its earlier siblings."""
    el.clear()
    parent = el.getparent()
    while el.getprevious() is not None:
        del parent[0]

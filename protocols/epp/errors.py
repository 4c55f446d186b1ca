"""The one table from core errors to EPP result codes (RFC 5730 section 3), and the
<extValue> that names the offending element."""

from __future__ import annotations

from lxml import etree

from protocols.epp.codec import CONTACT_NS, DOMAIN_NS, EPP_NS, FEE_NS, HOST_NS, RGP_NS, SECDNS_NS
from protocols.epp.request import Element, Reply
from protocols.epp.results import ResultCode
from registry_core import errors as core

# Most specific first: the first isinstance match wins.
ERROR_CODES: tuple[tuple[type[core.CoreError], ResultCode], ...] = (
    (core.ObjectNotFound, ResultCode.OBJECT_DOES_NOT_EXIST),
    (core.ObjectExists, ResultCode.OBJECT_EXISTS),
    (core.AuthenticationFailed, ResultCode.AUTHENTICATION_ERROR),
    (core.NotSponsor, ResultCode.AUTHORIZATION_ERROR),
    (core.RegistrarNotAllowed, ResultCode.AUTHORIZATION_ERROR),
    (core.PermissionDenied, ResultCode.AUTHORIZATION_ERROR),
    (core.AuthInfoInvalid, ResultCode.INVALID_AUTHORIZATION_INFORMATION),
    (core.InsufficientFunds, ResultCode.BILLING_FAILURE),
    (core.StatusProhibits, ResultCode.OBJECT_STATUS_PROHIBITS_OPERATION),
    (core.AssociationProhibits, ResultCode.OBJECT_ASSOCIATION_PROHIBITS_OPERATION),
    (core.TransferAlreadyPending, ResultCode.OBJECT_PENDING_TRANSFER),
    (core.TransferNotPending, ResultCode.OBJECT_NOT_PENDING_TRANSFER),
    (core.NotEligibleForTransfer, ResultCode.OBJECT_NOT_ELIGIBLE_FOR_TRANSFER),
    (core.NotEligibleForRenewal, ResultCode.OBJECT_NOT_ELIGIBLE_FOR_RENEWAL),
    (core.InvalidValue, ResultCode.PARAMETER_VALUE_SYNTAX_ERROR),
    # RFC 8748 section 4: a fee the server requires but the client did not send is 2003;
    # a fee below the price (section 4) or in another currency (section 3.2) is 2004.
    (core.PremiumFeeNotAcknowledged, ResultCode.REQUIRED_PARAMETER_MISSING),
    (core.ValueOutOfRange, ResultCode.PARAMETER_VALUE_RANGE_ERROR),
    (core.MissingParameter, ResultCode.REQUIRED_PARAMETER_MISSING),
    (core.SubordinateHostNeedsAddress, ResultCode.REQUIRED_PARAMETER_MISSING),
    (core.UnsupportedOption, ResultCode.UNIMPLEMENTED_OPTION),
    (core.PolicyViolation, ResultCode.PARAMETER_VALUE_POLICY_ERROR),
    # Outages (RFC 5730 section 3: 2400, the server could not complete the command).
    (core.CommitOutcomeUnknown, ResultCode.COMMAND_FAILED),
    (core.DatabaseUnavailable, ResultCode.COMMAND_FAILED),
)
# The <msg> for errors whose code alone would mislead the client.
MESSAGES: tuple[tuple[type[core.CoreError], str], ...] = (
    (core.CommitOutcomeUnknown, "Command failed; its outcome is unknown: check the object with an info "
                                "command before you retry"),
    (core.DatabaseUnavailable, "Command failed; the registry database is temporarily unavailable: retry later"),
)
_NAMESPACES = {"domain": DOMAIN_NS, "contact": CONTACT_NS, "host": HOST_NS, "secDNS": SECDNS_NS, "fee": FEE_NS}
_PREFIX = {DOMAIN_NS: "domain", CONTACT_NS: "contact", HOST_NS: "host", SECDNS_NS: "secDNS", FEE_NS: "fee"}
_STATUS_FIELDS = {"status"}
# Restore report elements (RFC 3915 4.3.2): the core holds their parsed values, not what was
# sent, so an error about one names the domain instead.
_REPORT_FIELDS = {"report", "preData", "postData", "delTime", "resTime", "resReason", "statement", "other"}
# The RGP restore op a state error refuses (RFC 3915 4.2.5).
_RESTORE_OPS: tuple[tuple[type[core.CoreError], str], ...] = (
    (core.NotInRedemptionPeriod, "request"), (core.RestoreNotRequested, "report"))


def code_for(error: core.CoreError) -> ResultCode | None:
    for kind, code in ERROR_CODES:
        if isinstance(error, kind):
            return code
    return None


def message_for(error: core.CoreError) -> str | None:
    for kind, message in MESSAGES:
        if isinstance(error, kind):
            return message
    return None


def _fee_offending(error: core.FeeError) -> Element | None:
    """The client's <fee:currency>, or its fee as one <fee:fee> (the sum when it sent several
    fee and credit lines); None for a fee it did not send (the domain is named instead)."""
    if not error.value or error.field not in ("fee", "currency"):
        return None
    el = etree.Element(f"{{{FEE_NS}}}{error.field}", nsmap={"fee": FEE_NS})
    el.text = error.value
    return el


def _restore_offending(error: core.CoreError) -> Element | None:
    for kind, op in _RESTORE_OPS:
        if isinstance(error, kind):
            return etree.Element(f"{{{RGP_NS}}}restore", {"op": op}, nsmap={"rgp": RGP_NS})
    return None


def _offending(error: core.CoreError) -> Element | None:
    """The element a client sent (or the object it named) that the rule refused."""
    if error.object_type == "message" and error.value:
        return etree.Element(f"{{{EPP_NS}}}poll", {"op": "ack", "msgID": error.value}, nsmap={None: EPP_NS})
    if isinstance(error, core.FeeError) and (sent := _fee_offending(error)) is not None:
        return sent
    if (restore := _restore_offending(error)) is not None:
        return restore
    if error.object_type not in _NAMESPACES:
        return None  # registrar, tld: nothing the client sent in an object namespace
    namespace = _NAMESPACES[error.object_type]
    nsmap = {_PREFIX[namespace]: namespace}
    if error.field in _STATUS_FIELDS and error.value:
        return etree.Element(f"{{{namespace}}}status", {"s": error.value}, nsmap=nsmap)
    if error.field and error.field not in ("name", "id") and error.value and error.field not in _REPORT_FIELDS:
        local, value = error.field, error.value  # the element the client sent, with its value
    else:  # otherwise the object the command named (a missing element cannot be echoed)
        local, value = ("id" if error.object_type == "contact" else "name"), error.name or error.value
    if not value:
        return None
    el = etree.Element(f"{{{namespace}}}{local}", nsmap=nsmap)
    el.text = value
    return el


def _ext_values(error: core.CoreError, code: ResultCode) -> list[tuple[Element, str]]:
    if code < 2000 or code == ResultCode.AUTHENTICATION_ERROR:
        return []
    offending = _offending(error)
    return [] if offending is None else [(offending, error.detail or error.__class__.__name__)]


def reply_for(error: core.CoreError) -> Reply | None:
    """The reply for a core error, or None when it is not in the table (a bug: 2400).
    Collected problems (`PolicyErrors`) answer with one <result> per distinct code, in the
    order the problems were found, each with one <extValue> per problem of that code."""
    problems = error.errors if isinstance(error, core.PolicyErrors) else (error,)
    results: dict[ResultCode, list[tuple[Element, str]]] = {}
    for problem in problems:
        code = code_for(problem)
        if code is None:
            return None
        results.setdefault(code, []).extend(_ext_values(problem, code))
    (code, ext_values), *more = results.items()
    return Reply(code, message=message_for(core.first_error(error)), ext_values=ext_values, more_results=more)

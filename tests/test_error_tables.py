"""Every core error has a decided answer in each protocol's one table: the EPP result code,
the RDAP status and the WHOIS line, written out here. A new CoreError subclass fails this
test until someone decides (and writes down) what each protocol answers. Pure: no I/O."""

from __future__ import annotations

from decimal import Decimal

import pytest

from protocols.epp.errors import reply_for
from protocols.epp.results import ResultCode as R
from protocols.rdap.errors import retry_after, status_for
from protocols.whois import errors as whois
from registry_core import errors as core

INVALID = "invalid query"
INTERNAL = whois.INTERNAL_ERROR  # unmapped: a bug on that protocol's path, logged once
UNAVAILABLE = "service temporarily unavailable; try again later"
NO_MATCH = None  # not a refusal: the WHOIS server answers `No match for "..."`
UNMAPPED = None

# core error: (EPP result code, RDAP status, WHOIS "%" line)
INTENDED: dict[type[core.CoreError], tuple[R, int, str | None]] = {
    core.ObjectNotFound: (R.OBJECT_DOES_NOT_EXIST, 404, NO_MATCH),
    core.ObjectExists: (R.OBJECT_EXISTS, 500, INTERNAL),
    core.NotSponsor: (R.AUTHORIZATION_ERROR, 500, INTERNAL),
    core.AuthInfoInvalid: (R.INVALID_AUTHORIZATION_INFORMATION, 500, INTERNAL),
    core.RegistrarNotAllowed: (R.AUTHORIZATION_ERROR, 500, INTERNAL),
    core.InsufficientFunds: (R.BILLING_FAILURE, 500, INTERNAL),
    core.StatusProhibits: (R.OBJECT_STATUS_PROHIBITS_OPERATION, 500, INTERNAL),
    core.NotInRedemptionPeriod: (R.OBJECT_STATUS_PROHIBITS_OPERATION, 500, INTERNAL),
    core.RestoreNotRequested: (R.OBJECT_STATUS_PROHIBITS_OPERATION, 500, INTERNAL),
    core.AssociationProhibits: (R.OBJECT_ASSOCIATION_PROHIBITS_OPERATION, 500, INTERNAL),
    core.ObjectLinked: (R.OBJECT_ASSOCIATION_PROHIBITS_OPERATION, 500, INTERNAL),
    core.DomainHasSubordinateHosts: (R.OBJECT_ASSOCIATION_PROHIBITS_OPERATION, 500, INTERNAL),
    core.SubordinateHostInUse: (R.OBJECT_ASSOCIATION_PROHIBITS_OPERATION, 500, INTERNAL),
    core.TransferAlreadyPending: (R.OBJECT_PENDING_TRANSFER, 500, INTERNAL),
    core.TransferNotPending: (R.OBJECT_NOT_PENDING_TRANSFER, 500, INTERNAL),
    core.NotEligibleForTransfer: (R.OBJECT_NOT_ELIGIBLE_FOR_TRANSFER, 500, INTERNAL),
    core.NotEligibleForRenewal: (R.OBJECT_NOT_ELIGIBLE_FOR_RENEWAL, 500, INTERNAL),
    core.InvalidValue: (R.PARAMETER_VALUE_SYNTAX_ERROR, 400, INVALID),
    core.ValueOutOfRange: (R.PARAMETER_VALUE_RANGE_ERROR, 400, INVALID),
    core.FeeError: (R.PARAMETER_VALUE_RANGE_ERROR, 400, INVALID),
    core.FeeTooLow: (R.PARAMETER_VALUE_RANGE_ERROR, 400, INVALID),
    core.PremiumFeeNotAcknowledged: (R.REQUIRED_PARAMETER_MISSING, 400, INVALID),
    core.FeeCurrencyMismatch: (R.PARAMETER_VALUE_RANGE_ERROR, 400, INVALID),
    core.MissingParameter: (R.REQUIRED_PARAMETER_MISSING, 500, INTERNAL),
    core.PolicyViolation: (R.PARAMETER_VALUE_POLICY_ERROR, 400, INVALID),
    core.SubordinateHostNeedsAddress: (R.REQUIRED_PARAMETER_MISSING, 400, INVALID),
    core.ExternalHostHasAddress: (R.PARAMETER_VALUE_POLICY_ERROR, 400, INVALID),
    core.ContactPolicyViolation: (R.PARAMETER_VALUE_POLICY_ERROR, 400, INVALID),
    core.CurrentExpiryMismatch: (R.PARAMETER_VALUE_POLICY_ERROR, 400, INVALID),
    core.NameNotAvailable: (R.PARAMETER_VALUE_POLICY_ERROR, 400, INVALID),
    core.NameReserved: (R.PARAMETER_VALUE_POLICY_ERROR, 400, INVALID),
    core.RestoreReportInvalid: (R.PARAMETER_VALUE_POLICY_ERROR, 400, INVALID),
    core.UnsupportedOption: (R.UNIMPLEMENTED_OPTION, 422, INTERNAL),
    core.AuthenticationFailed: (R.AUTHENTICATION_ERROR, 500, INTERNAL),
    core.LoginDelayed: (R.AUTHENTICATION_ERROR, 500, INTERNAL),  # consoles only: EPP has its own limits
    core.PermissionDenied: (R.AUTHORIZATION_ERROR, 500, INTERNAL),
    core.DatabaseUnavailable: (R.COMMAND_FAILED, 503, UNAVAILABLE),
    core.CommitOutcomeUnknown: (R.COMMAND_FAILED, 503, UNAVAILABLE),
    # collected problems (built by `an` from a syntax error and a policy refusal): EPP answers
    # every one (its first <result> is the first problem's code), RDAP and WHOIS the first
    core.PolicyErrors: (R.PARAMETER_VALUE_SYNTAX_ERROR, 400, INVALID),
}


def every_core_error(kind: type[core.CoreError] = core.CoreError) -> list[type[core.CoreError]]:
    found = []
    for sub in kind.__subclasses__():
        found += [sub, *every_core_error(sub)]
    return found


def an(kind: type[core.CoreError]) -> core.CoreError:
    if kind is core.PolicyErrors:
        return core.PolicyErrors((core.InvalidValue(""), core.ContactPolicyViolation("")))
    if issubclass(kind, core.FeeError):
        return kind("", expected=Decimal("10.00"), currency="USD")
    return kind("")


def test_every_core_error_has_a_decided_answer() -> None:
    assert sorted(k.__name__ for k in every_core_error()) == sorted(k.__name__ for k in INTENDED)


@pytest.mark.parametrize("kind", every_core_error(), ids=lambda k: k.__name__)
def test_each_table_gives_the_intended_answer(kind: type[core.CoreError]) -> None:
    epp, rdap, line = INTENDED[kind]
    error = an(kind)
    reply = reply_for(error)
    assert reply is not None and reply.code == epp
    assert status_for(error) == rdap
    if line is NO_MATCH and kind is core.ObjectNotFound:
        assert whois.refusal_line(error) is None
    else:
        assert whois.refusal_for(error) == f"% {line}\r\n".encode()


def test_invalid_queries_name_the_reason_in_whois() -> None:
    assert whois.refusal_line(core.InvalidValue("not a domain name")) == "invalid query: not a domain name"
    assert whois.refusal_line(core.DatabaseUnavailable("OSError: refused")) == UNAVAILABLE  # no internals


def test_an_outage_tells_the_client_when_to_retry() -> None:
    assert retry_after(status_for(core.DatabaseUnavailable("x"))) == {"Retry-After": "2"}
    assert retry_after(404) == {}
    unavailable = reply_for(core.DatabaseUnavailable("x"))
    assert unavailable is not None and unavailable.message is not None and "retry later" in unavailable.message
    assert unavailable.ext_values == []


def test_an_unknown_commit_outcome_says_to_look_before_retrying() -> None:
    reply = reply_for(core.CommitOutcomeUnknown("connection lost during COMMIT"))
    assert reply is not None and reply.code == R.COMMAND_FAILED
    assert reply.message is not None
    assert "outcome is unknown" in reply.message and "info" in reply.message

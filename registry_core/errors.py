"""Protocol-neutral errors. Each names the condition and carries the data a protocol
needs to explain it (object kind, name, field, value); none carries a result code."""

from __future__ import annotations

from decimal import Decimal


class CoreError(Exception):
    """Base of every rule the core refuses."""

    def __init__(self, detail: str = "", *, object_type: str = "", name: str = "",
                 field: str = "", value: str = "") -> None:
        super().__init__(detail or self.__class__.__name__)
        self.detail = detail
        self.object_type = object_type
        self.name = name
        self.field = field
        self.value = value


# --- existence -------------------------------------------------------------
class ObjectNotFound(CoreError):
    pass


class ObjectExists(CoreError):
    pass


# --- who may act -----------------------------------------------------------
class NotSponsor(CoreError):
    """Only the sponsoring registrar may change the object."""


class AuthInfoInvalid(CoreError):
    """The authorization information given does not match the object's."""


class RegistrarNotAllowed(CoreError):
    """The registrar's account does not permit this (suspended, read-only, not accredited)."""


class InsufficientFunds(CoreError):
    """Balance plus credit limit does not cover the charge."""


# --- state -----------------------------------------------------------------
class StatusProhibits(CoreError):
    """A client*/server* prohibition or a pending state forbids the operation."""


class AssociationProhibits(CoreError):
    """Links to other objects forbid the operation."""


class ObjectLinked(AssociationProhibits):
    """A contact or host still referenced by a domain cannot be deleted."""


class DomainHasSubordinateHosts(AssociationProhibits):
    pass


class SubordinateHostInUse(AssociationProhibits):
    """A renamed or deleted subordinate host is still referenced."""


class TransferAlreadyPending(CoreError):
    pass


class TransferNotPending(CoreError):
    pass


class NotEligibleForTransfer(CoreError):
    pass


class NotEligibleForRenewal(CoreError):
    pass


# --- values ----------------------------------------------------------------
class InvalidValue(CoreError):
    """Syntax of a value is wrong (a malformed name or address)."""


class ValueOutOfRange(CoreError):
    """A value lies outside the range the registry allows (e.g. a 11-year period)."""


class MissingParameter(CoreError):
    """A value required by policy was not given."""


class PolicyViolation(CoreError):
    """A well-formed value that registry policy refuses."""


class SubordinateHostNeedsAddress(PolicyViolation):
    pass


class ExternalHostHasAddress(PolicyViolation):
    pass


class ContactPolicyViolation(PolicyViolation):
    """The TLD's contact policy (required / optional / none) is not met."""


class CurrentExpiryMismatch(PolicyViolation):
    """curExpDate in a renew does not match the domain's expiry date."""


class NameNotAvailable(PolicyViolation):
    """Reserved, blocked or otherwise not registrable."""


class UnsupportedOption(CoreError):
    """A feature the registry does not implement (e.g. DNSSEC maxSigLife)."""


class AuthenticationFailed(CoreError):
    """Login refused: unknown registrar, wrong password, unpinned certificate or address."""


class LoginDelayed(AuthenticationFailed):
    """Too many refused logins for this account or address in a row: the next try waits
    `retry_after` seconds (a delay, never a lockout)."""

    def __init__(self, detail: str = "", *, retry_after: float = 0.0) -> None:
        super().__init__(detail or f"too many failed sign-ins; try again in {retry_after:.0f} s")
        self.retry_after = retry_after


class PermissionDenied(CoreError):
    """The user or API key is signed in but its role does not allow this action on this object."""


# --- lifecycle and fees ----------------------------------------------------
class NameReserved(NameNotAvailable):
    """The name is on the TLD's reserved list; `value` carries the reason."""


class NotInRedemptionPeriod(StatusProhibits):
    """A restore request needs a domain in redemptionPeriod (RFC 3915 section 4.2.5)."""


class RestoreNotRequested(StatusProhibits):
    """A restore report needs a pending restore request whose window is still open."""


class RestoreReportInvalid(PolicyViolation):
    """The restore report contradicts the registry's records (e.g. a wrong delete time)."""


class FeeError(ValueOutOfRange):
    """The client's fee does not fit the price. `expected` is the server's fee for the
    command and `currency` its currency (RFC 8748)."""

    def __init__(self, detail: str = "", *, expected: Decimal, currency: str, object_type: str = "domain",
                 name: str = "", field: str = "fee", value: str = "") -> None:
        super().__init__(detail, object_type=object_type, name=name, field=field, value=value)
        self.expected = expected
        self.currency = currency


class FeeTooLow(FeeError):
    """The client agreed to less than the price (RFC 8748 section 4: 2004)."""


class PremiumFeeNotAcknowledged(FeeError):
    """A premium-priced command came without a fee element (RFC 8748 section 4: a required fee was not sent, 2003)."""


class FeeCurrencyMismatch(FeeError):
    """The client named a currency the TLD does not charge in."""


# --- outages ---------------------------------------------------------------
class DatabaseUnavailable(CoreError):
    """The database could not be reached or the connection to it broke, and the command did
    not take effect (db/tx.py retried while that was safe). Trying again later may succeed."""


class CommitOutcomeUnknown(DatabaseUnavailable):
    """The connection broke while COMMIT was in flight: the command may or may not have
    taken effect. Never retried; the client must look before trying again."""


# --- several at once -------------------------------------------------------
class PolicyErrors(CoreError):
    """Several independent refusals of one command, in the order they were found: the
    command answers once with all of them (FRED's habit; RFC 5730 allows several results).
    It reads like its first error; `errors` holds every one. Never holds fewer than two:
    a single refusal is raised as itself."""

    def __init__(self, errors: tuple[CoreError, ...]) -> None:
        first = errors[0]
        super().__init__(first.detail, object_type=first.object_type, name=first.name, field=first.field,
                         value=first.value)
        self.errors = errors


def first_error(error: CoreError) -> CoreError:
    """The error a one-answer protocol (RDAP, WHOIS) maps: an aggregate's first, else itself."""
    return error.errors[0] if isinstance(error, PolicyErrors) else error


def not_found(object_type: str, name: str) -> ObjectNotFound:
    return ObjectNotFound(f"{object_type} does not exist", object_type=object_type, name=name)

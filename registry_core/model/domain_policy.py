"""The rules a domain create or update must meet, as pure functions of the TLD's policy and
the values given. Each returns every problem it finds (an empty list when all is well), so
a command can answer once with all of them."""

from __future__ import annotations

from collections.abc import Sequence

from registry_core.errors import ContactPolicyViolation, CoreError, InvalidValue, ValueOutOfRange
from registry_core.model.domain import CONTACT_ROLES, MAX_DS, MAX_NAMESERVERS, DomainCreate, DsData
from registry_core.model.registrar import Tld


def period_problems(tld: Tld, years: int, name: str) -> list[CoreError]:
    if tld.min_period_years <= years <= tld.max_period_years:
        return []
    return [ValueOutOfRange(f"period must be {tld.min_period_years}-{tld.max_period_years} years",
                            object_type="domain", name=name, field="period", value=str(years))]


def contact_policy_problems(tld: Tld, name: str, registrant: str | None, contacts: Sequence[tuple[str, str]],
                            *, given_registrant: str | None, given_contacts: Sequence[tuple[str, str]]
                            ) -> list[CoreError]:
    """`registrant` and `contacts` are what the domain will have, `given_*` what the command
    sends: a TLD that collects no contacts refuses any sent, one that requires them wants a
    registrant, an admin and a tech contact in the end."""
    if tld.contact_policy == "none" and (given_registrant or given_contacts):
        return [ContactPolicyViolation(f"contacts are not collected for .{tld.name}", object_type="domain",
                                       name=name, field="registrant" if given_registrant else "contact")]
    if tld.contact_policy != "required":
        return []
    roles = {role for role, _ in contacts}
    missing = ([] if registrant else ["registrant"]) + [r for r in ("admin", "tech") if r not in roles]
    if not missing:
        return []
    return [ContactPolicyViolation(f".{tld.name} requires {', '.join(missing)}", object_type="domain",
                                   name=name, field=missing[0])]


def contact_role_problems(name: str, contacts: Sequence[tuple[str, str]]) -> list[CoreError]:
    return [InvalidValue("unknown contact role", object_type="domain", name=name, field="contact", value=role)
            for role, _ in contacts if role not in CONTACT_ROLES]


def nameserver_count_problems(name: str, count: int) -> list[CoreError]:
    if count <= MAX_NAMESERVERS:
        return []
    return [ValueOutOfRange(f"at most {MAX_NAMESERVERS} name servers", object_type="domain", name=name,
                            field="ns")]


def ds_problems(name: str, records: Sequence[DsData]) -> list[CoreError]:
    problems: list[CoreError] = []
    if len(records) > MAX_DS:
        problems.append(ValueOutOfRange(f"at most {MAX_DS} DS records", object_type="domain", name=name,
                                        field="dsData"))
    problems += [InvalidValue("digest must be hex octets", object_type="domain", name=name, field="digest",
                              value=ds.digest) for ds in records if len(ds.digest) % 2 or not ds.digest]
    return problems


def create_problems(tld: Tld, name: str, req: DomainCreate) -> list[CoreError]:
    """Every problem of a create that needs nothing but the TLD's policy to see."""
    return [*period_problems(tld, req.period_years, name),
            *contact_policy_problems(tld, name, req.registrant, req.contacts, given_registrant=req.registrant,
                                     given_contacts=req.contacts),
            *nameserver_count_problems(name, len(set(req.nameservers))),
            *contact_role_problems(name, req.contacts),
            *ds_problems(name, req.ds)]

"""Create-time risk checks, run inside <domain:create>'s own transaction (services.domains):
one statement reads the TLD's policy and every fact (model/risk.py judges them); a tripped
check opens a review case per reason, and under a `hold` policy the domain is created on
serverHold and its registrar told why (poll message, e-mail, webhook). The operator sets
the policy and the protected names (`registry abuse policy`, `registry abuse protect`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from registry_core.context import Core
from registry_core.db.repo import objects
from registry_core.db.repo import risk as repo
from registry_core.db.tx import Tx
from registry_core.errors import InvalidValue
from registry_core.model import notification as note
from registry_core.model.actor import Actor
from registry_core.model.risk import RiskFacts, RiskPolicy, reasons, skeleton
from registry_core.services import notifications

REVIEW_DEADLINE = timedelta(days=2)  # a flagged or held create is reviewed within this
VERDICTS = ("flag", "hold")


@dataclass(frozen=True)
class Assessment:
    verdict: str  # flag | hold
    reasons: tuple[dict[str, str], ...]

    @property
    def holds(self) -> bool:
        return self.verdict == "hold"


async def assess_create(tx: Tx, actor: Actor, tld: str, name: str, nameservers: list[str]) -> Assessment | None:
    """None when the create trips nothing (or the TLD runs no checks)."""
    label = name.split(".", 1)[0]
    row = await repo.fetch_risk_facts(tx.conn, tld, actor.registrar_id, tx.now, skeleton(label), nameservers)
    if row is None:
        return None
    policy = RiskPolicy(row["velocity_limit"], row["entropy_threshold"], row["verdict"])
    facts = RiskFacts(row["recent_creates"], row["protected"], tuple(row["listed_nameservers"] or ()))
    found = reasons(label, policy, facts)
    return Assessment(policy.verdict, tuple(found)) if found else None


async def record_assessment(tx: Tx, actor: Actor, values: dict[str, Any], assessment: Assessment) -> None:
    """Cases, the history row, and (for a hold) the registrar's poll message and e-mail."""
    for reason in assessment.reasons:
        await repo.open_case(tx.conn, {
            "domain_name": values["name"], "tld": values["tld"], "registrar_id": actor.registrar_id,
            "source": "create-check", "threat_type": reason["threat_type"],
            "detail": {"detail": reason["detail"], "verdict": assessment.verdict},
            "opened_at": tx.now, "due_at": tx.now + REVIEW_DEADLINE})
    await objects.insert_history(tx.conn, actor, tx.now, "domain", values["id"], values["name"],
                                 f"risk-{assessment.verdict}", None, {"reasons": list(assessment.reasons)})
    if assessment.holds:
        why = "; ".join(r["detail"] for r in assessment.reasons)
        await notifications.emit(tx, actor.sv_trid, notifications.domain_event(
            note.DOMAIN_HELD_FOR_REVIEW, actor.registrar_id, values, {"reason": why},
            poll=note.PollEntry("riskHold", f"Created on serverHold pending review: {why}"[:500])))


async def set_policy(core: Core, tld: str, **settings: Any) -> dict[str, Any]:
    """velocity_limit, velocity_window (timedelta), entropy_threshold, verdict."""
    if "verdict" in settings and settings["verdict"] not in VERDICTS:
        raise InvalidValue(f"verdict is one of {', '.join(VERDICTS)}", object_type="tld", name=tld, field="verdict")

    async def run(tx: Tx) -> dict[str, Any]:
        await repo.upsert_policy(tx.conn, tld, settings)
        policy = await repo.fetch_policy(tx.conn, tld)
        assert policy is not None
        return policy
    try:
        result: dict[str, Any] = await core.db.transaction(run)
    finally:
        core.db.tld_cache.invalidate()  # creates on this TLD now run the checks (tlds.configure_tld does the same)
    return result


async def protect_names(core: Core, labels: list[str]) -> int:
    """Protect each label (a brand, a well-known name) by its skeleton; returns how many."""
    rows = [(skeleton(label), label.strip().lower()) for label in labels if label.strip()]

    async def run(tx: Tx) -> int:
        return await repo.insert_protected(tx.conn, rows, tx.now)
    count: int = await core.db.transaction(run)
    return count

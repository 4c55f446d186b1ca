"""Races resolved by the database: one winner per name, no balance below its limit."""

import asyncio
from decimal import Decimal

from registry_core.errors import InsufficientFunds, ObjectExists
from registry_core.services import domains, registrars
from tests.conftest import fetch
from tests.core.helpers import make_domain


async def test_fifty_creates_of_one_name_have_one_winner(core):
    async def attempt(i: int) -> str:
        try:
            await make_domain(core, "race.example", "alpha" if i % 2 else "beta")
            return "won"
        except ObjectExists:
            return "exists"
    outcomes = await asyncio.gather(*(attempt(i) for i in range(50)))
    assert outcomes.count("won") == 1 and outcomes.count("exists") == 49
    rows = await fetch(core, "SELECT count(*) AS n FROM domain WHERE name = 'race.example'")
    assert rows[0]["n"] == 1
    charges = await fetch(core, "SELECT count(*) AS n FROM ledger WHERE action = 'create'")
    assert charges[0]["n"] == 1


async def test_concurrent_creates_never_overdraw_the_credit_line(core):
    # balance 1000 + credit 100 at 10 each: exactly 110 of 200 creates can be paid for
    async def attempt(i: int) -> bool:
        try:
            await make_domain(core, f"buy{i}.example")
            return True
        except InsufficientFunds:
            return False
    outcomes = await asyncio.gather(*(attempt(i) for i in range(200)))
    registrar = await registrars.get_registrar(core, "alpha")
    assert sum(outcomes) == 110
    assert registrar.balance == Decimal("-100.00") >= -registrar.credit_limit
    assert await registrars.ledger_sum(core, "alpha") == registrar.balance
    from tests.conftest import actor
    taken = await domains.check_domains(core, actor(), [f"buy{i}.example" for i in range(200)])
    assert sum(not r.available for r in taken) == 110

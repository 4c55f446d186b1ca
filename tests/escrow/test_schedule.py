"""The deposit schedule and names, on values: FULL on Sundays, DIFF on the other days,
thin on Tuesdays, 00:00 UTC; ids within RFC 8909's 13 word characters; ICANN file names."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

from registry_core.model import escrow

SUNDAY = datetime(2026, 11, 29, tzinfo=UTC)


def test_each_mode_is_due_on_its_days_and_a_gap_is_caught_up() -> None:
    now = SUNDAY + timedelta(days=9, hours=3)  # the Tuesday after next, 03:00
    days = {mode: [d.day for d in escrow.due_watermarks(mode, SUNDAY, now)] for mode in escrow.MODES}
    assert days == {"full": [29, 6], "diff": [30, 1, 2, 3, 4, 5, 7, 8], "thin": [1, 8]}
    assert escrow.following("full", SUNDAY) == SUNDAY + timedelta(days=7)
    assert escrow.following("diff", SUNDAY - timedelta(days=1)) == SUNDAY + timedelta(days=1)  # Saturday -> Monday
    late_sunday_in_new_york = datetime(2026, 11, 29, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert escrow.day_of(late_sunday_in_new_york) == SUNDAY + timedelta(days=1)  # already Monday in UTC


def test_ids_and_file_names() -> None:
    plan = escrow.DepositPlan("example", "diff", "DIFF", SUNDAY + timedelta(days=1), resend=2)
    assert plan.id == "202611300000D" and re.fullmatch(r"\w{1,13}", plan.id)
    assert plan.stem == "example_2026-11-30_diff_S1_R2"
    assert escrow.menu_uris("thin", True) == (escrow.URI_HEADER, escrow.URI_DOMAIN, escrow.URI_REGISTRAR)
    assert escrow.counted_uris(escrow.menu_uris("full", False)) == (escrow.URI_DOMAIN, escrow.URI_HOST,
                                                                    escrow.URI_REGISTRAR)

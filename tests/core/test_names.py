"""Pure rules on names, periods and statuses."""

from datetime import UTC, datetime

import pytest

from registry_core.errors import InvalidValue
from registry_core.model import names
from registry_core.model.periods import add_years
from registry_core.model.statuses import blocking_status, displayed_statuses


def test_ascii_names_are_lower_cased_and_lose_the_trailing_dot():
    assert names.normalize_name("WWW.Example.") == "www.example"


def test_u_labels_become_a_labels_with_idna_2008():
    assert names.normalize_name("bücher.example") == "xn--bcher-kva.example"


@pytest.mark.parametrize("bad", ["-bad-.example", "a..example", "ab--cd.example", "x" * 64 + ".example",
                                 "under_score.example", "example", "", "xn--zzz-.example"])
def test_invalid_names_are_refused(bad):
    with pytest.raises(InvalidValue):
        names.normalize_name(bad)


def test_registrable_names_are_exactly_one_label_below_a_tld():
    served = frozenset({"example", "co.example"})
    assert names.split_registrable("foo.example", served) == ("foo", "example")
    assert names.split_registrable("foo.co.example", served) == ("foo", "co.example")
    assert names.split_registrable("a.foo.example", served) is None
    assert names.split_registrable("foo.other", served) is None


def test_add_years_keeps_the_day_and_maps_29_february():
    assert add_years(datetime(2024, 2, 29, tzinfo=UTC), 1) == datetime(2025, 2, 28, tzinfo=UTC)
    assert add_years(datetime(2025, 3, 1, tzinfo=UTC), 2) == datetime(2027, 3, 1, tzinfo=UTC)


def test_ok_stands_alone_or_beside_linked_only():
    assert displayed_statuses([]) == ["ok"]
    assert displayed_statuses([], linked=True) == ["linked", "ok"]
    assert displayed_statuses([], inactive=True) == ["inactive"]
    assert displayed_statuses(["clientHold"], pending_transfer=True) == ["clientHold", "pendingTransfer"]


def test_prohibitions_block_their_operation_only():
    assert blocking_status("delete", ["clientDeleteProhibited"]) == "clientDeleteProhibited"
    assert blocking_status("update", ["clientDeleteProhibited"]) is None
    assert blocking_status("renew", ["pendingTransfer"]) == "pendingTransfer"

"""The storefront's fixtures: the EPP servers of tests/epp over real TLS (ours, and a second
instance of our server on its own port as "another registry" selling a second TLD)."""

from tests.epp.conftest import dev_certs, epp_server, registry  # noqa: F401 (fixtures)

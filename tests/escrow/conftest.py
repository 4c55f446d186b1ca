"""The escrow tests' fixtures: real GnuPG keyrings (gpg.py), a real SFTP server (sftp.py),
and the EPP server over real TLS of tests/epp."""

from tests.epp.conftest import clients, dev_certs, epp_server, registry  # noqa: F401 (fixtures)
from tests.escrow.gpg import keyrings  # noqa: F401 (a fixture)
from tests.escrow.sftp import agent_inbox  # noqa: F401 (a fixture)

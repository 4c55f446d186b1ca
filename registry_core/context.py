"""What every service needs, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from registry_core.crypto import AuthInfoCipher
from registry_core.db.tx import Database


@dataclass(frozen=True)
class CoreSettings:
    auth_info_key: str
    roid_suffix: str = "REG"  # repository id for contact and host ROIDs


class Core:
    def __init__(self, db: Database, settings: CoreSettings) -> None:
        self.db = db
        self.settings = settings
        self.cipher = AuthInfoCipher.from_text(settings.auth_info_key)

"""What every service needs, built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from registry_core.crypto import AuthInfoCipher, PasswordHasher
from registry_core.db.tx import Database


@dataclass(frozen=True)
class CoreSettings:
    auth_info_key: str
    roid_suffix: str = "REG"  # repository id for contact and host ROIDs


class Core:
    """The database, the settings, the authInfo cipher and the password hasher (its
    thread starts with the first hash; `close` stops it and closes the pool)."""

    def __init__(self, db: Database, settings: CoreSettings, passwords: PasswordHasher | None = None) -> None:
        self.db = db
        self.settings = settings
        self.cipher = AuthInfoCipher.from_text(settings.auth_info_key)
        self.passwords = passwords or PasswordHasher()

    async def close(self) -> None:
        self.passwords.close()
        await self.db.close()

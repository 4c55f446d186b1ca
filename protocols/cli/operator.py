"""Who the operator at the shell is to the core: a registry admin named after the account
that runs the command (`cli:<user>`), so the history says who acted."""

from __future__ import annotations

import getpass

from registry_core.model.accounts import Principal


def shell_operator() -> Principal:
    return Principal("user", 0, f"cli:{getpass.getuser()}", "admin", None)


ORIGIN = (("via", "cli"),)

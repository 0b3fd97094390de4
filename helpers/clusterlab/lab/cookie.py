"""The Erlang cookie: drawn fresh for every lab, never shown in full, compared by digest."""

from __future__ import annotations

import hashlib
import secrets


def digest(value: str) -> str:
    """A short fingerprint of a cookie: enough to tell two apart, useless to join with.
    The exercise judge and the doctor both compare cookies by this, never by value."""
    return hashlib.sha256(value.strip().encode()).hexdigest()[:12]


def digest_argv(path: str) -> list[str]:
    """The command that prints ``digest`` of the cookie in the file ``path``, run where
    the file is (inside a node), so the cookie itself never leaves: the line trimmed as
    ``str.strip`` trims it, SHA-256, the first 12 hex digits. Fails on a missing or empty
    file (a node with no cookie)."""
    trimmed = "sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' \"$1\" | tr -d '\\n'"
    return ["sh", "-c",
            f'value=$({trimmed}) && [ -n "$value" ] || exit 1; '
            'printf %s "$value" | sha256sum | cut -c1-12', "digest", path]


class Cookie:
    """An Erlang cookie that never shows itself in full: not in repr, str or errors."""

    def __init__(self, value: str | None = None) -> None:
        # Not token_urlsafe: a cookie that starts with "-" is read by erl as a flag after
        # -setcookie, and every node dies ("Failed to create cookie file"), 1 lab in 64.
        self._value = value or secrets.token_hex(16)

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        return f"{self._value[:4]}…({len(self._value)} chars)"

    def digest(self) -> str:
        return digest(self._value)

    def scrub(self, text: str) -> str:
        """``text`` with this cookie replaced by its masked form (for error messages)."""
        return text.replace(self._value, self.masked())

    def __repr__(self) -> str:
        return f"Cookie({self.masked()})"

    __str__ = __repr__

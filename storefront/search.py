"""The domain search's pure parts: what a visitor typed, normalised (IDNA 2008: U-labels to
show, A-labels to ask), the names worth asking about (the label under every TLD sold, and a
few suggestions), and the price shown (the registry's fee plus the shop's margin)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import idna

MAX_QUERY = 253  # RFC 1035: no name is longer
PREFIXES = ("get", "my", "the")
SUFFIXES = ("hq", "online", "shop")
_SEPARATORS = re.compile(r"[\s_.]+")
# a few common words: "bestshoes" also suggests "best-shoes"
_WORDS = ("best", "shop", "online", "shoes", "home", "web", "cloud", "tech", "food", "travel", "my", "the", "get")


class QueryRejected(ValueError):
    """What the visitor typed is no domain label at all (the message says why)."""


@dataclass(frozen=True)
class Wanted:
    label: str  # A-label
    shown: str  # U-label (what the visitor sees)
    tld: str | None  # the TLD typed, if any (and sold)


def normalize(query: str, sold: tuple[str, ...]) -> Wanted:
    """`Bücher`, `bücher.example`, `xn--bcher-kva` -> the label (and the TLD if one of ours)."""
    text = query.strip().lower()[:MAX_QUERY].rstrip(".")
    if not text:
        raise QueryRejected("type a name to search for")
    label, _, rest = text.partition(".")
    tld = rest if rest in sold else None
    label = _SEPARATORS.sub("-", label).strip("-")
    try:
        a_label = idna.encode(label, uts46=True).decode("ascii")
        shown = idna.decode(a_label)
    except idna.IDNAError as exc:
        raise QueryRejected(f"not a valid domain name label: {exc}") from exc
    return Wanted(a_label, shown, tld)


def _hyphenated(label: str) -> str | None:
    for word in _WORDS:
        if label.startswith(word) and len(label) > len(word) + 1 and "-" not in label:
            return f"{word}-{label[len(word):]}"
    return None


def candidates(wanted: Wanted, sold: tuple[str, ...], *, suggestions: bool = True) -> list[str]:
    """The label under every TLD sold (the one typed first), then variants under the first TLD."""
    order = ([wanted.tld] if wanted.tld else []) + [t for t in sold if t != wanted.tld]
    names = [f"{wanted.label}.{tld}" for tld in order]
    if suggestions and order and wanted.label.isascii():
        first = order[0]
        variants = [*(p + wanted.label for p in PREFIXES), *(wanted.label + s for s in SUFFIXES)]
        joined = _hyphenated(wanted.label)
        variants += [joined] if joined else []
        names += [f"{v}.{first}" for v in variants if len(v) <= 63]
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Margin:
    """The shop's margin on one TLD and action: a fixed amount plus a share of the fee."""

    fixed: Decimal = Decimal(0)
    percent: Decimal = Decimal(0)

    def price(self, fee: Decimal) -> Decimal:
        total = fee + self.fixed + fee * self.percent / 100
        return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

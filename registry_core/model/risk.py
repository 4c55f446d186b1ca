"""Create-time risk rules (pure): a label's confusables skeleton (UTS 39 data, from the
confusable-homoglyphs package), mixed scripts, a name-entropy score for machine-made labels,
and the verdict a TLD's policy gives the reasons found. A check never refuses a create: it
flags it for a person, or creates it on serverHold pending review."""

from __future__ import annotations

import functools
import math
from collections import Counter
from dataclasses import dataclass

from confusable_homoglyphs import categories, confusables

from registry_core.model.names import to_unicode

MIN_ENTROPY_LENGTH = 10  # shorter labels carry too few characters for the score to mean anything


@dataclass(frozen=True)
class RiskPolicy:
    velocity_limit: int  # creates per window and registrar; 0: off
    entropy_threshold: float  # bits per character; 0: off
    verdict: str  # flag | hold


@dataclass(frozen=True)
class RiskFacts:
    """What the database says about one create (one statement: repo/risk.py)."""

    recent_creates: int  # this registrar's creates in the TLD within the window (capped at the limit)
    protected: str | None  # the protected label whose skeleton this label shares, if any
    listed_nameservers: tuple[str, ...]  # the create's name servers found in threat feeds


@functools.lru_cache(maxsize=65536)
def _ascii_twin(char: str) -> str:
    if char.isascii():
        return char
    for homoglyph in confusables.confusables_data.get(char, ()):
        if homoglyph["c"].isascii():
            return str(homoglyph["c"])
    return char


def skeleton(label: str) -> str:
    """Each character replaced by its ASCII look-alike where UTS 39 names one, lower case:
    `раypal` (Cyrillic р and а) and `paypal` share `paypal`."""
    return "".join(_ascii_twin(c) for c in to_unicode(label).lower())


def mixed_script(label: str) -> bool:
    scripts = categories.unique_aliases(to_unicode(label)) - {"COMMON"}
    return len(scripts) > 1


def entropy(label: str) -> float:
    """Shannon entropy in bits per character of the label's letters and digits."""
    chars = [c for c in label if c.isalnum()]
    if not chars:
        return 0.0
    counts = Counter(chars)
    return -sum(n / len(chars) * math.log2(n / len(chars)) for n in counts.values())


def reasons(label: str, policy: RiskPolicy, facts: RiskFacts) -> list[dict[str, str]]:
    """Every rule the create trips, each {threat_type, detail}."""
    found: list[dict[str, str]] = []
    if policy.velocity_limit and facts.recent_creates >= policy.velocity_limit:
        found.append({"threat_type": "velocity",
                      "detail": f"{facts.recent_creates} creates by this registrar within the window"})
    if facts.protected is not None and facts.protected != to_unicode(label).lower():
        found.append({"threat_type": "look-alike", "detail": f"looks like the protected name {facts.protected!r}"
                      + (" (mixed scripts)" if mixed_script(label) else "")})
    score = entropy(to_unicode(label))
    if policy.entropy_threshold and len(label) >= MIN_ENTROPY_LENGTH and score >= policy.entropy_threshold:
        found.append({"threat_type": "generated-name", "detail": f"label entropy {score:.2f} bits per character"})
    if facts.listed_nameservers:
        found.append({"threat_type": "bad-infrastructure",
                      "detail": "name servers in threat feeds: " + ", ".join(facts.listed_nameservers)})
    return found

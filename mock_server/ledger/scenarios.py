"""Named accounts for QA: each a pure function of (scenario, seed, account).

The account (the client id the data is served to, by default) is part of the seed, so two
clients of one mock see two different accounts unless they share one on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mock_server.ledger.ledger import DOCUMENTED_CURRENCIES, Ledger, Profile, generate
from mock_server.settings import DEFAULT_SCENARIO, DEFAULT_SEED

DEFAULT_ACCOUNT = "demo"


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    profile: Profile


SCENARIOS = {s.name: s for s in (
    Scenario("default", "a few hundred deposits and withdrawals over five documented currencies",
             Profile(entries=300)),
    Scenario("empty", "a new account: no history, no balances, no sub-accounts",
             Profile(entries=0, currencies=(), wallets=0)),
    Scenario("single-currency", "one currency (USDTERC20) only, for clients that assume one",
             Profile(entries=120, currencies=("USDTERC20",))),
    Scenario("whale", "balances like 123456789012.123456 in every documented currency: a float corrupts them",
             Profile(entries=200, currencies=DOCUMENTED_CURRENCIES, wallets=6, amount_digits=(15, 17))),
    Scenario("paging", "3,000 entries, for pagination tests (150 pages of 20)",
             Profile(entries=3000)),
    Scenario("dust", "tiny amounts such as 0.000001, for rounding and display tests",
             Profile(entries=300, amount_digits=(0, 2))),
    Scenario("withdrawal-heavy", "mostly withdrawals: balances that come close to zero",
             Profile(entries=300, deposit_percent=35)),
)}


def length_refused(scenario: str, entries: int | None) -> str | None:
    """Why ``scenario`` cannot have a history of ``entries`` entries, or None if it can: a
    scenario without currencies (``empty``) has nothing to draw a movement in."""
    if entries and SCENARIOS[scenario].profile.currencies == ():
        return f"the {scenario} scenario has no currencies, so its history has no entries: only 0 is possible"
    return None


def build_ledger(scenario: str = DEFAULT_SCENARIO, seed: int = DEFAULT_SEED, account: str = DEFAULT_ACCOUNT,
                 entries: int | None = None) -> Ledger:
    """The ledger of ``account`` in ``scenario`` for ``seed``; ``entries`` overrides its length."""
    profile = SCENARIOS[scenario].profile
    if entries is not None:
        profile = replace(profile, entries=entries)
    return generate(f"{scenario}/{seed}/{account}", profile)

"""What a run found, gathered while it runs: breaks, drift, skipped rules, the coverage of the
contract's documented items, and timings. The terminal summary, the JUnit properties and the
HTML report are all written from it (``as_dict``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .conformance import Contract, Item
from .rules import BREAK, DRIFT, Decision, Rule, promises_within


@dataclass(frozen=True)
class Finding:
    """One broken rule, as a report shows it."""

    kind: str
    rule: str
    basis: str
    test: str
    expected: str
    got: str
    reproduce: str | None = None
    decision: str | None = None

    @classmethod
    def of(cls, rule: Rule, test: str, expected: Any, got: Any, reproduce: str | None) -> Finding:
        return cls(rule.kind, rule.text, rule.basis, test, str(expected), str(got), reproduce, rule.decision)


@dataclass
class _Tally:
    passed: int = 0
    failed: int = 0


@dataclass
class RunReport:
    """Everything one run of the suite observed. ``current`` is the test running now: each
    response is credited to it in the coverage matrix."""

    contract: Contract
    base_url: str
    settings: dict[str, Any]
    strict: bool = False
    decisions: list[Decision] = field(default_factory=list)
    """The spec's decisions (``x-decisions``), each with the check that holds it."""
    current: str = "(setup)"
    findings: list[Finding] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    requests_sent: int = 0
    _coverage: dict[Item, dict[str, _Tally]] = field(default_factory=dict)
    _started: float = field(default_factory=time.monotonic)
    _started_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    # -- while the run goes ------------------------------------------------------------------

    def observe(self, method: str, url: str, status: int, headers: Mapping[str, str], body: bytes
                ) -> list[tuple[Item, str]]:
        """Credit the documented items this response shows to the current test; return the
        ones that are not as documented."""
        path = urlsplit(url).path
        prefix = urlsplit(self.base_url).path.rstrip("/")
        if prefix and path.startswith(prefix):
            path = path[len(prefix):] or "/"
        problems = []
        for item, problem in self.contract.observe(method, path, status, headers, body).items():
            tally = self._coverage.setdefault(item, {}).setdefault(self.current, _Tally())
            if problem is None:
                tally.passed += 1
            else:
                tally.failed += 1
                problems.append((item, problem))
        return problems

    def found(self, finding: Finding) -> None:
        """Record a finding once: the same rule broken the same way in the same test (another
        generated example, say) adds nothing."""
        same = (finding.rule, finding.test, finding.expected, finding.got)
        if all((f.rule, f.test, f.expected, f.got) != same for f in self.findings):
            self.findings.append(finding)

    def drift_of(self, test: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == DRIFT and f.test == test]

    # -- at the end ----------------------------------------------------------------------------

    @property
    def breaks(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == BREAK]

    @property
    def drift(self) -> list[Finding]:
        return [f for f in self.findings if f.kind == DRIFT]

    @property
    def holes(self) -> list[Item]:
        return [item for item in self.contract.items if not self._coverage.get(item)]

    def decision_verdicts(self) -> list[dict[str, Any]]:
        """Each decision of the spec, its check, and what the run found: ``held`` (its check ran
        and nothing drifted from it), ``drift``, ``not run`` (its check was deselected or
        skipped); with the documentation's promises its check holds inside the decided answer,
        and how they fared (a break among them fails the run whatever the decision's verdict)."""
        rows = []
        for decision in self.decisions:
            check = decision.check or ""
            ran = [outcome for test, outcome in self.outcomes.items()
                   if check and (test == check or test.startswith(check + "["))]
            drifted = [f for f in self.drift if f.decision == decision.id]
            verdict = ("drift" if drifted else "not run" if not ran or all(o == "skipped" for o in ran)
                       else "held")
            promises = promises_within(decision.id)
            broken = {f.rule for f in self.breaks if check and f.test.split("[", 1)[0] == check}
            rows.append({"id": decision.id, "decision": decision.text, "check": check, "verdict": verdict,
                         "promises": [{"rule": rule.text, "basis": rule.basis, "items": list(rule.holds),
                                       "broken": rule.text in broken} for rule in promises]})
        return rows

    @property
    def verdict(self) -> str:
        return "fail" if self.breaks or (self.strict and self.drift) else "pass"

    def as_dict(self) -> dict[str, Any]:
        items = self.contract.items
        counts = {outcome: sum(1 for o in self.outcomes.values() if o == outcome)
                  for outcome in ("passed", "failed", "drift", "skipped")}
        counts["rules"] = len(self.outcomes)
        return {
            "verdict": self.verdict,
            "strict": self.strict,
            "settings": {**self.settings, "base_url": self.base_url},
            "requests_sent": self.requests_sent,
            "started_at": self._started_at,
            "duration_s": round(time.monotonic() - self._started, 2),
            "counts": counts,
            "breaks": [asdict(f) for f in self.breaks],
            "drift": [asdict(f) for f in self.drift],
            "skipped": list(self.skipped),
            "decisions": self.decision_verdicts(),
            "coverage": {
                "reached": len(items) - len(self.holes),
                "total": len(items),
                "items": [{"operation": i.operation, "method": i.method, "path": i.path, "status": i.status,
                           "part": i.part, "basis": i.basis,
                           "rules": [{"rule": rule, "passed": t.passed, "failed": t.failed}
                                     for rule, t in sorted(self._coverage.get(i, {}).items())]}
                          for i in items],
            },
            "timings": [{"test": test, "seconds": round(seconds, 3)}
                        for test, seconds in sorted(self.timings.items(), key=lambda kv: -kv[1])[:15]],
        }

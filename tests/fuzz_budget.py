"""How many examples a property test runs: its own CI budget, scaled up by the `fuzz` profile."""

from __future__ import annotations

from hypothesis import settings

# The ci and dev profiles keep Hypothesis' default of 100 examples; a budget is relative to that.
_BASE_EXAMPLES = 100


def examples(budget: int) -> int:
    """`budget` under the ci/dev profiles; proportionally more under `fuzz` (1000 → ten times as many)."""
    return max(1, budget * settings.default.max_examples // _BASE_EXAMPLES)

"""CI replays the same property-test examples on every run; `make fuzz` explores further."""

from __future__ import annotations

import os

import pytest
from fuzz_budget import examples
from hypothesis import settings


def test_the_ci_profile_replays_the_same_examples_and_remembers_nothing() -> None:
    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.database is None and ci.deadline is None and ci.print_blob


@pytest.mark.skipif(
    not os.environ.get("CI") or bool(os.environ.get("HYPOTHESIS_PROFILE")), reason="CI's profile only"
)
def test_in_ci_a_tests_own_settings_stay_derandomized() -> None:
    assert settings.default.derandomize
    assert settings(max_examples=examples(40), deadline=None).derandomize


def test_the_fuzz_profile_runs_ten_times_a_tests_budget() -> None:
    fuzz = settings.get_profile("fuzz")
    assert not fuzz.derandomize and fuzz.max_examples == 1000
    assert examples(40) == 40 * settings.default.max_examples // 100

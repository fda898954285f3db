"""MoA settings: validation by field, proposer lists, and the flags that name them."""

from __future__ import annotations

import pytest

from umi_cli.agent.moa.settings import MoaSettings
from umi_cli.agent.modes.moa import members_of
from umi_cli.agent.options import OptionError, RunOptions


def test_defaults_are_moa_lite_self_moa() -> None:
    settings = MoaSettings()
    assert (settings.layers, settings.count, settings.proposer_temperature) == (2, 3, 0.7)
    assert settings.proposer_models() == [None, None, None]
    assert (settings.proposer_max_tokens, settings.aggregator_max_tokens) == (512, None)


def test_listed_proposers_repeat_in_turn_to_make_up_the_count() -> None:
    settings = MoaSettings.from_mapping({"proposers": ["a", "b"], "proposals": 5})
    assert settings.proposer_models() == ["a", "b", "a", "b", "a"]
    assert MoaSettings.from_mapping({"proposers": ["a", "b"]}).count == 2


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        ({"layers": 0}, "layers", "must be at least 1, got 0"),
        ({"proposals": 0}, "proposals", "must be from 1 to 16, got 0"),
        ({"proposals": "3"}, "proposals", "must be a whole number, got '3'"),
        ({"proposer_max_tokens": 8}, "proposer_max_tokens", "must be at least 16, got 8"),
        ({"aggregator_max_tokens": 4}, "aggregator_max_tokens", "must be at least 16, got 4"),
        ({"proposer_temperature": -1}, "proposer_temperature", "must be 0 or more, got -1"),
        ({"caller_rule": "vote"}, "caller_rule", "vote: unknown; choose from agree, aggregate"),
        ({"proposers": [1]}, "proposers", "must be catalog model ids, got [1]"),
        ({"rounds": 2}, "rounds", "is not a MoA setting"),
    ],
)
def test_a_bad_value_names_its_field(data: dict, field: str, problem: str) -> None:
    with pytest.raises(OptionError) as raised:
        MoaSettings.from_mapping(data)
    assert raised.value.field == field
    assert problem in raised.value.problem


def test_run_options_check_their_moa_settings() -> None:
    with pytest.raises(OptionError, match="layers must be at least 1"):
        RunOptions(moa={"layers": 0}).check()
    assert RunOptions(moa={"layers": 3}).check().to_dict()["moa"] == {"layers": 3}


def test_members_keep_the_token_limits_apart(umi_home) -> None:
    options = RunOptions(
        profile="pocket",
        seed=7,
        moa={"proposals": 2, "proposer_max_tokens": 40, "aggregator_max_tokens": 90},
    )
    members = {m.key: m for m in members_of(options, ("summarizer",))}
    assert sorted(members) == [
        "summarizer.aggregator", "summarizer.proposer.0", "summarizer.proposer.1"
    ]  # fmt: skip
    assert members["summarizer.proposer.0"].decoding == {
        "temperature": 0.7, "max_tokens": 40, "seed": 7
    }  # fmt: skip
    assert members["summarizer.proposer.1"].decoding["seed"] == 8
    assert members["summarizer.aggregator"].decoding == {"max_tokens": 90}
    assert members["summarizer.aggregator"].model is None  # the role's own model
    one_layer = members_of(RunOptions(profile="pocket", moa={"layers": 1}), ("planner",))
    assert [m.key for m in one_layer] == ["planner.aggregator"]

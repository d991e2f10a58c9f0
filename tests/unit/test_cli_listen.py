"""The listener flags of `gui`, `serve` and no command, as the typed record the engine gets."""

from __future__ import annotations

import pytest

from hookscope.cli import build_parser
from hookscope.cli.listen import ListenerOverrides


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], ListenerOverrides()),
        (["--port", "0"], ListenerOverrides(port=0)),
        (["gui"], ListenerOverrides()),
        (
            ["gui", "--host", "0.0.0.0", "--port", "9000", "--api-port", "0"],
            ListenerOverrides(host="0.0.0.0", port=9000, api_port=0),
        ),
        (["serve"], ListenerOverrides()),
        (["serve", "--api-port", "0"], ListenerOverrides(api_port=0)),
        (["serve", "--host", "::1", "--port", "1"], ListenerOverrides(host="::1", port=1)),
    ],
)
def test_the_flags_become_overrides(argv: list[str], expected: ListenerOverrides) -> None:
    assert ListenerOverrides.from_args(build_parser().parse_args(argv)) == expected


def test_only_the_flags_given_reach_the_engine() -> None:
    assert ListenerOverrides().as_dict() == {}
    # 0 is a choice (any free port; no emulator), not "unset".
    assert ListenerOverrides(port=0, api_port=0).as_dict() == {"port": 0, "api_port": 0}
    assert ListenerOverrides(host="127.0.0.1", port=8787, api_port=8788).as_dict() == {
        "host": "127.0.0.1",
        "port": 8787,
        "api_port": 8788,
    }

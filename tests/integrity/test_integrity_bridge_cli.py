"""``greenmarket bridge``: each command rebuilds the token ledger from the journal."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from greenmarket.cli import app
from greenmarket.integrity.tokens import InsufficientTokens
from greenmarket.registry import ledger
from greenmarket.registry.ledger import CreditSpec, Selection

runner = CliRunner()
SOLAR = ["--program", "JCREDIT", "--project", "JCR-0101", "--vintage", "2024"]


def bridge(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["bridge", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_bridge_commands_across_processes(seeded_registry, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    registry = seeded_registry
    monkeypatch.setenv("GREENMARKET_DATABASE_URL", registry.url)
    monkeypatch.setenv("GREENMARKET_BRIDGE_ACCOUNT", str(registry.bridge_account))
    alpha = str(registry.holding["alpha"])

    code, output = bridge(
        "lock",
        "--from-account",
        alpha,
        "--address",
        "0xalpha",
        *SOLAR,
        "--quantity",
        "80",
        "--key",
        "k1",
    )
    assert code == 0 and json.loads(output)["token_event"]["quantity"] == 80
    assert (
        bridge(
            "lock",
            "--from-account",
            alpha,
            "--address",
            "0xalpha",
            *SOLAR,
            "--quantity",
            "80",
            "--key",
            "k1",
        )[1]
        == output
    )  # applied once
    code, _ = bridge(
        "transfer",
        "--from-address",
        "0xalpha",
        "--to-address",
        "0xfund",
        *SOLAR,
        "--quantity",
        "30",
    )
    assert code == 0
    with pytest.raises(InsufficientTokens):
        bridge("unlock", "--address", "0xalpha", *SOLAR, "--quantity", "51", "--to-account", alpha)
    code, output = bridge(
        "retire",
        "--address",
        "0xfund",
        *SOLAR,
        "--quantity",
        "30",
        "--beneficiary",
        "Fund",
        "--claim",
        "FY2025",
    )
    assert code == 0 and json.loads(output)["beneficiary"] == "Fund"
    code, output = bridge("status")
    assert code == 0
    assert "JCREDIT/JCR-0101/2024 │ 50" in output and "0xalpha" in output

    # credits that leave the bridge account without their tokens being burned break the 1:1 rule
    registry.run(
        lambda c: ledger.unlock(
            c,
            bridge_account_id=registry.bridge_account,
            to_account_id=registry.holding["alpha"],
            selection=Selection(quantity=5, spec=CreditSpec(project_id="JCR-0101", vintage=2024)),
        )
    )
    code, output = bridge("status")
    assert code == 1 and "NO" in output

"""Secrets planted in every sample incident appear in no output: every string of the JSON, keys included."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rca import api
from rca.report.render import FORMATS, render
from tests.suite import SLOW

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = json.loads((ROOT / "reports" / "examples" / "manifest.json").read_text(encoding="utf-8"))
API_KEY = "AIzaSyD" + "x" * 28 + "Q9kT"
PASSWORD = "Hunter2PlantedPw"
TOKEN = "ghp_" + "Z" * 36
SECRETS = (API_KEY, PASSWORD, TOKEN)
_IPV4 = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")


def plant(text: str) -> str:
    """Put secrets where patterns extract fields: IP addresses become API keys, errors carry a DSN."""
    text = _IPV4.sub(API_KEY, text)
    if re.search(r"(?i)error|critical|traceback|fail|exceeded|terminated", text):
        text += f" (postgresql://app:{PASSWORD}@db/x, token={TOKEN})"
    return text


def planted_copy(src: Path, dst: Path) -> Path:
    """A copy of sample ``src`` with secrets planted in every string (JSON) or line (text)."""
    if src.suffix == ".json":

        def walk(v: Any) -> Any:
            if isinstance(v, str):
                return plant(v)
            if isinstance(v, dict):
                return {k: walk(x) for k, x in v.items()}
            if isinstance(v, list):
                return [walk(x) for x in v]
            return v

        dst.write_text(json.dumps(walk(json.loads(src.read_text(encoding="utf-8")))), encoding="utf-8")
    else:
        lines = src.read_text(encoding="utf-8").splitlines()
        dst.write_text("\n".join(plant(ln) for ln in lines) + "\n", encoding="utf-8")
    return dst


def strings(value: Any) -> Iterator[str]:
    """Every string in a JSON value: values and dict keys alike."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


@pytest.mark.parametrize("example", [
    e if e["name"].startswith("billing-api") else pytest.param(e, marks=SLOW) for e in MANIFEST["examples"]
], ids=lambda e: e["name"])
def test_no_planted_secret_survives_in_any_format(example: dict[str, str], tmp_path: Path) -> None:
    """A sample with planted secrets renders in every format without any of them, JSON keys included."""
    src = ROOT / example["file"]
    path = planted_copy(src, tmp_path / src.name)
    result = api.analyze([str(path)], since=example["since"], service=example["service"]).result
    unredacted = json.dumps(result.to_json())
    assert any(s in unredacted for s in SECRETS), "the planting reached no output: the test proves nothing"
    leaks = [s for s in strings(json.loads(render(result, "json"))) if any(x in s for x in SECRETS)]
    assert leaks == []
    for fmt in FORMATS:
        text = render(result, fmt)
        assert [s for s in SECRETS if s in text] == [], fmt

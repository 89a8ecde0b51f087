"""The accounting record (``ACCOUNTING.md``) matches what lrviz reads today, config by config."""

from __future__ import annotations

import pytest

from tests.realworld.accounting import CONFIGS, RECORD, configs, record


def _sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in RECORD.read_text(encoding="utf-8").splitlines():
        if line.startswith("## `"):
            current = line[4:-1]
            sections[current] = []
        elif current is not None and line.startswith("    "):
            sections[current].append(line[4:])
    return sections


RECORDED = _sections()


@pytest.mark.parametrize("path", configs(), ids=lambda p: p.relative_to(CONFIGS).as_posix())
def test_the_record_is_what_lrviz_reads(path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    for var in ("AUTOWARE_ML_DATA_PATH", "AUTOWARE_ML_HYDRA_RUN_DIR", "PROJECT_ROOT", "MAX_STEPS"):
        monkeypatch.delenv(var, raising=False)
    key = path.relative_to(CONFIGS).as_posix()
    assert key in RECORDED, f"{key} has no section: run python -m tests.realworld.accounting and review the diff"
    assert record(path) == RECORDED[key], "what lrviz reads changed: regenerate ACCOUNTING.md and review the diff"


def test_every_framework_document_accounts_for_each_key() -> None:
    """A framework file's top-level keys are each read, classified as no effect, or listed as unknown: none lost."""
    from lrviz.config.files import read_document

    checked = 0
    for key, lines in RECORDED.items():
        if not any(line.startswith("no effect on the LR:") for line in lines):
            continue
        listed: list[str] = []
        for line in lines:
            if line.startswith(("read:", "no effect on the LR:", "unknown to lrviz (not read):")):
                value = line.split(": ", 1)[1]
                listed += [] if value == "(none)" else value.split(", ")
        if key.endswith(".py"):  # an mmengine config: its document is what mmengine's Config.fromfile makes
            from lrviz.frameworks.mmengine import document

            data = document.load(CONFIGS / key, ())
        else:
            data, _ = read_document(CONFIGS / key)
        assert sorted(listed) == sorted(str(k) for k in data), key
        checked += 1
    assert checked >= 25

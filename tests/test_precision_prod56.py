"""Patterns real repositories outside the labelled set showed prodcheck getting wrong on what production runs and on
placeholder values (stop 56)."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json

FIXTURES = Path(__file__).parent / "fixtures" / "precision"


def test_database_urls_spelled_in_another_language_are_placeholders() -> None:
    """Langchain-Chatchat documents its text-to-SQL connection as `mysql+pymysql://用户名:密码@主机地址/数据库名称`
    ("user name:password@host address/database name"): a host written in Chinese or Cyrillic letters is no host a
    driver connects to, so the URL is a placeholder, as `USER:PASSWORD@HOST` is. A real URL beside it stays."""
    _, report = run_json(FIXTURES / "PC301-native-language-placeholders", "--select", "PC301")
    assert [(f["code"], f["path"], f["line"]) for f in report["findings"]] == [("PC301", "app/settings.py", 12)]


"""YAML merge keys (https://yaml.org/type/merge.html) as compose files write them."""
from __future__ import annotations

from prodcheck.parsing.yaml import load_documents

_TEXT = """\
x-logging: &logging
  logging: {driver: local}
  restart: "no"
x-image: &image
  image: org/app:1.0
  restart: always
services:
  listed:
    <<: [*logging, *image]
    command: run
  single:
    <<: *image
    image: org/app:2.0
  before:
    restart: on-failure
    <<: *image
"""


def _services():
    return load_documents(_TEXT)[0].get("services")


def test_a_list_of_merged_mappings_gives_their_keys_the_first_mapping_first() -> None:
    listed = _services().get("listed")
    assert listed.get("image").as_str() == "org/app:1.0"
    assert listed.get("logging") is not None
    assert listed.get("restart").as_str() == "no"  # *logging comes first in the list
    assert listed.get("command").as_str() == "run"


def test_keys_the_mapping_sets_itself_win_before_or_after_the_merge() -> None:
    assert _services().get("single").get("image").as_str() == "org/app:2.0"
    assert _services().get("before").get("restart").as_str() == "on-failure"
    assert _services().get("before").get("image").as_str() == "org/app:1.0"

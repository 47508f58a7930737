"""Container images by name: a database's, a connection pooler's, another company's (knowledge/images.toml).

The predicates are asked about the same few hundred image names by every rule and model step (the infra corpus:
~80,000 questions about ~2,000 names): each answer is kept, bounded."""
from __future__ import annotations

from functools import lru_cache

from prodcheck.knowledge import load
from prodcheck.lazy_pattern import lazy

_IMAGES = load("images")
_DB_IMAGE = lazy(_IMAGES["patterns"]["database"])
_POOLER_IMAGE = lazy(_IMAGES["patterns"]["pooler"])
THIRD_PARTY = frozenset(_IMAGES["third_party"]["repositories"])


@lru_cache(maxsize=8192)
def image_repository(image: str) -> str:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


@lru_cache(maxsize=8192)
def is_database_image(image: str | None) -> bool:
    return image is not None and bool(_DB_IMAGE.search(image.lower()))


@lru_cache(maxsize=8192)
def is_pooler_image(image: str | None) -> bool:
    return image is not None and bool(_POOLER_IMAGE.search(image.lower()))


def _namespaced(image: str) -> str:
    """`temporalio/ui:2.31` -> `temporalio/ui`: the last two path parts, for repositories whose own name
    (`ui`) says too little to be listed alone."""
    parts = image.split("@", 1)[0].lower().split("/")
    return "/".join([*parts[-2:-1], parts[-1].split(":", 1)[0]])


@lru_cache(maxsize=8192)
def is_third_party_image(image: str | None) -> bool:
    if not image:
        return False
    return (image_repository(image) in THIRD_PARTY or _namespaced(image) in THIRD_PARTY or is_database_image(image)
            or is_pooler_image(image))

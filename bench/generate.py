"""Deterministic generator of a large FastAPI-like repository for the benchmark.

`generate(root, modules)` writes `modules` Python files grouped into services of about fifty
modules each (routes with `Depends`, SQLAlchemy engines and models, `requests`/`httpx` clients,
and plain library modules that touch none of that), plus per service a Dockerfile, a compose
file, a Kubernetes Deployment and a requirements file, and a few workflows at the root. The same
(modules, seed) always produces byte-identical files, so timings are comparable between commits.
"""
from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

GENERATOR_VERSION = 1
MODULES_PER_SERVICE = 50
STAMP = ".bench-tree.json"

# Identifiers for the plain modules: none of them contains a needle of the engine's prefilter
# (no "hash", "debug", "engine", "session", "secret", "sleep", "open(" ...), like most library code.
_WORDS = (
    "alpha", "beta", "gamma", "delta", "order", "price", "total", "amount", "label", "title", "field",
    "record", "batch", "chunk", "range", "limit", "offset", "cursor", "page", "index", "value", "weight",
    "score", "rank", "group", "bucket", "window", "metric", "sample", "point", "vector", "matrix", "node",
    "edge", "graph", "tree", "leaf", "branch", "path", "route", "shape", "area", "ratio", "delta_t", "span",
)


def _name(rng: random.Random, parts: int = 2) -> str:
    return "_".join(rng.choice(_WORDS) for _ in range(parts))


def _class_name(rng: random.Random) -> str:
    return "".join(rng.choice(_WORDS).replace("_", " ").title().replace(" ", "") for _ in range(2))


def plain_module(rng: random.Random, index: int) -> str:
    """Ordinary library code: dataclasses, loops, comprehensions, no framework, no I/O."""
    lines = [
        f'"""Helpers for {_name(rng)} processing ({index})."""',
        "from __future__ import annotations",
        "",
        "import math",
        "from dataclasses import dataclass, field",
        "from typing import Iterable, Iterator",
        "",
        f"SCALE_{index % 97} = {rng.randint(2, 900)}",
        "",
    ]
    for _ in range(rng.randint(1, 3)):
        cls = _class_name(rng)
        attrs = sorted({_name(rng, 1) for _ in range(rng.randint(2, 6))})
        lines.append("@dataclass")
        lines.append(f"class {cls}:")
        lines.append(f'    """A {cls} with {len(attrs)} fields."""')
        for attr in attrs:
            lines.append(f"    {attr}: float = {rng.randint(0, 100)}.0")
        lines.append("    tags: list[str] = field(default_factory=list)")
        lines.append("")
        lines.append("    def norm(self) -> float:")
        lines.append("        return math.sqrt(" + " + ".join(f"self.{a} ** 2" for a in attrs) + ")")
        lines.append("")
        lines.append(f"    def scaled(self, factor: float) -> {cls}:")
        lines.append(f"        return {cls}(" + ", ".join(f"self.{a} * factor" for a in attrs) + ")")
        lines.append("")
    for _ in range(rng.randint(3, 9)):
        fn = _name(rng)
        lines.append(f"def {fn}(items: Iterable[float], limit: int = {rng.randint(1, 50)}) -> list[float]:")
        lines.append(f'    """Return the first `limit` values of `items`, {rng.choice(_WORDS)} adjusted."""')
        lines.append("    out: list[float] = []")
        lines.append("    for position, item in enumerate(items):")
        lines.append("        if position >= limit:")
        lines.append("            break")
        lines.append(f"        if item > {rng.randint(0, 10)} and not math.isnan(item):")
        lines.append(f"            out.append(item * {rng.random():.3f} + position)")
        lines.append("        else:")
        lines.append("            out.append(-item)")
        lines.append(f"    return sorted(out, reverse={rng.choice(['True', 'False'])})")
        lines.append("")
        lines.append("")
    gen = _name(rng)
    lines.append(f"def {gen}(values: list[int]) -> Iterator[tuple[int, int]]:")
    lines.append("    seen: dict[int, int] = {}")
    lines.append("    for value in values:")
    lines.append("        seen[value] = seen.get(value, 0) + 1")
    lines.append("        yield value, seen[value]")
    lines.append("")
    lines.append(f"TABLE = {{key: key * {rng.randint(2, 9)} for key in range({rng.randint(5, 40)})}}")
    return "\n".join(lines) + "\n"


def db_module(rng: random.Random, service: int) -> str:
    pool, overflow = rng.choice([(5, 10), (10, 20), (20, 40), (3, 2)])
    driver = rng.choice(["postgresql+psycopg2", "postgresql"])
    return f'''"""Database wiring for service {service}."""
import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker, declarative_base

DATABASE_URL = os.environ.get("DATABASE_URL", "{driver}://app@db:5432/app{service}")

engine = create_engine(DATABASE_URL, pool_size={pool}, max_overflow={overflow}, pool_pre_ping=True)
SessionLocal = sessionmaker(bind=engine, autoflush=False, autocommit=False)
Base = declarative_base()


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
'''


def models_module(rng: random.Random, service: int) -> str:
    out = [
        f'"""ORM models of service {service}."""',
        "from sqlalchemy import Column, Integer, String, ForeignKey",
        "",
        "from .db import Base",
        "",
    ]
    for number in range(rng.randint(2, 6)):
        out += [
            "",
            f"class Item{number}(Base):",
            f'    __tablename__ = "item_{service}_{number}"',
            "    id = Column(Integer, primary_key=True)",
            "    name = Column(String(120), nullable=False)",
            f"    owner_id = Column(Integer, ForeignKey('owner_{service}.id'))",
        ]
    return "\n".join(out) + "\n"


def routes_module(rng: random.Random, service: int, index: int) -> str:
    name = _name(rng, 1)
    blocking = rng.random() < 0.3
    out = [
        f'"""HTTP routes for {name} ({service}/{index})."""',
        "from fastapi import APIRouter, Depends, HTTPException",
        "from sqlalchemy.orm import Session",
        "",
        "from ..db import get_db",
        "from ..models import Item0",
    ]
    if blocking:
        out.append("import requests")
    out += ["", f'router = APIRouter(prefix="/{name}{index}", tags=["{name}"])', ""]
    for number in range(rng.randint(2, 6)):
        verb = rng.choice(["get", "post", "put", "delete"])
        is_async = rng.random() < 0.6
        out.append(f'@router.{verb}("/op{number}/{{item_id}}")')
        out.append(f"{'async ' if is_async else ''}def op_{number}(item_id: int, db: Session = Depends(get_db)):")
        out.append("    item = db.get(Item0, item_id)")
        out.append("    if item is None:")
        out.append('        raise HTTPException(status_code=404, detail="not found")')
        if blocking and number == 0:
            out.append(f'    requests.post("https://hooks.example.com/{name}", json={{"id": item_id}}, timeout=5)')
        out.append('    return {"id": item.id, "name": item.name}')
        out.append("")
    return "\n".join(out) + "\n"


def client_module(rng: random.Random, service: int, index: int) -> str:
    use_httpx = rng.random() < 0.5
    host = _name(rng, 1)
    if use_httpx:
        return f'''"""Outbound client for {host} ({service}/{index})."""
import httpx

BASE = "https://{host}.example.com/api"


async def fetch_{host}(item_id: int) -> dict:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{{BASE}}/items/{{item_id}}")
        response.raise_for_status()
        return response.json()
'''
    return f'''"""Outbound client for {host} ({service}/{index})."""
import requests

BASE = "https://{host}.example.com/api"


def fetch_{host}(item_id: int) -> dict:
    response = requests.get(f"{{BASE}}/items/{{item_id}}", timeout=10)
    response.raise_for_status()
    return response.json()
'''


def main_module(rng: random.Random, service: int, routers: list[str]) -> str:
    imports = "\n".join(f"from .api import {r}" for r in routers)
    includes = "\n".join(f"app.include_router({r}.router)" for r in routers)
    return f'''"""Application of service {service}."""
from fastapi import FastAPI

{imports}

app = FastAPI(title="service-{service}")
{includes}


@app.get("/healthz")
async def healthz():
    return {{"status": "ok"}}
'''


def dockerfile(rng: random.Random, service: int) -> str:
    root_user = rng.random() < 0.3
    workers = rng.choice([2, 4, 8])
    return f"""FROM python:3.12-slim
WORKDIR /srv
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
{'' if root_user else 'USER 10001'}
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8000/healthz')"
CMD ["gunicorn", "app.main:app", "-k", "uvicorn.workers.UvicornWorker", "-w", "{workers}", "-b", "0.0.0.0:8000"]
"""


def compose(rng: random.Random, service: int) -> str:
    return f"""services:
  api:
    build: .
    restart: unless-stopped
    environment:
      DATABASE_URL: postgresql://app@db:5432/app{service}
    depends_on:
      db:
        condition: service_healthy
    deploy:
      resources:
        limits:
          memory: 512M
  db:
    image: postgres:16.3
    restart: unless-stopped
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "app"]
    deploy:
      resources:
        limits:
          memory: 1G
"""


def deployment(rng: random.Random, service: int) -> str:
    return f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: service-{service}
spec:
  replicas: {rng.choice([1, 2, 3])}
  selector:
    matchLabels:
      app: service-{service}
  template:
    metadata:
      labels:
        app: service-{service}
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: api
          image: registry.example.com/service-{service}:1.0.{service}
          ports:
            - containerPort: 8000
          readinessProbe:
            httpGet:
              path: /healthz
              port: 8000
          livenessProbe:
            httpGet:
              path: /healthz
              port: 8000
          resources:
            limits:
              memory: 512Mi
          env:
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef:
                  name: service-{service}-db
                  key: url
"""


def workflow(number: int) -> str:
    return f"""name: ci-{number}
on: [push]
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install -r requirements.txt && pytest -q
"""


def _stamp(modules: int, seed: int) -> dict[str, int]:
    return {"generator": GENERATOR_VERSION, "modules": modules, "seed": seed}


def generate(root: Path, modules: int, seed: int = 1) -> int:
    """Write the tree (reused when an identical one is already there); returns its file count."""
    stamp = root / STAMP
    if stamp.is_file():
        try:
            recorded = json.loads(stamp.read_text())
        except ValueError:
            recorded = None
        if recorded and recorded.get("params") == _stamp(modules, seed):
            return int(recorded["files"])
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    rng = random.Random(seed)
    files = 0

    def write(relative: str, text: str) -> None:
        nonlocal files
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        files += 1

    written = 0
    service = 0
    while written < modules:
        base = f"services/svc{service:04d}"
        budget = min(MODULES_PER_SERVICE, modules - written)
        fixed = ["app/__init__.py", "app/api/__init__.py", "app/db.py", "app/models.py", "app/main.py"]
        remaining = max(0, budget - len(fixed))
        routes = max(1, remaining // 4) if budget > len(fixed) else 0
        clients = remaining // 6
        plain = remaining - routes - clients
        routers = [f"routes_{i}" for i in range(routes)]
        for name in fixed[:budget]:
            if name.endswith("__init__.py"):
                text = ""
            elif name == "app/db.py":
                text = db_module(rng, service)
            elif name == "app/models.py":
                text = models_module(rng, service)
            else:
                text = main_module(rng, service, routers)
            write(f"{base}/{name}", text)
        for i in range(routes):
            write(f"{base}/app/api/routes_{i}.py", routes_module(rng, service, i))
        for i in range(clients):
            write(f"{base}/app/clients/client_{i}.py", client_module(rng, service, i))
        for i in range(plain):
            write(f"{base}/app/lib/{_name(rng, 1)}_{i}.py", plain_module(rng, i))
        written += budget
        write(f"{base}/Dockerfile", dockerfile(rng, service))
        write(f"{base}/docker-compose.yml", compose(rng, service))
        write(f"{base}/k8s/deployment.yaml", deployment(rng, service))
        write(f"{base}/requirements.txt", "fastapi==0.115.0\nsqlalchemy==2.0.36\nrequests==2.32.3\nhttpx==0.27.2\n")
        service += 1
    for number in range(min(10, service)):
        write(f".github/workflows/ci-{number}.yml", workflow(number))
    stamp.write_text(json.dumps({"params": _stamp(modules, seed), "files": files}))
    return files

"""Small projects shared by the reporter, CLI and diff-base tests."""
from __future__ import annotations

SECRET = "hunter2secret"

# Three rules, one security rule with a secret, one cross-file finding with related locations.
SHOP = {
    "app/database.py": f"""
        from sqlalchemy import create_engine

        engine = create_engine("postgresql://shop:{SECRET}@db/shop", pool_size=20, max_overflow=40)
        """,
    "app/main.py": """
        from fastapi import FastAPI

        app = FastAPI()
        """,
    "Dockerfile": """
        FROM python:3.12-slim
        CMD ["gunicorn", "app.main:app", "-k", "uvicorn.workers.UvicornWorker", "-w", "4"]
        """,
    # Pinned, so that rules added later do not change what these tests see.
    "prodcheck.toml": """
        select = ["PC201", "PC301", "PC402"]
        """,
}


def procfile_with(*lines: str) -> dict[str, str]:
    return {"Procfile": "\n".join(lines) + "\n"}

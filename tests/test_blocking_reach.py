"""PC501/PC503 reach: what the messages say about how a request gets to a blocking call (CLI JSON)."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json, write_project

BILLING = '''
import requests
from fastapi import APIRouter

router = APIRouter()


@router.post("/billing/seats")
async def update_seats(count: int):
    return requests.post("https://billing.example.com/seats", json={"count": count}, timeout=5).json()
'''
TENANTS = '''
from fastapi import APIRouter

from app.billing import update_seats as admin_update_seats

router = APIRouter()


@router.post("/tenants/seats")
async def update_seats(count: int):
    return await admin_update_seats(count)
'''
MAIN = '''
from fastapi import FastAPI

from app import billing, tenants

app = FastAPI()
app.include_router(billing.router)
app.include_router(tenants.router)
'''


def test_a_route_awaited_by_a_route_of_the_same_name_is_reported_as_a_route(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"app/__init__.py": "", "app/billing.py": BILLING, "app/tenants.py": TENANTS,
                                    "app/main.py": MAIN, "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    messages = [f["message"] for f in data["findings"]]
    assert len(messages) == 1, messages
    assert "(route POST /billing/seats)" in messages[0]
    assert "awaited from `update_seats`" not in messages[0]


def test_a_helper_awaited_from_a_function_of_the_same_name_names_the_caller_in_full(tmp_path: Path) -> None:
    billing = BILLING.replace('@router.post("/billing/seats")\n', "")
    root = write_project(tmp_path, {"app/__init__.py": "", "app/billing.py": billing, "app/tenants.py": TENANTS,
                                    "app/main.py": MAIN.replace("app.include_router(billing.router)\n", ""),
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    messages = [f["message"] for f in data["findings"]]
    assert len(messages) == 1, messages
    assert "(awaited from `tenants.update_seats`)" in messages[0]


MANAGER = '''
import time

from fastapi import FastAPI

app = FastAPI()


class Manager:
    async def on_after_login(self, user) -> None:
        time.sleep(1)
'''
MANAGER_TEST = '''
from unittest.mock import MagicMock, patch

from fastapi.security import OAuth2PasswordRequestForm

from app.main import Manager


@patch("app.main.send_email")
async def test_on_after_login(send_email: MagicMock) -> None:
    await Manager().on_after_login(OAuth2PasswordRequestForm)
'''


def test_a_test_patched_with_unittest_mock_is_no_patch_route(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": MANAGER, "tests/__init__.py": "",
                                    "tests/test_manager.py": MANAGER_TEST, "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    assert data["findings"] == []

"""Standard-library calls of knowledge/blocking.toml checked against blockbuster's list of blocking functions:
descriptor reads and writes, compressed files and archives opened by name, shelve/dbm databases, codec files,
resolver lookups and the less common socket methods. Each marked line is reported at its severity; the buffers,
offloads and project helpers beside them are not."""
from __future__ import annotations

from pathlib import Path

from conftest import run_json, write_project

MAIN = '''\
import asyncio
import bz2
import codecs
import dbm
import gzip
import io
import lzma
import os
import shelve
import shutil
import socket
import tarfile
from pathlib import Path

from fastapi import FastAPI

app = FastAPI()


def chmod(path: str) -> str:  # a project helper with a library's name: no I/O
    return path


@app.post("/files/{name}")
async def files(name: str, data: bytes):
    fd = os.open(f"/data/{name}", os.O_RDWR)  # expect: warning
    os.write(fd, data)  # expect: warning
    os.read(fd, 1024)  # expect: warning
    os.pwrite(fd, data, 0)  # expect: warning
    os.ftruncate(fd, 0)  # expect: warning
    os.fdatasync(fd)  # expect: warning
    with gzip.open(f"/data/{name}.gz", "wb") as out:  # expect: warning
        out.write(data)
    bz2.open(f"/data/{name}.bz2").read()  # expect: warning
    lzma.open(f"/data/{name}.xz").read()  # expect: warning
    gzip.GzipFile(f"/data/{name}.gz").read()  # expect: warning
    tarfile.TarFile(f"/data/{name}.tar")  # expect: warning
    codecs.open(f"/data/{name}.txt", encoding="utf-8").read()  # expect: warning
    with shelve.open("/data/shelf") as shelf:  # expect: warning
        shelf[name] = data
    dbm.open("/data/cache", "c")  # expect: warning
    Path(f"/data/{name}").copy(f"/backup/{name}")  # expect: warning
    return {"ok": True}


@app.post("/folders/{name}")
async def folders(name: str):
    os.chown(f"/data/{name}", 1000, 1000)  # expect: info
    os.removedirs(f"/data/{name}/a/b")  # expect: info
    shutil.disk_usage("/data")  # expect: info
    Path(f"/data/{name}").chmod(0o640)  # expect: info
    Path(f"/data/{name}.link").symlink_to(f"/data/{name}")  # expect: info
    return chmod(name)


@app.get("/hosts/{address}")
async def hosts(address: str):
    socket.gethostbyaddr(address)  # expect: error
    socket.getfqdn()  # expect: error
    sock = socket.create_connection((address, 9000))  # expect: error
    sock.sendmsg([b"ping"])  # expect: error
    return {"ok": True}


@app.post("/quiet/{name}")
async def quiet(name: str, data: bytes):
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb") as packed:
        packed.write(data)
    gzip.open(io.BytesIO(data)).read()
    await asyncio.to_thread(gzip.open, f"/data/{name}.gz")
    await asyncio.to_thread(socket.getfqdn)
    settings = {"name": name}.copy()
    return chmod(settings["name"])
'''


def test_standard_library_calls_from_blockbusters_list_block_at_their_severity(tmp_path: Path) -> None:
    root = write_project(tmp_path, {"app/__init__.py": "", "app/main.py": MAIN,
                                    "Procfile": "web: uvicorn app.main:app\n"})
    _, data = run_json(root, "--select", "PC501")
    found = {f["line"]: f["severity"] for f in data["findings"] if f["path"] == "app/main.py"}
    lines = MAIN.splitlines()
    expected = {number: line.rsplit("# expect: ", 1)[1].strip()
                for number, line in enumerate(lines, start=1) if "# expect: " in line}
    assert found == expected, {number: (lines[number - 1].strip(), found.get(number), expected.get(number))
                               for number in set(found) | set(expected) if found.get(number) != expected.get(number)}

"""Recognise the web server in a simple command, and the flags that matter in production."""
from __future__ import annotations


from prodcheck.knowledge.servers import async_worker_markers, flag_options, servers, worker_options
from prodcheck.parsing.shell import SimpleCommand
from prodcheck.model.record import record

# Which programs serve an app and how their options read: prodcheck.knowledge.servers (servers.toml).


@record
class ServerCall:
    server: str  # uvicorn | gunicorn | hypercorn | granian | fastapi | daphne | python
    app_ref: str | None  # "app.main:app", a module for `python -m`, or a script path for `python x.py`
    options: tuple[tuple[str, str], ...]  # (option, value) in order; value "" for flags
    reload_token: str | None = None  # the token that turns on the reloader / dev server
    dev_server: bool = False  # `fastapi dev`

    def option(self, *names: str) -> str | None:
        found = None
        for key, value in self.options:
            if key in names:
                found = value
        return found

    def has(self, *names: str) -> bool:
        return any(key in names for key, _ in self.options)

    @property
    def workers_token(self) -> str | None:
        return self.option(*worker_options(self.server))

    @property
    def worker_class(self) -> str | None:
        return self.option("-k", "--worker-class")

    @property
    def config_file(self) -> str | None:
        return self.option("-c", "--config")


def _parse_options(server: str, args: tuple[str, ...]) -> tuple[list[tuple[str, str]], list[str]]:
    flag_only = flag_options(server)
    options: list[tuple[str, str]] = []
    positionals: list[str] = []
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            positionals.extend(args[index + 1:])
            break
        if token.startswith("--") and "=" in token:
            key, _, value = token.partition("=")
            options.append((key, value))
        elif token.startswith("--"):
            if token in flag_only or token.startswith("--no-") or index + 1 >= len(args):
                options.append((token, ""))
            else:
                options.append((token, args[index + 1]))
                index += 1
        elif token.startswith("-") and len(token) > 1 and not token[1].isdigit():
            key = token[:2]
            if len(token) > 2:  # -w4
                options.append((key, token[2:].lstrip("=")))
            elif key in flag_only or index + 1 >= len(args):
                options.append((key, ""))
            else:
                options.append((key, args[index + 1]))
                index += 1
        else:
            positionals.append(token)
        index += 1
    return options, positionals


def server_call(command: SimpleCommand) -> ServerCall | None:
    argv = command.argv
    if not argv:
        return None
    program = command.program
    if program.startswith("python") and len(argv) >= 2:
        rest = list(argv[1:])
        while rest and rest[0] in {"-u", "-O", "-OO", "-B", "-E", "-s", "-I", "-X"}:
            rest = rest[2:] if rest[0] == "-X" else rest[1:]
        if len(rest) >= 2 and rest[0] == "-m":
            module = rest[1]
            if module in servers():
                return server_call(SimpleCommand((module, *rest[2:]), command.line, command.operator, command.env))
            return ServerCall("python", module, tuple((a, "") for a in rest[2:]))
        if rest and rest[0].endswith(".py"):
            return ServerCall("python", rest[0], tuple((a, "") for a in rest[1:]))
        return None
    if program not in servers():
        return None
    args = argv[1:]
    dev_server = False
    if program == "fastapi":
        if not args or args[0] not in {"run", "dev"}:
            return None
        dev_server = args[0] == "dev"
        args = args[1:]
    options, positionals = _parse_options(program, args)
    app_ref = next((p for p in positionals if ":" in p), positionals[0] if positionals else None)
    if program == "gunicorn":
        app_ref = next((p for p in positionals if ":" in p or "." in p), app_ref)
    reload_token = None
    for key, _value in options:
        if key == "--reload" or (key == "--debug" and program == "hypercorn"):
            reload_token = key
    if program == "granian" and any(k == "--reload" for k, _ in options):
        reload_token = "--reload"
    if dev_server:
        reload_token = "dev" if not any(k == "--no-reload" for k, _ in options) else None
    return ServerCall(program, app_ref, tuple(options), reload_token, dev_server)


def is_asgi_worker_class(value: str | None) -> bool:
    return value is not None and any(marker in value for marker in async_worker_markers())


def is_migration(command: SimpleCommand) -> bool:
    """`alembic upgrade head`, `python -m alembic upgrade`, `flask db upgrade`, `dbwarden migrate` ..."""
    from prodcheck.knowledge.migrations import migration_command

    return migration_command(command.argv) is not None

"""``placecast serve``: the application under uvicorn (the production ASGI server), with what a newcomer
needs printed: the address and, on first start, how to sign in."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from rich.console import Console


def is_loopback(host: str) -> bool:
    """Whether ``host`` is this machine only."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_port_free(host: str, port: int) -> None:
    """Refuse a port already taken before anything is started: a second server on the same data folder marked
    the first one's running jobs as failed, then stopped on uvicorn's "address already in use" (exit 3)."""
    import socket

    from placecast.errors import UnusableInputError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnusableInputError(f"Cannot listen on {host}: {exc.strerror or exc}. Give --host an address of "
                                 "this machine (127.0.0.1 for this machine only).") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise UnusableInputError(f"Cannot listen on {host} port {port}: {exc.strerror or exc}. Is Placecast (or "
                                     "another program) already running there? Stop it, or give another --port."
                                     ) from None


LOCK_FILE = "placecast-serve.lock"


def hold_data_folder(data_dir: Path):
    """Lock the data folder for this server, or refuse: a second server on the same folder (another port)
    marked the first one's running jobs as failed when it started, and the two then ran jobs on the same
    files. The lock is the operating system's, so it goes with the process however it stops."""
    from filelock import FileLock, Timeout

    from placecast.errors import UnusableInputError

    Path(data_dir).mkdir(parents=True, exist_ok=True)
    lock = FileLock(Path(data_dir) / LOCK_FILE)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise UnusableInputError(f"Another Placecast server is already serving the data folder {data_dir}. Use "
                                 "that one, stop it first, or give this one another --data folder.") from None
    return lock


def serve(host: str, port: int, data_dir: Path | None, database: str | None, workers: int,
          stats: Path | None, console: Console) -> None:
    """Build the application once (migrations, first administrator, demo council), then serve it."""
    import os

    import uvicorn

    from placecast.web import jobs
    from placecast.web.app import create_app
    from placecast.web.settings import WebSettings

    check_port_free(host, port)
    overrides: dict[str, object] = {"data_dir": data_dir, "database_url": database}
    if is_loopback(host) and "PLACECAST_SECURE_COOKIES" not in os.environ:
        overrides["secure_cookies"] = False  # plain HTTP on this machine only; behind TLS cookies are Secure
    settings = WebSettings.from_env(**overrides)
    lock = hold_data_folder(settings.data_dir)  # held until this process ends
    app = create_app(settings, stats=stats)
    state = app.state.placecast
    stopped = jobs.mark_interrupted(state.engine) if not state.first_password else 0
    if stopped:
        console.print(f"{stopped} background job(s) left unfinished when the server last stopped are marked "
                      "failed; nothing they were doing was kept.", highlight=False)
    console.print(f"Placecast is starting at [bold]http://{host}:{port}/[/bold] "
                  f"(data in {settings.data_dir.resolve()})", highlight=False, soft_wrap=True)
    if state.first_password:
        console.print(f"First sign-in: user name [bold]admin[/bold], password [bold]{state.first_password}[/bold] "
                      "(shown once: change it on the Account page, then add your team under Users).",
                      highlight=False, soft_wrap=True)
    if settings.load_demo:
        console.print("The demo council (synthetic data) is computed in the background on first start; its pages "
                      "fill in within a minute.", highlight=False)
    forwarded = settings.trusted_proxies or "127.0.0.1"
    if workers > 1:  # each worker process builds its own application from the same settings
        os.environ.update({"PLACECAST_DATA_DIR": str(settings.data_dir), "PLACECAST_LOAD_DEMO": "0",
                           "PLACECAST_SECURE_COOKIES": "1" if settings.secure_cookies else "0"})
        if database:
            os.environ["PLACECAST_DATABASE_URL"] = database
        uvicorn.run("placecast.web.app:create_app", factory=True, host=host, port=port, workers=workers,
                    proxy_headers=True, forwarded_allow_ips=forwarded, log_level="info")
    else:
        uvicorn.run(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips=forwarded, log_level="info")
    lock.release()

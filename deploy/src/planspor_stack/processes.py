"""Local server processes: started detached, remembered by pid file, stopped by signal.

A pid file is what makes a process "ours": `down` stops only what `up` started,
and a port held by anything else is reported, never taken over.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


class StackError(RuntimeError):
    """A problem the user can fix; the message says how."""


@dataclass
class ManagedProcess:
    name: str
    run_dir: Path
    log_file: Path

    @property
    def pid_file(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def port_file(self) -> Path:
        return self.run_dir / f"{self.name}.port"

    def port(self, default: int) -> int:
        """The port a running process of ours listens on (it may differ from the default)."""
        try:
            return int(self.port_file.read_text()) if self.pid() is not None else default
        except (FileNotFoundError, ValueError):
            return default

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) else None

    def start(
        self, argv: Sequence[str], env: dict[str, str] | None = None, user: str | None = None, port: int | None = None
    ) -> int:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        if user:
            argv = ["runuser", "-u", user, "--", *argv]
        log = open(self.log_file, "ab")  # noqa: SIM115 - the child writes to it; closed here once it has it
        try:
            process = subprocess.Popen(
                list(argv),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                start_new_session=True,
            )
        except FileNotFoundError as error:
            raise StackError(f"{self.name}: cannot run {argv[0]!r}: {error}") from error
        finally:
            log.close()
        self.pid_file.write_text(str(process.pid))
        if port is not None:
            self.port_file.write_text(str(port))
        return process.pid

    def stop(self, timeout: float = 30.0, sig: int = signal.SIGTERM) -> bool:
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        _signal_group(pid, sig)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            _signal_group(pid, signal.SIGKILL)
            while _alive(pid):
                time.sleep(0.05)
        self.pid_file.unlink(missing_ok=True)
        self.port_file.unlink(missing_ok=True)
        return True

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        return state != "Z"
    except (FileNotFoundError, IndexError):
        return True


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_free_port(port: int, what: str, setting: str, url_setting: str) -> None:
    if not port_is_free(port):
        raise StackError(
            f"{what}: port {port} on 127.0.0.1 is already taken by another process. "
            f"Stop that process, choose another port with {setting}=<port>, "
            f"or set {url_setting} to use a server that is already running."
        )


def wait_until(
    ready: Callable[[], bool],
    what: str,
    timeout: float,
    process: ManagedProcess | None = None,
) -> None:
    """Poll a real round trip until it answers; fail with the log if the process died."""
    deadline = time.monotonic() + timeout
    delay = 0.1
    while True:
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001 - not ready yet is any failure of the round trip
            pass
        if process is not None and process.pid() is None:
            raise StackError(f"{what} exited during start-up. Last lines of {process.log_file}:\n{process.log_tail()}")
        if time.monotonic() > deadline:
            tail = f"\nLast lines of {process.log_file}:\n{process.log_tail()}" if process else ""
            raise StackError(f"{what} did not become ready within {timeout:.0f} s.{tail}")
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)

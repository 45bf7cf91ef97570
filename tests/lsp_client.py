"""A small LSP client over a subprocess's pipes: JSON-RPC with Content-Length framing, as an
editor speaks it. A reader thread collects what the server sends; tests wait for messages."""

from __future__ import annotations

import json
import queue
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Message = dict[str, Any]


class LspClient:
    def __init__(self, command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (a file, not a pipe: a chatty server never blocks on it; closed in close())
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self._stderr)
        self.messages: queue.Queue[Message] = queue.Queue()
        self.seen: list[Message] = []
        self.transcript: list[tuple[str, Message]] = []  # ("->" sent | "<-" received, message)
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            headers: dict[str, str] = {}
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            body = stream.read(int(headers["content-length"]))
            message = json.loads(body.decode("utf-8"))
            self.transcript.append(("<-", message))
            self.messages.put(message)

    def send(self, message: Message) -> None:
        self.transcript.append(("->", message))
        body = json.dumps(message).encode("utf-8")
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 30) -> Any:
        self._next_id += 1
        ident = self._next_id
        self.send({"jsonrpc": "2.0", "id": ident, "method": method, "params": params})
        reply = self.wait(lambda message: message.get("id") == ident and "method" not in message, timeout)
        if "error" in reply:
            raise AssertionError(f"{method} failed: {reply['error']}")
        return reply.get("result")

    def wait(self, accept: Callable[[Message], bool], timeout: float = 30) -> Message:
        """The first message (already seen or still to come) that ``accept`` takes; requests from
        the server (registrations) are answered on the way."""
        for message in self.seen:
            if accept(message):
                self.seen.remove(message)
                return message
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching message in {timeout}s; stderr: {self.stderr_text()}")
            try:
                message = self.messages.get(timeout=remaining)
            except queue.Empty:
                continue
            if "method" in message and "id" in message:  # a request from the server
                self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            if accept(message):
                return message
            self.seen.append(message)

    def diagnostics(self, uri: str, accept: Callable[[list[Message]], bool] = lambda _: True, timeout: float = 30) -> Message:
        """The next publishDiagnostics for ``uri`` whose diagnostics ``accept`` takes."""
        return self.wait(lambda message: message.get("method") == "textDocument/publishDiagnostics"
                         and message["params"]["uri"] == uri and accept(message["params"]["diagnostics"]), timeout)["params"]

    def stderr_text(self) -> str:
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def close(self) -> int:
        """shutdown and exit as an editor does; the exit code (killed if it does not stop)."""
        if self.process.poll() is None:
            try:
                self.request("shutdown", None, timeout=10)
                self.notify("exit", None)
                self.process.wait(timeout=10)
            except (TimeoutError, OSError, AssertionError):
                self.process.kill()
        code = self.process.wait(timeout=10)
        self._stderr.close()
        return code

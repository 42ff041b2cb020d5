"""A taught network in one zip file: the weights (``.npz``) and model card of each kind, as shipped networks are
stored, and read back with every check shipped weights get, so a file from elsewhere runs no code.

    data = pack_networks({"bayesian": taught, "deterministic": twin})      # bytes of a zip
    models = unpack_networks(data)                                         # {kind: DigitModel}
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from pathlib import Path

from bnn.config import ALL_KINDS, ARCHITECTURES, network_name
from bnn.model.predict import DigitModel, load_model, save_model
from bnn.model.weights import CARD_SUFFIX, WEIGHTS_SUFFIX, WeightsError

MAX_ARCHIVE_BYTES = 50 * 1024 * 1024  # the zip as uploaded: every shipped kind of the larger network fits
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # its files unpacked: a zip bomb is refused before anything is written
_MEMBER = re.compile(
    rf"^(?P<arch>{'|'.join(ARCHITECTURES)})-(?P<kind>{'|'.join(ALL_KINDS)})"
    rf"(?P<suffix>{re.escape(WEIGHTS_SUFFIX)}|{re.escape(CARD_SUFFIX)})$"
)


class ArchiveError(WeightsError):
    """An uploaded network that cannot be used; the message says what is wrong with it."""


def pack_networks(models: dict[str, DigitModel]) -> bytes:
    """The weights and card of every model (by kind) in one zip, as `save_model` writes them."""
    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for model in models.values():
            save_model(model, folder)
            for suffix in (WEIGHTS_SUFFIX, CARD_SUFFIX):
                name = f"{model.card.name}{suffix}"
                archive.write(Path(folder) / name, name)
    return buffer.getvalue()


def unpack_networks(data: bytes, arch: str | None = None) -> dict[str, DigitModel]:
    """The networks of a zip from `pack_networks`, by kind: at most MAX_ARCHIVE_BYTES, nothing but
    ``<arch>-<kind>.weights.npz`` and ``.json`` pairs of one architecture (``arch`` when given), each weights file's
    sha256 as its card records, arrays of the network's names and shapes, finite float32, never unpickled."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ArchiveError(f"The file is over {MAX_ARCHIVE_BYTES // (1024 * 1024)} MB: a taught network is smaller.")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ArchiveError(f"This is not a taught network's zip file ({error}): download it again.") from None
    with archive, tempfile.TemporaryDirectory() as folder:
        networks = _checked_members(members, arch)
        if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
            raise ArchiveError("The zip unpacks to more than a taught network's size: it is not one.")
        for member in members:
            try:
                (Path(folder) / member.filename).write_bytes(archive.read(member))
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
                raise ArchiveError(f"The zip is damaged ({error}): download the taught network again.") from None
        models = {}
        for found_arch, kind in networks:
            try:
                models[kind] = load_model(kind, found_arch, folder)
            except WeightsError as error:
                reason = str(error).replace(folder + "/", "").split(" Restore the shipped files")[0]
                raise ArchiveError(f"The zip's {network_name(found_arch, kind)} cannot be used: {reason}") from None
    return models


def _checked_members(members: list[zipfile.ZipInfo], arch: str | None) -> list[tuple[str, str]]:
    """The (arch, kind) pairs a zip holds, each as a weights file and a card; ArchiveError for anything else."""
    found: dict[tuple[str, str], set[str]] = {}
    for member in members:
        match = _MEMBER.match(member.filename)
        if match is None:
            raise ArchiveError(
                f"The zip holds {member.filename!r:.80}: a taught network holds only files named like "
                f"{network_name('mlp', 'bayesian')}{WEIGHTS_SUFFIX} and {network_name('mlp', 'bayesian')}{CARD_SUFFIX}."
            )
        found.setdefault((match["arch"], match["kind"]), set()).add(match["suffix"])
    if not found:
        raise ArchiveError("The zip is empty: it holds no network.")
    architectures = {found_arch for found_arch, _ in found}
    if len(architectures) > 1 or (arch is not None and architectures != {arch}):
        raise ArchiveError(
            f"The zip holds {', '.join(sorted(architectures))} networks; choose that network in the sidebar first."
            if arch is not None and len(architectures) == 1
            else "The zip mixes networks of different architectures."
        )
    for (found_arch, kind), suffixes in found.items():
        if suffixes != {WEIGHTS_SUFFIX, CARD_SUFFIX}:
            raise ArchiveError(f"The zip holds {network_name(found_arch, kind)} without its weights or its card.")
    return sorted(found)

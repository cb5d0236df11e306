"""Files in, documents out: pick a loader for each file and walk folders.

A loader is chosen by the file's suffix (see :data:`LOADERS`): articles (``.txt``,
``.text``), Markdown (``.md``, ``.markdown``), JSON Lines (``.jsonl``, ``.ndjson``),
JSON (``.json``, in the JSON Lines module), HTML (``.html``, ``.htm``), PDF, DOCX, ODT
and EPUB (these four with the ``documents`` extra; without it such a file is skipped with
a reason naming the extra) and e-mail (``.eml``, ``.mbox``); a file named explicitly with
an unknown suffix is read as a plain-text article. Folder walks take
only known suffixes, skip hidden folders (``.git``, ``.venv``) and hidden files that are
not documents (see :func:`iter_files`), and follow a symbolic link only when it stays
inside the paths given, unless asked to follow every link; each file or folder left out
so is reported as skipped, with the reason, never dropped without a word.

Other packages add formats without editing searchkit: a package that declares an entry
point in the ``searchkit.loaders`` group, naming a :class:`Loader` class (or instance),
has it registered the first time a loader is looked up::

    [project.entry-points."searchkit.loaders"]
    org = "searchkit_org:OrgLoader"
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from importlib.metadata import entry_points
from pathlib import Path

import attrs

from .._args import check_path
from ..errors import DocumentError, SettingsError
from ..models import Document, Skipped
from ._base import DeclaresEncoding, Loader, ReadsBytes, decode, invalid_utf8
from .article import ArticleLoader
from .epub import EpubLoader
from .html import HtmlLoader
from .jsonl import JsonlLoader, JsonLoader, check_field_map
from .mail import EmlLoader, MboxLoader
from .markdown import MarkdownLoader
from .office import DocxLoader, OdtLoader
from .pdf import PdfLoader

__all__ = [
    "LOADERS",
    "MAX_FILE_BYTES",
    "check_field_map",
    "Loader",
    "display_path",
    "iter_files",
    "load_document",
    "load_documents",
    "load_file",
    "load_plugins",
    "read_file",
    "register_loader",
]

MAX_FILE_BYTES = 64 * 1024 * 1024
LOADERS: dict[str, Loader] = {}


def register_loader(loader: Loader) -> None:
    """Make ``loader`` handle every suffix it names (later registrations win)."""
    for suffix in loader.suffixes:
        LOADERS[suffix.lower()] = loader


register_loader(ArticleLoader())
register_loader(MarkdownLoader())
register_loader(JsonlLoader())
register_loader(JsonLoader())
register_loader(HtmlLoader())
register_loader(PdfLoader())
register_loader(DocxLoader())
register_loader(OdtLoader())
register_loader(EpubLoader())
register_loader(EmlLoader())
register_loader(MboxLoader())
_FALLBACK: Loader = LOADERS[".txt"]
PLUGIN_GROUP = "searchkit.loaders"
_plugins: list[str] | None = None  # the entry points registered, once looked for


def load_plugins() -> list[str]:
    """Register the loaders other packages declare under the ``searchkit.loaders`` entry
    point group (once; later calls return the same names).

    Looked for on first use, not at import, so a search never pays for the scan.  A
    plug-in that cannot be imported, or is not a loader, raises :class:`SettingsError`
    naming it: a format silently missing would leave files unindexed.
    """
    global _plugins
    if _plugins is not None:
        return _plugins
    names: list[str] = []
    for ep in sorted(entry_points(group=PLUGIN_GROUP), key=lambda e: e.name):
        try:
            found = ep.load()
            loader = found() if isinstance(found, type) else found
        except Exception as exc:
            raise SettingsError(
                f"loader plug-in {ep.name!r} ({ep.value}) cannot be loaded: {exc}"
            ) from None
        if not isinstance(loader, Loader):
            raise SettingsError(
                f"loader plug-in {ep.name!r} ({ep.value}) is not a loader "
                "(it needs name, suffixes and load())"
            )
        register_loader(loader)
        names.append(ep.name)
    _plugins = names
    return names


def loader_for(path: Path) -> Loader:
    """The loader for ``path``'s suffix, or the plain-text article loader."""
    load_plugins()
    return LOADERS.get(path.suffix.lower(), _FALLBACK)


def display_path(path: str | os.PathLike[str]) -> str:
    """``path`` as printable text: bytes that are not UTF-8 shown as ``\\xNN`` escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def read_file(path: str | os.PathLike[str]) -> tuple[Path, bytes]:
    """Resolve ``path`` and read its bytes, turning OS errors into :class:`DocumentError`."""
    check_path("path", path)
    p = Path(path)
    try:
        str(p).encode("utf-8")
    except UnicodeEncodeError:
        raise DocumentError(display_path(p), "file name is not valid UTF-8") from None
    try:
        p = p.resolve()
        st = p.stat()
        if stat.S_ISDIR(st.st_mode):
            raise DocumentError(p, "is a folder, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise DocumentError(p, "not a regular file (a pipe, socket or device)")
        size = st.st_size
        if size > MAX_FILE_BYTES:
            raise DocumentError(p, f"file too large ({size:,} bytes; limit {MAX_FILE_BYTES:,})")
        data = p.read_bytes()
    except FileNotFoundError:
        raise DocumentError(path, "no such file") from None
    except PermissionError:
        raise DocumentError(path, "permission denied") from None
    except RuntimeError:  # Path.resolve() on a link that points at itself
        raise DocumentError(path, "symbolic link loop") from None
    except OSError as exc:
        raise DocumentError(path, exc.strerror or str(exc)) from None
    return p, data


def load_file(
    path: str | os.PathLike[str], field_map: Mapping[str, str] | None = None
) -> tuple[list[Document], list[Skipped]]:
    """Parse one file into its documents, and the records in it that could not be used.

    ``field_map`` names the record keys JSON and JSONL records hold each field under
    (see :mod:`.jsonl`); other formats ignore it.

    Records are skipped only in formats that hold many documents a file (a JSONL line
    that is not JSON, or has no text); each :class:`Skipped` names the file and, in its
    reason, the record.  Raises :class:`DocumentError` (naming the file) when the file
    cannot be read, is empty or binary, or holds no text at all.
    """
    p, data = read_file(path)
    loader = loader_for(p)
    if field_map and isinstance(loader, JsonlLoader):
        loader = loader.mapped(field_map)
    digest = hashlib.sha256(data).hexdigest()
    items: Iterable[Document | Skipped]
    if isinstance(loader, ReadsBytes):
        encoding = "binary"
        items = read_binary(loader, p, data, digest)
    else:
        declared = loader.declared_encoding(data) if isinstance(loader, DeclaresEncoding) else None
        text, encoding = decode(data, p, declared)
        items = loader.load(p, text, digest, encoding)
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for item in items:
        if isinstance(item, Skipped):
            # A loader's own skips are parts of a file whose other parts load.
            skipped.append(attrs.evolve(item, kind="record") if item.kind == "file" else item)
        elif item.paragraphs:
            docs.append(item)
    if not docs:
        if skipped:
            raise DocumentError(
                p, f"no usable records ({len(skipped)} skipped; first: {skipped[0].reason})"
            )
        raise DocumentError(p, "no text to index")
    if encoding == "utf-8" and (note := invalid_utf8(data)) is not None:
        skipped.insert(0, Skipped(str(p), note, "note"))  # reported; the file still loads
    return docs, skipped


def read_binary(
    loader: ReadsBytes, path: Path, data: bytes, digest: str
) -> list[Document | Skipped]:
    """Everything a :class:`ReadsBytes` loader yields for ``data``.

    A format library's own exception (a damaged PDF, a zip that is not one, a bad XML
    part) becomes :class:`DocumentError` naming it, so the file is reported as skipped
    and the run goes on; the limits in ``loaders/_limits.py`` keep the work bounded.
    """
    if not data.strip():
        raise DocumentError(path, "empty file")
    try:
        return list(loader.load_bytes(path, data, digest))
    except DocumentError:
        raise
    except RecursionError:
        raise DocumentError(
            path, f"damaged {loader_name(loader)} file (nested too deeply)"
        ) from None
    except Exception as exc:
        why = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise DocumentError(path, f"damaged {loader_name(loader)} file: {why}") from None


def loader_name(loader: object) -> str:
    """A loader's format name in upper case (``PDF``), for messages."""
    return str(getattr(loader, "name", "document")).upper()


def load_documents(path: str | os.PathLike[str]) -> list[Document]:
    """Parse one file into its documents without indexing it.

    Raises :class:`DocumentError` (naming the file) when the file cannot be read, is
    empty or binary, or holds no text.  Records that cannot be used are left out; use
    :func:`load_file` to learn which and why.
    """
    return load_file(path)[0]


def load_document(path: str | os.PathLike[str]) -> Document:
    """Parse one file into a :class:`Document` without indexing it.

    For formats that hold several documents in a file, use :func:`load_documents`.
    """
    docs = load_documents(path)
    if len(docs) != 1:
        raise DocumentError(path, f"holds {len(docs)} documents; use load_documents()")
    return docs[0]


def iter_files(
    paths: Iterable[str | os.PathLike[str]], *, follow_links: bool = False
) -> Iterator[Path | Skipped]:
    """Yield each file to index under ``paths``, or a :class:`Skipped` for what cannot be.

    Named files are yielded whatever their suffix; folders are walked for known suffixes.
    A path that does not exist, a folder that vanishes or cannot be read mid-walk: each is
    reported as skipped, and the walk goes on.

    A folder whose name starts with ``.`` is not walked.  A file whose name starts with
    ``.`` is taken like any other when it is a regular file (not a link) with a known
    suffix (``..md``, ``.notes.md``); other hidden files (``.env``, ``.DS_Store``, a
    link such as Emacs's ``.#page.md``) and macOS's ``._`` metadata files are skipped.

    A symbolic link met in a walk is followed only when it stays inside the paths given
    (a link to ``/etc/shadow`` in a corpus is skipped and reported); ``follow_links``
    follows every link, into linked folders too, as ``rg -L`` does.  Paths named in
    ``paths`` are followed whatever they are: the user chose them.
    """
    paths = list(paths)
    roots = [Path(os.path.realpath(p)) for p in paths]
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            yield from _walk(p, roots, follow_links)
        elif p.exists():
            yield p
        else:
            yield Skipped(display_path(p), "no such file or folder")


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == r or r in path.parents for r in roots)


def _is_index(folder: Path) -> bool:
    """Whether ``folder`` holds a searchkit index: its ``searchkit.json`` and its data.
    A folder this process may not read is not one (the walk then says it cannot read it:
    ``Path.is_file`` raises PermissionError there, which ended the whole run)."""
    try:
        if not (folder / "searchkit.json").is_file():  # _settings.SETTINGS_NAME
            return False
        return any(_INDEX_DATA.match(name) for name in os.listdir(folder))
    except OSError:
        return False


# The data folders' names, as ``_settings._DATA`` and ``_shardset._DATA`` give them (the
# loaders import nothing of the index, which imports them).
_INDEX_DATA = re.compile(r"(?:whoosh|shards)-[0-9]{1,9}$")
_OUTSIDE = "symbolic link to outside the folders given (--follow-links follows it)"
_FOLDER_LINK = "symbolic link to a folder, not followed (--follow-links follows it)"


def _walk(root: Path, roots: list[Path], follow_links: bool) -> Iterator[Path | Skipped]:
    load_plugins()
    errors: list[OSError] = []
    seen: set[str] = set()  # folders walked, by real path: links cannot loop
    for folder, dirs, files in os.walk(root, onerror=errors.append, followlinks=follow_links):
        yield from _folder_errors(errors, folder)
        if follow_links:
            real = os.path.realpath(folder)
            if real in seen:
                dirs[:] = []
                continue
            seen.add(real)
        walked = []
        for name in sorted(dirs):
            p = Path(folder, name)
            if name.startswith("."):
                yield Skipped(display_path(p), "hidden folder, not walked")
            elif not follow_links and p.is_symlink():
                yield Skipped(display_path(p), _FOLDER_LINK)
            elif _is_index(p):  # an index kept among its own sources: its files are no text
                yield Skipped(display_path(p), "a searchkit index folder, not walked")
            else:
                walked.append(name)
        dirs[:] = walked
        for name in sorted(files):
            p = Path(folder, name)
            suffix = p.suffix.lower()
            if name.startswith(".") and not _hidden_document(p, name):
                yield Skipped(display_path(p), "hidden file")
                continue
            if suffix not in LOADERS:
                kind = f"{suffix} files" if suffix else "files without a suffix"
                yield Skipped(display_path(p), f"no loader for {kind}")
                continue
            outside = not follow_links and p.is_symlink()
            if outside and not _inside(Path(os.path.realpath(p)), roots):
                yield Skipped(display_path(p), _OUTSIDE)
                continue
            yield p
    yield from _folder_errors(errors, root)


def _hidden_document(path: Path, name: str) -> bool:
    """A file named ``.something.md`` that is a document: a regular file (not a link)
    with a known suffix, and not one of macOS's ``._`` metadata files."""
    if name.startswith("._") or path.suffix.lower() not in LOADERS:
        return False
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def _folder_errors(errors: list[OSError], where: str | Path) -> Iterator[Skipped]:
    while errors:
        err = errors.pop()
        yield Skipped(display_path(err.filename or where), f"cannot read folder: {err.strerror}")

"""The "pyodide zipfile" candidate's Python (scripts/bench/zip.py): run by python-zip.mjs in Pyodide."""
import io
import zipfile

from js import Blob, Uint8Array
from pyodide.ffi import to_js


class BlobParts(io.RawIOBase):
    """A write-only, unseekable file: every write leaves wasm memory at once as a Blob part."""

    def __init__(self, parts):
        self.parts = parts

    def writable(self):
        return True

    def write(self, data):
        chunk = Uint8Array.new(len(data))
        chunk.assign(data)
        self.parts.push(Blob.new(to_js([chunk])))
        return len(data)


def open_zip(parts):
    return zipfile.ZipFile(BlobParts(parts), "w", zipfile.ZIP_STORED)


def add(archive, name, js_bytes, date_time):
    info = zipfile.ZipInfo(name, date_time=tuple(date_time))
    archive.writestr(info, js_bytes.to_bytes())

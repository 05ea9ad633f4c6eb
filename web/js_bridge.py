"""Between JavaScript and Python in the page's worker: how worker.py reads engine.js's requests and
writes its answers (web/protocol.js declares both)."""

import traceback

import js
from pyodide.ffi import JsProxy, to_js

from googly_eyes.gallery import failure
from googly_eyes.photo import PhotoError


def js_object(mapping: dict):
    """A plain JavaScript object (nested dicts too), not a Map."""
    return to_js(mapping, dict_converter=js.Object.fromEntries)


def js_bytes(data: bytes):
    array = js.Uint8Array.new(len(data))
    array.assign(data)
    return array


def answer(values: dict):
    """An answer for engine.js: {ok: true, ...values}, bytes as Uint8Array."""
    return js_object({"ok": True, **{key: js_bytes(value) if isinstance(value, bytes) else value
                                     for key, value in values.items()}})


def failed(error: Exception, name: str = "photo"):
    """The one failure answer, {ok: false, error: {code, message, hint}} (gallery.failure)."""
    if not isinstance(error, PhotoError):
        traceback.print_exc()  # a bug of ours: its trace goes to the console
    return js_object({"ok": False, "error": failure(error, name)})


def request_of(request, *js_fields: str) -> dict:
    """A request object from engine.js as a dict: plain values converted, Uint8Arrays as bytes, except
    `js_fields`, left as JavaScript values (a photo's bytes the canvas decodes never enter Python)."""
    values = {}
    for key in js.Object.keys(request):
        value = getattr(request, key)
        if key in js_fields:
            values[key] = value
        elif isinstance(value, JsProxy):
            values[key] = value.to_bytes() if js.ArrayBuffer.isView(value) else value.to_py()
        else:
            values[key] = value
    return values


async def fetch_bytes(url: str) -> bytes:
    response = await js.fetch(url)
    if not response.ok:
        raise RuntimeError(f"{url} could not be loaded (HTTP {response.status}).")
    return (await response.arrayBuffer()).to_bytes()
